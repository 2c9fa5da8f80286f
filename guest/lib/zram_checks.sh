# SPDX-License-Identifier: GPL-2.0
# Shell-level checks of zram's deferred free, run by the check plan.
# Each function prints why it failed and returns non-zero.

ZD=/sys/kernel/debug/zs_deferred

# mm_stat fields 1-3: orig_data_size compr_data_size mem_used_total.
mm3() {
	[ -r "/sys/block/$1/mm_stat" ] || { echo "no /sys/block/$1/mm_stat" >&2; return 1; }
	awk '{print $1, $2, $3}' "/sys/block/$1/mm_stat"
}

# num FILE: the number in a stats file. A missing file or one that does not
# hold a number fails, so that a comparison can never be "" = "".
num() {
	v=$(cat "$1" 2>/dev/null)
	case $v in
	'' | *[!0-9]*) echo "no number in $1: '$v'" >&2; return 1 ;;
	esac
	echo "$v"
}

zflush() { [ -w "$ZD/$1/flush" ] && echo 1 >"$ZD/$1/flush"; }

# The module parameters, the settings of every instance (debugfs only shows
# them). A write applies at once, also to an idle flush already armed.
ZDP=/sys/module/zsmalloc_deferred/parameters
# idle_hold: idle_ms at its maximum, so that frees stay pending until a
# flush. idle_default: back to the default (check_idle_ms_param checks that
# boot left it there).
idle_hold() { echo 60000 >$ZDP/idle_ms; }
idle_default() { echo 100 >$ZDP/idle_ms; }

# cpu1's online switch, for the checks that take it down.
CPU1=/sys/devices/system/cpu/cpu1/online
# zram_new: a new zram device, its id on stdout. zram_del ID: remove it.
zram_new() { cat /sys/class/zram-control/hot_add; }
zram_del() { echo "$1" >/sys/class/zram-control/hot_remove; }

# idle_off DIR: push the idle flush out to its maximum and empty instance
# DIR. The write re-arms an idle flush armed with the old delay, so it
# cannot drain what the caller pushes next.
idle_off() {
	idle_hold || return 1
	echo 1 >"$1/flush"
}

