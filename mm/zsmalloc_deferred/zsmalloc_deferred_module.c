// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of the deferred-free core, which is implemented in Rust
 * (zsmalloc_deferred_main.rs) and declared in <linux/zsmalloc.h>: the
 * exports a modular zram needs, the trace events, the module parameters,
 * and the module's init and unload. The core is built
 * in or a module as zsmalloc is (zsmalloc_deferred.ko beside zsmalloc.ko).
 */
#include <linux/export.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>
#include <linux/zsmalloc.h>

#include "zsmalloc_deferred.h"

/* The Rust side calls them through rust_do_trace_*() (trace.rs). */
#define CREATE_TRACE_POINTS
#define CREATE_RUST_TRACE_POINTS
#include <trace/events/zs_deferred.h>

EXPORT_SYMBOL_GPL(zs_deferred_create);
EXPORT_SYMBOL_GPL(zs_deferred_push_runs);
EXPORT_SYMBOL_GPL(zs_deferred_note_run);
EXPORT_SYMBOL_GPL(zs_deferred_flush);
EXPORT_SYMBOL_GPL(zs_deferred_reclaim);
EXPORT_SYMBOL_GPL(zs_deferred_destroy);
EXPORT_SYMBOL_GPL(zs_deferred_set_enabled);

static int idle_ms_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret = kstrtouint(val, 0, &ms);

	return ret ?: zs_deferred_param_set_idle_ms(ms);
}

static int idle_ms_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", zs_deferred_param_idle_ms());
}

static const struct kernel_param_ops idle_ms_ops = {
	.set = idle_ms_set,
	.get = idle_ms_get,
};

/* How long partial per-CPU buffers wait before they are drained. */
module_param_cb(idle_ms, &idle_ms_ops, NULL, 0644);
MODULE_PARM_DESC(idle_ms,
		 "Delay in ms before partial buffers are drained (1-60000, default 100)");

static int pool_max_set(const char *val, const struct kernel_param *kp)
{
	unsigned long pages;
	int ret = kstrtoul(val, 0, &pages);

	return ret ?: zs_deferred_param_set_pool_max(pages);
}

static int pool_max_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lu\n", zs_deferred_param_pool_max());
}

static const struct kernel_param_ops pool_max_ops = {
	.set = pool_max_set,
	.get = pool_max_get,
};

/*
 * The memory each instance may hold in batch pages, for devices that must
 * bound it below what the instance would size for its capacity.
 */
module_param_cb(pool_max, &pool_max_ops, NULL, 0644);
MODULE_PARM_DESC(pool_max,
		 "Most batch pages per instance (0: sized from its capacity, the default)");

/*
 * Before zram and zswap can create instances: subsys_initcall when built
 * in (both use later levels), module_init for the module they depend on.
 */
static int __init zs_deferred_module_init(void)
{
	zs_deferred_init();
	return 0;
}
subsys_initcall(zs_deferred_module_init);

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
