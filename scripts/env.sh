# SPDX-License-Identifier: GPL-2.0
# Sourced by the scripts: tool paths and the build layout, in one place.
TOOLS=${TOOLS:-$HOME/.cache/zsdeferred-tools}
# ccache through its compiler symlinks: a "ccache gcc" HOSTCC breaks rustc -Clinker.
export PATH="/usr/lib/ccache:$TOOLS/bin:$PATH"
export LIBCLANG_PATH="$TOOLS/libclang/clang/native"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ARCH=${ARCH:-x86_64}
BUILD=${BUILD:-$TOP/build}
OUT=${OUT:-$TOP/out}
SRC_PATCHED=$BUILD/linux		# base + series, a git repository
SRC_BASE=$BUILD/linux-base		# worktree of the same repository at 'base'
OBJ_DIR() { echo "$BUILD/obj-$ARCH-$1"; }	# $1: base | patched | debug
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/zsdeferred-ccache}
case $ARCH in
x86_64) KARCH=x86; CROSS=; KIMAGE=arch/x86/boot/bzImage ;;
arm64) KARCH=arm64; CROSS=aarch64-linux-gnu-; KIMAGE=arch/arm64/boot/Image ;;
*) echo "unsupported ARCH=$ARCH" >&2; exit 1 ;;
esac
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "ERROR: $*" >&2; exit 1; }
# Kernel reports that fail a boot: panics, BUG/WARNING (lockdep, atomic
# sleep, list and VM debugging, KFENCE), SLUB debug reports ("BUG <cache>
# (...): ..."), kmemleak findings, RCU stalls.
SPLAT_RE='Kernel panic|BUG:|WARNING:|Oops|general protection fault|KASAN:|UBSAN:|BUG [a-z0-9_:.-]+ \(|Object already free|kmemleak: [0-9]+ new suspected|possible circular locking|rcu_sched detected stalls|rcu: INFO'
