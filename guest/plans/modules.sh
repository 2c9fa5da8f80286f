#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 'make check' plan for the modular kernel (configs/modules.config): load
# zram and with it zsmalloc and the deferred-free core, relay the core's
# KUnit suite, run the zram checks that need no zswap, unload with frees
# pending, load again, and no leak once they are gone.
. /plans/ktap.sh
. /plans/swap.sh
. /plans/zram_checks.sh
. /plans/module_checks.sh
. /plans/check_cases.sh

ZRAM_CASES="zram_swap_on
munmap_swap_latency_zram
kill_latency_zram
reuse_integrity_zram
zram_no_leak_after_flush
zram_switch_off_frees_pool
zram_trace_events_recorded
zram_idle_ms_parameter
zram_pool_max_parameter
zram_default_switch_from_parameter
zram_dead_cpu_buffer_drained_once
zram_limit_drains_pending_frees
zram_reset_with_pending_frees
zram_hot_remove_with_pending_frees"

# shellcheck disable=SC2086 # one word per case
set -- $ZRAM_CASES
ktap_begin $(($# + 5))
ktap_check modules_load_zram_core_zsmalloc check_modules_load
ktap_run modules_core_kunit_suite_at_load module_kunit
for c in "$@"; do
	switch_backend "$c"
	check_case "$c"
done
ktap_check modules_unload_with_frees_pending check_modules_unload_pending
ktap_check modules_load_again check_modules_reload
ktap_check modules_no_leak_after_unload check_modules_no_leak_after_unload
ktap_end
