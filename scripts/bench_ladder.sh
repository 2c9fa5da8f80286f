#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_ladder.sh: the ladder alone, in one boot of one patched kernel:
# munmap of 256 MiB (one process, RUNS runs per mode, default 5) from zram
# and zswap, freed synchronously, with zs_free() only deferred, the whole
# free deferred per slot, per run, and per run with zswap's phases timed
# (the bench-only modes), beside the floor (the same unmap of zero-page
# memory). For kernels 'make bench'
# does not build, such as ARCH=arm64 VARIANT=patched-16k; no base kernel
# is needed, every figure is from the same boot. Writes
# results/bench-ladder-<arch>-<variant>.md.
set -euo pipefail
. "$(dirname "$0")/env.sh"

variant=${VARIANT:-patched}
out=$OUT/bench-ladder-$ARCH-$variant
rm -rf "$out"
mkdir -p "$out"
"$TOP/scripts/build.sh" "$variant"
"$TOP/scripts/initramfs.sh" "$variant" >/dev/null
args="backends=zram:zswap,sizes=256,procs=1,runs=${RUNS:-5},modes=sync:handle:slot:deferred:timed"
log "ladder boot: $variant kernel ($ARCH, $args)"
"$TOP/scripts/boot.sh" "$variant" bench "$out/boot-1-patched-breakdown" \
	"${BENCH_TIMEOUT:-3000}" "zsd.args=$args"
dst=$TOP/results/bench-ladder-$ARCH-$variant.md
mkdir -p "$TOP/results"
TOP="$TOP" PYTHONPATH="$TOOLS/py" python3 - "$out" "$dst" "$ARCH" "$variant" <<'PY'
import datetime
import os
import sys

sys.path.insert(0, os.path.join(os.environ['TOP'], 'scripts'))
import bench_report  # noqa: E402

outdir, dst, arch, variant = sys.argv[1:5]
raw = bench_report.load(outdir)
ladder, source = bench_report.breakdown_rows(raw)
if not ladder:
    sys.exit(f'{outdir}: no ladder rows (did the boot run the bench plan?)')
lines = [f'# Ladder, {arch} {variant}, one boot', '', '```']
lines += bench_report.ladder_lines(ladder, source)[1:]
lines += bench_report.phase_lines(bench_report.phase_rows(raw))
lines += ['```', '']
kernel = next((r.get('kernel') for r in raw if r.get('kernel')), '?')
cmd = f'make bench-ladder ARCH={arch} VARIANT={variant}'
lines.append(f'Kernel {kernel}. Command: `{cmd}`, {datetime.date.today()}.')
with open(dst, 'w', encoding='utf-8') as f:
    f.write('\n'.join(lines) + '\n')
PY
cat "$dst"
