#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: build the patched kernel, boot it with the 'check' plan (KUnit runs
# at boot, then the kselftests), and summarize. The last line is always
# 'N passed, N failed'.
set -uo pipefail
. "$(dirname "$0")/env.sh"

logdir=$OUT/check-$ARCH
mkdir -p "$logdir"
rm -f "$logdir"/*.log "$logdir"/*.json
finish() {	# $1: message of a failure before any test could run
	echo "ERROR: $1" >&2
	echo "0 passed, 1 failed"
	exit 1
}
"$TOP/scripts/build.sh" patched || finish "kernel build failed"
"$TOP/scripts/initramfs.sh" patched >/dev/null || finish "initramfs build failed"
boot_rc=0
"$TOP/scripts/boot.sh" patched check "$logdir" "${CHECK_TIMEOUT:-1500}" || boot_rc=1
python3 "$TOP/scripts/summarize.py" "$SRC_PATCHED/tools/testing/kunit/kunit.py" \
	"$logdir" >"$logdir/summary.txt"
sum_rc=$?
head -n -1 "$logdir/summary.txt"
if [ $boot_rc -ne 0 ]; then
	echo "ERROR: the test boot failed (see above); counting it as a failure" >&2
	read -r p _ f _ < <(tail -n 1 "$logdir/summary.txt")
	echo "$p passed, $((f + 1)) failed"
	exit 1
fi
tail -n 1 "$logdir/summary.txt"
exit $sum_rc
