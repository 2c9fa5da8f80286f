#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_swapin.sh: the swap-in alone, in more boots than 'make bench' gives
# it. Boots the base and patched kernels alternately (BOOTS rounds, default
# 3), each faulting 256 MiB back in from zswap and zram (munmap_swap_latency
# --op swapin, RUNS runs per cell, default 5; the patched kernel with its
# switch off and on in the same boot), then writes
# results/bench-swapin-<arch>.{md,jsonl}: the medians over all boots, each
# boot's own median, and patched/base from the pooled runs and from each
# base boot against the patched boot after it.
set -euo pipefail
. "$(dirname "$0")/env.sh"

out=$OUT/bench-swapin-$ARCH
rm -rf "$out"
mkdir -p "$out"
"$TOP/scripts/build.sh" base
"$TOP/scripts/build.sh" patched
"$TOP/scripts/initramfs.sh" patched >/dev/null

boots=${BOOTS:-3}
args="backends=zswap:zram,sizes=256,procs=1,runs=${RUNS:-5},ops=swapin"
for i in $(seq 1 "$boots"); do
	for k in base patched; do
		m=default
		[ $k = patched ] && m=sync:deferred
		log "swap-in boot $i/$boots: $k kernel ($args,modes=$m)"
		"$TOP/scripts/boot.sh" "$k" bench "$out/boot-$i-$k-kill" \
			"${BENCH_TIMEOUT:-3000}" "zsd.args=$args,modes=$m"
	done
done
mkdir -p "$TOP/results"
python3 "$TOP/scripts/swapin_report.py" "$out" "$TOP/results/bench-swapin-$ARCH" \
	"make bench-swapin$([ "$ARCH" = x86_64 ] || echo " ARCH=$ARCH") BOOTS=$boots"
cat "$TOP/results/bench-swapin-$ARCH.md"
