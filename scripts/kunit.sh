#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh: the zs_deferred suite as a reviewer runs it, with the kernel's
# own tools/testing/kunit/kunit.py and mm/zsmalloc_deferred/.kunitconfig
# (a minimal x86_64 kernel, built in build/kunit-x86_64, run in QEMU with
# two CPUs). kunit.py asks QEMU for KVM first; this host's /dev/kvm (a PVM
# module) kills stock kernels, so unless KUNIT_KVM=1 the run happens in a
# mount namespace where /dev/kvm is /dev/null and QEMU falls back to TCG.
set -euo pipefail
. "$(dirname "$0")/env.sh"

args=(run --arch=x86_64 --kunitconfig=mm/zsmalloc_deferred/.kunitconfig
	--build_dir="$BUILD/kunit-x86_64" --qemu_args="-smp 2" --jobs "$(nproc)")
cd "$SRC_PATCHED"
if [ -e /dev/kvm ] && [ "${KUNIT_KVM:-0}" != 1 ]; then
	exec unshare -m sh -c 'mount --bind /dev/null /dev/kvm && exec "$@"' sh \
		./tools/testing/kunit/kunit.py "${args[@]}"
fi
exec ./tools/testing/kunit/kunit.py "${args[@]}"
