# SPDX-License-Identifier: GPL-2.0
# Shell-level checks of zram's deferred free, run by the check plan.
# Each function prints why it failed and returns non-zero.

ZD=/sys/kernel/debug/zs_deferred

# mm_stat fields 1-3: orig_data_size compr_data_size mem_used_total.
mm3() { awk '{print $1, $2, $3}' "/sys/block/$1/mm_stat"; }

zflush() { [ -w "$ZD/$1/flush" ] && echo 1 >"$ZD/$1/flush"; }

# The switch takes 0, 1 and 2 only.
check_switch_input() {
	f=/sys/block/zram0/deferred_free
	[ -f $f ] || { echo "no $f"; return 1; }
	old=$(cat $f)
	for bad in 3 -1 abc ""; do
		if echo "$bad" >$f 2>/dev/null; then
			echo "writing '$bad' to $f succeeded"
			return 1
		fi
	done
	[ "$(cat $f)" = "$old" ] || { echo "invalid writes changed $f"; return 1; }
	# The zs_free()-only instance (and its pool) exists from the first 2 on.
	[ ! -d "$ZD/zram0_handle" ] || { echo "zram0_handle before deferred_free=2"; return 1; }
	echo 0 >$f && [ "$(cat $f)" = 0 ] && echo 2 >$f && [ "$(cat $f)" = 2 ] &&
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

# After a test and a flush, the backend holds exactly what it held before.
check_no_leak() {	# $1: device, rest: command
	dev=$1
	shift
	zflush "$dev"; zflush "${dev}_handle"
	before=$(mm3 "$dev")
	"$@" >/tmp/leak.out 2>&1 || { tail -5 /tmp/leak.out; return 1; }
	zflush "$dev"; zflush "${dev}_handle"
	after=$(mm3 "$dev")
	echo "mm_stat orig compr used before: $before after: $after"
	[ -n "$before" ] && [ "$before" = "$after" ]
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
	c=/sys/devices/system/cpu/cpu1/online
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
	echo 60000 >"$ZD/$1/idle_ms" || return 1
	reuse_integrity -s 16 -r 2 >/dev/null 2>&1
	pushed=$(cat "$ZD/$1/pushed")
	drained=$(cat "$ZD/$1/drained")
	echo "$1: pushed $pushed drained $drained before teardown"
	[ "$pushed" -gt "$drained" ]
}

check_reset_pending() {
	pending_frees_on zram0 || return 1
	swapoff /dev/zram0 || return 1
	echo 1 >/sys/block/zram0/reset || return 1
	[ ! -d "$ZD/zram0" ] || { echo "debugfs dir survived reset"; return 1; }
	zram_swap_on 2G
}

check_remove_pending() {
	id=$(cat /sys/class/zram-control/hot_add) || return 1
	swapoff /dev/zram0
	echo 1G >/sys/block/zram$id/disksize && mkswap /dev/zram$id >/dev/null &&
		swapon /dev/zram$id || return 1
	pending_frees_on zram$id || return 1
	swapoff /dev/zram$id || return 1
	echo "$id" >/sys/class/zram-control/hot_remove || return 1
	[ ! -e /sys/block/zram$id ] || { echo "zram$id still there"; return 1; }
	swapon /dev/zram0
}

# With the switch off, nothing is pushed and notify counts as before.
check_switch_off_sync() {
	echo 0 >/sys/block/zram0/deferred_free
	zflush zram0
	p0=$(cat "$ZD/zram0/pushed")
	reuse_integrity -s 8 -r 2 >/dev/null 2>&1
	rc=$?
	p1=$(cat "$ZD/zram0/pushed")
	echo 1 >/sys/block/zram0/deferred_free
	echo "pushed before $p0 after $p1 (switch off)"
	[ $rc -eq 0 ] && [ "$p0" = "$p1" ]
}
