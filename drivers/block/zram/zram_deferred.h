/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zram slot freeing through the zsmalloc deferred-free core.
 *
 * The swap core's notification of a freed range marks each slot
 * pending-free with a plain byte store and pushes one element for the run;
 * the drain frees each slot under its lock only if it is still marked.
 * slot_free() clears the mark, so a slot that was reused and rewritten
 * before the drain ran is left alone.
 */
#ifndef _ZRAM_DEFERRED_H_
#define _ZRAM_DEFERRED_H_

#include <linux/compiler.h>
#include <linux/zsmalloc.h>
#include "zram_drv.h"

/* One element of the deferred-free instance: slots index to index + nr - 1. */
struct zram_free_run {
	u32 index;
	u32 nr;
};

#ifdef CONFIG_ZSMALLOC_DEFERRED_FREE
void zram_deferred_init(struct zram *zram, unsigned long num_pages);
void zram_deferred_fini(struct zram *zram);
int zram_deferred_set(struct zram *zram, bool on);
/* The initial deferred_free of a new device (zram.deferred_free=). */
bool zram_deferred_default(void);

/*
 * The hot path, inline: no lock and no atomic read-modify-write. Plain
 * stores mark the slots, the push copies one element for the whole run
 * into this CPU's buffer. Returns false when the caller must free the slots
 * synchronously.
 */
static inline bool zram_deferred_notify(struct zram *zram, unsigned long index,
					unsigned int nr)
{
	struct zram_free_run run = { .index = index, .nr = nr };
	unsigned int i;

	if (!zram->deferred)
		return false;
	for (i = 0; i < nr; i++)
		WRITE_ONCE(zram->free_pending[index + i], 1);
	if (zs_deferred_push_run(zram->deferred, &run, nr))
		return true;
	for (i = 0; i < nr; i++)
		WRITE_ONCE(zram->free_pending[index + i], 0);
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
					unsigned long index, unsigned int nr)
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
