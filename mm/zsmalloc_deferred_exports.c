// SPDX-License-Identifier: GPL-2.0
/*
 * Module exports of the deferred-free API, which is implemented in Rust
 * (mm/zsmalloc_deferred.rs) and declared in <linux/zsmalloc.h>, so that a
 * modular zram can use it.
 */
#include <linux/atomic.h>
#include <linux/export.h>
#include <linux/zsmalloc.h>

EXPORT_SYMBOL_GPL(zs_deferred_create);
EXPORT_SYMBOL_GPL(zs_deferred_push);
EXPORT_SYMBOL_GPL(zs_deferred_flush);
EXPORT_SYMBOL_GPL(zs_deferred_reclaim);
EXPORT_SYMBOL_GPL(zs_deferred_destroy);
EXPORT_SYMBOL_GPL(zs_deferred_set_enabled);
