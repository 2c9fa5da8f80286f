#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# htmldocs.sh: build the mm documentation (SPHINXDIRS=mm) of the assembled
# tree with Debian's Sphinx and fail on any warning about the series' own
# documentation (the new file and the kernel-doc of <linux/zsmalloc.h>).
# Warnings from other files of a partial build (undefined labels) are
# counted but not ours to fix.
set -euo pipefail
. "$(dirname "$0")/env.sh"

EXTRA_APT="python3-sphinx python3-sphinx-rtd-theme python3-yaml" "$TOP/scripts/setup.sh"
out=$BUILD/htmldocs
log "make SPHINXDIRS=mm htmldocs in $out"
make -s -C "$SRC_PATCHED" O="$out" SPHINXDIRS=mm htmldocs >"$out.log" 2>&1 ||
	{ tail -20 "$out.log"; die "htmldocs failed"; }
ours=$(grep -E 'WARNING|ERROR' "$out.log" | grep -E 'zsmalloc-deferred|zsmalloc\.h|blockdev/zram' || true)
echo "htmldocs: $(grep -c WARNING "$out.log") warnings in the mm build, $(echo -n "$ours" | grep -c . || true) about this series"
[ -z "$ours" ] || { echo "$ours"; exit 1; }
ls "$out/Documentation/output/mm/zsmalloc-deferred.html"
