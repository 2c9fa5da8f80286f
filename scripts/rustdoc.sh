#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rustdoc.sh: HTML documentation for the series' Rust crates, next to the
# kernel's own. 'make rustdoc' in the kernel covers only rust/ (core,
# kernel, macros, ...); the series' crates are objects under mm/, built by
# kbuild's rustc rule. This runs rustdoc with the very flags kbuild saved
# for each object (its .o.cmd file), minus the output options, into the
# kernel's rustdoc tree, so links to `kernel::` items resolve locally.
# Private items are documented too: the crates have no public API, their C
# exports are documented in include/linux/zsmalloc.h and in the crate docs.
# Any rustdoc warning (missing docs, broken intra-doc links, bad markup)
# fails the step. Needs a built patched kernel.
set -uo pipefail
. "$(dirname "$0")/env.sh"

obj=$(OBJ_DIR patched)
out=$obj/Documentation/output/rust/rustdoc
log_file=$OUT/lint/rustdoc.log
mkdir -p "$OUT/lint"
[ -f "$obj/vmlinux" ] || die "rustdoc: build the patched kernel first"

make -s -C "$SRC_PATCHED" O="$obj" ARCH="$KARCH" CROSS_COMPILE="$CROSS" \
	rustdoc >"$log_file" 2>&1 || { tail -20 "$log_file"; die "kernel 'make rustdoc' failed"; }

# The series' crates (crate_roots in env.sh), as kbuild compiled them.
crates=$(git -C "$SRC_PATCHED" diff --name-only base..series -- 'mm/*.rs' |
	crate_roots | sed 's/\.rs$//')
fail=0
for c in $crates; do
	name=$(basename "$c")
	cmdfile=$obj/$(dirname "$c")/.$name.o.cmd
	[ -f "$cmdfile" ] || { echo "rustdoc: no $cmdfile"; fail=1; continue; }
	cmd=$(sed -n "s|^savedcmd_$c.o := ||p" "$cmdfile")
	eval "set -- $cmd"
	args=()
	env_args=()
	skip=0
	for a; do
		if [ $skip = 1 ]; then skip=0; continue; fi
		case $a in
		OBJTREE=* | RUST_MODFILE=*) env_args+=("$a") ;;
		rustc | clippy-driver | */rustc | */clippy-driver) ;;
		--emit=* | -Zbinary_dep_depinfo=* | --remap-path-scope=*) ;;
		--out-dir) skip=1 ;;
		*) args+=("$a") ;;
		esac
	done
	# RUSTC_BOOTSTRAP=1 as the kernel's Makefile exports it (-Z flags);
	# -Cunsafe-allow-abi-mismatch as in rust/Makefile: rustdoc does not
	# record target modifiers (rust-lang/rust#144521).
	(cd "$obj" && env RUSTC_BOOTSTRAP=1 "${env_args[@]}" rustdoc "${args[@]}" \
		-Zunstable-options --generate-link-to-definition \
		--document-private-items -Cunsafe-allow-abi-mismatch=fixed-x18 \
		--crate-name "$name" --output "$out") >>"$log_file" 2>&1 ||
		{ echo "rustdoc: $c failed"; fail=1; }
	[ -f "$out/$name/index.html" ] || { echo "rustdoc: no $out/$name/index.html"; fail=1; }
	# Share of items with docs, for the record: clippy's
	# missing_docs_in_private_items (on in the crates) is what enforces it;
	# the items kunit_tests! generates in tests.rs count as undocumented.
	cov=$(cd "$obj" && env RUSTC_BOOTSTRAP=1 "${env_args[@]}" rustdoc "${args[@]}" \
		-Zunstable-options --show-coverage --document-private-items \
		--crate-name "$name" 2>/dev/null | awk -F'|' '/Total/ { gsub(/ /, "", $4); print $4 }')
	echo "rustdoc: $c: ${cov:-?} of items documented"
done
warnings=$(grep -cE '^(warning|error)' "$log_file")
if [ "$warnings" != 0 ]; then
	grep -E -A6 '^(warning|error)' "$log_file" | head -60
	fail=1
fi
echo "rustdoc: $warnings warnings for" $crates "-> $out/<crate>/index.html"
exit $fail
