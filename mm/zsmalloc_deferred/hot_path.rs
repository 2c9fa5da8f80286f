// SPDX-License-Identifier: GPL-2.0

//! The hot path: `push_many`, elements into this CPU's buffer, behind the
//! one exported push, `zs_deferred_push_runs()`.
//!
//! Per call: this CPU's local lock (preemption off, or migration off and a
//! per-CPU lock on PREEMPT_RT; one helper call each way), one load of the
//! switch under it, the load and two stores of the flag that lends out the page,
//! a copy of each element into the page, two stores of the counts
//! (elements, slots); no shared lock, no atomic read-modify-write. Once
//! per page (full, or standing for `slots_per_batch` slots): it is linked
//! onto the instance's queue of full pages under that queue's spinlock
//! (nested in the local lock; a sleeping lock inside a sleeping lock on
//! PREEMPT_RT) and the drain (or the idle timer) is queued, and the next
//! push takes a pool page under the pool lock with this CPU's lock
//! dropped.

use crate::{
    batch::OwnedBatch,
    instance::{CpuBuf, Deferred, Filling},
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

/// What became of the elements offered to this CPU's buffer.
enum Stored {
    /// The first ones were stored, this many, with what to queue.
    Some(u32, Kick),
    /// The buffer has no page and there is no spare: take one and retry.
    NoPage,
    /// The buffer is in use by the context this one interrupted.
    Busy,
    /// The instance is switched off.
    Off,
}

impl Deferred {
    /// Queues the elements stored back to back in `elems` (`elem_size`
    /// bytes each; a shorter tail is ignored), each standing for `slots`
    /// slots; returns how many were queued, the first ones (the caller
    /// frees the others itself). See `zs_deferred_push_runs()`.
    #[inline]
    pub(crate) fn push_many(&self, elems: &[u8], slots: u32) -> u32 {
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
            let stored = self.store_local(&mut self.bufs.lock(), rest, slots, &mut spare);
            match stored {
                Stored::Some(k, kick) => {
                    done += k;
                    rest = rest.get(k as usize * self.elem_size..).unwrap_or_default();
                    match kick {
                        Kick::Nothing => {}
                        Kick::Drain => self.kick_drain(),
                        Kick::Idle => self.arm_idle(),
                    }
                }
                Stored::NoPage => {
                    spare = self.pool.take();
                    if spare.is_none() {
                        self.fall_back(rest);
                        break;
                    }
                }
                Stored::Busy => {
                    self.fall_back(rest);
                    break;
                }
                Stored::Off => {
                    self.trace_fallback(true);
                    break;
                }
            }
        }
        if let Some(b) = spare {
            self.put_page(b);
        }
        done
    }

    /// Counts the elements in `rest` as refused: the caller frees them.
    #[inline]
    fn fall_back(&self, rest: &[u8]) {
        // A shift, as above: a division would bring in a divide-by-zero
        // panic that objtool does not know as noreturn.
        let left = rest.len() >> self.elem_size.trailing_zeros();
        self.fallbacks.add(left as u64, KRelaxed);
        self.trace_fallback(false);
    }

    /// Stores the first of the elements in `elems` (each for `slots`
    /// slots; at least one) in this CPU's buffer, locked by `g`, as many as
    /// its page takes, installing `spare` if the buffer has no page.
    /// Returns how many were stored and what the workqueues must be asked
    /// once the lock is dropped.
    #[inline]
    fn store_local(
        &self,
        g: &mut LocalGuard<'_, CpuBuf, Filling>,
        elems: &[u8],
        slots: u32,
        spare: &mut Option<OwnedBatch>,
    ) -> Stored {
        // Looked at under this CPU's lock: a switch off stores `false`
        // before it queues its flush on this CPU, and that flush takes this
        // lock too. It runs either after this section, and queues what it
        // stored, or before it, and then this load sees `false` (the flush
        // ran on this CPU in between). A look before the lock could be
        // followed by the flush and then by a store into a page that
        // nothing hands to the drain any more.
        if !self.enabled.load(Relaxed) {
            return Stored::Off;
        }
        let Some((b, f)) = g.split() else {
            return Stored::Busy;
        };
        if f.page.is_none() {
            f.page = spare.take();
        }
        let Some(page) = f.page.as_mut() else {
            return Stored::NoPage;
        };
        let nr = b.nr.load(Relaxed);
        let mut held = f.slots;
        // A buffer is queued once full or standing for `slots_per_batch`
        // slots, so this one has room for at least one more element.
        let mut k = 0;
        let mut rest = elems;
        while rest.len() >= self.elem_size {
            let (elem, tail) = rest.split_at(self.elem_size);
            page.store(nr + k, elem);
            rest = tail;
            k += 1;
            held = held.saturating_add(slots);
            if nr + k == self.cap || held >= self.slots_per_batch {
                break;
            }
        }
        b.nr.store(nr + k, Relaxed);
        f.slots = held;
        Stored::Some(
            k,
            if nr + k == self.cap || held >= self.slots_per_batch {
                self.queue_buffer(b, f);
                Kick::Drain
            } else if nr == 0 {
                Kick::Idle
            } else {
                Kick::Nothing
            },
        )
    }

    /// Moves this CPU's buffer, locked by `g`, to the full list if it
    /// holds elements; the next push takes a fresh page.
    pub(crate) fn queue_local(&self, g: &mut LocalGuard<'_, CpuBuf, Filling>) {
        if let Some((b, f)) = g.split() {
            self.queue_buffer(b, f);
        }
    }

    /// Moves a buffer, `b` and its page `f`, to the full list if it holds
    /// elements; an empty one keeps its page.
    pub(crate) fn queue_buffer(&self, b: &CpuBuf, f: &mut Filling) {
        if b.nr.load(Relaxed) == 0 {
            return;
        }
        if let Some(batch) = Self::take_page(b, f) {
            let nr = batch.nr();
            self.full.lock().push_back(batch);
            self.queued_elems.add(u64::from(nr), KRelaxed);
            self.batches_queued.add(1, KRelaxed);
        }
    }

    /// Takes the page out of a buffer, `b` and `f`, with its count of
    /// elements set, leaving the buffer empty.
    pub(crate) fn take_page(b: &CpuBuf, f: &mut Filling) -> Option<OwnedBatch> {
        // Only the owner of `f` writes the count: no read-modify-write.
        let nr = b.nr.load(Relaxed);
        b.nr.store(0, Relaxed);
        f.slots = 0;
        let mut batch = f.page.take()?;
        batch.set_nr(nr);
        Some(batch)
    }
}
