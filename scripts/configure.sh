#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# configure.sh VARIANT: tinyconfig + the fragments in configs/ for VARIANT,
# merged with the kernel's merge_config.sh, then checked: every CONFIG_*=y
# or =m the fragments ask for must be set in the result (RUST silently
# drops out when a tool is missing, so this is where a broken toolchain
# shows up).
set -euo pipefail
. "$(dirname "$0")/env.sh"

variant=$1
case $variant in
base) src=$SRC_BASE; frags="guest" ;;
patched) src=$SRC_PATCHED; frags="guest deferred" ;;
patched-64k | patched-16k)
	[ "$ARCH" = arm64 ] || die "configure.sh: $variant is an arm64 variant"
	src=$SRC_PATCHED; frags="guest deferred" ;;
debug) src=$SRC_PATCHED; frags="guest deferred debug" ;;
# zsmalloc, the core and zram as modules (configs/modules.config).
modules) src=$SRC_PATCHED; frags="guest deferred" ;;
off) src=$SRC_PATCHED; frags="guest" ;;
bisect-on) src=$BUILD/linux-bisect; frags="guest deferred" ;;
bisect-off) src=$BUILD/linux-bisect; frags="guest" ;;
# The patched kernel with one injected bug (scripts/mutants.sh).
mutant) src=$BUILD/linux-mutant; frags="guest deferred" ;;
mutant-modules | mutant-rt) src=$BUILD/linux-mutant; frags="guest deferred" ;;
# Android's GKI, roughly: modules, clang, memcg (configs/gki.config).
gki)
	[ "$ARCH" = arm64 ] || die "configure.sh: gki is an arm64 variant"
	src=$SRC_PATCHED; frags="guest deferred" ;;
# PREEMPT_RT (configs/rt.config).
rt) src=$SRC_PATCHED; frags="guest deferred" ;;
*) die "configure.sh: unknown variant '$variant'" ;;
esac
frags="$frags $ARCH"
# 64 KiB pages go last: they replace the architecture's 4 KiB default.
[ "$variant" = patched-64k ] && frags="$frags pages64k"
[ "$variant" = patched-16k ] && frags="$frags pages16k"
# So do the modules: they turn options of the guest fragment from y to m.
case $variant in *modules) frags="$frags modules" ;; gki) frags="$frags modules gki" ;; esac
case $variant in rt | mutant-rt) frags="$frags rt" ;; esac
obj=$(OBJ_DIR "$variant")
use_toolchain "$variant"
mkdir -p "$obj"

files=""
for f in $frags; do
	[ -f "$TOP/configs/$f.config" ] && files="$files $TOP/configs/$f.config"
done
# Same fragments, same result: skip the (slow-ish) merge when nothing changed.
stamp=$(cat $files "$src/Makefile" | sha1sum | cut -c1-12)-$(git -C "$src" rev-parse HEAD)-llvm$LLVM
[ -f "$obj/.config" ] && [ "$(cat "$obj/.config.stamp" 2>/dev/null)" = "$stamp" ] && exit 0

mk() { make -s -C "$src" O="$obj" ARCH="$KARCH" CROSS_COMPILE="$CROSS" LLVM="$LLVM" BINDGEN="$BINDGEN" "$@"; }
mk rustavailable >"$obj/rustavailable.log" 2>&1 || {
	cat "$obj/rustavailable.log" >&2
	die "make rustavailable failed: the Rust toolchain is incomplete (see above; run 'make setup')"
}
mk tinyconfig >/dev/null
(cd "$obj" && KCONFIG_CONFIG=.config "$src/scripts/kconfig/merge_config.sh" \
	-m -O "$obj" .config $files >"$obj/merge.log" 2>&1) ||
	{ cat "$obj/merge.log" >&2; die "merge_config.sh failed"; }
mk olddefconfig >/dev/null

# What the fragments ask for, the last one's word on an option winning:
# every =y and =m must be in the result.
missing=""
for want in $(awk '
	/^CONFIG_[A-Z0-9_]*=/ { split($0, kv, "="); v[kv[1]] = $0; src[kv[1]] = FILENAME }
	/^# CONFIG_[A-Z0-9_]* is not set$/ { delete v[$2] }
	END { for (o in v) if (v[o] ~ /=[ym]$/) { n = split(src[o], p, "/"); print v[o] "(" p[n] ")" } }
	' $files); do
	grep -qx "${want%(*}" "$obj/.config" || missing="$missing $want"
done
[ -z "$missing" ] || die "config options requested but not set in $obj/.config:$missing
(a dependency is missing; for RUST check 'make setup' and $obj/rustavailable.log)"
echo "$stamp" >"$obj/.config.stamp"
log "configured $variant ($frags) in $obj"
