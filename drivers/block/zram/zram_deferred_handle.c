// SPDX-License-Identifier: GPL-2.0
/*
 * Bench-only modes of deferred_free, to measure how much of the speedup
 * each part gives (deferred_free=1, the whole slot free pushed once per
 * run of slots, is the one to use):
 *
 * 2: keep zram's slot freeing synchronous (slot lock, flags, stats) and
 *    defer only zs_free() of the handle, through a second deferred-free
 *    instance with 8-byte elements: the design of the RFC's v2.
 * 3: defer the whole slot free as 1 does, but push one element per slot
 *    instead of one per run: the RFC's v3.
 */
#include <linux/blkdev.h>
#include <linux/zsmalloc.h>

#include "zram_deferred.h"
#include "zram_deferred_handle.h"

static unsigned int zram_handle_drain(void *priv, const void *elems,
				      unsigned int nr)
{
	struct zram *zram = priv;
	const unsigned long *handle = elems;
	unsigned int i;

	for (i = 0; i < nr; i++)
		zs_free(zram->mem_pool, handle[i]);
	/* The slot was freed synchronously; the handle is ours alone. */
	return 0;
}

static const struct zs_deferred_ops zram_handle_ops = {
	.elem_size = sizeof(unsigned long),
	.drain = zram_handle_drain,
};

static int zram_handle_deferred_create(struct zram *zram,
				       unsigned long num_pages)
{
	char name[DISK_NAME_LEN + 8];
	struct zs_deferred *d;

	snprintf(name, sizeof(name), "%s_handle", zram->disk->disk_name);
	d = zs_deferred_create(name, &zram_handle_ops, zram, num_pages);
	if (IS_ERR(d))
		return PTR_ERR(d);
	zs_deferred_set_enabled(d, true);
	/* slot_free() reads the pointer without dev_lock: publish it whole. */
	smp_store_release(&zram->deferred_handles, d);
	return 0;
}

/*
 * The instance only exists once deferred_free=2 was asked for: its pool is
 * memory that no other mode uses. It then lives as long as the table. If it
 * cannot be created, zs_free() stays synchronous.
 */
void zram_handle_deferred_init(struct zram *zram, unsigned long num_pages)
{
	if (zram->deferred_handles_on)
		zram_handle_deferred_create(zram, num_pages);
}

/* Frees every handle still queued; the pool must still exist. */
void zram_handle_deferred_fini(struct zram *zram)
{
	zs_deferred_destroy(zram->deferred_handles);
	zram->deferred_handles = NULL;
}

/* zs_free() now or later; callers hold the slot lock. */
void zram_free_handle(struct zram *zram, unsigned long handle)
{
	/* Pairs with the release in zram_handle_deferred_create(). */
	struct zs_deferred *d = smp_load_acquire(&zram->deferred_handles);

	if (!d || !zs_deferred_push(d, &handle))
		zs_free(zram->mem_pool, handle);
}

/*
 * deferred_free: 0 synchronous, 1 whole slot free, 2 zs_free() only, 3
 * whole slot free pushed per slot. Called with dev_lock held for writing,
 * which also holds off the table's allocation and teardown.
 */
int zram_deferred_set_mode(struct zram *zram, unsigned int mode)
{
	int err;

	err = zram_deferred_set(zram, mode == 1 || mode == 3);
	if (err)
		return err;
	WRITE_ONCE(zram->deferred_per_slot, mode == 3);
	if (zram->deferred_handles)
		zs_deferred_set_enabled(zram->deferred_handles, mode == 2);
	else if (mode == 2 && zram->table)
		err = zram_handle_deferred_create(zram,
						  zram->disksize >> PAGE_SHIFT);
	if (!err)
		zram->deferred_handles_on = mode == 2;
	return err;
}
