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

# cg_hold NAME MIB: swap_hold MIB in cgroup $CG on cpu0, paged out;
# /tmp/NAME appears once it is. Sets HOLD_PID.
cg_hold() {
	rm -f "/tmp/$1"
	taskset -c 0 sh -c "echo \$\$ >$CG/cgroup.procs && exec swap_hold $2 /tmp/$1" &
	HOLD_PID=$!
	hold_wait "$1" "$2"
}

# cg_stat FIELD: FIELD of $CG's memory.stat.
cg_stat() { awk -v f="$1" '$1 == f { print $2 }' $CG/memory.stat; }

# Kill, then refill under a memcg's zswap limit. A, in a cgroup, pages
# 1 MiB out to zswap (fewer entries than a buffer page holds); the cgroup's
# memory.zswap.max is set to what A uses and an eighth more; A exits with
# its frees pending (idle_ms at its maximum, all in cpu0's buffer). B, as
# big as A, in the same cgroup and on the same CPU, pages out at once:
# none of its stores may be refused (pages to the disk, pswpout) or write
# live entries back (zswpwb) for memory A already freed. zswap uncharges
# an entry when it is invalidated; only its memory waits for the drain.
check_zswap_memcg_limit_ignores_freed() {
	cg_make zsd_limit || return 1
	rc=1
	idle_off $ZSW
	if cg_hold a 1; then
		a=$HOLD_PID
		ua=$(num $CG/memory.zswap.current) || ua=0
		echo $((ua + ua / 8)) >$CG/memory.zswap.max
		kill -USR1 $a
		wait $a
		p=$(num $ZSW/pushed) && d=$(num $ZSW/drained)
		ps0=$(awk '$1 == "pswpout" { print $2 }' /proc/vmstat)
		wb0=$(cg_stat zswpwb) zo0=$(cg_stat zswpout)
		if cg_hold b 1; then
			ps1=$(awk '$1 == "pswpout" { print $2 }' /proc/vmstat)
			wb1=$(cg_stat zswpwb) zo1=$(cg_stat zswpout)
			kill -USR1 $HOLD_PID
			wait $HOLD_PID
			echo "A: zswap.current $ua, limit $((ua + ua / 8)), pending after exit $((p - d))"
			echo "B: stored $((zo1 - zo0)), to disk $((ps1 - ps0)), written back $((wb1 - wb0))"
			[ "$ua" -gt 0 ] && [ $((p - d)) -gt 0 ] && [ $((zo1 - zo0)) -gt 0 ] &&
				[ "$ps1" = "$ps0" ] && [ "$wb1" = "$wb0" ] && rc=0
		fi
	fi
	echo max >$CG/memory.zswap.max
	zswap_flush
	idle_default
	u=$(num $CG/memory.zswap.current) || u=x
	echo "after both and a flush: zswap.current $u"
	[ "$u" = 0 ] || rc=1
	rmdir $CG 2>/dev/null
	return $rc
}

# The zswap shrinker meets entries already freed. A and then C, in a
# cgroup on cpu0, page out 1 and 4 MiB; A exits with its frees pending
# (idle_ms at its maximum, all in cpu0's buffer), so its entries, erased
# but waiting for the drain, are still on the LRU, the oldest there.
# memory.reclaim of the cgroup runs the shrinker (the core's own shrinker
# is not memcg aware, so it does not drain them first): it must drop A's
# entries and write back C's, with no failed writeback. Treated as live
# (mutant shrinker_writes_back_dead), A's entries, whose swap slots are
# free, kept ten reclaim rounds from writing back any of C.
check_zswap_shrinker_skips_freed() {
	cg_make zsd_shrink || return 1
	rc=1
	sh0=$(cat $ZP/shrinker_enabled)
	echo Y >$ZP/shrinker_enabled
	idle_off $ZSW
	if cg_hold a 1; then
		a=$HOLD_PID
		if cg_hold c 4; then
			c=$HOLD_PID
			kill -USR1 $a
			wait $a
			p0=$(num $ZSW/pushed) && d0=$(num $ZSW/drained)
			rf0=$(num $ZW/reject_reclaim_fail) && wb0=$(num $ZW/written_back_pages)
			# A pass gives referenced entries a second chance: reclaim
			# until some of C is written back (10 rounds at most).
			for r in 1 2 3 4 5 6 7 8 9 10; do
				echo 4M >$CG/memory.reclaim 2>/dev/null
				echo "reclaim round $r: exit $?, cgroup zswapped $(cg_stat zswapped)," \
					"written back in all $(cat $ZW/written_back_pages)"
				wb1=$(num $ZW/written_back_pages) || break
				[ "$wb1" -gt "$wb0" ] && break
			done
			rf1=$(num $ZW/reject_reclaim_fail) && wb1=$(num $ZW/written_back_pages)
			p1=$(num $ZSW/pushed) && d1=$(num $ZSW/drained)
			kill -USR1 $c
			wait $c
			crc=$?
			echo "A's frees pending: $((p0 - d0)) before the reclaim, $((p1 - d1)) after"
			echo "reclaim: written back $((wb1 - wb0)), failed $((rf1 - rf0))"
			[ $((p0 - d0)) -gt 0 ] && [ $((p1 - d1)) -gt 0 ] && [ $((wb1 - wb0)) -gt 0 ] &&
				[ "$rf1" = "$rf0" ] && [ $crc = 0 ] && rc=0
		fi
	fi
	echo "$sh0" >$ZP/shrinker_enabled
	zswap_flush
	idle_default
	rmdir $CG 2>/dev/null
	return $rc
}

# The bench-only bench_variant rungs (1: per slot, 2: zs_free() only, 4:
# timed): data intact and nothing leaked with each; the timed rung counted
# the entries it invalidated.
check_zswap_bench_variants() {
	v=/sys/module/zswap/parameters/bench_variant
	ph=/sys/module/zswap/parameters/bench_phases
	[ -w $v ] && [ -w $ph ] || { echo "no $v or $ph"; return 1; }
	rc=0
	for n in 1 2 4; do
		echo 0 >$ph
		echo $n >$v || return 1
		echo "bench_variant $n:"
		check_zswap_no_leak reuse_integrity -s 16 -r 3 || rc=1
		read -r calls entries rest <$ph
		echo "bench_phases: $calls calls, $entries entries ($rest)"
		if [ $n = 4 ] && [ "$entries" -le 0 -o "$calls" -le 0 ]; then
			echo "timed rung counted no invalidation"
			rc=1
		fi
	done
	echo 0 >$v
	return $rc
}
