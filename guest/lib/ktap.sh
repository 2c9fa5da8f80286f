# SPDX-License-Identifier: GPL-2.0
# KTAP helpers for the guest plans: each test program becomes one subtest of
# a top-level KTAP document written to $KTAP (ttyS1 on x86_64, hvc0 on
# arm64), in the nesting that
# tools/testing/kunit/kunit.py parse understands.
for KTAP in /dev/ttyS1 /dev/hvc0 /dev/console; do
	[ -c $KTAP ] && break
done
ktap_n=0

ktap_begin() {	# $1: number of subtests
	echo "KTAP version 1" >"$KTAP"
	echo "1..$1" >"$KTAP"
}

# ktap_run NAME CMD...: run one kselftest program, indent its KTAP output as
# a subtest, then report it by exit code (0 pass, 4 skip, else fail).
ktap_run() {
	name=$1
	shift
	ktap_n=$((ktap_n + 1))
	echo "ZSD: running $name: $*"
	"$@" >/tmp/out.$$ 2>&1
	rc=$?
	# The parser wants the version line first, then the subtest name.
	{
		echo "    KTAP version 1"
		echo "    # Subtest: $name"
		sed -e '/^K\?TAP version/d' -e 's/^/    /' /tmp/out.$$
	} >"$KTAP"
	grep '^# JSON ' /tmp/out.$$ >>/tmp/results.json
	rm -f /tmp/out.$$
	case $rc in
	0) echo "ok $ktap_n $name" >"$KTAP" ;;
	4) echo "ok $ktap_n $name # SKIP" >"$KTAP" ;;
	*) echo "not ok $ktap_n $name # exit code $rc" >"$KTAP" ;;
	esac
	return $rc
}

# ktap_check NAME CMD...: a shell-level check as a single test case.
ktap_check() {
	name=$1
	shift
	ktap_n=$((ktap_n + 1))
	echo "ZSD: running $name"
	if "$@" >/tmp/chk.$$ 2>&1; then
		sed 's/^/# /' /tmp/chk.$$ >"$KTAP"
		echo "ok $ktap_n $name" >"$KTAP"
	else
		sed 's/^/# /' /tmp/chk.$$ >"$KTAP"
		echo "not ok $ktap_n $name" >"$KTAP"
	fi
	rm -f /tmp/chk.$$
}

ktap_end() {
	echo "ZSD-KTAP-END" >"$KTAP"
}
