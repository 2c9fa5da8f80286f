// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of the deferred-free core, which is implemented in Rust
 * (zsmalloc_deferred_main.rs) and declared in <linux/zsmalloc.h>: the
 * exports a modular zram needs, and the module's unload. The core is built
 * in or a module as zsmalloc is (zsmalloc_deferred.ko beside zsmalloc.ko).
 */
#include <linux/export.h>
#include <linux/module.h>
#include <linux/zsmalloc.h>

#include "zsmalloc_deferred.h"

EXPORT_SYMBOL_GPL(zs_deferred_create);
EXPORT_SYMBOL_GPL(zs_deferred_push);
EXPORT_SYMBOL_GPL(zs_deferred_flush);
EXPORT_SYMBOL_GPL(zs_deferred_reclaim);
EXPORT_SYMBOL_GPL(zs_deferred_destroy);
EXPORT_SYMBOL_GPL(zs_deferred_set_enabled);

/*
 * Every instance belongs to a module that uses the exports above, so by
 * the time this module can go, the last instance has been destroyed.
 */
static void __exit zs_deferred_module_exit(void)
{
	zs_deferred_exit();
}
module_exit(zs_deferred_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-CPU deferred free for zsmalloc users (zram, zswap)");
