#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Freeing swap entries, on a zram swap device of the test's own with the
# highest swap priority: swap slots reused at once must read back intact
# (reuse_integrity), munmap() and SIGKILL of swapped-out processes must
# give the device's memory back (munmap_swap_latency), and several
# processes freeing and reusing slots for a while must keep every byte
# (swap_churn). With the zsmalloc deferred free, the device's pending frees
# are flushed where a test reads its memory back.

ksft_skip=4

if [ "$(id -u)" -ne 0 ]; then
	echo "needs root"
	exit $ksft_skip
fi
modprobe zram num_devices=0 >/dev/null 2>&1
if [ ! -w /sys/class/zram-control/hot_add ]; then
	echo "no zram (CONFIG_ZRAM)"
	exit $ksft_skip
fi
id=$(cat /sys/class/zram-control/hot_add) || exit $ksft_skip
dev=zram$id

cleanup() {
	swapoff /dev/$dev 2>/dev/null
	echo "$id" >/sys/class/zram-control/hot_remove
}
trap cleanup EXIT

echo 512M >/sys/block/$dev/disksize && mkswap /dev/$dev >/dev/null ||
	{ echo "cannot make a swap area on /dev/$dev"; exit 1; }
# Without -p (busybox), a new device comes after those already on.
swapon -p 32767 /dev/$dev 2>/dev/null || swapon /dev/$dev ||
	{ echo "cannot swap on /dev/$dev"; exit 1; }
top=$(awk 'NR > 1 { if (!n || $4 > max) { max = $4; d = $1 }; n++ } END { print d }' /proc/swaps)
if [ "$top" != /dev/$dev ]; then
	echo "$top is used before /dev/$dev (no swapon -p here): swapoff it first"
	exit $ksft_skip
fi

flush=/sys/kernel/debug/zs_deferred/$dev/flush
[ -w "$flush" ] && flush_arg="-f $flush"

rc=0
./reuse_integrity -s 16 -r 4 -m 95 $flush_arg || rc=1
./munmap_swap_latency -b zram --zram-dev $dev -s 32 -r 2 --floor || rc=1
./munmap_swap_latency -b zram --zram-dev $dev -s 32 -p 2 --op kill || rc=1
./swap_churn -d 10 -w 2 -s 16 || rc=1
# A range across a cluster boundary, then one cut by pages in the swap cache.
./swap_ranges -b zram -d $dev -n 1024 -s 300 -l 600 || rc=1
./swap_ranges -b zram -d $dev -n 1024 -s 100 -l 800 -c 7 || rc=1
exit $rc
