/* SPDX-License-Identifier: GPL-2.0 */
/*
 * deferred_free=2: only zs_free() deferred (zram_deferred_handle.c), to
 * measure what each part of the deferred free gives.
 */
#ifndef _ZRAM_DEFERRED_HANDLE_H_
#define _ZRAM_DEFERRED_HANDLE_H_

#include <linux/zsmalloc.h>
#include "zram_drv.h"

#ifdef CONFIG_ZSMALLOC_DEFERRED_FREE
void zram_handle_deferred_init(struct zram *zram, unsigned long num_pages);
void zram_handle_deferred_fini(struct zram *zram);
void zram_free_handle(struct zram *zram, unsigned long handle);
int zram_deferred_set_mode(struct zram *zram, unsigned int mode);
#else
static inline void zram_handle_deferred_init(struct zram *zram,
					     unsigned long num_pages) { }
static inline void zram_handle_deferred_fini(struct zram *zram) { }

static inline void zram_free_handle(struct zram *zram, unsigned long handle)
{
	zs_free(zram->mem_pool, handle);
}

static inline int zram_deferred_set_mode(struct zram *zram, unsigned int mode)
{
	return mode ? -EOPNOTSUPP : 0;
}
#endif

#endif /* _ZRAM_DEFERRED_HANDLE_H_ */
