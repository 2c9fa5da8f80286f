#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh: build the mm kselftests statically from the assembled tree
# and pack them with busybox-static, bash-static and guest/ into an uncompressed cpio
# (the kernel's usr/gen_init_cpio), so test changes never need a kernel rebuild.
# A kernel built with modules gets them under /lib/modules (stripped).
set -euo pipefail
. "$(dirname "$0")/env.sh"

variant=${1:-patched}
obj=$(OBJ_DIR "$variant")
st=$BUILD/selftests-$ARCH
img=$BUILD/initramfs-$ARCH.cpio
busybox=${BUSYBOX:-/bin/busybox}
[ "$ARCH" = arm64 ] && busybox=$TOOLS/arm64/bin/busybox
[ -x "$busybox" ] || die "no static busybox at $busybox (run make setup)"

# The mm kselftests, built and installed as a user would (the selftests'
# own 'install' target, the tree's UAPI headers), static so that the guest
# needs no libc: run_kselftest.sh and run_vmtests.sh run them, the shell
# checks call the programs from /kselftest/mm. Incremental across variants.
mkdir -p "$st"
hdr=$st/headers
ksft=$st/kselftest
make -s -C "$SRC_PATCHED" O="$st/headers-obj" ARCH="$KARCH" INSTALL_HDR_PATH="$hdr" \
	headers_install >"$st/headers.log" 2>&1 ||
	{ cat "$st/headers.log" >&2; die "headers_install failed"; }
make -s -C "$SRC_PATCHED/tools/testing/selftests" ARCH="$ARCH" CROSS_COMPILE="$CROSS" \
	TARGETS=mm KHDR_INCLUDES="-isystem $hdr/include" EXTRA_CFLAGS=-static \
	O="$st/build" KSFT_INSTALL_PATH="$ksft" install >"$st/build.log" 2>&1 ||
	{ tail -30 "$st/build.log" >&2; die "building the mm kselftests failed (see $st/build.log)"; }
bash_static=${BASH_STATIC:-/bin/bash-static}
[ "$ARCH" = arm64 ] && bash_static=$TOOLS/arm64/bin/bash-static
[ -x "$bash_static" ] || die "no static bash at $bash_static (run make setup)"

modroot=$BUILD/modroot-$ARCH
rm -rf "$modroot"
if grep -qx 'CONFIG_MODULES=y' "$obj/.config"; then
	use_toolchain "$variant"
	# No depmod on the host is fine: the guest's busybox builds the index.
	make -s -C "$(SRC_OF "$variant")" O="$obj" ARCH="$KARCH" CROSS_COMPILE="$CROSS" LLVM="$LLVM" BINDGEN="$BINDGEN" \
		INSTALL_MOD_PATH="$modroot" INSTALL_MOD_STRIP=1 modules_install \
		>"$obj/modules_install.log" 2>&1 ||
		{ cat "$obj/modules_install.log" >&2; die "modules_install failed"; }
fi

gen=$obj/usr/gen_init_cpio
[ -x "$gen" ] || die "$gen missing: build the kernel first"
list=$BUILD/initramfs-$ARCH.list
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	for d in /bin /sbin /proc /sys /tmp /root /etc /usr /usr/bin /usr/sbin /plans /kselftest; do
		echo "dir $d 0755 0 0"
	done
	echo "file /bin/busybox $busybox 0755 0 0"
	# run_vmtests.sh is a bash script.
	echo "file /bin/bash $bash_static 0755 0 0"
	for a in sh ash mount umount cat echo ls mkdir sleep grep sed awk mkswap swapon \
		swapoff reboot poweroff date head tail tr wc cut dd sync seq expr test \
		printf kill timeout nproc env uname dmesg true false rm cp ln touch taskset \
		modprobe rmmod lsmod depmod dirname basename mktemp sort uniq id readlink \
		realpath find xargs stat; do
		echo "slink /bin/$a /bin/busybox 0777 0 0"
	done
	echo "file /init $TOP/guest/init 0755 0 0"
	for p in "$TOP"/guest/plans/*.sh; do
		echo "file /plans/$(basename "$p") $p 0755 0 0"
	done
	for f in "$TOP"/guest/lib/*.sh; do
		[ -f "$f" ] && echo "file /plans/$(basename "$f") $f 0644 0 0"
	done
	if [ -d "$modroot/lib/modules" ]; then
		echo "dir /lib 0755 0 0"
		echo "dir /lib/modules 0755 0 0"
		(cd "$modroot" && find lib/modules -mindepth 1 -type d | sort) |
			while read -r d; do echo "dir /$d 0755 0 0"; done
		(cd "$modroot" && find lib/modules -type f | sort) |
			while read -r f; do echo "file /$f $modroot/$f 0644 0 0"; done
	fi
	(cd "$ksft" && find . -mindepth 1 -type d | sort) |
		while read -r d; do echo "dir /kselftest/${d#./} 0755 0 0"; done
	(cd "$ksft" && find . -type f | sort) | while read -r f; do
		m=0644
		[ -x "$ksft/$f" ] && m=0755
		echo "file /kselftest/${f#./} $ksft/$f $m 0 0"
	done
} >"$list"
"$gen" "$list" >"$img.tmp"
mv "$img.tmp" "$img"
echo "$img"
