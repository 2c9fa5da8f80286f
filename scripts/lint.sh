#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh: the upstream-quality gate on the assembled series.
#  - checkpatch.pl --strict on every patch of 'git format-patch base..';
#  - rustfmt check of every Rust file the series adds;
#  - a CLIPPY=1 build of the series' Rust objects, warnings are errors;
#  - rustdoc HTML for the series' Rust crates, warnings are errors
#    (scripts/rustdoc.sh);
#  - kernel-doc -none on the C API header.
# Ignored checkpatch types, each justified in the cover letter:
#   FILE_PATH_CHANGES  new files sit under existing MAINTAINERS F: patterns
#                      (zram/, mm/, selftests/mm/, rust/helpers/);
#   EXPORT_SYMBOL      the exported functions are written in Rust, so their
#                      EXPORT_SYMBOL_GPL() cannot follow them in C;
#   EMBEDDED_FILENAME  a false positive on 'source "mm/Kconfig.deferred"'.
set -uo pipefail
. "$(dirname "$0")/env.sh"

out=$OUT/lint
rm -rf "$out"
mkdir -p "$out/patches"
fail=0
git -C "$SRC_PATCHED" format-patch -q base..series -o "$out/patches" ||
	die "format-patch failed"

ignore=FILE_PATH_CHANGES,EXPORT_SYMBOL,EMBEDDED_FILENAME
# checkpatch runs scripts/spdxcheck.py, which needs ply and GitPython (make
# setup installs them beside b4); without them it prints a traceback and
# checks no SPDX line.
export PYTHONPATH="$TOOLS/b4${PYTHONPATH:+:$PYTHONPATH}"
python3 -c 'import ply, git' || die "ply or GitPython missing (run make setup)"
for p in "$out"/patches/*.patch; do
	res=$(cd "$SRC_PATCHED" && ./scripts/checkpatch.pl --strict --ignore $ignore -q "$p" 2>&1)
	total=$(echo "$res" | grep '^total:' || echo "total: 0 errors, 0 warnings, 0 checks")
	echo "checkpatch: $(basename "$p"): ${total#total: }"
	if echo "$res" | grep -qE '^(ERROR|WARNING|CHECK)'; then
		echo "$res" | grep -E -A3 '^(ERROR|WARNING|CHECK)' | sed 's/^/    /'
		fail=1
	fi
done

rs=$(git -C "$SRC_PATCHED" diff --name-only base..series -- '*.rs')
for f in $rs; do
	rustfmt --check --edition 2021 --config-path "$SRC_PATCHED/.rustfmt.toml" \
		"$SRC_PATCHED/$f" >/dev/null 2>&1 || { echo "rustfmt: $f needs formatting"; fail=1; }
done
echo "rustfmt: $(echo "$rs" | wc -w) files checked"

obj=$(OBJ_DIR patched)
if [ -f "$obj/vmlinux" ]; then
	objs=$(echo "$rs" | crate_roots | sed 's/\.rs$/.o/')
	# The kernel crate too, when the series adds to it (rust/kernel/).
	echo "$rs" | grep -q '^rust/kernel/' && objs="rust/kernel.o $objs"
	# Forget the objects so kbuild compiles them again through clippy.
	for o in $objs; do rm -f "$obj/$o"; done
	make -s -C "$SRC_PATCHED" O="$obj" ARCH="$KARCH" CROSS_COMPILE="$CROSS" \
		CLIPPY=1 $objs >"$out/clippy.log" 2>&1 || fail=1
	if grep -qE '^(warning|error)' "$out/clippy.log"; then
		grep -E -A6 '^(warning|error)' "$out/clippy.log" | head -60
		fail=1
	fi
	echo "clippy: $(grep -cE '^(warning|error)' "$out/clippy.log") findings in" $objs
	for o in $objs; do rm -f "$obj/$o"; done
else
	echo "clippy: skipped, build the patched kernel first"
	fail=1
fi

"$TOP/scripts/rustdoc.sh" || fail=1

kd=$(cd "$SRC_PATCHED" && ./scripts/kernel-doc -none -Wall include/linux/zsmalloc.h 2>&1 | grep -ci warning)
echo "kernel-doc: include/linux/zsmalloc.h: $kd warnings"
[ "$kd" = 0 ] || fail=1

[ $fail = 0 ] && echo "lint: clean" || echo "lint: FAILED"
exit $fail