# Batch pages held by no live instance: the global count minus what every
# instance's pool owns (buffers, queued batches and free pages alike). Read
# until two global counts agree, since pools grow and shrink on their own.
orphan_pages() {
	for _ in 1 2 3 4 5; do
		g0=$(num $ZD/pages) || return 1
		sum=0
		for f in $ZD/*/pool_pages; do
			[ -e "$f" ] || continue
			sum=$((sum + $(num "$f"))) || return 1
		done
		g1=$(num $ZD/pages) || return 1
		[ "$g0" = "$g1" ] && { echo $((g1 - sum)); return 0; }
		sleep 0.2
	done
	echo "$ZD/pages never settled" >&2
	return 1
}

# A device that has just been given its size holds nothing.
check_fresh_device() {	# $1: device
	s=$(mm3 "$1") || return 1
	echo "$1 re-created: mm_stat orig compr used $s"
	[ "$s" = "0 0 0" ]
}

# The switch takes 0, 1 and 2 only.
check_switch_input() {
	f=/sys/block/zram0/deferred_free
	[ -f $f ] || { echo "no $f"; return 1; }
	old=$(cat $f)
	for bad in 4 -1 abc ""; do
		if echo "$bad" >$f 2>/dev/null; then
			echo "writing '$bad' to $f succeeded"
			return 1
		fi
	done
	[ "$(cat $f)" = "$old" ] || { echo "invalid writes changed $f"; return 1; }
	# The zs_free()-only instance (and its pool) exists from the first 2 on.
	[ ! -d "$ZD/zram0_handle" ] || { echo "zram0_handle before deferred_free=2"; return 1; }
	echo 0 >$f && [ "$(cat $f)" = 0 ] && echo 2 >$f && [ "$(cat $f)" = 2 ] &&
		echo 3 >$f && [ "$(cat $f)" = 3 ] &&
		echo 1 >$f && [ "$(cat $f)" = 1 ] || return 1
	[ -d "$ZD/zram0_handle" ] || { echo "no zram0_handle after deferred_free=2"; return 1; }
}

# deferred_free=2 (only zs_free() deferred): data intact, nothing leaked.
check_handle_mode() {
	echo 2 >/sys/block/zram0/deferred_free || return 1
	check_no_leak zram0 reuse_integrity -s 32 -r 4
	rc=$?
	zflush zram0_handle
	echo "handle instance: pushed $(cat "$ZD/zram0_handle/pushed") drained $(cat "$ZD/zram0_handle/drained")"
	[ "$(cat "$ZD/zram0_handle/pushed")" -gt 0 ] || rc=1
	echo 1 >/sys/block/zram0/deferred_free
	return $rc
}

# deferred_free=3 (bench-only: the whole free pushed per slot, not per
# run): data intact, nothing leaked, every run pushed is a single slot.
check_per_slot_mode() {
	echo 3 >/sys/block/zram0/deferred_free || return 1
	zflush zram0
	r0=$(num "$ZD/zram0/runs_1") && p0=$(num "$ZD/zram0/pushed") || return 1
	check_no_leak zram0 reuse_integrity -s 32 -r 4
	rc=$?
	r1=$(num "$ZD/zram0/runs_1") && p1=$(num "$ZD/zram0/pushed") || rc=1
	echo 1 >/sys/block/zram0/deferred_free
	echo "pushed $((p1 - p0)) elements, $((r1 - r0)) of them one-slot runs"
	[ $rc = 0 ] && [ $((p1 - p0)) -gt 0 ] && [ $((r1 - r0)) = $((p1 - p0)) ]
}

# After a test and a flush, the backend holds exactly what it held before.
check_no_leak() {	# $1: device, rest: command
	dev=$1
	shift
	zflush "$dev"; zflush "${dev}_handle"
	before=$(mm3 "$dev") || return 1
	"$@" >/tmp/leak.out 2>&1 || { tail -5 /tmp/leak.out; return 1; }
	zflush "$dev"; zflush "${dev}_handle"
	after=$(mm3 "$dev") || return 1
	echo "mm_stat orig compr used before: $before after: $after"
	[ "$before" = "$after" ]
}

# Toggle the switch while a workload frees: nothing lost, no leak.
check_toggle_under_load() {
	reuse_integrity -s 32 -r 8 >/tmp/tog.out 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		echo 0 >/sys/block/zram0/deferred_free
		sleep 0.05
		echo 1 >/sys/block/zram0/deferred_free
		sleep 0.05
	done
	wait $pid || { tail -5 /tmp/tog.out; return 1; }
}

# Offline and online cpu1 repeatedly while a workload frees.
check_cpu_hotplug() {
	c=$CPU1
	[ -w $c ] || { echo "cpu1 cannot go offline"; return 1; }
	reuse_integrity -s 32 -r 8 >/tmp/hp.out 2>&1 &
	pid=$!
	n=0
	while kill -0 $pid 2>/dev/null; do
		echo 0 >$c || return 1
		sleep 0.1
		echo 1 >$c || return 1
		n=$((n + 1))
		sleep 0.1
	done
	wait $pid || { tail -5 /tmp/hp.out; return 1; }
	echo "hotplug cycles: $n"
	[ "$(cat $c)" = 1 ] && [ $n -gt 0 ]
}

# Leave frees pending (idle flush pushed out to 60 s), then reset or remove
# the device: must drain them, not crash, not leak.
pending_frees_on() {	# $1: device
	idle_off "$ZD/$1" || return 1
	reuse_integrity -s 16 -r 2 >/dev/null 2>&1
	pushed=$(cat "$ZD/$1/pushed")
	drained=$(cat "$ZD/$1/drained")
	echo "$1: pushed $pushed drained $drained before teardown"
	[ "$pushed" -gt "$drained" ]
}

# After a teardown no batch page may be left without an instance, and the
# re-created device starts empty.
check_reset_pending() {
	o0=$(orphan_pages) || return 1
	pending_frees_on zram0 || return 1
	swapoff /dev/zram0 || return 1
	echo 1 >/sys/block/zram0/reset || return 1
	[ ! -d "$ZD/zram0" ] || { echo "debugfs dir survived reset"; return 1; }
	o1=$(orphan_pages) || return 1
	echo "batch pages without an instance: $o0 before, $o1 after the reset"
	echo 2G >/sys/block/zram0/disksize || return 1
	check_fresh_device zram0 || return 1
	mkswap /dev/zram0 >/dev/null && swapon /dev/zram0 || return 1
	[ "$o0" = 0 ] && [ "$o1" = 0 ]
}

check_remove_pending() {
	o0=$(orphan_pages) || return 1
	id=$(zram_new) || return 1
	swapoff /dev/zram0
	echo 1G >/sys/block/zram$id/disksize && mkswap /dev/zram$id >/dev/null &&
		swapon /dev/zram$id || return 1
	pending_frees_on zram$id || return 1
	swapoff /dev/zram$id || return 1
	zram_del "$id" || return 1
	[ ! -e /sys/block/zram$id ] || { echo "zram$id still there"; return 1; }
	[ ! -d "$ZD/zram$id" ] || { echo "debugfs dir survived hot_remove"; return 1; }
	o1=$(orphan_pages) || return 1
	echo "batch pages without an instance: $o0 before, $o1 after hot_remove"
	id=$(zram_new) || return 1
	echo 1G >/sys/block/zram$id/disksize || return 1
	check_fresh_device zram$id || return 1
	zram_del "$id" || return 1
	swapon /dev/zram0 || return 1
	[ "$o0" = 0 ] && [ "$o1" = 0 ]
}

# scratch_on SIZE [ALGORITHM [RECOMP]]: a fresh zram device of SIZE as the
# only swap, with idle_ms at its maximum (a new instance has no idle flush
# armed). Sets DEV, B (its sysfs directory) and M0 (its mm_stat fields 1-3
# once empty but for the swap header).
scratch_on() {
	SCRATCH_ID=$(zram_new) || return 1
	DEV=zram$SCRATCH_ID
	B=/sys/block/$DEV
	swapoff /dev/zram0 || return 1
	if [ -n "${2:-}" ]; then
		echo "$2" >$B/comp_algorithm || return 1
	fi
	if [ -n "${3:-}" ]; then
		echo "algo=$3 priority=1" >$B/recomp_algorithm || return 1
	fi
	echo "$1" >$B/disksize && mkswap /dev/$DEV >/dev/null &&
		swapon /dev/$DEV && idle_hold &&
		M0=$(mm3 $DEV)
}

# scratch_off: remove the scratch device, zram0 is the swap again.
scratch_off() {
	idle_default
	swapoff /dev/$DEV 2>/dev/null
	zram_del "$SCRATCH_ID"
	swapon /dev/zram0
}

# A slot freed while its free is pending is reused and rewritten before the
# drain reaches it: the drain must leave the new data alone. A 4 MiB device
# (1023 slots) is the only swap, so rewriting half of a 3 MiB VMA has to
# reuse slots freed moments before. With idle_ms at its maximum, frees wait
# in this CPU's buffer (fewer than a page holds) until reuse_integrity
# flushes them, right before it reads every byte back. The drain's stale
# count shows that reused slots were actually met.
check_reuse_while_pending() {
	rc=1
	if scratch_on 4M; then
		reuse_integrity -s 3 -r 4 -f "$ZD/$DEV/flush" >/tmp/rwp.out 2>&1
		rc=$?
		tail -3 /tmp/rwp.out
		zflush $DEV
		p=$(num "$ZD/$DEV/pushed") && d=$(num "$ZD/$DEV/drained") &&
			st=$(num "$ZD/$DEV/stale") && m=$(mm3 $DEV) || rc=1
		echo "pushed $p drained $d stale $st; mm_stat orig compr used $M0 before, $m after"
		[ $rc = 0 ] && [ "$st" -gt 0 ] && [ "$p" = "$d" ] &&
			[ "$m" = "$M0" ] || rc=1
	fi
	scratch_off || rc=1
	return $rc
}

# Frees pending on cpu1 only, then cpu1 goes offline with no flush: the
# CPU-dead callback alone hands its buffer to the drain. Every element is
# drained exactly once (drained ends equal to pushed, not above) and the
# device holds what it held before.
check_hotplug_drains_dead_cpu() {
	c=$CPU1
	[ -w $c ] || { echo "cpu1 cannot go offline"; return 1; }
	idle_off "$ZD/zram0" || return 1
	before=$(mm3 zram0) || return 1
	# 512 pages: at most 768 frees, fewer than one buffer page holds.
	taskset -c 1 reuse_integrity -s 2 -r 1 >/tmp/hd.out 2>&1
	rc=$?
	p=$(num "$ZD/zram0/pushed") && d=$(num "$ZD/zram0/drained") || rc=1
	echo "before offline: pushed $p drained $d"
	[ $rc = 0 ] && [ "$p" -gt "$d" ] || { tail -3 /tmp/hd.out; idle_default; return 1; }
	echo 0 >$c || return 1
	n=0
	while [ "$(cat "$ZD/zram0/drained")" -lt "$p" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	d=$(num "$ZD/zram0/drained") && p2=$(num "$ZD/zram0/pushed") || rc=1
	echo 1 >$c || rc=1
	idle_default
	after=$(mm3 zram0) || return 1
	echo "cpu1 offline for $n x 100 ms: pushed $p2 drained $d; mm_stat before $before after $after"
	[ $rc = 0 ] && [ "$d" = "$p" ] && [ "$p2" = "$p" ] && [ "$before" = "$after" ]
}

# With the switch off, nothing is pushed and notify counts as before.
check_switch_off_sync() {
	echo 0 >/sys/block/zram0/deferred_free || return 1
	zflush zram0
	p0=$(num "$ZD/zram0/pushed") || return 1
	n0=$(awk '{print $4}' /sys/block/zram0/io_stat) || return 1
	reuse_integrity -s 8 -r 2 >/dev/null 2>&1
	rc=$?
	p1=$(num "$ZD/zram0/pushed") || return 1
	n1=$(awk '{print $4}' /sys/block/zram0/io_stat) || return 1
	echo 1 >/sys/block/zram0/deferred_free
	echo "pushed before $p0 after $p1, notify_free $n0 -> $n1 (switch off)"
	# Frees still happen, synchronously, and none goes through the core.
	[ $rc -eq 0 ] && [ "$p0" = "$p1" ] && [ "$n1" -gt "$n0" ]
}

# Recompression picks idle slots, then works through them under each slot's
# lock. A process freeing its memory meanwhile frees slots already picked,
# with their frees left pending (idle_ms at its maximum, fewer frees than a
# buffer page holds). Recompression must drop those slots and never install
# a new object for one: the drain would skip it, leaving it stored for a
# slot the swap core freed. After a flush the device holds what it held.
check_recompress_while_freeing() {
	rc=1
	if scratch_on 64M lz4 lz4hc; then
		hold_failed=
		swap_hold_start held 3 || hold_failed=1
		hold=$HOLD_PID
		echo all >$B/idle
		echo type=idle >$B/recompress &
		rp=$!
		# Let the scan pick the slots, then free them mid-way.
		sleep 0.05
		kill -0 $rp 2>/dev/null && running=yes || running=no
		kill -USR1 $hold
		wait $hold
		hrc=$?
		wait $rp
		zflush $DEV
		m=$(mm3 $DEV) && p=$(num "$ZD/$DEV/pushed") || m=
		echo "swap_hold exit $hrc; recompression still running at the free: $running"
		echo "pushed $p; mm_stat orig compr used $M0 before, $m after"
		[ -z "${hold_failed:-}" ] && [ $hrc = 0 ] && [ $running = yes ] && [ "$p" -gt 0 ] &&
			[ "$m" = "$M0" ] && rc=0
	fi
	scratch_off || rc=1
	return $rc
}

# swap_hold_start NAME MIB [CPU]: swap_hold in the background (pinned to CPU
# if given), its pid in HOLD_PID once its VMA is out; fails if it is not.
swap_hold_start() {
	rm -f "/tmp/$1"
	if [ -n "${3:-}" ]; then
		taskset -c "$3" swap_hold "$2" "/tmp/$1" &
	else
		swap_hold "$2" "/tmp/$1" &
	fi
	HOLD_PID=$!
	hold_wait "$1" "$2"
}

# hold_wait NAME MIB: wait up to 30 s for swap_hold $HOLD_PID to page its
# MIB out (/tmp/NAME appears); fails if it dies or times out first.
hold_wait() {
	n=0
	while [ ! -e "/tmp/$1" ] && kill -0 $HOLD_PID 2>/dev/null && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -e "/tmp/$1" ] || { echo "swap_hold $2 MiB did not page out"; return 1; }
}

# Kill, then refill under a limit. A's memory fills the device up to just
# below mem_limit; A exits with its frees pending (idle_ms at its maximum,
# all in cpu0's buffer); B, as big as A, pages out at once on the same CPU.
# Its writes must not fail for want of memory that A already freed: the
# failing write drains the pending frees and retries.
check_limit_drains_pending() {
	rc=1
	if scratch_on 16M && swap_hold_start a 3 0; then
		a=$HOLD_PID
		ma=$(mm3 $DEV)
		used0=${M0##* } useda=${ma##* }
		# Room for A and an eighth more, not for A and B together.
		echo $((useda + (useda - used0) / 8)) >$B/mem_limit
		kill -USR1 $a
		wait $a
		p=$(num "$ZD/$DEV/pushed") && d=$(num "$ZD/$DEV/drained")
		fw0=$(awk '{print $2}' $B/io_stat)
		if swap_hold_start b 3 0; then
			mb=$(mm3 $DEV)
			fw1=$(awk '{print $2}' $B/io_stat)
			kill -USR1 $HOLD_PID
			wait $HOLD_PID
			echo "A pending before B: $((p - d)); mm_stat orig compr used: empty $M0, A $ma, B $mb"
			echo "failed_writes during B: $((fw1 - fw0))"
			[ $((p - d)) -gt 0 ] && [ "$fw1" = "$fw0" ] &&
				[ "${mb%% *}" = "${ma%% *}" ] && rc=0
		fi
		echo 0 >$B/mem_limit
		zflush $DEV
		m=$(mm3 $DEV)
		echo "after both and a flush: $m"
		[ "$m" = "$M0" ] || rc=1
	fi
	scratch_off || rc=1
	return $rc
}

# Reclaim drains pending frees through the instance's shrinker: frees wait
# in cpu1's buffer (idle_ms at its maximum), then drop_caches on cpu1 runs
# the shrinkers in that context, which must drain them with no flush.
check_shrinker_drains_pending() {
	f=/proc/sys/vm/drop_caches
	[ -w $f ] || { echo "no $f"; return 1; }
	idle_off "$ZD/zram0" || return 1
	taskset -c 1 reuse_integrity -s 2 -r 1 >/tmp/shr.out 2>&1
	rc=$?
	p=$(num "$ZD/zram0/pushed") && d=$(num "$ZD/zram0/drained") || rc=1
	if [ $rc = 0 ] && [ "$p" -gt "$d" ]; then
		taskset -c 1 sh -c "echo 2 >$f" || rc=1
		d2=$(num "$ZD/zram0/drained") || rc=1
		echo "pending before drop_caches $((p - d)), after $((p - d2))"
		[ "$d2" = "$p" ] || rc=1
	else
		tail -3 /tmp/shr.out
		echo "pushed $p drained $d: nothing pending on cpu1"
		rc=1
	fi
	idle_default
	return $rc
}

# trace_queued FILE QUEUE CPU: work items the workqueue trace event saw
# queued on QUEUE for CPU (-1 for any) in the saved trace FILE.
trace_queued() {
	if [ "$3" = -1 ]; then
		grep -c "workqueue=$2 " "$1"
	else
		grep -c "workqueue=$2 req_cpu=$3 " "$1"
	fi
}

# No wakeups for nothing: frees pending on cpu0 only, the idle flush must
# queue the per-CPU flush work on cpu0 alone (cpu1's buffer is empty), and
# once it has run nothing of the instance may be queued again (no idle
# timer left armed) for the rest of 30 s. The workqueue trace event names
# the queue and the CPU of every work item queued.
check_idle_flush_quiet() {
	t=/sys/kernel/tracing
	[ -d $t/events ] || mount -t tracefs tracefs $t
	ev=$t/events/workqueue/workqueue_queue_work
	[ -w $ev/enable ] || { echo "no workqueue trace event in $t"; return 1; }
	[ "$(num "$ZD/zram0/idle_ms")" -le 500 ] || { echo "idle_ms is not the default"; return 1; }
	cpus_online || { echo "needs two online CPUs"; return 1; }
	swap_hold_start quiet 3 0 || return 1
	# Nothing pending before the measured frees; an idle flush armed
	# earlier runs out during the sleep.
	zflush zram0
	sleep 1
	p0=$(num "$ZD/zram0/pushed") || return 1
	echo >$t/trace
	echo 1 >$ev/enable
	kill -USR1 $HOLD_PID
	wait $HOLD_PID
	hrc=$?
	p1=$(num "$ZD/zram0/pushed") || p1=$p0
	sleep 2
	cp $t/trace /tmp/idle1.trace
	echo >$t/trace
	sleep 28
	cp $t/trace /tmp/idle2.trace
	echo 0 >$ev/enable
	f0=$(trace_queued /tmp/idle1.trace zsd_zram0_cpu 0)
	f1=$(trace_queued /tmp/idle1.trace zsd_zram0_cpu 1)
	late=$(($(trace_queued /tmp/idle2.trace zsd_zram0_cpu -1) +
		$(trace_queued /tmp/idle2.trace zsd_zram0 -1)))
	echo "swap_hold exit $hrc, pushed on cpu0: $((p1 - p0))"
	echo "flush work queued in the first 2 s: cpu0 $f0, cpu1 $f1; any work of the instance in the next 28 s: $late"
	[ $hrc = 0 ] && [ $((p1 - p0)) -gt 0 ] && [ "$f0" -ge 1 ] && [ "$f1" = 0 ] && [ "$late" = 0 ]
}

# Switched off, an instance holds no batch page: switching zram0 off drains
# it and frees its whole pool (freed, not dropped: no batch page is left
# without an instance); switching it on refills the pool to pool_min, and
# frees go through the core again.
check_switch_off_frees_pool() {
	rc=1
	pp0=$(num "$ZD/zram0/pool_pages") || return 1
	echo 0 >/sys/block/zram0/deferred_free || return 1
	pp1=$(num "$ZD/zram0/pool_pages") && o1=$(orphan_pages) || pp1=
	echo 1 >/sys/block/zram0/deferred_free || return 1
	pp2=$(num "$ZD/zram0/pool_pages") && mn=$(num "$ZD/zram0/pool_min") || return 1
	p0=$(num "$ZD/zram0/pushed") || return 1
	reuse_integrity -s 8 -r 1 >/dev/null 2>&1
	ri=$?
	p1=$(num "$ZD/zram0/pushed") || return 1
	echo "pool pages: on $pp0, off $pp1 (pages without an instance: $o1), on again $pp2 (pool_min $mn)"
	echo "reuse_integrity after: exit $ri, pushed $((p1 - p0))"
	[ "$pp1" = 0 ] && [ "$o1" = 0 ] && [ "$pp2" -ge "$mn" ] &&
		[ $ri = 0 ] && [ "$p1" -gt "$p0" ] && rc=0
	return $rc
}

# The pool's minimum is sized on online CPUs: a 4 MiB device created while
# cpu1 is offline needs a page per (PAGE_SIZE - 16) / 4 slots plus one per
# possible CPU (pool_max 4 on two possible CPUs with 4 KiB pages, 3 with 16
# or 64 KiB), and keeps two per online CPU (pool_min 2, where possible
# CPUs would give 4 or 3).
check_pool_min_online() {
	cpus_online || { echo "needs two online CPUs"; return 1; }
	# zram's physical block is the page.
	pg=$(num /sys/block/zram0/queue/physical_block_size) || return 1
	c=$CPU1
	echo 0 >$c || return 1
	id=$(zram_new) && echo 4M >/sys/block/zram$id/disksize &&
		mn=$(num "$ZD/zram$id/pool_min") && mx=$(num "$ZD/zram$id/pool_max") &&
		esz=$(num "$ZD/zram$id/elem_size") || mn=
	[ -n "${id:-}" ] && zram_del "$id"
	echo 1 >$c || return 1
	# An element per run of slots, at most one per slot: the capacity in
	# elements is the device's slots.
	slots=$((4 * 1024 * 1024 / pg)) per=$(((pg - 16) / ${esz:-1}))
	want_mx=$(((slots + per - 1) / per + 2))
	want_mn=$((want_mx / 8 > 2 ? want_mx / 8 : 2))
	[ $want_mn -gt $want_mx ] && want_mn=$want_mx
	echo "4 MiB device ($pg-byte pages) made with one CPU online:" \
		"pool_min $mn (want $want_mn), pool_max $mx (want $want_mx)"
	[ "$mn" = $want_mn ] && [ "$mx" = $want_mx ]
}

# The zram.deferred_free parameter (boot or /sys/module) is the switch of
# devices created after it is set: N gives a device that frees in the
# notification, Y one that defers.
check_default_param() {
	p=/sys/module/zram/parameters/deferred_free
	[ -w $p ] || { echo "no $p"; return 1; }
	v0=$(cat $p)
	echo N >$p || return 1
	a_id=$(zram_new) && a=$(cat /sys/block/zram$a_id/deferred_free)
	echo Y >$p || return 1
	b_id=$(zram_new) && b=$(cat /sys/block/zram$b_id/deferred_free)
	for id in ${a_id:-} ${b_id:-}; do zram_del "$id"; done
	echo "$v0" >$p
	echo "parameter $v0 at boot; device made with N: deferred_free ${a:-?}, with Y: ${b:-?}"
	[ "$v0" = Y ] && [ "${a:-}" = 0 ] && [ "${b:-}" = 1 ]
}

# The core's trace events, recorded as the docs say: the drain events'
# elements add up to what the instance counts as drained, pushes refused
# while the switch is off are traced as such, and switching off and on
# gives back the whole pool and refills it.
check_trace_events() {
	t=/sys/kernel/tracing
	[ -d $t/events ] || mount -t tracefs tracefs $t
	e=$t/events/zs_deferred
	[ -w $e/enable ] || { echo "no zs_deferred events in $t/events"; return 1; }
	zflush zram0
	d0=$(num "$ZD/zram0/drained") || return 1
	echo >$t/trace
	echo 1 >$e/enable
	reuse_integrity -s 16 -r 2 >/dev/null 2>&1
	r1=$?
	echo 0 >/sys/block/zram0/deferred_free
	reuse_integrity -s 4 -r 1 >/dev/null 2>&1
	r2=$?
	echo 1 >/sys/block/zram0/deferred_free
	zflush zram0
	echo 0 >$e/enable
	d1=$(num "$ZD/zram0/drained") || return 1
	cp $t/trace /tmp/zsd.trace
	n=$(grep -c 'zs_deferred_drain: zram0 ' /tmp/zsd.trace)
	sum=$(sed -n 's/.*zs_deferred_drain: zram0 elements=\([0-9]*\) .*/\1/p' /tmp/zsd.trace |
		awk '{ s += $1 } END { print s + 0 }')
	off=$(grep -c 'zs_deferred_fallback: zram0 reason=switched_off' /tmp/zsd.trace)
	shrink=$(grep -c 'zs_deferred_pool: zram0 delta=-[0-9]* pages=0$' /tmp/zsd.trace)
	grow=$(grep -c 'zs_deferred_pool: zram0 delta=[1-9]' /tmp/zsd.trace)
	grep -m3 'zs_deferred_' /tmp/zsd.trace
	echo "reuse_integrity exit $r1 (on), $r2 (off)"
	echo "drain events $n with $sum elements, drained $((d1 - d0)); refused while off $off;" \
		"pool given back $shrink, refilled $grow"
	[ $r1 = 0 ] && [ $r2 = 0 ] && [ "$n" -gt 0 ] && [ "$sum" = $((d1 - d0)) ] &&
		[ "$off" -gt 0 ] && [ "$shrink" -ge 1 ] && [ "$grow" -ge 1 ]
}

