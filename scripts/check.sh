#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: build the patched kernel and its debug variant, boot the first
# with the 'check' plan (KUnit at boot, then the kselftests and the zram and
# zswap checks), build and boot the modular kernel with the 'modules' plan
# (zsmalloc, the core and zram loaded, used and unloaded), run 'make lint',
# boot the debug kernel for a short stress
# run (KUnit again, under KASAN, lockdep and kmemleak), and summarize: per
# boot, the project's own results apart from the kernel's in-tree suites
# (scripts/summarize.py). The last line is always 'N passed, N failed'.
set -uo pipefail
. "$(dirname "$0")/env.sh"

# Lint is architecture-independent and the debug-kernel stress run is
# only set up for x86_64: other architectures skip both unless asked.
if [ "$ARCH" != x86_64 ]; then
	CHECK_LINT=${CHECK_LINT:-0}
	CHECK_STRESS=${CHECK_STRESS:-0}
	CHECK_MODULES=${CHECK_MODULES:-0}
fi
# CHECK_VARIANT=patched-64k or patched-16k (arm64) runs the same boot on
# 64 or 16 KiB pages.
# CHECK_NAME names the log directory and summary ('quick' for make quick).
variant=${CHECK_VARIANT:-patched}
name=${CHECK_NAME:-check}
logdir=$OUT/$name-$ARCH${CHECK_VARIANT:+-$variant}
summary=$OUT/$name-summary.txt
stressdir=$OUT/check-stress-$ARCH
moddir=$OUT/$name-modules-$ARCH${CHECK_MODULES_VARIANT:+-$CHECK_MODULES_VARIANT}
rm -rf "$logdir" "$stressdir" "$moddir"
mkdir -p "$logdir" "$stressdir"
finish() {	# $1: message of a failure before any test could run
	echo "ERROR: $1" >&2
	echo "0 passed, 1 failed"
	exit 1
}
extra=0
dirs=
# Each step's output also goes to steplog, so that the reasons of a failure
# outside the test counts (a kernel report, a hang, a stress check, lint)
# can be repeated next to the last line, where a reader of the tail sees them.
steplog=$OUT/$name-steps.log
: >"$steplog"
step() {	# $@: a command; its stdout and stderr, merged, also go to steplog
	"$@" 2>&1 | tee -a "$steplog"
	return "${PIPESTATUS[0]}"
}
if [ "${CHECK_MAIN:-1}" = 1 ]; then
	"$TOP/scripts/build.sh" "$variant" || finish "kernel build failed"
	"$TOP/scripts/initramfs.sh" "$variant" >/dev/null || finish "initramfs build failed"
	step "$TOP/scripts/boot.sh" "$variant" check "$logdir" "${CHECK_TIMEOUT:-1500}" ||
		{ echo "ERROR: the test boot failed (see above)" >&2; extra=$((extra + 1)); }
	dirs=$logdir
fi
# CHECK_MODULES=0 skips the modular kernel (CHECK_MODULES_VARIANT=gki: the
# GKI-like one instead); CHECK_MAIN=0 skips the check boot (make
# check-modules, check-gki).
if [ "${CHECK_MODULES:-1}" = 1 ]; then
	mv=${CHECK_MODULES_VARIANT:-modules}
	if "$TOP/scripts/build.sh" $mv && "$TOP/scripts/initramfs.sh" $mv >/dev/null; then
		step "$TOP/scripts/boot.sh" $mv modules "$moddir" 900 ||
			{ echo "ERROR: the modules boot failed (see above)" >&2; extra=$((extra + 1)); }
	else
		echo "ERROR: building the modular kernel failed" >&2
		extra=$((extra + 1))
	fi
	dirs="$dirs $moddir"
fi
if [ "${CHECK_LINT:-1}" = 1 ]; then
	step "$TOP/scripts/lint.sh" || { echo "ERROR: make lint failed" >&2; extra=$((extra + 1)); }
fi
if [ "${CHECK_STRESS:-120}" != 0 ]; then
	step "$TOP/scripts/stress.sh" "${CHECK_STRESS:-120}" "$stressdir" ||
		{ echo "ERROR: the stress run failed (see above)" >&2; extra=$((extra + 1)); }
	dirs="$dirs $stressdir"
fi
python3 "$TOP/scripts/summarize.py" "$SRC_PATCHED/tools/testing/kunit/kunit.py" \
	$dirs >"$summary"
sum_rc=$?
# summarize.py prints per-suite lines, per-boot project and in-tree counts,
# then 'N passed, N failed'. Without that last line (it crashed), print all.
p=0 f=0
if [[ $(tail -n 1 "$summary") =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	head -n -1 "$summary"
	p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
else
	cat "$summary"
fi
# A summary that failed without counting a failure must not end '0 failed'.
if [ $sum_rc != 0 ] && [ "$f" = 0 ]; then
	echo "ERROR: summarize.py exited with $sum_rc but counted no failure" >&2
	f=1
fi
if [ $extra != 0 ]; then
	echo "$extra failed step(s) besides the tests; their reasons:"
	grep -E '^(ERROR|stress: |lint: |checkpatch: .*[1-9][0-9]* (errors|warnings|checks))' "$steplog" |
		grep -v '^lint: clean' | cut -c1-300 | tail -n 12 | sed 's/^/  /'
fi
echo "$p passed, $((f + extra)) failed"
[ $sum_rc = 0 ] && [ $extra = 0 ]
