# SPDX-License-Identifier: GPL-2.0
# Swap backends for the guest plans.

# zram_swap_on SIZE: zram0 as the only swap device.
zram_swap_on() {
	[ -e /sys/block/zram0 ] || return 1
	# No zswap in the modular kernel (configs/modules.config).
	z=/sys/module/zswap/parameters/enabled
	[ ! -w $z ] || echo 0 >$z
	echo lzo-rle >/sys/block/zram0/comp_algorithm 2>/dev/null
	echo "${1:-2G}" >/sys/block/zram0/disksize || return 1
	mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
}

zram_swap_off() {
	swapoff /dev/zram0 2>/dev/null
	echo 1 >/sys/block/zram0/reset
}

# zswap_swap_on: zswap in front of the virtio-blk disk /dev/vda.
zswap_swap_on() {
	[ -b /dev/vda ] || return 1
	echo 1 >/sys/module/zswap/parameters/enabled || return 1
	mkswap /dev/vda >/dev/null && swapon /dev/vda
}

zswap_swap_off() {
	swapoff /dev/vda 2>/dev/null
	echo 0 >/sys/module/zswap/parameters/enabled
}

# cg_make NAME: cgroup2 mounted, the memory controller on, and CG set to
# a new child cgroup NAME with zswap limits.
cg_make() {
	c=/sys/fs/cgroup
	[ -e $c/cgroup.controllers ] || mount -t cgroup2 none $c ||
		{ echo "cannot mount cgroup2 on $c"; return 1; }
	grep -qw memory $c/cgroup.controllers || { echo "no memory controller"; return 1; }
	echo +memory >$c/cgroup.subtree_control || return 1
	CG=$c/$1
	mkdir -p $CG && [ -w $CG/memory.zswap.max ] || { echo "no $CG/memory.zswap.max"; return 1; }
}
