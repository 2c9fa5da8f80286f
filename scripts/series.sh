#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# series.sh: out/series/ = format-patch of the series with a cover letter
# whose tables come from the latest out/bench/results.json. Bench-only
# commits (the ladder's extra zram mode) are left out: base..upstream.
#
# The commits carry their author and Signed-off-by from scripts/assemble.sh
# (this repository's git identity); format-patch keeps both as they are.
#
# base-commit: format-patch --base records the commit the series applies to.
# Here that is 'base', the local commit importing the pristine tree. If the
# tree came from a git checkout (KSRC) and 'base' holds exactly that
# commit's tree, the line names the upstream commit instead. Otherwise
# (Debian's linux-source, a tarball) there is no upstream commit to name:
# base-commit is then the local hash, which nobody outside this build can
# look up, and the cover letter says so on the line above it.
set -euo pipefail
. "$(dirname "$0")/env.sh"

out=$OUT/series
rm -rf "$out"
git -C "$SRC_PATCHED" format-patch -q --cover-letter --subject-prefix="RFC PATCH v4" \
	--base=base base..upstream -o "$out"
cover=$out/0000-cover-letter.patch
local_base=$(git -C "$SRC_PATCHED" rev-parse base)
base_tree=$(git -C "$SRC_PATCHED" rev-parse 'base^{tree}')
up= up_tree=
[ -f "$BUILD/base-upstream" ] && { read -r up; read -r up_tree; } <"$BUILD/base-upstream" || true
grep -qx "base-commit: $local_base" "$cover" || die "format-patch wrote no base-commit"
if [ -n "$up" ] && [ "$up_tree" = "$base_tree" ]; then
	sed -i "s/^base-commit: $local_base\$/base-commit: $up/" "$cover"
	note="Based on $(cat "$BUILD/base-version"), upstream commit ${up:0:12}."
else
	note="Based on $(cat "$BUILD/base-version"); base-commit is the local commit that imports that tree, not an upstream commit."
	log "series: base-commit $local_base is local (no upstream commit for $(cat "$BUILD/base-version"))"
fi
note=$(fold -s -w 72 <<<"$note" | sed 's/ *$//')
# The note goes on the lines above base-commit, after the diffstat.
python3 - "$cover" "$note" <<'PY'
import sys
path, note = sys.argv[1], sys.argv[2]
text = open(path, encoding='utf-8').read()
i = text.index('\nbase-commit: ')
text = text[:i].rstrip('\n') + '\n\n' + note + '\n\n' + text[i + 1:]
open(path, 'w', encoding='utf-8').write(text)
PY
res=$OUT/bench/results.json
[ "$ARCH" = x86_64 ] || res=$OUT/bench-$ARCH/results.json
[ -f "$res" ] || res=$TOP/results/bench-$ARCH-full.json
[ -f "$res" ] || die "no $res: run 'make bench' (or 'make bench QUICK=1') first"
stress=$OUT/stress/summary.json
[ -f "$stress" ] || stress=$TOP/results/stress-600s-$ARCH.json
python3 "$TOP/scripts/cover_letter.py" "$cover" "$res" \
	"$TOP/scripts/cover_intro.txt" "$stress"
log "series in $out: $(ls "$out" | wc -l) files"
