#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building, booting and testing the series needs. Idempotent:
# every step checks first and does nothing when its tool is already there.
# Only linux-source-7.3 comes from trixie-backports; apt pinning keeps
# every other package on bookworm.
set -euo pipefail

TOOLS=${TOOLS:-$HOME/.cache/zsdeferred-tools}
BINDGEN_VERSION=0.71.1
LIBCLANG_VERSION=18.1.1
APT_STAMP=/var/lib/zsdeferred-apt.stamp
SOURCES=/etc/apt/sources.list.d/zsdeferred-trixie.sources
PIN=/etc/apt/preferences.d/zsdeferred-trixie

log() { echo "setup: $*" >&2; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (apt-get is needed)"

# --- apt: trixie-backports for the pristine kernel source, pinned low ---
if [ ! -f "$SOURCES" ]; then
	log "adding trixie-backports (pinned) for linux-source-7.3"
	cat >"$SOURCES" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
if [ ! -f "$PIN" ]; then
	cat >"$PIN" <<PINS
# Nothing from trixie-backports is installed unless asked for by name.
Package: *
Pin: release n=trixie-backports
Pin-Priority: 1

Package: linux-source-7.3
Pin: release n=trixie-backports
Pin-Priority: 500
PINS
fi

APT_PKGS="flex bison bc libelf-dev libssl-dev cpio busybox-static \
	qemu-system-x86 ccache xz-utils rsync git make gcc python3"
# The debug (KASAN) kernel is built with LLVM: bookworm's clang-19 (7.3
# needs LLVM >= 17.0.1), its linker and binutils, and libclang-19 for bindgen.
APT_PKGS="$APT_PKGS clang-19 lld-19 llvm-19 libclang1-19"
# arm64: bookworm's cross gcc 12 (trixie's would upgrade the host's gcc and
# binutils), static glibc for the selftests, qemu-system-aarch64.
[ "${ARCH:-x86_64}" = arm64 ] &&
	APT_PKGS="$APT_PKGS gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm"
[ -n "${EXTRA_APT:-}" ] && APT_PKGS="$APT_PKGS $EXTRA_APT"
missing=""
for p in $APT_PKGS linux-source-7.3; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	log "apt-get install$missing"
	if [ ! -f "$APT_STAMP" ] || [ -n "$(find "$APT_STAMP" -mmin +600)" ] ||
	   ! apt-cache show linux-source-7.3 >/dev/null 2>&1; then
		apt-get update -qq || die "apt-get update failed"
		touch "$APT_STAMP"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing >/dev/null ||
		die "apt-get install failed for:$missing"
fi
ls /usr/src/linux-source-7.3*.tar.xz >/dev/null 2>&1 ||
	die "linux-source-7.3 installed but no tarball in /usr/src"

# --- arm64 guest userspace: Debian's busybox-static for arm64 ---
if [ "${ARCH:-x86_64}" = arm64 ] && [ ! -x "$TOOLS/arm64/bin/busybox" ]; then
	log "fetching busybox-static:arm64"
	dpkg --print-foreign-architectures | grep -qx arm64 || {
		dpkg --add-architecture arm64
		apt-get update -qq || die "apt-get update (arm64) failed"
	}
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq busybox-static:arm64) ||
		die "cannot download busybox-static:arm64"
	mkdir -p "$TOOLS/arm64"
	dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$TOOLS/arm64"
	rm -rf "$tmp"
	[ -x "$TOOLS/arm64/bin/busybox" ] || die "busybox-static:arm64 has no bin/busybox"
fi

# --- Rust: rust-src for the kernel's core/alloc build ---
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	log "rustup component add rust-src"
	rustup component add rust-src >/dev/null || die "rustup component add rust-src failed"
fi

# --- libclang 18 from PyPI: leaves the system's libraries alone ---
mkdir -p "$TOOLS"
if [ ! -f "$TOOLS/libclang/clang/native/libclang.so" ]; then
	log "pip install libclang==$LIBCLANG_VERSION"
	python3 -m pip install -q --target "$TOOLS/libclang" \
		"libclang==$LIBCLANG_VERSION" || die "pip install libclang failed"
fi

# --- matplotlib for the benchmark plot ---
if ! PYTHONPATH="$TOOLS/py" python3 -c 'import matplotlib' 2>/dev/null; then
	log "pip install matplotlib"
	python3 -m pip install -q --target "$TOOLS/py" matplotlib ||
		die "pip install matplotlib failed"
fi

# --- bindgen-cli 0.71.1 from crates.io ---
if ! "$TOOLS/bin/bindgen" --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	log "cargo install bindgen-cli $BINDGEN_VERSION (takes a few minutes)"
	cargo install -q --locked --root "$TOOLS" bindgen-cli \
		--version "$BINDGEN_VERSION" || die "cargo install bindgen-cli failed"
fi
log "tools ready in $TOOLS"
