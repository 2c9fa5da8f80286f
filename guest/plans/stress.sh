#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 'make stress' plan (debug kernel). zsd.args=duration=SECONDS.
# Two halves: zram, then zswap. During each, swap_churn verifies every byte
# while other loops offline/online cpu1, flip the switches, starve the pool,
# inject page allocation failures and tear devices down with frees pending.
. /plans/ktap.sh
. /plans/swap.sh
ZD=/sys/kernel/debug/zs_deferred
FA=/sys/kernel/debug/fail_page_alloc
ZP=/sys/module/zswap/parameters

duration=120
for kv in $ZSD_ARGS; do eval "$kv"; done
half=$((duration / 2))
STOP=/tmp/stop
C=/tmp/counts
mkdir -p $C

bump() { echo $(($(cat $C/$1 2>/dev/null || echo 0) + 1)) >$C/$1; }
count() { cat $C/$1 2>/dev/null || echo 0; }

hotplug_loop() {
	while [ ! -e $STOP ]; do
		echo 0 >/sys/devices/system/cpu/cpu1/online && sleep 0.3 &&
			echo 1 >/sys/devices/system/cpu/cpu1/online && bump hotplug
		sleep 0.7
	done
}

# $1: instance, $2: switch file, $3/$4: its off/on values.
switch_loop() {
	max=$(cat $ZD/$1/pool_max)
	min=$(cat $ZD/$1/pool_min)
	while [ ! -e $STOP ]; do
		echo "$3" >"$2"; sleep 0.2; echo "$4" >"$2"
		# Starve the pool for a while: pushes must fall back, not fail.
		echo 1 >$ZD/$1/pool_min; echo 2 >$ZD/$1/pool_max; sleep 0.5
		echo "$max" >$ZD/$1/pool_max; echo "$min" >$ZD/$1/pool_min
		sleep 0.5
	done
}

# A second zram device, used as swap and torn down with frees pending.
zram_teardown_loop() {
	while [ ! -e $STOP ]; do
		id=$(cat /sys/class/zram-control/hot_add) || break
		echo 256M >/sys/block/zram$id/disksize
		mkswap /dev/zram$id >/dev/null && swapon -p 10 /dev/zram$id 2>/dev/null ||
			swapon /dev/zram$id
		sleep 2
		swapoff /dev/zram$id
		if [ $(($(count resets) % 2)) = 0 ]; then
			echo 1 >/sys/block/zram$id/reset
		fi
		echo "$id" >/sys/class/zram-control/hot_remove && bump resets
	done
}

zswap_teardown_loop() {
	while [ ! -e $STOP ]; do
		sleep 2
		for c in lz4 lzo-rle lzo; do
			echo $c >$ZP/compressor 2>/dev/null && bump compressor_switches && break
		done
		sleep 2
		swapoff /dev/vda && swapon /dev/vda && bump swap_cycles
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
fail_off() {
	left=$(cat $FA/times)
	echo 0 >$FA/probability
	echo $((1000000 - left)) >>$C/injected
}

stats() {	# sum of a stat over the instances named in $2..
	f=$1; shift; t=0
	for i in "$@"; do
		[ -r $ZD/$i/$f ] && t=$((t + $(cat $ZD/$i/$f)))
	done
	echo $t
}

phase() {	# $1: backend
	rm -f $STOP
	echo 20 >$ZD/$2/idle_ms
	hotplug_loop & p1=$!
	switch_loop "$2" "$3" "$4" "$5" & p2=$!
	"${1}_teardown_loop" & p3=$!
	fail_on
	ktap_run "swap_churn_$1" swap_churn -d $half -w 3 -s 32 -j
	rc=$?
	fail_off
	touch $STOP
	wait $p1 $p2 $p3
	echo 1 >/sys/devices/system/cpu/cpu1/online
	echo 100 >$ZD/$2/idle_ms
	echo 1 >"$3" 2>/dev/null; echo Y >"$3" 2>/dev/null
	grep '^# JSON' /tmp/results.json | tail -1 >$C/churn_$1
	return $rc
}

ktap_begin 6
zram_swap_on 2G
before=$(awk '{print $1, $2, $3}' /sys/block/zram0/mm_stat)
phase zram zram0 /sys/block/zram0/deferred_free 0 1
echo 1 >$ZD/zram0/flush
after=$(awk '{print $1, $2, $3}' /sys/block/zram0/mm_stat)
ktap_check zram_memory_back_to_baseline test "$before" = "$after"
echo "# zram mm_stat before: $before after: $after" >"$KTAP"
zram_pushed=$(stats pushed zram0) zram_drained=$(stats drained zram0)
zram_fallbacks=$(stats fallbacks zram0)
ktap_check zram_pushed_equals_drained test "$zram_pushed" = "$zram_drained"
zram_swap_off

zswap_swap_on
phase zswap zswap $ZP/deferred_free N Y
swapoff /dev/vda
ktap_check zswap_nothing_left_stored test "$(cat /sys/kernel/debug/zswap/stored_pages)" = 0
zswap_pushed=$(stats pushed zswap) zswap_drained=$(stats drained zswap)
ktap_check zswap_pushed_equals_drained test "$zswap_pushed" = "$zswap_drained"
zswap_swap_off

echo scan >/sys/kernel/debug/kmemleak 2>/dev/null
sleep 1
echo scan >/sys/kernel/debug/kmemleak 2>/dev/null
leaks=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak 2>/dev/null)
leaks=${leaks:-0}

injected=0
for n in $(cat $C/injected 2>/dev/null); do injected=$((injected + n)); done
gib() { sed -n 's/.*"gib_verified":\([0-9.]*\).*/\1/p' $C/churn_$1; }
mis() { sed -n 's/.*"mismatches":\([0-9]*\).*/\1/p' $C/churn_$1; }
leaked=$(( $(echo "$before $after" | awk '{print ($6 - $3) / 4096}') ))
echo "# STRESS {\"duration_s\":$duration,\"gib_verified\":$(echo "$(gib zram) $(gib zswap)" | awk '{printf "%.3f", $1 + $2}'),\"pushed\":$((zram_pushed + zswap_pushed)),\"drained\":$((zram_drained + zswap_drained)),\"fallbacks\":$((zram_fallbacks + $(stats fallbacks zswap))),\"hotplug_cycles\":$(count hotplug),\"resets\":$(count resets),\"compressor_switches\":$(count compressor_switches),\"swap_cycles\":$(count swap_cycles),\"injected_alloc_failures\":$injected,\"mismatches\":$(( $(mis zram) + $(mis zswap) )),\"kmemleak_objects\":$leaks,\"leaked_pages\":$leaked}" >"$KTAP"
ktap_end
