# SPDX-License-Identifier: GPL-2.0
# Shell-level checks of zswap's deferred free, run by the check plan.

ZW=/sys/kernel/debug/zswap
ZSW=/sys/kernel/debug/zs_deferred/zswap
ZP=/sys/module/zswap/parameters

# stored_pages and pool_total_size; fails if either is missing.
zswap_state() {
	sp=$(num $ZW/stored_pages) && pt=$(num $ZW/pool_total_size) || return 1
	echo "$sp $pt"
}
zswap_flush() { echo 1 >$ZSW/flush; }

check_zswap_switch_input() {
	f=$ZP/deferred_free
	[ -f $f ] || { echo "no $f"; return 1; }
	for bad in 2 abc; do
		echo "$bad" >$f 2>/dev/null && { echo "'$bad' accepted"; return 1; }
	done
	echo N >$f && [ "$(cat $f)" = N ] && echo Y >$f && [ "$(cat $f)" = Y ]
}

# stored_pages and pool_total_size back to where they were after a flush.
check_zswap_no_leak() {
	zswap_flush
	before=$(zswap_state) || return 1
	"$@" >/tmp/zl.out 2>&1 || { tail -5 /tmp/zl.out; return 1; }
	zswap_flush
	after=$(zswap_state) || return 1
	echo "stored_pages pool_total_size before: $before after: $after"
	p=$(num $ZSW/pushed) && d=$(num $ZSW/drained) || return 1
	echo "pushed $p drained $d"
	[ "$before" = "$after" ] && [ "$p" -gt 0 ] && [ "$p" = "$d" ]
}

# Frees pending (idle flush at 60 s), then a compressor switch and a
# swapoff: no crash, nothing left stored, no pending element lost.
check_zswap_teardown_pending() {
	idle_off $ZSW || return 1
	reuse_integrity -s 16 -r 2 >/dev/null 2>&1
	p=$(num $ZSW/pushed) && d=$(num $ZSW/drained) || return 1
	echo "before switch: pushed $p drained $d"
	[ "$p" -gt "$d" ] || { echo "nothing pending"; return 1; }
	old=$(cat $ZP/compressor)
	new=lz4
	[ "$old" = lz4 ] && new=lzo
	echo $new >$ZP/compressor || return 1
	echo "after switch to $new: pushed $(cat $ZSW/pushed) drained $(cat $ZSW/drained)"
	reuse_integrity -s 16 -r 2 >/dev/null 2>&1
	swapoff /dev/vda || return 1
	p=$(num $ZSW/pushed) && d=$(num $ZSW/drained) || return 1
	echo "after swapoff: pushed $p drained $d stored $(cat $ZW/stored_pages)"
	idle_default
	echo $old >$ZP/compressor
	swapon /dev/vda
	[ "$p" = "$d" ] && [ "$(cat $ZW/stored_pages)" = 0 ]
}

# A tiny pool makes the shrinker write back while entries are invalidated.
check_zswap_writeback_race() {
	echo 1 >$ZP/max_pool_percent
	echo Y >$ZP/shrinker_enabled
	wb0=$(num $ZW/written_back_pages) || return 1
	# Written-back pages stay in the swap cache for a while: accept rounds
	# with 40% of the VMA out (4 KiB pages: about half; 16 KiB: 44%).
	reuse_integrity -s 256 -r 3 -m 40 >/tmp/wb.out 2>&1
	rc=$?
	wb1=$(num $ZW/written_back_pages) || return 1
	echo 20 >$ZP/max_pool_percent
	echo "written back during the run: $((wb1 - wb0)) pages"
	grep -E 'resident|^(not )?ok|Totals' /tmp/wb.out | tail -6
	[ $rc -eq 0 ] && [ $((wb1 - wb0)) -gt 0 ]
}

# The zswap form of the reuse race: a 4 MiB swap area behind zswap, so that
# rewriting half of a 3 MiB VMA reuses offsets whose entries were erased
# moments before but are still waiting for the drain (idle_ms at its
# maximum, fewer frees than a buffer page holds). reuse_integrity flushes
# right before reading every byte back; afterwards zswap holds what it held.
check_zswap_reuse_while_pending() {
	swapoff /dev/vda || return 1
	rc=1
	if mkswap /dev/vda 4096 >/dev/null && swapon /dev/vda &&
		idle_off $ZSW && s0=$(zswap_state); then
		reuse_integrity -s 3 -r 4 -f $ZSW/flush >/tmp/zrp.out 2>&1
		rc=$?
		tail -3 /tmp/zrp.out
		zswap_flush
		s1=$(zswap_state) && p=$(num $ZSW/pushed) && d=$(num $ZSW/drained) || rc=1
		echo "pushed $p drained $d; stored_pages pool_total_size $s0 before, $s1 after"
		[ $rc = 0 ] && [ "$p" = "$d" ] && [ "$s0" = "$s1" ] || rc=1
	fi
	idle_default
	swapoff /dev/vda
	mkswap /dev/vda >/dev/null && swapon /dev/vda || rc=1
	return $rc
}
