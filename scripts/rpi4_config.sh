#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rpi4_config.sh [OBJ]: configure (not build) the patched tree for a
# Raspberry Pi 4B: arm64 defconfig + configs/rpi4.config, then check that
# every requested option stuck. Prints the build command.
set -euo pipefail
. "$(dirname "$0")/env.sh"

obj=${1:-$BUILD/obj-rpi4}
mkdir -p "$obj"
mk() { make -s -C "$SRC_PATCHED" O="$obj" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- "$@"; }
mk defconfig
(cd "$obj" && "$SRC_PATCHED/scripts/kconfig/merge_config.sh" -m -O "$obj" .config \
	"$TOP/configs/rpi4.config" >/dev/null)
mk olddefconfig
missing=""
for opt in $(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/\1/p' "$TOP/configs/rpi4.config"); do
	grep -qx "$opt=y" "$obj/.config" || missing="$missing $opt"
done
[ -z "$missing" ] || die "rpi4: options not set:$missing"
log "rpi4 config ready in $obj; build with:"
echo "make -C $SRC_PATCHED O=$obj ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -j\$(nproc) Image modules dtbs"
