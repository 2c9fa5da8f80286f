#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 'make stress' plan (debug kernel). zsd.args="duration=SECONDS size=MIB".
# Two halves: zram, then zswap. During each, swap_churn verifies every byte
# while other loops offline/online cpu1, flip the switches, starve the pool,
# inject page allocation failures and tear devices down with frees pending.
# A run passes only if each half printed its own churn summary, caused every
# event it is meant to at least once, and drained all it pushed; a stats
# file that is missing fails the run rather than reading as 0.
. /plans/ktap.sh
. /plans/swap.sh
ZD=/sys/kernel/debug/zs_deferred
ZDP=/sys/module/zsmalloc_deferred/parameters
FA=/sys/kernel/debug/fail_page_alloc
ZP=/sys/module/zswap/parameters
KL=/sys/kernel/debug/kmemleak

duration=120
# MiB per swap_churn worker. A round (fill, page out, free half in runs of
# 1 to 32 pages, verify) takes time in proportion: on the debug kernel under
# TCG on a 2-core host, 8 MiB rounds took about 25 s with 3 workers and no
# other load, and 32 MiB ones more than 84 s for one worker alone, past the
# watchdog of a 60 s half. Rounds must fit a half several times over, with
# the loops below taking CPU 1 away half of the time.
size=4
for kv in $ZSD_ARGS; do eval "$kv"; done
half=$((duration / 2))
STOP=/tmp/stop
C=/tmp/counts
mkdir -p $C
# events_of BACKEND: the events its half must cause (scripts/stress.sh
# checks the same lists).
events_of() {
	echo hotplug_cycles switch_flips injected_alloc_failures
	case $1 in
	zram) echo resets ;;
	zswap) echo compressor_switches swap_cycles ;;
	esac
}

# Event counters are per half: $B is the backend of the running half.
bump() { echo $(($(cat $C/$1 2>/dev/null || echo 0) + 1)) >$C/$1; }
count() { cat $C/$1 2>/dev/null || echo 0; }
# missing WHAT: something the plan reads is absent (stats_files_present).
missing() { echo "ZSD: missing $1" >&2; echo "$1" >>$C/missing; }
# zstat INSTANCE FILE: a zs_deferred counter; empty when the file is missing.
zstat() { cat $ZD/$1/$2 2>/dev/null || missing $ZD/$1/$2; }

hotplug_loop() {
	while [ ! -e $STOP ]; do
		echo 0 >/sys/devices/system/cpu/cpu1/online && sleep 0.3 &&
			echo 1 >/sys/devices/system/cpu/cpu1/online && bump ${B}_hotplug_cycles
		sleep 0.7
	done
}

# $1: instance, $2: switch file, $3/$4: its off/on values.
switch_loop() {
	[ -w $ZDP/pool_max ] || { missing $ZDP/pool_max; return; }
	while [ ! -e $STOP ]; do
		off=0
		echo "$3" >"$2" && off=1
		sleep 0.2
		echo "$4" >"$2" && [ $off = 1 ] && bump ${B}_switch_flips
		# Starve the pool for a while: pushes must fall back, not fail.
		echo 2 >$ZDP/pool_max; sleep 0.5
		echo 0 >$ZDP/pool_max
		sleep 0.5
	done
}

# A second zram device, used as swap and torn down with frees pending.
# Only a device that was swapped on counts as a reset.
zram_teardown_loop() {
	while [ ! -e $STOP ]; do
		id=$(cat /sys/class/zram-control/hot_add) || break
		echo 256M >/sys/block/zram$id/disksize
		on=0
		mkswap /dev/zram$id >/dev/null &&
			{ swapon -p 10 /dev/zram$id 2>/dev/null || swapon /dev/zram$id; } && on=1
		sleep 2
		swapoff /dev/zram$id
		if [ $(($(count ${B}_resets) % 2)) = 0 ]; then
			echo 1 >/sys/block/zram$id/reset
		fi
		echo "$id" >/sys/class/zram-control/hot_remove && [ $on = 1 ] && bump ${B}_resets
	done
}

