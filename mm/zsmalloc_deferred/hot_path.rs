// SPDX-License-Identifier: GPL-2.0

//! The hot path: `push` one element, or `push_many` several, into this
//! CPU's buffer.
//!
//! Per call: one load of the switch, this CPU's local lock (preemption off,
//! or migration off and a per-CPU lock on PREEMPT_RT; one helper call each
//! way), a copy of each element into the page, two stores of the counts
//! (elements, slots); no shared lock, no atomic read-modify-write. Once
//! per page (full, or standing for `slots_per_batch` slots): it is linked
//! onto the instance's queue of full pages under that queue's spinlock
//! (nested in the local lock; a sleeping lock inside a sleeping lock on
//! PREEMPT_RT) and the drain (or the idle timer) is queued, and the next
//! push takes a pool page under the pool lock with this CPU's lock
//! dropped.

use crate::{
    batch::{BatchPage, OwnedBatch},
    instance::{CpuBuf, Deferred},
};
use core::sync::atomic::Ordering::Relaxed;
use kernel::{local_lock::LocalGuard, sync::atomic::Relaxed as KRelaxed};

/// What a push asks of the workqueues once this CPU's lock is dropped.
enum Kick {
    /// Nothing to queue.
    Nothing,
    /// A page filled up: wake the drain.
    Drain,
    /// A fresh page got its first element: make sure the idle flush runs.
    Idle,
}

impl Deferred {
    /// Queues `elem`, one element of `elem_size` bytes, which stands for
    /// `slots` slots; see `zs_deferred_push_run()`. An `elem` of another
    /// length is refused.
    #[inline]
    pub(crate) fn push(&self, elem: &[u8], slots: u32) -> bool {
        elem.len() == self.elem_size && self.push_many(elem, slots) == 1
    }

    /// Queues the elements stored back to back in `elems` (`elem_size`
    /// bytes each; a shorter tail is ignored), each standing for `slots`
    /// slots; returns how many were queued, the first ones (the caller
    /// frees the others itself). See `zs_deferred_push_many()`.
    #[inline]
    pub(crate) fn push_many(&self, elems: &[u8], slots: u32) -> u32 {
        if !self.enabled.load(Relaxed) {
            self.trace_fallback(true);
            return 0;
        }
        // Whole elements only. `elem_size` is 4 or 8: a mask and no
        // division, which is a helper call under QEMU TCG.
        let mut rest = elems
            .get(..elems.len() & !(self.elem_size - 1))
            .unwrap_or_default();
        let mut done = 0;
        // A page taken from the pool for a CPU whose buffer had none; given
        // back if a buffer did not need it after all (the task moved to a
        // CPU that has one).
        let mut spare = None;
        while !rest.is_empty() {
            // The guard is a temporary: this CPU's lock is dropped at the
            // end of the statement, before the workqueue or pool calls.
            let stored = self.store_local(&self.bufs.lock(), rest, slots, &mut spare);
            match stored {
                Some((k, kick)) => {
                    done += k;
                    rest = rest.get(k as usize * self.elem_size..).unwrap_or_default();
                    match kick {
                        Kick::Nothing => {}
                        Kick::Drain => self.kick_drain(),
                        Kick::Idle => self.arm_idle(),
                    }
                }
                None => {
                    spare = self.pool.take();
                    if spare.is_none() {
                        // A shift, as above: a division would bring in
                        // a divide-by-zero panic that objtool does not
                        // know as noreturn.
                        let left = rest.len() >> self.elem_size.trailing_zeros();
                        self.fallbacks.add(left as u64, KRelaxed);
                        self.trace_fallback(false);
                        break;
                    }
                }
            }
        }
        if let Some(b) = spare {
            self.pool.put(b);
        }
        done
    }

