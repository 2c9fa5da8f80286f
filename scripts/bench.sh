#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh: build the base (pristine 7.3) and patched kernels with the same
# config, boot them alternately (base, patched, base, patched, ...) under the
# same QEMU settings, run the munmap matrix (and the kill path) in each, then write
# out/bench/{results.json,report.md,raw-runs.jsonl} and print the tables.
# The headline cells come from the alternating boots only; a full run adds
# a breakdown boot of the patched kernel, reported in its own table.
# The results, the plot and every run's raw JSON are then copied to
# results/bench-<arch>-<full|quick>{.json,.md,-raw.jsonl} and
# results/munmap-<arch>[-quick].png, the committed copies.
# A third boot per kernel and round, part 'kill', measures the kill path:
# the children are killed instead of unmapping (munmap_swap_latency --op
# kill: SIGKILL; --op mrelease: pidfd_send_signal() + process_mrelease(),
# as lmkd does), 256 MiB x1/x2/x3 on both backends, KILL_RUNS (default 3)
# runs per cell per boot, kill_refill (one process killed, the next
# paging out as much under a limit just above what the first held; op
# 'refill', 256 MiB x1) and the swap-in (op 'swapin': 256 MiB x1 faulted
# back in). KILL=0 leaves it out.
# QUICK=1: zram, 256 MiB x1 plus 64/256 MiB, 3 runs, one boot per kernel;
# the kill part there is 256 MiB x1 on both backends.
set -euo pipefail
. "$(dirname "$0")/env.sh"

out=$OUT/bench
# Other architectures keep their own results next to x86_64's.
[ "$ARCH" = x86_64 ] || out=$OUT/bench-$ARCH
mkdir -p "$out"
rm -rf "$out"/boot-*
"$TOP/scripts/build.sh" base
"$TOP/scripts/build.sh" patched
"$TOP/scripts/initramfs.sh" patched >/dev/null

if [ "${QUICK:-0}" = 1 ]; then
	boots=${BOOTS:-1}
	matrix="backends=zram,sizes=64:256,procs=1,runs=3"
	matrix_mp=
	kill_runs=${KILL_RUNS:-3}
	matrix_kill="backends=zram:zswap,sizes=256,procs=1,runs=$kill_runs,ops=kill:mrelease:refill:swapin"
else
	boots=${BOOTS:-2}
	matrix="backends=zram:zswap,sizes=64:128:192:256:512:1024,procs=1,runs=5"
	matrix_mp="backends=zram:zswap,sizes=256,procs=2:3,runs=5"
	kill_runs=${KILL_RUNS:-3}
	matrix_kill="backends=zram:zswap,sizes=256,procs=1:2:3,runs=$kill_runs,ops=kill:mrelease:refill:swapin"
fi
[ "${KILL:-1}" = 0 ] && matrix_kill=
# The patched kernel interleaves its switch off/on in one boot; the base
# kernel has no switch. The ladder boot adds the bench-only rungs of both
# backends, 'handle' (only zs_free() deferred) and 'slot' (the whole free,
# per slot rather than per run) (QUICK=1: the munmap boot itself); the kill
# part needs only off and on.
modes_patched=${MODES:-sync:deferred}
modes_kill=${MODES:-sync:deferred}
breakdown="backends=zram:zswap,sizes=256,procs=1,runs=5,modes=sync:handle:slot:deferred:timed"
[ "${QUICK:-0}" = 1 ] && modes_patched=${MODES:-sync:handle:slot:deferred:timed} && breakdown=

for i in $(seq 1 "$boots"); do
	for k in base patched; do
		for part in single multi kill; do
			m=default
			[ $k = patched ] && m=$modes_patched
			case $part in
			single) args=$matrix ;;
			multi) args=$matrix_mp ;;
			kill) args=$matrix_kill; [ $k = patched ] && m=$modes_kill ;;
			esac
			[ -n "$args" ] || continue
			log "bench boot $i/$boots: $k kernel, $part ($args,modes=$m)"
			"$TOP/scripts/boot.sh" "$k" bench "$out/boot-$i-$k-$part" \
				"${BENCH_TIMEOUT:-3000}" "zsd.args=$args,modes=$m"
			grep -h '^ZSD: bench' "$out/boot-$i-$k-$part/console.log" | sed 's/^/    /' >&2 || true
		done
	done
done
# After the alternating boots, with the next index; bench_report.py keeps
# it out of the headline cells by its part name.
if [ -n "$breakdown" ]; then
	log "bench breakdown boot: patched kernel ($breakdown)"
	"$TOP/scripts/boot.sh" patched bench "$out/boot-$((boots + 1))-patched-breakdown" \
		"${BENCH_TIMEOUT:-3000}" "zsd.args=$breakdown"
fi
PYTHONPATH="$TOOLS/py" python3 "$TOP/scripts/bench_report.py" "$out" "$(cat "$BUILD/base-version")" "$ARCH"

# The committed copies, named as in results/: bench-<arch>-<full|quick>.*
# and the plot munmap-<arch>.png (full) or munmap-<arch>-quick.png.
kind=full
[ "${QUICK:-0}" = 1 ] && kind=quick
png=munmap-$ARCH.png
[ $kind = quick ] && png=munmap-$ARCH-quick.png
dst=$TOP/results/bench-$ARCH-$kind
cmd="make bench"
[ "$ARCH" = x86_64 ] || cmd+=" ARCH=$ARCH"
[ $kind = quick ] && cmd+=" QUICK=1"
[ -n "${BOOTS:-}" ] && cmd+=" BOOTS=$BOOTS"
[ -n "${MODES:-}" ] && cmd+=" MODES=$MODES"
[ -n "${KILL_RUNS:-}" ] && cmd+=" KILL_RUNS=$KILL_RUNS"
[ "${KILL:-1}" = 0 ] && cmd+=" KILL=0"
runs=${matrix##*runs=}
extra=
[ -n "$matrix_kill" ] && extra+="; kill path (kill, mrelease) $kill_runs runs per cell per boot"
[ -n "$breakdown" ] && extra+=", plus one breakdown boot of the patched kernel"
mkdir -p "$TOP/results"
cp "$out/results.json" "$dst.json"
cp "$out/raw-runs.jsonl" "$dst-raw.jsonl"
{
	sed "s/(munmap\.png)/($png)/" "$out/report.md"
	printf '\nCommand: `%s` (%s, %s boot(s) per kernel, %s runs per cell per boot%s), %s.\n' \
		"$cmd" "$ARCH" "$boots" "$runs" "$extra" "$(date +%F)"
} >"$dst.md"
kept="${dst##*/}.json ${dst##*/}.md ${dst##*/}-raw.jsonl"
if [ -f "$out/munmap.png" ]; then
	cp "$out/munmap.png" "$TOP/results/$png"
	kept+=" $png"
fi
log "bench: $(wc -l <"$out/raw-runs.jsonl") runs' raw JSON in $out/raw-runs.jsonl"
log "bench: copied to results/ (to commit): $kept"
