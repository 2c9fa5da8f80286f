#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building, booting and testing the series needs. Idempotent:
# every step checks first and does nothing when its tool is already there.
#
# Root is needed only to install missing Debian packages (and, for ARCH=arm64
# on a first run, to add the arm64 architecture to dpkg). As root those steps
# run directly; otherwise through 'sudo' when it works, or setup stops and
# prints the exact commands to run. Everything else goes to the user's tool
# cache ($TOOLS): bindgen-cli from crates.io, libclang and matplotlib from
# PyPI, busybox-static:arm64.
#
# On the host, and only when something is missing, setup may change: the apt
# source $SOURCES with its pin $PIN (only to install linux-source-7.3 when
# KSRC is not set; the pin keeps every other package on bookworm), the apt
# packages listed below, and the rust-src, rustfmt and clippy components of
# the user's rustup toolchain.
set -euo pipefail

TOOLS=${TOOLS:-$HOME/.cache/zsdeferred-tools}
KSRC=${KSRC:-}
BINDGEN_VERSION=0.71.1
LIBCLANG_VERSION=18.1.1
B4_VERSION=0.16.0
APT_STAMP=/var/lib/zsdeferred-apt.stamp
SOURCES=/etc/apt/sources.list.d/zsdeferred-trixie.sources
PIN=/etc/apt/preferences.d/zsdeferred-trixie
TOP=$(cd "$(dirname "$0")/.." && pwd)