    /// Stores the first of the elements in `elems` (each for `slots`
    /// slots; at least one) in this CPU's buffer, locked by `b`, as many as
    /// its page takes, installing `spare` if the buffer has no page; `None`
    /// if it has none and there is no spare. Returns how many were stored
    /// and what the workqueues must be asked once the lock is dropped.
    #[inline]
    fn store_local(
        &self,
        b: &LocalGuard<'_, CpuBuf>,
        elems: &[u8],
        slots: u32,
        spare: &mut Option<OwnedBatch>,
    ) -> Option<(u32, Kick)> {
        let mut batch = b.batch.load(Relaxed);
        if batch.is_null() {
            // The buffer owns its page as a raw pointer until `queue_buffer`.
            batch = spare.take()?.into_raw();
            b.batch.store(batch, Relaxed);
        }
        let nr = b.nr.load(Relaxed);
        let mut held = b.slots.load(Relaxed);
        // A buffer is queued once full or standing for `slots_per_batch`
        // slots, so this one has room for at least one more element.
        let mut k = 0;
        let mut rest = elems;
        while rest.len() >= self.elem_size {
            let (elem, tail) = rest.split_at(self.elem_size);
            // SAFETY: `batch` is this CPU's page, which only this task
            // changes while `b` holds the CPU's lock, with room for `cap`
            // elements, and `nr + k < cap`: a buffer with no room left is
            // queued, so it had room on entry, and the loop stops once full.
            unsafe { self.store(batch, nr + k, elem) };
            rest = tail;
            k += 1;
            held = held.saturating_add(slots);
            if nr + k == self.cap || held >= self.slots_per_batch {
                break;
            }
        }
        b.nr.store(nr + k, Relaxed);
        b.slots.store(held, Relaxed);
        Some((
            k,
            if nr + k == self.cap || held >= self.slots_per_batch {
                self.queue_local(b);
                Kick::Drain
            } else if nr == 0 {
                Kick::Idle
            } else {
                Kick::Nothing
            },
        ))
    }

    /// Copies `elem`, one element, into slot `nr` of `batch`.
    ///
    /// # Safety
    ///
    /// `batch` is a page owned by this CPU's buffer, which no one else
    /// uses meanwhile, and `nr < self.cap`.
    #[inline]
    unsafe fn store(&self, batch: *mut BatchPage, nr: u32, elem: &[u8]) {
        let dst = BatchPage::elems_ptr(batch).wrapping_add(nr as usize * self.elem_size);
        // Fixed-size copies: a copy of `elem_size` bytes would be a call
        // to memcpy.
        // SAFETY: Slot `nr` is in the page and ours (caller), aligned to
        // `elem_size` since the header is 16 bytes.
        unsafe {
            if let Ok(v) = <[u8; 4]>::try_from(elem) {
                dst.cast::<u32>().write(u32::from_ne_bytes(v));
            } else if let Ok(v) = <[u8; 8]>::try_from(elem) {
                dst.cast::<u64>().write(u64::from_ne_bytes(v));
            }
        }
    }

    /// Moves this CPU's buffer, locked by `b`, to the full list if it
    /// holds elements; the next push takes a fresh page.
    pub(crate) fn queue_local(&self, b: &LocalGuard<'_, CpuBuf>) {
        // SAFETY: `b` holds this CPU's local lock.
        unsafe { self.queue_buffer(b) };
    }

    /// Moves a buffer to the full list if it holds elements; an empty one
    /// keeps its page.
    ///
    /// # Safety
    ///
    /// No one else uses `b`: the caller holds its CPU's local lock, or that
    /// CPU is offline (dead, or not online while CPU hotplug is excluded).
    pub(crate) unsafe fn queue_buffer(&self, b: &CpuBuf) {
        if b.nr.load(Relaxed) == 0 {
            return;
        }
        let batch = b.batch.swap(core::ptr::null_mut(), Relaxed);
        let nr = b.nr.swap(0, Relaxed);
        b.slots.store(0, Relaxed);
        if batch.is_null() {
            return;
        }
        // SAFETY: The buffer held the page `store_local` installed from
        // `into_raw`, which the caller's exclusion gives to us alone;
        // swapped out above, no one else takes it.
        let mut batch = unsafe { OwnedBatch::from_raw(batch) };
        batch.set_nr(nr);
        self.full.lock().push_back(batch);
        self.queued_elems.add(u64::from(nr), KRelaxed);
        self.batches_queued.add(1, KRelaxed);
    }
}
