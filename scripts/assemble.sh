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
set -euo pipefail
. "$(dirname "$0")/env.sh"

KSRC=${KSRC:-}
AUTHOR="zsdeferred <zsdeferred@example.invalid>"

make_base() {
	mkdir -p "$BUILD"
	if [ -n "$KSRC" ]; then
		[ -f "$KSRC/Makefile" ] || die "KSRC=$KSRC is not a kernel tree"
		v=$(make -s -C "$KSRC" kernelversion 2>/dev/null)
		case $v in 7.3|7.3.*) ;; *) die "KSRC=$KSRC is $v, need 7.3.y" ;; esac
		log "base: copying $KSRC (Linux $v)"
		rsync -a --delete --exclude=.git "$KSRC/" "$SRC_PATCHED/"
		echo "KSRC $KSRC (Linux $v)" >"$BUILD/base-version"
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
	fi
	cd "$SRC_PATCHED"
	git init -q -b series
	git config user.name zsdeferred
	git config user.email zsdeferred@example.invalid
	git config core.autocrlf false
	git add -A -f .
	git commit -q --no-verify -m "base: $(cat "$BUILD/base-version")"
	git tag -f base >/dev/null
	git worktree add -f -q --detach "$SRC_BASE" base
	cd - >/dev/null
}

# Build the series as commits on top of 'base' without touching the work
# tree, then move the work tree to the result.
build_series() {
	local idx="$BUILD/series.index" tip subject body files patches
	rm -f "$idx"
	export GIT_INDEX_FILE="$idx"
	git -C "$SRC_PATCHED" read-tree base
	tip=$(git -C "$SRC_PATCHED" rev-parse base)
	local n=0
	flush() {
		[ -n "$subject" ] || return 0
		local f p tree msg
		for p in $patches; do
			[ -f "$TOP/$p" ] || die "series: $p does not exist"
			git -C "$SRC_PATCHED" apply --cached --whitespace=nowarn \
				"$TOP/$p" 2>"$BUILD/apply.err" || {
				cat "$BUILD/apply.err" >&2
				die "patch $p does not apply (commit '$subject')"
			}
		done
		for f in $files; do
			[ -f "$TOP/$f" ] || die "series: $f does not exist"
			blob=$(git -C "$SRC_PATCHED" hash-object -w "$TOP/$f")
			git -C "$SRC_PATCHED" update-index --add \
				--cacheinfo "100644,$blob,$f"
		done
		tree=$(git -C "$SRC_PATCHED" write-tree)
		msg=$(printf '%s\n\n%b\nSigned-off-by: %s\n' "$subject" "$body" "$AUTHOR")
		tip=$(echo "$msg" | GIT_AUTHOR_DATE="2026-11-01T00:00:00Z" \
			GIT_COMMITTER_DATE="2026-11-01T00:00:00Z" \
			git -C "$SRC_PATCHED" commit-tree "$tree" -p "$tip")
		n=$((n + 1))
		subject= body= files= patches=
	}
	subject= body= files= patches=
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		'#'*) ;;
		'') flush ;;
		subject:*) subject=${line#subject: } ;;
		body:*) l=${line#body:}; body="$body${l# }"$'\n' ;;
		file:*) files="$files ${line#file: }" ;;
		patch:*) patches="$patches ${line#patch: }" ;;
		*) die "series: cannot parse '$line'" ;;
		esac
	done <"$TOP/series"
	flush
	unset GIT_INDEX_FILE
	rm -f "$idx"
	# Move the work tree: only paths that differ are rewritten.
	git -C "$SRC_PATCHED" checkout -q -f -B series "$tip"
	log "assembled: base + $n commits ($(git -C "$SRC_PATCHED" rev-parse --short HEAD))"
}

[ -d "$SRC_PATCHED/.git" ] && git -C "$SRC_PATCHED" rev-parse -q --verify base >/dev/null ||
	{ rm -rf "$SRC_PATCHED" "$SRC_BASE"; make_base; }
[ -d "$SRC_BASE" ] || git -C "$SRC_PATCHED" worktree add -f -q --detach "$SRC_BASE" base
build_series
cat "$BUILD/base-version" >&2
