#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# series.sh: out/series/ = format-patch of the series with a cover letter
# whose tables come from the latest out/bench/results.json. Bench-only
# commits (the ladder's extra zram mode) are left out: base..upstream.
#
# The commits carry their author and Signed-off-by from scripts/assemble.sh
# (this repository's git identity); format-patch keeps both as they are.
# To and Cc come from scripts/get_maintainer.pl of the patched tree.
#
# Not b4: 'b4 prep' keeps the cover letter and change-id in a commit of a
# branch it manages, while this series is rebuilt from the overlay by every
# assemble; format-patch plus get_maintainer.pl writes what 'b4 send' would
# and out/series/ can be sent with git send-email as it is.
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
# The cover letter's From is the committer: the same identity as the
# commits' (see assemble.sh), whatever the build tree's own config says.
GIT_COMMITTER_NAME=$(git -C "$TOP" config user.name) &&
	GIT_COMMITTER_EMAIL=$(git -C "$TOP" config user.email) ||
	die "no git identity in $TOP (git config user.name / user.email)"
export GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
fmt=(format-patch -q --cover-letter --subject-prefix="RFC PATCH v4" --base=base base..upstream)

# Recipients: a first format-patch for get_maintainer.pl to read, then the
# series with its maintainers and reviewers in To and the lists, plus the
# author of v3 whose design this is, in Cc.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$SRC_PATCHED" "${fmt[@]}" -o "$tmp"
gm() {
	(cd "$SRC_PATCHED" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
		--no-rolestats --no-tree --no-keywords "$@" $(ls "$tmp"/*.patch | grep -v /0000-))
}
# DRBD's entry claims all of Documentation/admin-guide/blockdev/, of which
# the series only touches zram.rst (ZRAM's own entry covers it).
not_ours='linbit\.com|drbd-dev@'
mapfile -t people < <(gm --no-l | grep -Ev "$not_ours" | sort -u)
mapfile -t lists < <(gm --no-m --no-r --l | grep -Ev "$not_ours" | sort -u)
[ ${#people[@]} -gt 0 ] && [ ${#lists[@]} -gt 0 ] ||
	die "get_maintainer.pl named no maintainer or no list for the series"
args=()
for p in "${people[@]}"; do args+=(--to="$p"); done
for l in "${lists[@]}"; do args+=(--cc="$l"); done
args+=(--cc="Wenchao Hao <haowenchao22@gmail.com>")
git -C "$SRC_PATCHED" "${fmt[@]}" "${args[@]}" -o "$out"
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
