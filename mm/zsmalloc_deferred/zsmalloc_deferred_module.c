// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of the deferred-free core, which is implemented in Rust
 * (zsmalloc_deferred_main.rs) and declared in <linux/zsmalloc.h>: the
 * exports a modular zram needs, the trace events, the module parameter and
 * the module's unload. The core is built
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
EXPORT_SYMBOL_GPL(zs_deferred_push);
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

/*
 * The production knob: how long partial per-CPU buffers wait before they
 * are drained (debugfs may override it per instance, for debugging).
 */
module_param_cb(idle_ms, &idle_ms_ops, NULL, 0644);
MODULE_PARM_DESC(idle_ms,
		 "Delay in ms before partial buffers are drained (1-60000, default 100)");

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