# The production knob: the zsmalloc_deferred.idle_ms parameter is the idle
# delay of every instance and rejects values outside 1..60000. Set to a
# minute, frees pending in zram0's buffers must still be pending a second
# later; set back to 40 ms, they must be drained within two seconds, so the
# write moved the idle flush already armed with a minute. debugfs shows the
# value and refuses writes, even from root.
check_idle_ms_param() {
	p=$ZDP/idle_ms
	[ -w $p ] || { echo "no $p"; return 1; }
	v0=$(num $p) || return 1
	took=0
	for v in 0 60001 x; do
		echo $v >$p 2>/dev/null && took=$((took + 1))
	done
	v1=$(num $p) || return 1
	echo 60000 >$p || return 1
	zflush zram0
	reuse_integrity -s 2 -r 1 >/dev/null 2>&1
	ri=$?
	sleep 1
	pend=$(($(num "$ZD/zram0/pushed") - $(num "$ZD/zram0/drained")))
	a=$(num "$ZD/zram0/idle_ms")
	echo 40 >$p || return 1
	n=0
	while [ "$(num "$ZD/zram0/drained")" -lt "$(num "$ZD/zram0/pushed")" ] && [ $n -lt 20 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	left=$(($(num "$ZD/zram0/pushed") - $(num "$ZD/zram0/drained")))
	echo 50 >"$ZD/zram0/idle_ms" 2>/dev/null && dbg=written || dbg=refused
	b=$(num "$ZD/zram0/idle_ms")
	echo "$v0" >$p
	zflush zram0
	echo "parameter $v0 at boot; bad values taken: $took of 3 (value after: $v1)"
	echo "parameter 60000: zram0 reads $a, $pend frees pending 1 s after reuse_integrity (exit $ri)"
	echo "parameter 40: $left pending after $n x 100 ms; debugfs write $dbg, zram0 reads $b"
	[ "$v0" = 100 ] && [ $took = 0 ] && [ "$v1" = "$v0" ] && [ $ri = 0 ] &&
		[ "$pend" -gt 0 ] && [ "$a" = 60000 ] && [ "$left" = 0 ] &&
		[ $dbg = refused ] && [ "$b" = 40 ]
}

# The other production knob: zsmalloc_deferred.pool_max caps the pool of
# every instance at once (free pages above it are freed on the spot) and of
# instances created later; 0 gives each its own size back; a value above
# 1/64 of RAM is refused. debugfs refuses writes to the pool bounds and
# the switch.
check_pool_max_param() {
	p=$ZDP/pool_max
	[ -w $p ] || { echo "no $p"; return 1; }
	v0=$(num $p) && max0=$(num "$ZD/zram0/pool_max") || return 1
	zflush zram0
	echo 3 >$p || return 1
	max1=$(num "$ZD/zram0/pool_max") && pages1=$(num "$ZD/zram0/pool_pages") ||
		{ echo 0 >$p; return 1; }
	id=$(zram_new) || { echo 0 >$p; return 1; }
	echo 8M >/sys/block/zram$id/disksize && maxn=$(num "$ZD/zram$id/pool_max")
	zram_del "$id"
	big=refused
	echo 1000000000 >$p 2>/dev/null && big=taken
	echo 0 >$p || return 1
	max2=$(num "$ZD/zram0/pool_max") || return 1
	dbg=0
	for f in pool_max pool_min enabled; do
		echo 2 >"$ZD/zram0/$f" 2>/dev/null && dbg=$((dbg + 1))
	done
	echo "parameter $v0 at boot; zram0 pool_max $max0, with 3: pool_max $max1 pool_pages $pages1," \
		"new device $maxn; 1000000000 $big; back to 0: $max2; debugfs writes taken $dbg of 3"
	[ "$v0" = 0 ] && [ "$max1" = 3 ] && [ "$pages1" -le 3 ] && [ "$maxn" = 3 ] &&
		[ $big = refused ] && [ "$max2" = "$max0" ] && [ "$max0" -gt 3 ] && [ $dbg = 0 ]
}
