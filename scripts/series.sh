#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# series.sh: out/series/ = the RFC v4 mails, prepared, checked and written
# by b4 (PyPI, installed by make setup), with a cover letter whose tables
# come from the latest out/bench/results.json. Bench-only commits (the
# ladder's extra modes) are left out: base..upstream.
#
# b4 prep works on a branch it owns: it adds a commit holding the cover
# letter and its tracking data. The series here is rebuilt from the overlay
# by every assemble, so each run gives b4 a fresh branch, rfc-v4, in a
# worktree of its own ($BUILD/linux-series), enrolled at 'base':
#   b4 prep --enroll base --force-revision 4 --set-prefixes RFC
#   b4 prep --edit-cover     (the text from scripts/cover_letter.py)
#   b4 prep --auto-to-cc     (get_maintainer.pl, scripts/series_recipients.sh)
#   b4 prep --check          (checkpatch --strict as make lint runs it;
#                             any warning or error fails this script)
#   b4 send -o out/series    (writes the mails, sends nothing)
# out/series/*.eml can then be sent with git send-email, or the branch with
# 'b4 send' from the worktree once the sender has set up b4's sending.
#
# The commits carry their author and Signed-off-by from scripts/assemble.sh
# (this repository's git identity, required there). The cover letter's From
# is the same identity. Wenchao Hao, the author of v3 whose design this
# carries forward, is in Cc.
#
# base-commit: 'base' is the local commit importing the pristine tree. If
# the tree came from a git checkout (KSRC) and 'base' holds exactly that
# commit's tree, the cover letter names the upstream commit; with Debian's
# linux-source (no upstream commit to name) it says that base-commit is
# local.
set -euo pipefail
. "$(dirname "$0")/env.sh"

export PYTHONPATH="$TOOLS/b4${PYTHONPATH:+:$PYTHONPATH}"
b4() { python3 "$TOOLS/b4/bin/b4" "$@"; }
b4 --version >/dev/null 2>&1 || die "b4 is not installed (run make setup)"

NAME=$(git -C "$TOP" config user.name) && EMAIL=$(git -C "$TOP" config user.email) ||
	die "no git identity in $TOP (git config user.name / user.email)"

res=$OUT/bench/results.json
[ "$ARCH" = x86_64 ] || res=$OUT/bench-$ARCH/results.json
[ -f "$res" ] || res=$TOP/results/bench-$ARCH-full.json
[ -f "$res" ] || die "no $res: run 'make bench' (or 'make bench QUICK=1') first"
stress=$OUT/stress/summary.json
[ -f "$stress" ] || stress=$TOP/results/stress-600s-$ARCH.json

wt=$BUILD/linux-series
out=$OUT/series
rm -rf "$out" "$wt"
git -C "$SRC_PATCHED" worktree prune
git -C "$SRC_PATCHED" branch -q -D rfc-v4 2>/dev/null || true
log "series: worktree $wt (branch rfc-v4 = upstream)"
git -C "$SRC_PATCHED" worktree add -q -b rfc-v4 "$wt" upstream
cd "$wt"
# b4 reads its settings from git config; these apply to this run only.
check="./scripts/checkpatch.pl -q --terse --no-summary --mailback --showfile"
check="$check --strict --ignore $(sed -n 's/^ignore=//p' "$TOP/scripts/lint.sh")"
export GIT_CONFIG_COUNT=7
export GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="$NAME"
export GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1="$EMAIL"
export GIT_CONFIG_KEY_2=b4.send-auto-to-cmd GIT_CONFIG_VALUE_2="$TOP/scripts/series_recipients.sh to"
export GIT_CONFIG_KEY_3=b4.send-auto-cc-cmd GIT_CONFIG_VALUE_3="$TOP/scripts/series_recipients.sh cc"
export GIT_CONFIG_KEY_4=b4.send-series-cc GIT_CONFIG_VALUE_4="Wenchao Hao <haowenchao22@gmail.com>"
export GIT_CONFIG_KEY_5=b4.prep-perpatch-check-cmd GIT_CONFIG_VALUE_5="$check"
# 'b4 send -o' only writes files, but refuses to run unsigned towards its
# default web endpoint; naming an SMTP server (never contacted) avoids it.
export GIT_CONFIG_KEY_6=sendemail.smtpserver GIT_CONFIG_VALUE_6=/bin/false

b4 -q prep --enroll base --force-revision 4
b4 -q prep --set-prefixes RFC

local_base=$(git rev-parse base)
up= up_tree=
[ -f "$BUILD/base-upstream" ] && { read -r up; read -r up_tree; } <"$BUILD/base-upstream" || true
if [ -n "$up" ] && [ "$up_tree" = "$(git rev-parse 'base^{tree}')" ]; then
	note="Based on $(cat "$BUILD/base-version"), upstream commit ${up:0:12}."
	base_line="base-commit: $up"
else
	note="Based on $(cat "$BUILD/base-version"); base-commit below is the local commit that imports that tree, not an upstream commit."
	base_line=
	log "series: base-commit $local_base is local (no upstream commit for $(cat "$BUILD/base-version"))"
fi
text=$BUILD/cover.txt
python3 "$TOP/scripts/cover_letter.py" "$text" "$res" \
	"$TOP/scripts/cover_intro.txt" "$stress" "$note"
# b4 opens the cover letter in $EDITOR: the "editor" copies the text in.
EDITOR="cp $text" b4 -q prep --edit-cover
b4 -q prep --auto-to-cc

log "series: b4 prep --check"
b4 prep --check >"$BUILD/b4-check.log" 2>&1 || true
sed 's/\x1b\[[0-9;]*m//g' "$BUILD/b4-check.log" >"$BUILD/b4-check.txt"
summary=$(grep -E '^Success: [0-9]+, Warning: [0-9]+, Error: [0-9]+' "$BUILD/b4-check.txt") ||
	{ cat "$BUILD/b4-check.txt" >&2; die "b4 prep --check printed no summary"; }
echo "b4 prep --check: $summary"
case $summary in
*"Warning: 0, Error: 0") ;;
*) cat "$BUILD/b4-check.txt" >&2; die "b4 prep --check: $summary" ;;
esac

b4 -q send --no-sign --not-me-too -o "$out" >/dev/null
cover=$(ls "$out"/0000-*.eml) || die "b4 wrote no cover letter"
if [ -n "$base_line" ]; then
	sed -i "s/^base-commit: $local_base\$/$base_line/" "$cover"
fi
grep -q '^base-commit: ' "$cover" || die "the cover letter has no base-commit"
# The headers must name the lists and the zsmalloc maintainers that
# get_maintainer.pl gives for these files; an empty answer is an error.
hdr=$(sed '/^$/q' "$cover")
for who in linux-mm@kvack.org rust-for-linux@vger.kernel.org minchan@kernel.org; do
	grep -q "$who" <<<"$hdr" || die "the cover letter is not addressed to $who (get_maintainer.pl?)"
done
log "series in $out: $(ls "$out" | wc -l) mails, branch rfc-v4 in $wt"
