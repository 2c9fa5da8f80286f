#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mutants.sh: prove that the tests catch the bugs this series is most
# exposed to. For every line of mutants/list, apply its patch (an injected
# bug, kept out of the upstream series) to a worktree of the assembled
# tree, build that kernel, boot it with KUnit and the check cases that
# should catch the bug, and record which test killed it. A control run
# with no mutation must pass the same cases first. Prints a table (also in
# $OUT/mutants-$ARCH/table.md) and fails if any mutant survives. A mutant
# whose cases are '@modules' is booted as the modular kernel with the
# 'modules' plan (load, zram checks, unload, load again) instead; cases
# '@rt:a:b' run cases a and b on a PREEMPT_RT kernel.
# MUTANTS=name,name runs only the named mutants (results/ is then left as it
# is: the committed table is always a full run).
set -uo pipefail
. "$(dirname "$0")/env.sh"

src=$BUILD/linux-mutant
out=$OUT/mutants-$ARCH
list=$TOP/mutants/list
rm -rf "$out"
mkdir -p "$out"
tip=$(git -C "$SRC_PATCHED" rev-parse HEAD) || die "no assembled tree (make assemble)"
if [ ! -d "$src" ]; then
	git -C "$SRC_PATCHED" worktree add -f -q --detach "$src" "$tip" ||
		die "cannot create the mutant worktree $src"
fi

# The failing tests of one boot, comma-separated: KUnit cases from the
# console, kselftests and checks from the KTAP channel. A skip counts: every
# case run here is expected to run.
failures() {	# $1: log dir
	local d=$1 f
	for f in console ktap; do
		python3 "$SRC_PATCHED/tools/testing/kunit/kunit.py" parse \
			--json="$d/$f.json" "$d/$f.log" >/dev/null 2>&1
	done
	python3 - "$d/console.json" "$d/ktap.json" <<'PY'
import json, sys
bad, ran = [], 0
def failing(g, kunit):
    """Names of the cases under g (at any depth) that did not pass."""
    global ran
    out = []
    for c in g.get('test_cases', []):
        ran += 1
        if c['status'] != 'PASS' and not (kunit and c['status'] == 'SKIP'):
            out.append(c['name'] or '(unnamed)')
    for s in g.get('sub_groups', []):
        out += failing(s, kunit)
    return out
for path, kunit in ((sys.argv[1], True), (sys.argv[2], False)):
    try:
        with open(path, encoding='utf-8') as f:
            top = json.load(f)
    except (OSError, ValueError):
        bad.append('no results in ' + path.rsplit('/', 1)[-1])
        continue
    # Top-level names: suite.case for KUnit, the check or kselftest for KTAP.
    for c in top.get('test_cases', []):
        bad += failing({'test_cases': [c]}, kunit)
    for s in top.get('sub_groups', []):
        cases = failing(s, kunit)
        if kunit:
            bad += [s['name'] + '.' + c for c in cases]
        elif cases:
            bad.append(s['name'])
print(', '.join(bad) if bad else ('' if ran else 'no results'))
PY
}

