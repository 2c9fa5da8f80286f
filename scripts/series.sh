#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# series.sh: out/series/ = format-patch of the series with a cover letter
# whose tables come from the latest out/bench/results.json.
set -euo pipefail
. "$(dirname "$0")/env.sh"

out=$OUT/series
rm -rf "$out"
git -C "$SRC_PATCHED" format-patch -q --cover-letter --subject-prefix="RFC PATCH v4" \
	base..series -o "$out"
res=$OUT/bench/results.json
[ "$ARCH" = x86_64 ] || res=$OUT/bench-$ARCH/results.json
[ -f "$res" ] || res=$TOP/results/bench-$ARCH-full.json
[ -f "$res" ] || die "no $res: run 'make bench' (or 'make bench QUICK=1') first"
stress=$OUT/stress/summary.json
[ -f "$stress" ] || stress=$TOP/results/stress-600s-$ARCH.json
python3 "$TOP/scripts/cover_letter.py" "$out"/0000-cover-letter.patch "$res" \
	"$TOP/scripts/cover_intro.txt" "$stress"
log "series in $out: $(ls "$out" | wc -l) files"
