# SPDX-License-Identifier: GPL-2.0
# The cases of the check plan by name, shared by the check plan (all of
# them, in CHECK_CASES order) and the mutant plan (the ones that should
# catch a given injected bug).

cpus_online() { [ "$(nproc)" -ge 2 ]; }
lat() { munmap_swap_latency -b zram "$@" --floor; }
# run_ksft COLLECTION:TEST: one installed kselftest, run as a user would.
run_ksft() { (cd /kselftest && ./run_kselftest.sh -t "$1"); }
# kill_refill_cg ARGS: kill_refill for zswap, from a cgroup of its own.
kill_refill_cg() {
	cg_make zsd_refill &&
		sh -c "echo \$\$ >$CG/cgroup.procs && exec kill_refill -b zswap $*"
}

# In order; the zram cases run with zram0 as swap, the zswap ones with
# zswap in front of the virtio disk. The mm kselftests' swap_free category
# runs first, while no swap is on: it adds a zram device of its own, which
# must be the first one used (busybox's swapon has no -p).
CHECK_CASES="smp_both_vcpus_online
kselftest_mm_swap_free
zram_swap_on
munmap_swap_latency_zram
munmap_swap_latency_zram_2procs
kill_latency_zram
mrelease_latency_zram_2procs
kill_refill_zram
reuse_integrity_zram
ranged_free_across_clusters_zram
ranged_free_cut_by_swap_cache_zram
zram_switch_rejects_bad_input
zram_no_leak_after_flush
zram_idle_flush_wakes_only_busy_cpus
zram_toggle_switch_under_load
zram_switch_off_is_sync
zram_switch_off_frees_pool
zram_trace_events_recorded
zram_idle_ms_parameter
zram_pool_max_parameter
zram_pool_min_sized_on_online_cpus
zram_default_switch_from_parameter
zram_handle_only_mode
zram_per_slot_mode
zram_cpu_hotplug_while_freeing_no_leak
zram_dead_cpu_buffer_drained_once
zram_slot_reuse_while_free_pending
zram_recompress_while_freeing_no_leak
zram_limit_drains_pending_frees
zram_shrinker_drains_pending_frees
zram_reset_with_pending_frees
zram_hot_remove_with_pending_frees
reuse_integrity_zram_after_teardown
zswap_swap_on
zswap_switch_rejects_bad_input
munmap_swap_latency_zswap
kill_refill_zswap
reuse_integrity_zswap
ranged_free_across_clusters_zswap
ranged_free_cut_by_swap_cache_zswap
zswap_no_leak_after_flush
zswap_bench_variants_no_leak
zswap_slot_reuse_while_free_pending
zswap_compressor_switch_and_swapoff_pending
zswap_writeback_racing_invalidation
zswap_memcg_limit_ignores_freed_entries
zswap_shrinker_skips_freed_entries"

# reuse_integrity rounds need 95% of the VMA out (not the default 99%):
# with 16 KiB pages a 16 MiB VMA is 1024 pages, and the few dozen a round
# can leave in another CPU's LRU batch (measured: 19) are over 1%.
RI="reuse_integrity -m 95"

