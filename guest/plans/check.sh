#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 'make check' plan: KUnit already ran at boot; run the project's kselftests
# and the shell-level checks of the zram and zswap glue.
. /plans/ktap.sh
. /plans/swap.sh
. /plans/zram_checks.sh
. /plans/zswap_checks.sh
. /plans/check_cases.sh

# shellcheck disable=SC2086 # one word per case
run_cases $CHECK_CASES
