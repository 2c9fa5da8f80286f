#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 'make check' plan: KUnit already ran at boot; run the project's kselftests.
. /plans/ktap.sh
. /plans/swap.sh

cpus_online() { [ "$(nproc)" -ge 2 ]; }

ktap_begin 4
ktap_check smp_both_vcpus_online cpus_online
ktap_check zram_swap_on zram_swap_on 2G
ktap_run munmap_swap_latency_zram munmap_swap_latency -b zram -s 64 -r 2 --floor
ktap_run reuse_integrity_zram reuse_integrity -s 16 -r 6
zram_swap_off
ktap_end