# check_case NAME: run one case as one KTAP test.
check_case() {
	case $1 in
	smp_both_vcpus_online) ktap_check "$1" cpus_online ;;
	zram_swap_on) ktap_check "$1" zram_swap_on 2G ;;
	munmap_swap_latency_zram) ktap_run "$1" lat -s 64 -r 2 ;;
	munmap_swap_latency_zram_2procs) ktap_run "$1" lat -s 32 -p 2 -r 1 ;;
	kill_latency_zram) ktap_run "$1" lat -s 64 -r 2 --op kill ;;
	mrelease_latency_zram_2procs)
		ktap_run "$1" lat -s 32 -p 2 -r 1 --op mrelease ;;
	kill_refill_zram) ktap_run "$1" kill_refill -b zram -s 16 ;;
	reuse_integrity_zram) ktap_run "$1" $RI -s 16 -r 6 ;;
	ranged_free_across_clusters_zram)
		ktap_run "$1" swap_ranges -b zram -n 2048 -s 300 -l 1200 ;;
	ranged_free_cut_by_swap_cache_zram)
		ktap_run "$1" swap_ranges -b zram -n 2048 -s 100 -l 1500 -c 5 ;;
	kselftest_mm_swap_free) ktap_run "$1" run_ksft mm:ksft_swap_free.sh ;;
	zram_switch_rejects_bad_input) ktap_check "$1" check_switch_input ;;
	zram_no_leak_after_flush)
		ktap_check "$1" check_no_leak zram0 reuse_integrity -s 32 -r 4 ;;
	zram_idle_flush_wakes_only_busy_cpus) ktap_check "$1" check_idle_flush_quiet ;;
	zram_toggle_switch_under_load) ktap_check "$1" check_toggle_under_load ;;
	zram_switch_off_is_sync) ktap_check "$1" check_switch_off_sync ;;
	zram_switch_off_frees_pool) ktap_check "$1" check_switch_off_frees_pool ;;
	zram_trace_events_recorded) ktap_check "$1" check_trace_events ;;
	zram_idle_ms_parameter) ktap_check "$1" check_idle_ms_param ;;
	zram_pool_max_parameter) ktap_check "$1" check_pool_max_param ;;
	zram_pool_min_sized_on_online_cpus) ktap_check "$1" check_pool_min_online ;;
	zram_default_switch_from_parameter) ktap_check "$1" check_default_param ;;
	zram_handle_only_mode) ktap_check "$1" check_handle_mode ;;
	zram_per_slot_mode) ktap_check "$1" check_per_slot_mode ;;
	zram_cpu_hotplug_while_freeing_no_leak)
		ktap_check "$1" check_no_leak zram0 check_cpu_hotplug ;;
	zram_dead_cpu_buffer_drained_once)
		ktap_check "$1" check_hotplug_drains_dead_cpu ;;
	zram_slot_reuse_while_free_pending)
		ktap_check "$1" check_reuse_while_pending ;;
	zram_recompress_while_freeing_no_leak)
		ktap_check "$1" check_recompress_while_freeing ;;
	zram_limit_drains_pending_frees)
		ktap_check "$1" check_limit_drains_pending ;;
	zram_shrinker_drains_pending_frees)
		ktap_check "$1" check_shrinker_drains_pending ;;
	zram_reset_with_pending_frees) ktap_check "$1" check_reset_pending ;;
	zram_hot_remove_with_pending_frees) ktap_check "$1" check_remove_pending ;;
	reuse_integrity_zram_after_teardown)
		ktap_run "$1" reuse_integrity -s 16 -r 2 ;;
	zswap_swap_on) ktap_check "$1" zswap_swap_on ;;
	zswap_switch_rejects_bad_input) ktap_check "$1" check_zswap_switch_input ;;
	munmap_swap_latency_zswap)
		ktap_run "$1" munmap_swap_latency -b zswap -s 64 -r 2 --floor ;;
	kill_refill_zswap) ktap_run "$1" kill_refill_cg -s 16 ;;
	reuse_integrity_zswap) ktap_run "$1" $RI -s 16 -r 6 ;;
	ranged_free_across_clusters_zswap)
		ktap_run "$1" swap_ranges -b zswap -n 2048 -s 300 -l 1200 ;;
	ranged_free_cut_by_swap_cache_zswap)
		ktap_run "$1" swap_ranges -b zswap -n 2048 -s 100 -l 1500 -c 5 ;;
	zswap_no_leak_after_flush)
		ktap_check "$1" check_zswap_no_leak reuse_integrity -s 32 -r 4 ;;
	zswap_bench_variants_no_leak) ktap_check "$1" check_zswap_bench_variants ;;
	zswap_slot_reuse_while_free_pending)
		ktap_check "$1" check_zswap_reuse_while_pending ;;
	zswap_compressor_switch_and_swapoff_pending)
		ktap_check "$1" check_zswap_teardown_pending ;;
	zswap_writeback_racing_invalidation)
		ktap_check "$1" check_zswap_writeback_race ;;
	zswap_memcg_limit_ignores_freed_entries)
		ktap_check "$1" check_zswap_memcg_limit_ignores_freed ;;
	zswap_shrinker_skips_freed_entries)
		ktap_check "$1" check_zswap_shrinker_skips_freed ;;
	*) ktap_check "$1" echo "no case named $1" false ;;
	esac
}

# switch_backend NAME: before a case, make its backend the swap in use
# (zram0 for zram_*, zswap for zswap_*); the *_swap_on cases set up their
# own.
CUR_BACKEND=
switch_backend() {
	case $1 in
	*_swap_on)
		want=${1%%_*}
		[ -n "$CUR_BACKEND" ] && [ "$CUR_BACKEND" != "$want" ] &&
			"${CUR_BACKEND}_swap_off"
		CUR_BACKEND=$want
		return 0 ;;
	zram_* | *_zram | *_zram_*) want=zram ;;
	zswap_* | *_zswap | *_zswap_*) want=zswap ;;
	*) return 0 ;;
	esac
	[ "$CUR_BACKEND" = "$want" ] && return 0
	[ -n "$CUR_BACKEND" ] && "${CUR_BACKEND}_swap_off"
	CUR_BACKEND=$want
	case $want in
	zram) zram_swap_on 2G ;;
	zswap) zswap_swap_on ;;
	esac || echo "ZSD: cannot set up $want swap"
}

# run_cases NAME...: one KTAP document with these cases.
run_cases() {
	ktap_begin $#
	for c in "$@"; do
		switch_backend "$c"
		check_case "$c"
	done
	[ -n "$CUR_BACKEND" ] && "${CUR_BACKEND}_swap_off"
	ktap_end
}
