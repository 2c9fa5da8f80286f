/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the core's C side calls in its Rust side, beyond the API in
 * <linux/zsmalloc.h>.
 */
#ifndef _MM_ZSMALLOC_DEFERRED_H
#define _MM_ZSMALLOC_DEFERRED_H

/* Module unload: drops the CPU hotplug state and debugfs directory all share. */
void zs_deferred_exit(void);

/* The idle_ms module parameter: 0, or -EINVAL outside 1..60000. */
int zs_deferred_param_set_idle_ms(unsigned int ms);
unsigned int zs_deferred_param_idle_ms(void);

#endif /* _MM_ZSMALLOC_DEFERRED_H */
