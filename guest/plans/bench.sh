#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 'make bench' plan. zsd.args (commas for spaces) selects the matrix, e.g.
#   zsd.args=backends=zram,sizes=64:256,procs=1:2:3,runs=5,modes=sync:deferred
# and, optionally, how the memory goes (munmap_swap_latency --op; default
# munmap, the others kill the children like a low-memory killer):
#   zsd.args=backends=zram,sizes=256,procs=1:2:3,runs=3,ops=kill:mrelease
# op 'refill' runs kill_refill instead (one process killed, the next one
# refilling under a limit; zswap's in a cgroup), for one process only, and
# op 'swapin' times faulting the memory back in (one process only).
# Modes of the patched kernel: sync, deferred, and the bench-only rungs of
# the ladder, handle (zs_free() only) and slot (the whole free, per slot).
# After a backend's cells, the run lengths its deferred-free instance saw
# are printed as a '# JSON {"op":"runs",...}' line.
# Each measurement prints one '# JSON {...}' line (the selftest's own, with
# its "op" key) tagged with the kernel's mode, the run's number (rep, from
# 1) and the kernel release; modes of one cell are interleaved run by run
# within this boot. One KTAP test per backend, size, processes and op.
. /plans/ktap.sh
. /plans/swap.sh

backends=zram sizes=256 procs=1 runs=3 modes=default ops=munmap
for kv in $ZSD_ARGS; do
	eval "${kv%%=*}='$(echo "${kv#*=}" | tr ':' ' ')'"
done

# set_mode BACKEND MODE: the runtime switches of the patched kernel.
# 'default' leaves the kernel as booted (the base kernel has no switch).
# zram's deferred_free takes the bench-only rungs as 2 and 3; zswap has
# the bench-only bench_variant beside its deferred_free switch. Every
# variable here is global (sh): none may share a name with the plan's
# loop variables (b, s, p, o).
set_mode() {
	[ "$2" = default ] && return 0
	case $1 in
	zram)
		f=/sys/block/zram0/deferred_free
		case $2 in
		sync) v=0 ;; deferred) v=1 ;; handle) v=2 ;; slot) v=3 ;;
		esac
		[ -w "$f" ] && echo "$v" >"$f" ;;
	zswap)
		zp=/sys/module/zswap/parameters
		case $2 in
		sync) v=0 ;; deferred) v=0 ;; slot) v=1 ;; handle) v=2 ;;
		timed) v=4 ;;
		esac
		[ -w $zp/bench_variant ] && echo "$v" >$zp/bench_variant
		v=1
		[ "$2" = sync ] && v=0
		[ -w $zp/deferred_free ] && echo "$v" >$zp/deferred_free ;;
	esac
	return 0
}

# phases B M reset|S P: zswap's timed rung (bench-only bench_variant 4)
# adds up the time of each phase of zswap_invalidate(): zeroed before a
# run, printed after it as a JSON line.
phases() {
	f=/sys/module/zswap/parameters/bench_phases
	[ "$1" = zswap ] && [ "$2" = timed ] && [ -r $f ] || return 0
	if [ "$3" = reset ]; then
		echo 0 >$f
		return 0
	fi
	read -r pc pe per pun pdi pto <$f
	echo "# JSON {\"backend\":\"$1\",\"op\":\"phases\",\"size_mb\":$3,\"nprocs\":$4,\"calls\":$pc,\"entries\":$pe,\"erase_ns\":$per,\"unaccount_ns\":$pun,\"dispose_ns\":$pdi,\"total_ns\":$pto}"
}

# skip P O: whether op O has no cell for P processes.
skip() { case $2 in refill|swapin) [ "$1" != 1 ] ;; *) false ;; esac; }

# run_lengths B: the run-length statistics of B's deferred-free instance
# (patched kernel only), as a JSON line for the report.
run_lengths() {
	d=/sys/kernel/debug/zs_deferred/zswap
	[ "$1" = zram ] && d=/sys/kernel/debug/zs_deferred/zram0
	[ -r $d/runs_1 ] || return 0
	l=
	for b in 1 2 4 8 16 32 64 128 256 512 1024 2048; do
		l="$l${l:+,}$(cat $d/runs_$b)"
	done
	echo "# JSON {\"backend\":\"$1\",\"op\":\"runs\",\"kernel\":\"$(uname -r)\",\"runs\":[$l]}" >"$KTAP"
}

# measure B S P O FLOOR: one run of op O, its output in /tmp/run.out.
measure() {
	case $4 in
	refill)
		if [ "$1" = zswap ]; then
			cg_make zsd_bench || return 1
			sh -c "echo \$\$ >$CG/cgroup.procs && exec kill_refill -b zswap -s $2 -j"
		else
			kill_refill -b "$1" -s "$2" -j
		fi ;;
	*) munmap_swap_latency -b "$1" -s "$2" -p "$3" -r 1 --op "$4" $5 -j ;;
	esac >/tmp/run.out 2>&1
}

n=0
for b in $backends; do for s in $sizes; do for p in $procs; do for o in $ops; do
	skip "$p" "$o" || n=$((n + 1))
done; done; done; done
ktap_begin "$n"
for b in $backends; do
	"${b}_swap_on" 3G || { echo "ZSD: cannot set up $b swap"; continue; }
	for s in $sizes; do for p in $procs; do for o in $ops; do
		skip "$p" "$o" && continue
		ktap_n=$((ktap_n + 1))
		ok=ok
		# The floor (munmap of zero-page PTEs) is the munmap cells'
		# reference; the kill cells do not use it.
		floor=--floor
		name=bench_${b}_${s}mb_x$p
		if [ "$o" != munmap ]; then
			floor=
			name=${name}_$o
		fi
		echo "ZSD: bench $b ${s}MiB x$p $o ($runs runs, modes: $modes)"
		for r in $(seq 1 "$runs"); do for m in $modes; do
			# The timed rung is zswap's alone.
			[ "$m" = timed ] && [ "$b" != zswap ] && continue
			set_mode "$b" "$m"
			phases "$b" "$m" reset
			measure "$b" "$s" "$p" "$o" "$floor" ||
				{ rc=$?; [ $rc -eq 4 ] || ok="not ok"; }
			phases "$b" "$m" "$s" "$p" >>/tmp/run.out
			grep '^# JSON ' /tmp/run.out |
				sed "s/^# JSON {/# JSON {\"mode\":\"$m\",\"rep\":$r,\"kernel\":\"$(uname -r)\",/" >"$KTAP"
			grep -E '^not ok|# SKIP|^# ' /tmp/run.out | grep -v JSON | head -5
		done; done
		echo "$ok $ktap_n $name" >"$KTAP"
	done; done; done
	set_mode "$b" deferred
	run_lengths "$b"
	"${b}_swap_off"
done
ktap_end
