# SPDX-License-Identifier: GPL-2.0
# Checks of the modular build (configs/modules.config): zsmalloc, the
# deferred-free core and zram as modules, loaded from the initramfs.

HP_STATES=/sys/devices/system/cpu/hotplug/states
MODS="zram zsmalloc_deferred zsmalloc"

# mod_loaded NAME: the module is in the running kernel.
mod_loaded() { [ -d "/sys/module/$1" ]; }

# The modules of the initramfs need an index busybox modprobe can read.
mod_index() {
	d=/lib/modules/$(uname -r)
	[ -d "$d" ] || { echo "no $d in the initramfs"; return 1; }
	[ -f "$d/modules.dep" ] || depmod || return 1
}

# Loading zram pulls in zsmalloc and the core, whose KUnit suite runs as it
# loads; the CPU hotplug state exists only once an instance needs it.
check_modules_load() {
	mod_index || return 1
	for m in $MODS; do
		mod_loaded "$m" && { echo "$m loaded before modprobe"; return 1; }
	done
	modprobe zram num_devices=1 || return 1
	for m in $MODS; do
		mod_loaded "$m" || { echo "modprobe zram did not load $m"; return 1; }
	done
	echo "loaded: $(lsmod | awk 'NR > 1 { printf "%s ", $1 }')"
	[ -e /sys/block/zram0 ] || { echo "no zram0"; return 1; }
}

# module_kunit: the KTAP the core's KUnit suite printed while the module
# loaded (kernel log, from its document header to the suite's result line).
module_kunit() {
	dmesg | sed 's/^\[[ 0-9.]*\] //' | awk '
		/^KTAP version 1$/ { buf = ""; on = 1 }
		on { buf = buf $0 "\n" }
		on && /^(not )?ok [0-9]+ zs_deferred$/ { out = buf; on = 0 }
		END { printf "%s", out }' >/tmp/mk.out
	cat /tmp/mk.out
	grep -q '^ok [0-9]* zs_deferred$' /tmp/mk.out
}

# Unload with frees pending: zram0 swapped to with its idle flush pushed
# out to a minute, then swapoff (which frees every slot through the core)
# and rmmod of all three. zram's removal must drain the core before it goes,
# and the core's unload must take its CPU hotplug state and debugfs
# directory with it: a CPU going offline afterwards must not call into the
# unloaded module, and nothing of it may be left in debugfs.
check_modules_unload_pending() {
	pending_frees_on zram0 || return 1
	swapoff /dev/zram0 || return 1
	p=$(num "$ZD/zram0/pushed") && d=$(num "$ZD/zram0/drained") || return 1
	echo "after swapoff: pushed $p, drained $d"
	[ "$p" -gt "$d" ] || { echo "nothing pending before rmmod"; return 1; }
	grep -q zs_deferred $HP_STATES ||
		{ echo "no zs_deferred CPU hotplug state while an instance lives"; return 1; }
	for m in $MODS; do
		rmmod "$m" || { echo "rmmod $m failed"; return 1; }
	done
	for m in $MODS; do
		mod_loaded "$m" && { echo "$m still loaded"; return 1; }
	done
	[ ! -e "$ZD" ] || { echo "$ZD survived the unload"; return 1; }
	grep zs_deferred $HP_STATES && { echo "CPU hotplug state survived the unload"; return 1; }
	cpus_online || { echo "needs two online CPUs"; return 1; }
	echo 0 >$CPU1 && echo 1 >$CPU1 || { echo "cpu1 offline/online failed"; return 1; }
	if dmesg | grep -E 'not empty|zs_deferred.*(leak|remov)'; then
		echo "zsmalloc or the core reported leftovers"
		return 1
	fi
}

# Loaded again, everything is created afresh and works.
check_modules_reload() {
	modprobe zram num_devices=1 || return 1
	zram_swap_on 1G || return 1
	reuse_integrity -s 16 -r 2 >/tmp/reload.out 2>&1
	rc=$?
	tail -2 /tmp/reload.out
	g=$(num "$ZD/pages") && p=$(num "$ZD/zram0/pushed") || return 1
	echo "reuse_integrity exit $rc; batch pages $g, pushed $p"
	zram_swap_off
	for m in $MODS; do rmmod "$m" || return 1; done
	[ $rc = 0 ] && [ "$g" -gt 0 ] && [ "$p" -gt 0 ]
}

# After the last unload, nothing the modules allocated is left unreferenced
# (kmemleak, configs/modules.config): a module's statics go with its code,
# and what only they pointed to would leak once per load and unload. The
# stress kernel checks the same of the built-in core without unloads.
check_modules_no_leak_after_unload() {
	kl=/sys/kernel/debug/kmemleak
	[ -w $kl ] || { echo "no $kl"; return 1; }
	for m in $MODS; do
		mod_loaded "$m" && { echo "$m still loaded"; return 1; }
	done
	# Two scans: an object is reported once it was unreferenced in one
	# and older than kmemleak's minimum age (5 s).
	echo scan >$kl && sleep 6 && echo scan >$kl || { echo "kmemleak refused the scan"; return 1; }
	n=$(grep -c '^unreferenced object' $kl)
	echo "kmemleak: $n unreferenced objects"
	[ "$n" = 0 ] || { head -n 40 $kl; return 1; }
}