zswap_teardown_loop() {
	while [ ! -e $STOP ]; do
		sleep 2
		# Writing the current compressor is a no-op: pick another one.
		cur=$(cat $ZP/compressor)
		for c in lz4 lzo-rle lzo; do
			[ "$c" != "$cur" ] && echo $c >$ZP/compressor 2>/dev/null &&
				bump ${B}_compressor_switches && break
		done
		sleep 2
		swapoff /dev/vda && swapon /dev/vda && bump ${B}_swap_cycles
	done
}

fail_on() {
	# Only allocations that cannot sleep fail: the pool's GFP_NOWAIT growth.
	echo 1 >$FA/ignore-gfp-wait 2>/dev/null
	echo 0 >$FA/ignore-gfp-highmem 2>/dev/null
	echo 5 >$FA/probability
	echo 1 >$FA/interval
	echo 1000000 >$FA/times
	echo 0 >$FA/verbose
}
fail_off() {	# $1: backend
	left=$(cat $FA/times) || { missing $FA/times; left=1000000; }
	echo 0 >$FA/probability
	echo $((1000000 - left)) >$C/$1_injected_alloc_failures
}

phase() {	# $1: backend, $2: instance, $3: switch file, $4/$5: off/on
	B=$1
	rm -f $STOP /tmp/results.json	# so that only this half's summary is found
	echo 20 >$ZDP/idle_ms || missing $ZDP/idle_ms
	hotplug_loop & p1=$!
	switch_loop "$2" "$3" "$4" "$5" & p2=$!
	"${1}_teardown_loop" & p3=$!
	fail_on
	ktap_run "swap_churn_$1" swap_churn -d $half -w 3 -s $size -j
	rc=$?
	fail_off "$1"
	touch $STOP
	wait $p1 $p2 $p3
	echo 1 >/sys/devices/system/cpu/cpu1/online
	echo 100 >$ZDP/idle_ms
	echo 1 >"$3" 2>/dev/null; echo Y >"$3" 2>/dev/null
	grep '^# JSON' /tmp/results.json 2>/dev/null | tail -1 >$C/churn_$1
	sed -n 's/.*"gib_verified":\([0-9.][0-9.]*\).*/\1/p' $C/churn_$1 >$C/$1_gib_verified
	sed -n 's/.*"mismatches":\([0-9][0-9]*\).*/\1/p' $C/churn_$1 >$C/$1_mismatches
	return $rc
}

# end_half BACKEND INSTANCE: after the final flush, record its counters.
end_half() {
	echo 1 >$ZD/$2/flush || missing $ZD/$2/flush
	for f in pushed drained fallbacks; do zstat $2 $f >$C/$1_$f; done
}

# The checks; each prints what it compared.
mm_stat() {	# the first three fields of zram0's mm_stat
	f=/sys/block/zram0/mm_stat
	[ -r $f ] || { missing $f; return; }
	awk '{print $1, $2, $3}' $f
}
baseline() {	# $1, $2: zram0's mm_stat before and after
	echo "zram mm_stat before: $1 after: $2"
	[ -n "$1" ] && [ "$1" = "$2" ]
}
pushed_drained() {	# $1: backend; something was pushed, and all of it drained
	p=$(cat $C/$1_pushed) d=$(cat $C/$1_drained)
	echo "$1: pushed '$p' drained '$d'"
	[ -n "$p" ] && [ "$p" -gt 0 ] && [ "$p" = "$d" ]
}
# churn_summary BACKEND: this half's swap_churn printed its own JSON line,
# with both fields (an empty mismatches value is not 0).
churn_summary() {
	[ -s $C/churn_$1 ] || { echo "$1: swap_churn printed no JSON summary"; return 1; }
	echo "$1: $(cat $C/churn_$1)"
	[ -s $C/$1_gib_verified ] || { echo "$1: no gib_verified"; return 1; }
	[ -s $C/$1_mismatches ] || { echo "$1: no mismatches value"; return 1; }
}
events_seen() {	# $1: backend; names the events that never happened
	zero=
	for e in $(events_of $1); do
		echo "$1 $e: $(count $1_$e)"
		[ "$(count $1_$e)" -gt 0 ] || zero="$zero $e"
	done
	[ -z "$zero" ] || { echo "$1: zero$zero"; return 1; }
}
files_present() {
	[ ! -s $C/missing ] || { awk '!seen[$0]++ { print "missing " $0 }' $C/missing; return 1; }
}

