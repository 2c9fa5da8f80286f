/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the core's C side calls in its Rust side, beyond the API in
 * <linux/zsmalloc.h>.
 */
#ifndef _MM_ZSMALLOC_DEFERRED_H
#define _MM_ZSMALLOC_DEFERRED_H

/* Module init: readies the list of instances the parameters apply to. */
void zs_deferred_init(void);
/* Module unload: drops the CPU hotplug state and debugfs directory all share. */
void zs_deferred_exit(void);

/*
 * The module parameters, applied at once to every instance: 0, or -EINVAL
 * for idle_ms outside 1..60000 and pool_max above 1/64 of RAM.
 */
int zs_deferred_param_set_idle_ms(unsigned int ms);
unsigned int zs_deferred_param_idle_ms(void);
int zs_deferred_param_set_pool_max(unsigned long pages);
unsigned long zs_deferred_param_pool_max(void);

#endif /* _MM_ZSMALLOC_DEFERRED_H */