# trim S: S without leading and trailing blanks (xargs would choke on quotes).
trim() { echo "$1" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'; }

# run_one NAME PATCH CASES: prints "<outcome>|<killed by>|<seconds>".
run_one() {
	local name=$1 patch=$2 cases=$3 start rc why
	start=$(date +%s)
	git -C "$src" checkout -q -f --detach "$tip" && git -C "$src" clean -fdq || {
		echo "error|cannot reset $src|0"; return; }
	if [ "$patch" != - ]; then
		git -C "$src" apply "$TOP/mutants/$patch" 2>"$out/$name.apply" || {
			echo "stale|$patch does not apply (see $out/$name.apply)|0"; return; }
	fi
	local variant=mutant plan=mutant args="zsd.args=cases=$cases"
	case $cases in
	@modules) variant=mutant-modules plan=modules args= ;;
	@rt:*) variant=mutant-rt args="zsd.args=cases=${cases#@rt:}" ;;
	esac
	if ! "$TOP/scripts/build.sh" $variant >"$out/$name.build" 2>&1; then
		# A mutant that does not compile proves nothing.
		echo "error|build failed (see $out/$name.build)|$(($(date +%s) - start))"
		return
	fi
	"$TOP/scripts/initramfs.sh" $variant >/dev/null 2>"$out/$name.initramfs" || {
		echo "error|initramfs failed|0"; return; }
	"$TOP/scripts/boot.sh" $variant $plan "$out/$name" "${MUTANT_TIMEOUT:-900}" \
		"$args" >"$out/$name.boot" 2>&1
	rc=$?
	why=$(failures "$out/$name")
	if [ $rc -ne 0 ]; then
		# A crash: name the case that was running and the report.
		local during splat
		during=$(grep -o 'ZSD: running [a-z0-9_]*' "$out/$name/console.log" | tail -1)
		splat=$(grep -m1 -oE "($SPLAT_RE).*" "$out/$name/console.log" | head -1 | cut -c1-70)
		why="${splat:-boot failed} during ${during#ZSD: running }"
	fi
	echo "$([ -n "$why" ] && echo killed || echo survived)|$why|$(($(date +%s) - start))"
}

all_cases=$(grep -v '^#' "$list" | awk -F' *[|] *' 'NF >= 3 {print $3}' | tr ':' '\n' |
	awk 'NF && !/^@/ && !seen[$0]++' | paste -sd:)
log "mutants: control run (no mutation), cases $all_cases"
IFS='|' read -r outcome why secs < <(run_one control - "$all_cases")
[ "$outcome" = survived ] ||
	die "the control kernel fails the mutant cases ($outcome: $why): fix the tests first"
log "mutants: control passes (${secs}s)"
if grep -v '^#' "$list" | awk -F' *[|] *' '$3 == "@modules"' | grep -q .; then
	IFS='|' read -r outcome why secs < <(run_one control-modules - @modules)
	[ "$outcome" = survived ] ||
		die "the modular control kernel fails its plan ($outcome: $why): fix the tests first"
	log "mutants: modular control passes (${secs}s)"
fi
rt_cases=$(grep -v '^#' "$list" | awk -F' *[|] *' '$3 ~ /^@rt:/ { print $3 }' | head -1)
if [ -n "$rt_cases" ]; then
	IFS='|' read -r outcome why secs < <(run_one control-rt - "$rt_cases")
	[ "$outcome" = survived ] ||
		die "the PREEMPT_RT control kernel fails ($outcome: $why): fix the tests first"
	log "mutants: PREEMPT_RT control passes (${secs}s)"
fi

table=$out/table.md
{
	echo "| mutant | injected bug | killed by | time |"
	echo "| --- | --- | --- | --- |"
} >"$table"
survivors=0
while IFS='|' read -r name patch cases what; do
	name=$(trim "$name")
	case $name in '' | '#'*) continue ;; esac
	# MUTANTS=a,b runs only those (the control run still covers every case).
	case ,${MUTANTS:-$name}, in *,"$name",*) ;; *) continue ;; esac
	patch=$(trim "$patch") cases=$(trim "$cases") what=$(trim "$what")
	log "mutant $name: $what"
	IFS='|' read -r outcome why secs < <(run_one "$name" "$patch" "$cases")
	log "mutant $name: $outcome${why:+ by $why} (${secs}s)"
	[ "$outcome" = killed ] || { survivors=$((survivors + 1)); why="**$outcome** $why"; }
	echo "| $name | $what | $why | ${secs} s |" >>"$table"
done <"$list"
git -C "$src" checkout -q -f --detach "$tip"
cat "$table"
# The committed copy, with the command and the tree it ran on.
[ -z "${MUTANTS:-}" ] && {
	cat "$table"
	printf '\nCommand: `make mutants` (%s), series %s, %s; the control kernel passed the same cases.\n' \
		"$ARCH" "$(git -C "$SRC_PATCHED" rev-parse --short HEAD)" "$(date +%F)"
} >"$TOP/results/mutants-$ARCH.md"
[ $survivors = 0 ] || die "$survivors mutant(s) not killed"
log "mutants: all killed; table in $table"