ktap_begin 13
ktap_check zram_swap_on zram_swap_on 2G
before=$(mm_stat)
phase zram zram0 /sys/block/zram0/deferred_free 0 1
end_half zram zram0
after=$(mm_stat)
ktap_check zram_memory_back_to_baseline baseline "$before" "$after"
ktap_check zram_pushed_equals_drained pushed_drained zram
ktap_check zram_churn_summary churn_summary zram
ktap_check zram_events_nonzero events_seen zram
zram_swap_off

ktap_check zswap_swap_on zswap_swap_on
phase zswap zswap $ZP/deferred_free N Y
swapoff /dev/vda
end_half zswap zswap
stored=$(cat /sys/kernel/debug/zswap/stored_pages) || missing /sys/kernel/debug/zswap/stored_pages
ktap_check zswap_nothing_left_stored test "$stored" = 0
ktap_check zswap_pushed_equals_drained pushed_drained zswap
ktap_check zswap_churn_summary churn_summary zswap
ktap_check zswap_events_nonzero events_seen zswap
zswap_swap_off

# A refused scan (kmemleak disabled itself) is no leak count at all.
if echo scan >$KL && sleep 1 && echo scan >$KL; then
	leaks=$(grep -c '^unreferenced object' $KL)
	# What was found, for the host's report (scripts/stress.sh): the
	# first objects with their allocation backtraces.
	if [ "$leaks" -gt 0 ]; then
		head -n 40 $KL | sed 's/^/# kmemleak: /' >"$KTAP"
	fi
else
	missing "$KL (scan refused)"
fi
ktap_check stats_files_present files_present

# The STRESS line: totals (the keys summary.json has always had) and each
# half's own fields. A value that was not recorded is null, never 0.
val() { v=$(cat $C/$1 2>/dev/null); echo "${v:-null}"; }
total() {	# $1: key recorded by both halves
	a=$(val zram_$1) b=$(val zswap_$1)
	if [ "$a" = null ] || [ "$b" = null ]; then echo null; else echo $((a + b)); fi
}
both() { echo $(($(count zram_$1) + $(count zswap_$1))); }	# $1: an event
half_json() {	# $1: backend
	printf '"%s":{"gib_verified":%s,"mismatches":%s,"pushed":%s,"drained":%s,"fallbacks":%s' \
		$1 "$(val $1_gib_verified)" "$(val $1_mismatches)" "$(val $1_pushed)" \
		"$(val $1_drained)" "$(val $1_fallbacks)"
	for e in $(events_of $1); do printf ',"%s":%s' $e "$(count $1_$e)"; done
	printf '}'
}
gib=$(echo "$(val zram_gib_verified) $(val zswap_gib_verified)" |
	awk '{ if ($1 == "null" || $2 == "null") print "null"; else printf "%.3f", $1 + $2 }')
leaked=null
[ -n "$before" ] && [ -n "$after" ] &&
	leaked=$(( $(echo "$before $after" | awk '{print ($6 - $3) / 4096}') ))
echo "# STRESS {\"duration_s\":$duration,\"gib_verified\":$gib,\"pushed\":$(total pushed),\"drained\":$(total drained),\"fallbacks\":$(total fallbacks),\"hotplug_cycles\":$(both hotplug_cycles),\"resets\":$(both resets),\"compressor_switches\":$(both compressor_switches),\"swap_cycles\":$(both swap_cycles),\"switch_flips\":$(both switch_flips),\"injected_alloc_failures\":$(both injected_alloc_failures),\"mismatches\":$(total mismatches),\"kmemleak_objects\":${leaks:-null},\"leaked_pages\":$leaked,$(half_json zram),$(half_json zswap)}" >"$KTAP"
ktap_end
