#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 'make mutants' plan: the check cases named by zsd.args=cases=A:B:... (the
# ones that should catch the injected bug); KUnit already ran at boot.
. /plans/ktap.sh
. /plans/swap.sh
. /plans/zram_checks.sh
. /plans/zswap_checks.sh
. /plans/check_cases.sh

cases=
for kv in $ZSD_ARGS; do
	case $kv in
	cases=*) cases=$(echo "${kv#cases=}" | tr ':' ' ') ;;
	esac
done
# shellcheck disable=SC2086 # one word per case
run_cases $cases
