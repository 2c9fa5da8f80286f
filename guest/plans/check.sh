#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 'make check' plan: KUnit already ran at boot; run the project's kselftests
# and the shell-level checks of the zram glue.
. /plans/ktap.sh
. /plans/swap.sh
. /plans/zram_checks.sh
. /plans/zswap_checks.sh

cpus_online() { [ "$(nproc)" -ge 2 ]; }
lat() { munmap_swap_latency -b zram "$@" --floor; }

ktap_begin 22
ktap_check smp_both_vcpus_online cpus_online
ktap_check zram_swap_on zram_swap_on 2G
ktap_run munmap_swap_latency_zram lat -s 64 -r 2
ktap_run munmap_swap_latency_zram_2procs lat -s 32 -p 2 -r 1
ktap_run reuse_integrity_zram reuse_integrity -s 16 -r 6
ktap_check zram_switch_rejects_bad_input check_switch_input
ktap_check zram_no_leak_after_flush check_no_leak zram0 reuse_integrity -s 32 -r 4
ktap_check zram_toggle_switch_under_load check_toggle_under_load
ktap_check zram_switch_off_is_sync check_switch_off_sync
ktap_check zram_handle_only_mode check_handle_mode
ktap_check zram_cpu_hotplug_while_freeing check_cpu_hotplug
ktap_check zram_no_leak_after_hotplug check_no_leak zram0 true
ktap_check zram_reset_with_pending_frees check_reset_pending
ktap_check zram_hot_remove_with_pending_frees check_remove_pending
ktap_run reuse_integrity_zram_after_teardown reuse_integrity -s 16 -r 2
zram_swap_off
ktap_check zswap_swap_on zswap_swap_on
ktap_check zswap_switch_rejects_bad_input check_zswap_switch_input
ktap_run munmap_swap_latency_zswap munmap_swap_latency -b zswap -s 64 -r 2 --floor
ktap_run reuse_integrity_zswap reuse_integrity -s 16 -r 6
ktap_check zswap_no_leak_after_flush check_zswap_no_leak reuse_integrity -s 32 -r 4
ktap_check zswap_compressor_switch_and_swapoff_pending check_zswap_teardown_pending
ktap_check zswap_writeback_racing_invalidation check_zswap_writeback_race
zswap_swap_off
ktap_end
