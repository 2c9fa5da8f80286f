// SPDX-License-Identifier: GPL-2.0
/*
 * zram slot freeing through the zsmalloc deferred-free core; see
 * Documentation/mm/zsmalloc-deferred.rst.
 *
 * Why the pending mark is enough: the swap allocator only hands a slot out
 * again after the free notification for it has returned (both run under
 * the swap cluster lock), so the mark is stored before the slot can be
 * rewritten. Every write goes through slot_free() under the slot lock, which
 * clears the mark; the drain takes the same lock and frees only marked
 * slots. A reused slot is therefore never freed by a stale element, and an
 * index pushed twice is freed once.
 */
#include <linux/blkdev.h>
#include <linux/moduleparam.h>
#include <linux/vmalloc.h>
#include <linux/zsmalloc.h>

#include "zram_deferred.h"

/*
 * deferred_free of devices created from now on: zram.deferred_free= at
 * boot, /sys/module/zram/parameters/deferred_free at run time.
 */
static bool deferred_free_default =
	IS_ENABLED(CONFIG_ZSMALLOC_DEFERRED_FREE_DEFAULT_ON);
module_param_named(deferred_free, deferred_free_default, bool, 0644);
MODULE_PARM_DESC(deferred_free,
		 "Free swap slots of new devices from a background worker");

bool zram_deferred_default(void)
{
	return READ_ONCE(deferred_free_default);
}

/*
 * Frees each run slot by slot, each under its own lock. Returns how many
 * runs had no slot left pending: every one rewritten (or read back) after
 * the notification, or pushed twice.
 */
static unsigned int zram_deferred_drain(void *priv, const void *elems,
					unsigned int nr)
{
	const struct zram_free_run *run = elems;
	struct zram *zram = priv;
	unsigned int i, j, stale = 0;
	u64 slots = 0;

	for (i = 0; i < nr; i++) {
		bool freed = false;

		for (j = 0; j < run[i].nr; j++)
			freed |= zram_slot_free_deferred(zram, run[i].index + j);
		stale += !freed;
		slots += run[i].nr;
		zs_deferred_note_run(zram->deferred, run[i].nr);
	}
	/* notify_free is counted here: the hot path does no atomic update. */
	atomic64_add(slots, &zram->stats.notify_free);
	return stale;
}

static const struct zs_deferred_ops zram_deferred_ops = {
	.elem_size = sizeof(struct zram_free_run),
	.drain = zram_deferred_drain,
};

/*
 * Called when the device gets its table. Failure is not fatal: the device
 * then frees synchronously, as without CONFIG_ZSMALLOC_DEFERRED_FREE.
 */
void zram_deferred_init(struct zram *zram, unsigned long num_pages)
{
	struct zs_deferred *d;

	if (num_pages > U32_MAX)
		return;
	zram->free_pending = vzalloc(num_pages);
	if (!zram->free_pending)
		goto fail;
	d = zs_deferred_create(zram->disk->disk_name, &zram_deferred_ops, zram,
			       num_pages);
	if (IS_ERR(d)) {
		vfree(zram->free_pending);
		zram->free_pending = NULL;
		goto fail;
	}
	zs_deferred_set_enabled(d, zram->deferred_free_on);
	zram->deferred = d;
	return;
fail:
	pr_warn("zram: %s: deferred free unavailable, freeing synchronously\n",
		zram->disk->disk_name);
}

/* Drains every pending free; the table and pool must still exist. */
void zram_deferred_fini(struct zram *zram)
{
	zs_deferred_destroy(zram->deferred);
	zram->deferred = NULL;
	vfree(zram->free_pending);
	zram->free_pending = NULL;
}

int zram_deferred_set(struct zram *zram, bool on)
{
	zram->deferred_free_on = on;
	return zram->deferred ? zs_deferred_set_enabled(zram->deferred, on) : 0;
}
