// SPDX-License-Identifier: GPL-2.0

//! The page pool that buffer rotation draws from.
//!
//! The hot path takes one page per full buffer (one lock round trip per
//! page of elements, 1020 or 510 with 4 KiB pages, never per element) and never allocates: when the
//! pool is empty the push fails and the caller frees synchronously. The drain
//! worker returns pages and grows the pool in process context up to `max`
//! pages; the idle work shrinks it back to `min` once nothing is pending.

use crate::batch::{BatchQueue, OwnedBatch};
use kernel::{
    alloc::Flags,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        SpinLock,
    },
};

/// Free pages and how many pages the pool owns in all.
pub(crate) struct PoolPages {
    /// Pages in no buffer or batch, ready for [`PagePool::take`].
    free: BatchQueue,
    /// Pages owned by the pool: free ones plus those out in buffers and
    /// batches.
    total: usize,
}

/// The pool of buffer pages of one instance.
#[pin_data]
pub(crate) struct PagePool {
    /// Free pages and the count. Pushes take it outside their CPU's local lock
    /// (the locked section is the buffer write alone), sleeping on PREEMPT_RT.
    #[pin]
    pages: SpinLock<PoolPages>,
    /// Pages allocated at create time and kept while idle.
    pub(crate) min: Atomic<usize>,
    /// Upper bound on `total`: the memory the pool may hold.
    pub(crate) max: Atomic<usize>,
}

impl PagePool {
    /// A pool bounded to `[min, max]` pages, holding `min` of them.
    pub(crate) fn new(min: usize, max: usize) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            pages <- kernel::new_spinlock!(PoolPages { free: BatchQueue::new(), total: 0 }),
            min: Atomic::new(min),
            max: Atomic::new(max),
        })
    }

    /// Allocates up to `n` pages with `gfp` into the pool without passing
    /// `max`; returns how many were added.
    ///
    /// The pages are allocated without the lock, so the room is checked
    /// again when adding them: the drain and the idle work may grow the pool
    /// at the same time, and `max` may have been lowered meanwhile.
    pub(crate) fn grow(&self, n: usize, gfp: Flags) -> usize {
        let room = {
            let p = self.pages.lock();
            self.max.load(Relaxed).saturating_sub(p.total)
        };
        let mut fresh = BatchQueue::new();
        for _ in 0..n.min(room) {
            let Some(b) = OwnedBatch::alloc(gfp) else {
                break;
            };
            fresh.push_back(b);
        }
        let mut surplus = BatchQueue::new();
        let added = {
            let mut p = self.pages.lock();
            let room = self.max.load(Relaxed).saturating_sub(p.total);
            while fresh.len() > room {
                let Some(b) = fresh.pop_front() else { break };
                surplus.push_back(b);
            }
            let added = fresh.len();
            p.total += added;
            p.free.append(fresh);
            added
        };
        // Freed here, with the lock dropped.
        drop(surplus);
        added
    }

    /// Takes a free page, if the pool has one. Never allocates.
    #[inline]
    pub(crate) fn take(&self) -> Option<OwnedBatch> {
        self.pages.lock().free.pop_front()
    }

    /// Returns a page taken with [`PagePool::take`]; frees it instead when
    /// the pool is above `max` (after the tunable was lowered) or `wanted`
    /// says the pool should hold no page (the instance is off). Returns
    /// whether it freed the page.
    ///
    /// `wanted` is called under the pool lock, which a shrink takes too: a
    /// page put back after a switch off shrank the pool is freed, one put
    /// back before is freed by that shrink.
    pub(crate) fn put(&self, b: OwnedBatch, wanted: impl FnOnce() -> bool) -> bool {
        let surplus = {
            let mut p = self.pages.lock();
            if p.total <= self.max.load(Relaxed) && wanted() {
                p.free.push_back(b);
                return false;
            }
            p.total -= 1;
            b
        };
        // No longer counted by the pool: freed with the lock dropped.
        drop(surplus);
        true
    }

    /// Frees free pages until the pool owns at most `keep` pages; returns
    /// how many it freed.
    pub(crate) fn shrink_to(&self, keep: usize) -> usize {
        let mut victims = BatchQueue::new();
        {
            let mut p = self.pages.lock();
            while p.total > keep {
                let Some(b) = p.free.pop_front() else { break };
                victims.push_back(b);
                p.total -= 1;
            }
        }
        // Freed when `victims` goes, with the lock dropped.
        victims.len()
    }

    /// Sets `min` to `val` if `1 <= val <= max`, else returns `EINVAL`.
    ///
    /// Checked and stored under the pool lock, like [`PagePool::set_max`],
    /// so two racing writes cannot leave `min` above `max`.
    pub(crate) fn set_min(&self, val: usize) -> Result {
        let _guard = self.pages.lock();
        if val == 0 || val > self.max.load(Relaxed) {
            return Err(EINVAL);
        }
        self.min.store(val, Relaxed);
        Ok(())
    }

    /// Sets `max` to `val` if `min <= val <= limit`, else returns `EINVAL`.
    /// Pages above the new `max` are freed as they come back ([`PagePool::put`]).
    pub(crate) fn set_max(&self, val: usize, limit: usize) -> Result {
        let _guard = self.pages.lock();
        if val < self.min.load(Relaxed) || val > limit {
            return Err(EINVAL);
        }
        self.max.store(val, Relaxed);
        Ok(())
    }

    /// Sets both bounds at once (`1 <= min <= max`, the caller's to
    /// check), under the pool lock like the single setters.
    pub(crate) fn set_bounds(&self, min: usize, max: usize) {
        let _guard = self.pages.lock();
        self.min.store(min, Relaxed);
        self.max.store(max, Relaxed);
    }

    /// `(free, total)` pages, for stats and the grow policy.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let p = self.pages.lock();
        (p.free.len(), p.total)
    }
}