log() { echo "setup: $*" >&2; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

# How this user runs a command as root: directly, through sudo (without a
# password prompt, or with one on a terminal), or not at all.
if [ "$(id -u)" = 0 ]; then
	AS_ROOT=
elif command -v sudo >/dev/null && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
	AS_ROOT=sudo
else
	AS_ROOT=none
fi
# $1: what needs root; $2...: the commands, one per argument. Runs them as
# root, or stops with the exact lines to run.
as_root() {
	local what=$1 c
	shift
	if [ "$AS_ROOT" = none ]; then
		{
			echo "setup: ERROR: $what needs root, and sudo is not available here."
			echo "Run as root, then run make again:"
			for c in "$@"; do echo "  $c"; done
		} >&2
		exit 1
	fi
	for c in "$@"; do
		$AS_ROOT bash -c "$c" >/dev/null || die "failed (as root): $c"
	done
}

# --- apt packages ---
APT_PKGS="flex bison bc libelf-dev libssl-dev cpio busybox-static \
	qemu-system-x86 ccache xz-utils rsync git make gcc python3 python3-pip"
# The mm kselftests, built whole and static: libnuma and libcap for the
# tests that link them, static bash for run_vmtests.sh in the guest.
APT_PKGS="$APT_PKGS libnuma-dev libcap-dev bash-static"
# The debug (KASAN) kernel is built with LLVM: bookworm's clang-19 (7.3
# needs LLVM >= 17.0.1), its linker and binutils, and libclang-19 for bindgen.
APT_PKGS="$APT_PKGS clang-19 lld-19 llvm-19 libclang1-19"
# arm64: bookworm's cross gcc 12 (trixie's would upgrade the host's gcc and
# binutils), static glibc for the selftests, qemu-system-aarch64.
[ "${ARCH:-x86_64}" = arm64 ] &&
	APT_PKGS="$APT_PKGS gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm \
		libnuma-dev:arm64 libcap-dev:arm64"
# make check-gki (GKI=1): clang 22, whose LLVM is the one rustc uses, so
# that CONFIG_RUST_INLINE_HELPERS can inline C helpers into Rust.
[ "${GKI:-0}" = 1 ] && APT_PKGS="$APT_PKGS clang-22 lld-22 llvm-22 libclang1-22"
[ -n "${EXTRA_APT:-}" ] && APT_PKGS="$APT_PKGS $EXTRA_APT"
# The pristine kernel source: Debian's package, unless KSRC names a tree.
[ -z "$KSRC" ] && APT_PKGS="$APT_PKGS linux-source-7.3"
missing=""
for p in $APT_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	log "missing packages:$missing"
	cmds=()
	# linux-source-7.3 comes from trixie-backports, pinned low: nothing
	# else is taken from that suite unless asked for by name.
	if [[ " $missing " == *" linux-source-7.3 "* ]] && [ ! -f "$SOURCES" ]; then
		cmds+=("printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: trixie-backports' 'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' >$SOURCES")
		cmds+=("printf '%s\n' 'Package: *' 'Pin: release n=trixie-backports' 'Pin-Priority: 1' '' 'Package: linux-source-7.3' 'Pin: release n=trixie-backports' 'Pin-Priority: 500' >$PIN")
	fi
	# arm64 libraries for the cross-built selftests need the architecture.
	if [[ "$missing" == *:arm64* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
		cmds+=("dpkg --add-architecture arm64")
	fi
	# apt's lists are refreshed at most every ten hours, or when the
	# source package is not known yet (or an architecture was added).
	if [ ${#cmds[@]} != 0 ] || [ ! -f "$APT_STAMP" ] ||
	   [ -n "$(find "$APT_STAMP" -mmin +600 2>/dev/null)" ]; then
		cmds+=("apt-get update -qq && touch $APT_STAMP")
	fi
	cmds+=("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$missing")
	as_root "installing$missing" "${cmds[@]}"
fi
if [ -z "$KSRC" ]; then
	ls /usr/src/linux-source-7.3*.tar.xz >/dev/null 2>&1 ||
		die "linux-source-7.3 installed but no tarball in /usr/src"
else
	[ -f "$KSRC/Makefile" ] || die "KSRC=$KSRC is not a kernel tree"
fi

# --- Rust: the tree's minimum rustc, and the components kbuild and lint use ---
# The minimum comes from the tree itself (scripts/min-tool-version.sh): the
# assembled tree, KSRC, or the source tarball.
min_tool_version() {	# $1: tool
	local f
	for f in "$TOP/build/linux/scripts/min-tool-version.sh" \
		 "${KSRC:+$KSRC/scripts/min-tool-version.sh}"; do
		[ -n "$f" ] && [ -f "$f" ] && { SRCARCH=x86 ARCH=x86 sh "$f" "$1"; return; }
	done
	tar -xJOf /usr/src/linux-source-7.3.tar.xz --wildcards \
		'*/scripts/min-tool-version.sh' 2>/dev/null | SRCARCH=x86 ARCH=x86 sh -s "$1"
}
no_rust() {
	die "$1
The kernel's Rust support needs rustc >= $RUST_MIN with the rust-src, rustfmt
and clippy components (scripts/min-tool-version.sh in the 7.3 tree). The usual
way is rustup, as the user who builds:
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh
  rustup toolchain install stable
  rustup component add rust-src rustfmt clippy
then run make again (with ~/.cargo/bin on PATH)."
}
RUST_MIN=$(min_tool_version rustc) || RUST_MIN=
[ -n "$RUST_MIN" ] || die "cannot read the minimum rustc from the 7.3 tree"
command -v rustc >/dev/null && command -v cargo >/dev/null ||
	no_rust "no Rust toolchain: rustc or cargo is not on PATH."
have=$(rustc --version | awk '{ print $2 }')
[ "$(printf '%s\n%s\n' "$RUST_MIN" "${have%%-*}" | sort -V | head -n 1)" = "$RUST_MIN" ] ||
	no_rust "rustc $have is older than the tree's minimum."
if command -v rustup >/dev/null; then
	for c in rust-src rustfmt clippy; do
		rustup component list --installed 2>/dev/null | grep -q "^$c" && continue
		log "rustup component add $c"
		rustup component add "$c" >/dev/null || die "rustup component add $c failed"
	done
fi
[ -f "$(rustc --print sysroot)/lib/rustlib/src/rust/library/core/src/lib.rs" ] ||
	no_rust "the Rust standard library source (rust-src) is missing."
command -v rustfmt >/dev/null && command -v clippy-driver >/dev/null ||
	no_rust "rustfmt or clippy-driver is not on PATH."

# --- arm64 guest userspace: Debian's static busybox and bash for arm64 ---
# fetch_arm64 PKG FILE: extract PKG:arm64 into $TOOLS/arm64 unless FILE
# (a path inside it) is there already.
fetch_arm64() {
	[ -x "$TOOLS/arm64/$2" ] && return 0
	log "fetching $1:arm64"
	dpkg --print-foreign-architectures | grep -qx arm64 ||
		as_root "adding the arm64 architecture to dpkg" \
			"dpkg --add-architecture arm64 && apt-get update -qq"
	local tmp
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq "$1:arm64") || die "cannot download $1:arm64"
	mkdir -p "$TOOLS/arm64"
	dpkg-deb -x "$tmp/$1"_*_arm64.deb "$TOOLS/arm64"
	rm -rf "$tmp"
	[ -x "$TOOLS/arm64/$2" ] || die "$1:arm64 has no $2"
}
if [ "${ARCH:-x86_64}" = arm64 ]; then
	fetch_arm64 busybox-static bin/busybox
	# run_vmtests.sh is a bash script.
	fetch_arm64 bash-static bin/bash-static
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

# --- b4 for make series; ply and GitPython for checkpatch's spdxcheck.py ---
if ! PYTHONPATH="$TOOLS/b4" python3 -c 'import b4, ply, git' 2>/dev/null ||
	[ "$(PYTHONPATH="$TOOLS/b4" python3 "$TOOLS/b4/bin/b4" --version 2>/dev/null)" != "$B4_VERSION" ]; then
	log "pip install b4==$B4_VERSION ply GitPython"
	python3 -m pip install -q --upgrade --target "$TOOLS/b4" "b4==$B4_VERSION" ply GitPython ||
		die "pip install b4 failed"
fi

# --- bindgen-cli 0.71.1 from crates.io ---
if ! "$TOOLS/bin/bindgen" --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	log "cargo install bindgen-cli $BINDGEN_VERSION (takes a few minutes)"
	cargo install -q --locked --root "$TOOLS" bindgen-cli \
		--version "$BINDGEN_VERSION" || die "cargo install bindgen-cli failed"
fi
# make check-gki: libclang 22 needs bindgen >= 0.72.1 (rust-bindgen#3278).
if [ "${GKI:-0}" = 1 ] && ! "$TOOLS/bindgen-0.72/bin/bindgen" --version 2>/dev/null | grep -q 0.72.1; then
	log "cargo install bindgen-cli 0.72.1 for clang 22 (takes a few minutes)"
	cargo install -q --locked --root "$TOOLS/bindgen-0.72" bindgen-cli \
		--version 0.72.1 || die "cargo install bindgen-cli 0.72.1 failed"
fi
log "tools ready in $TOOLS"
