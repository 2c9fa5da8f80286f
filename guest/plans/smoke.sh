#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A kernel without the deferred free: zram and zswap swap still work.
. /plans/ktap.sh
. /plans/swap.sh

ktap_begin 4
ktap_check zram_swap_on zram_swap_on 1G
ktap_run reuse_integrity_zram reuse_integrity -s 16 -r 2
zram_swap_off
ktap_check zswap_swap_on zswap_swap_on
ktap_run reuse_integrity_zswap reuse_integrity -s 16 -r 2
zswap_swap_off
ktap_end
