#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Assemble the kernel tree: a pristine 7.3 'base' commit, then one commit per
# entry of the 'series' file. Commits are built with a private index so the
# work tree is only touched where the result differs from what is checked
# out: re-assembling after an edit rebuilds just what changed.
#
# series format: blocks separated by blank lines; '#' lines are comments.
#   subject: mm/zsmalloc: ...
#   body: one line of the commit message body (repeatable)
#   file: path/in/tree            (copied from this repository)
#   patch: patches/NNNN-name.patch (applied with git apply)
#   bench-only: yes                (measurement aid, not for upstream)
#   maintainer: ENTRY NAME         (after the patches: the series' author
#                                   becomes the first M: of that MAINTAINERS
#                                   entry; whoever sends the series signs up
#                                   to maintain what it adds)
# Bench-only commits come last: branch 'upstream' ends before them, and
# 'make series' sends base..upstream.
set -euo pipefail
. "$(dirname "$0")/env.sh"

KSRC=${KSRC:-}

# Author, committer and Signed-off-by of every commit: the git identity of
# this repository (user.name and user.email as git resolves them here:
# repository, then global config). A commit without a real sign-off cannot
# go to the list, so there is no placeholder to fall back to.
NAME=$(git -C "$TOP" config user.name) || NAME=
EMAIL=$(git -C "$TOP" config user.email) || EMAIL=
[ -n "$NAME" ] && [ -n "$EMAIL" ] ||
	die "no git identity for the series' author and Signed-off-by: set it with
  git -C $TOP config user.name 'Your Name'
  git -C $TOP config user.email you@example.org"
AUTHOR="$NAME <$EMAIL>"
export GIT_AUTHOR_NAME="$NAME" GIT_AUTHOR_EMAIL="$EMAIL"
export GIT_COMMITTER_NAME="$NAME" GIT_COMMITTER_EMAIL="$EMAIL"

# Commit dates: the committer date of the last commit of this repository
# that touched the series (the 'series' file or a file or patch it lists),
# never the time of assembly. Re-assembling the same content then gives the
# same commit hashes (configure.sh keys its stamp on HEAD: a new hash would
# reconfigure and rebuild), and the date moves only when a change to the
# series is committed here. Without such a commit (no git history, e.g. an
# exported copy) the date is fixed.
series_paths() {
	echo series
	sed -n 's/^\(file\|patch\): *//p' "$TOP/series"
}
DATE=$(git -C "$TOP" log -1 --format=%cI -- $(series_paths) 2>/dev/null) || DATE=
[ -n "$DATE" ] || DATE=2026-11-01T00:00:00Z
export GIT_AUTHOR_DATE="$DATE" GIT_COMMITTER_DATE="$DATE"

make_base() {
	mkdir -p "$BUILD"
	if [ -n "$KSRC" ]; then
		[ -f "$KSRC/Makefile" ] || die "KSRC=$KSRC is not a kernel tree"
		v=$(make -s -C "$KSRC" kernelversion 2>/dev/null)
		case $v in 7.3|7.3.*) ;; *) die "KSRC=$KSRC is $v, need 7.3.y" ;; esac
		log "base: copying $KSRC (Linux $v)"
		rsync -a --delete --exclude=.git "$KSRC/" "$SRC_PATCHED/"
		echo "KSRC $KSRC (Linux $v)" >"$BUILD/base-version"
		# A git checkout: remember its commit and tree. series.sh names
		# the commit as base-commit if the tree is exactly 'base' (no
		# local changes or build output were copied).
		git -C "$KSRC" rev-parse HEAD 'HEAD^{tree}' \
			>"$BUILD/base-upstream" 2>/dev/null || rm -f "$BUILD/base-upstream"
	else
		tarball=$(ls /usr/src/linux-source-7.3.tar.xz) ||
			die "linux-source-7.3 is not installed (run make setup)"
		pkg=$(dpkg-query -W -f='${Version}' linux-source-7.3)
		log "base: extracting Debian linux-source-7.3 $pkg"
		rm -rf "$SRC_PATCHED.tmp"
		mkdir -p "$SRC_PATCHED.tmp"
		tar -xf "$tarball" -C "$SRC_PATCHED.tmp" --strip-components=1
		mv "$SRC_PATCHED.tmp" "$SRC_PATCHED"
		echo "Debian linux-source-7.3 $pkg" >"$BUILD/base-version"
		rm -f "$BUILD/base-upstream"	# Debian's tree is no upstream commit
	fi
	cd "$SRC_PATCHED"
	git init -q -b series
	# For commits made by hand in the tree (the README's edit-and-save
	# workflow); the scripts' own commits take the identity from the
	# environment set above.
	git config user.name "$NAME"
	git config user.email "$EMAIL"
	git config core.autocrlf false
	git add -A -f .
	git commit -q --no-verify -m "base: $(cat "$BUILD/base-version")"
	git tag -f base >/dev/null
	git worktree add -f -q --detach "$SRC_BASE" base
	cd - >/dev/null
}

