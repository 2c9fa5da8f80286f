#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh VARIANT PLAN LOGDIR [TIMEOUT_S] [EXTRA_CMDLINE]: boot one kernel
# under QEMU TCG with the project initramfs, run PLAN in the guest and power
# off. The console goes to LOGDIR/console.log, the tests' KTAP to
# LOGDIR/ktap.log. Fails (with the log tail) on a timeout, a missing
# power-off, or a panic/oops/BUG/WARNING/sanitizer report in the console.
# PLAN=shell boots interactively on the terminal.
set -euo pipefail
. "$(dirname "$0")/env.sh"

variant=$1 plan=$2 logdir=$3 tmo=${4:-900} extra=${5:-}
obj=$(OBJ_DIR "$variant")
kernel=$obj/$KIMAGE
[ -f "$kernel" ] || die "no kernel at $kernel (build it first)"
initrd=$BUILD/initramfs-$ARCH.cpio
[ -f "$initrd" ] || die "no initramfs at $initrd"
mkdir -p "$logdir"
mem=${GUEST_MEM:-3G}
smp=${GUEST_SMP:-2}

# A swap disk for zswap (sparse file: costs nothing until written).
disk=$BUILD/swapdisk-$ARCH.img
[ -f "$disk" ] || truncate -s 2G "$disk"

# The tests' KTAP goes to a second channel: ttyS1 on x86_64, hvc0 (virtio
# console) on arm64, whose virt machine has a single PL011.
# The KASAN kernel boots on q35: the pc machine's ACPI _PRT method is an
# AML loop over every PCI slot, which the instrumented interpreter does not
# finish within ACPICA's 30 s loop timeout under TCG, leaving the virtio disk
# without an interrupt. q35's _PRT is a constant table.
machine=pc
[ "$variant" = debug ] && machine=q35
case $ARCH in
x86_64)
	qemu=(qemu-system-x86_64 -M $machine -cpu max
		-drive "file=$disk,if=virtio,format=raw,cache=unsafe")
	ktap_dev=(-serial "file:$logdir/ktap.log")
	con=ttyS0 ;;
arm64)
	# The Cortex-A72 has 4 and 64 KiB granules only; 'max' has all three
	# (pauth-impdef: the cheap pointer-authentication hash under TCG).
	cpu=cortex-a72
	[ "$variant" = patched-16k ] && cpu=max,pauth-impdef=on
	qemu=(qemu-system-aarch64 -M virt -cpu $cpu
		-drive "file=$disk,if=none,format=raw,cache=unsafe,id=swap0"
		-device virtio-blk-device,drive=swap0)
	ktap_dev=(-device virtio-serial-device
		-chardev "file,id=ktap,path=$logdir/ktap.log"
		-device virtconsole,chardev=ktap)
	con=ttyAMA0 ;;
esac
qemu+=(-accel tcg,thread=multi -smp "$smp" -m "$mem" -no-reboot
	-kernel "$kernel" -initrd "$initrd" -display none)
cmdline="console=$con panic=-1 oops=panic loglevel=7 zsd.plan=$plan $extra"

if [ "$plan" = shell ]; then
	exec "${qemu[@]}" -serial mon:stdio -append "$cmdline"
fi

rm -f "$logdir/console.log" "$logdir/ktap.log"
log "boot $variant kernel, plan '$plan' (TCG, $smp vCPUs, $mem), logs in $logdir"
start=$(date +%s)
set +e
timeout "$tmo" "${qemu[@]}" -monitor none \
	-serial "file:$logdir/console.log" "${ktap_dev[@]}" \
	-append "$cmdline" </dev/null >"$logdir/qemu.log" 2>&1
rc=$?
set -e
secs=$(($(date +%s) - start))
echo "$secs" >"$logdir/boot-time"

fail() {
	echo "---- last 40 lines of $logdir/console.log ----" >&2
	tail -n 40 "$logdir/console.log" >&2
	die "$variant boot (plan $plan): $*"
}
[ $rc -eq 124 ] && fail "timed out after ${tmo}s (hang)"
splat=$(grep -m1 -nE "$SPLAT_RE" \
	"$logdir/console.log" || true)
[ -n "$splat" ] && fail "kernel report in the log: $splat"
[ $rc -ne 0 ] && { cat "$logdir/qemu.log" >&2; fail "qemu exited with $rc"; }
grep -q ZSD-POWEROFF "$logdir/console.log" || fail "guest did not reach power-off"
log "plan '$plan' on $variant done in ${secs}s"
