/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zram slot freeing through the zsmalloc deferred-free core.
 *
 * zram_slot_free_notify() marks the slot pending-free with a plain byte
 * store and pushes its index; the drain frees it under the slot lock only
 * if it is still marked. slot_free() clears the mark, so a slot that was
 * reused and rewritten before the drain ran is left alone.
 */
#ifndef _ZRAM_DEFERRED_H_
#define _ZRAM_DEFERRED_H_

#include <linux/compiler.h>
#include <linux/zsmalloc.h>
#include "zram_drv.h"

#ifdef CONFIG_ZSMALLOC_DEFERRED_FREE
void zram_deferred_init(struct zram *zram, unsigned long num_pages);
void zram_deferred_fini(struct zram *zram);
int zram_deferred_set(struct zram *zram, bool on);
/* The initial deferred_free of a new device (zram.deferred_free=). */
bool zram_deferred_default(void);

/*
 * The hot path, inline: no lock and no atomic read-modify-write. A plain
 * store marks the slot, the push copies the index into this CPU's buffer.
 * Returns false when the caller must free synchronously.
 */
static inline bool zram_deferred_notify(struct zram *zram, unsigned long index)
{
	u32 idx = index;

	if (!zram->deferred)
		return false;
	WRITE_ONCE(zram->free_pending[index], 1);
	if (zs_deferred_push(zram->deferred, &idx))
		return true;
	WRITE_ONCE(zram->free_pending[index], 0);
	return false;
}

/*
 * Drains the device's queued deferred frees now, for a write about to fail
 * on zs_malloc() or mem_limit; true if anything was drained. The caller
 * holds no slot lock and no compression stream.
 */
static inline bool zram_deferred_reclaim(struct zram *zram)
{
	return zram->deferred && zs_deferred_reclaim(zram->deferred, ULONG_MAX);
}

/* Callers hold the slot lock, or are the hot path (a plain store). */
static inline bool zram_free_pending(struct zram *zram, unsigned long index)
{
	return zram->free_pending && READ_ONCE(zram->free_pending[index]);
}

static inline void zram_clear_free_pending(struct zram *zram,
					   unsigned long index)
{
	if (zram->free_pending)
		WRITE_ONCE(zram->free_pending[index], 0);
}
#else
static inline void zram_deferred_init(struct zram *zram,
				      unsigned long num_pages) { }
static inline void zram_deferred_fini(struct zram *zram) { }

static inline bool zram_deferred_notify(struct zram *zram,
					unsigned long index)
{
	return false;
}

static inline int zram_deferred_set(struct zram *zram, bool on)
{
	return on ? -EOPNOTSUPP : 0;
}

static inline bool zram_deferred_default(void)
{
	return false;
}

static inline bool zram_deferred_reclaim(struct zram *zram)
{
	return false;
}

static inline bool zram_free_pending(struct zram *zram, unsigned long index)
{
	return false;
}

static inline void zram_clear_free_pending(struct zram *zram,
					   unsigned long index) { }
#endif

/*
 * In zram_drv.c: frees @index under its lock if it is still pending;
 * returns false if it was not.
 */
bool zram_slot_free_deferred(struct zram *zram, unsigned long index);

#endif /* _ZRAM_DEFERRED_H_ */