# Insert "M:	$AUTHOR" as the first line of MAINTAINERS entry $1 in the
# index being built.
add_maintainer() {
	local blob
	blob=$(git -C "$SRC_PATCHED" show :MAINTAINERS | python3 -c '
import sys
entry, who = sys.argv[1], sys.argv[2]
lines = sys.stdin.read().split("\n")
if entry not in lines:
    sys.exit("MAINTAINERS has no entry " + entry)
lines.insert(lines.index(entry) + 1, "M:\t" + who)
sys.stdout.write("\n".join(lines))
' "$1" "$AUTHOR" | git -C "$SRC_PATCHED" hash-object -w --stdin) ||
		die "series: cannot add the M: line to MAINTAINERS entry '$1'"
	git -C "$SRC_PATCHED" update-index --cacheinfo "100644,$blob,MAINTAINERS"
}

# Build the series as commits on top of 'base' without touching the work
# tree, then move the work tree to the result.
build_series() {
	local idx="$BUILD/series.index" tip subject body files patches bench entry upstream=
	rm -f "$idx"
	export GIT_INDEX_FILE="$idx"
	git -C "$SRC_PATCHED" read-tree base
	tip=$(git -C "$SRC_PATCHED" rev-parse base)
	local n=0
	flush() {
		[ -n "$subject" ] || return 0
		local f p tree msg
		if [ "$bench" = yes ]; then
			[ -n "$upstream" ] || upstream=$tip
		elif [ -n "$upstream" ]; then
			die "series: '$subject' follows a bench-only commit (they go last)"
		fi
		for p in $patches; do
			[ -f "$TOP/$p" ] || die "series: $p does not exist"
			git -C "$SRC_PATCHED" apply --cached --whitespace=nowarn \
				"$TOP/$p" 2>"$BUILD/apply.err" || {
				cat "$BUILD/apply.err" >&2
				die "patch $p does not apply (commit '$subject')"
			}
		done
		[ -z "$entry" ] || add_maintainer "$entry"
		for f in $files; do
			[ -f "$TOP/$f" ] || die "series: $f does not exist"
			blob=$(git -C "$SRC_PATCHED" hash-object -w "$TOP/$f")
			# Scripts keep their executable bit (selftests' TEST_PROGS).
			mode=100644
			[ -x "$TOP/$f" ] && mode=100755
			git -C "$SRC_PATCHED" update-index --add \
				--cacheinfo "$mode,$blob,$f"
		done
		tree=$(git -C "$SRC_PATCHED" write-tree)
		msg=$(printf '%s\n\n%b\nSigned-off-by: %s\n' "$subject" "$body" "$AUTHOR")
		tip=$(echo "$msg" | git -C "$SRC_PATCHED" commit-tree "$tree" -p "$tip")
		n=$((n + 1))
		subject= body= files= patches= bench= entry=
	}
	subject= body= files= patches= bench= entry=
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		'#'*) ;;
		'') flush ;;
		subject:*) subject=${line#subject: } ;;
		body:*) l=${line#body:}; body="$body${l# }"$'\n' ;;
		file:*) files="$files ${line#file: }" ;;
		patch:*) patches="$patches ${line#patch: }" ;;
		bench-only:*) bench=${line#bench-only: } ;;
		maintainer:*) entry=${line#maintainer: } ;;
		*) die "series: cannot parse '$line'" ;;
		esac
	done <"$TOP/series"
	flush
	unset GIT_INDEX_FILE
	rm -f "$idx"
	# Move the work tree: only paths that differ are rewritten.
	git -C "$SRC_PATCHED" checkout -q -f -B series "$tip"
	git -C "$SRC_PATCHED" branch -f upstream "${upstream:-$tip}"
	log "assembled: base + $n commits ($(git -C "$SRC_PATCHED" rev-parse --short HEAD))"
}

[ -d "$SRC_PATCHED/.git" ] && git -C "$SRC_PATCHED" rev-parse -q --verify base >/dev/null ||
	{ rm -rf "$SRC_PATCHED" "$SRC_BASE"; make_base; }
[ -d "$SRC_BASE" ] || git -C "$SRC_PATCHED" worktree add -f -q --detach "$SRC_BASE" base
# A tree assembled under another identity takes this one (hand commits).
git -C "$SRC_PATCHED" config user.name "$NAME"
git -C "$SRC_PATCHED" config user.email "$EMAIL"
build_series
cat "$BUILD/base-version" >&2
