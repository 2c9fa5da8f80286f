#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh VARIANT [make args]: configure and build one kernel out of tree,
# with ccache, recording the wall time in $obj/build-time.
set -euo pipefail
. "$(dirname "$0")/env.sh"

variant=$1
shift
src=$(SRC_OF "$variant")
obj=$(OBJ_DIR "$variant")
use_toolchain "$variant"
"$TOP/scripts/configure.sh" "$variant"

log "building $variant kernel ($ARCH, $(cat "$BUILD/base-version")) in $obj"
start=$(date +%s)
if ! make -s -C "$src" O="$obj" ARCH="$KARCH" CROSS_COMPILE="$CROSS" LLVM="$LLVM" BINDGEN="$BINDGEN" \
	-j"$(nproc)" "$@" \
	>"$obj/build.log" 2>&1; then
	grep -E -B2 -A8 'error(\[E[0-9]+\])?:|Error [0-9]' "$obj/build.log" | head -80 >&2
	die "build of the $variant kernel failed (full log: $obj/build.log)"
fi
secs=$(($(date +%s) - start))
echo "$secs" >"$obj/build-time"
grep -E 'warning:' "$obj/build.log" | head -20 >&2 || true
log "built $variant in ${secs}s: $obj/$KIMAGE"
