// SPDX-License-Identifier: GPL-2.0

//! The hot path: `push` one element into this CPU's buffer.
//!
//! Per element: one load of the switch, this CPU's local lock (preemption
//! off, or migration off and a per-CPU lock on PREEMPT_RT; one helper call
//! each way), a copy into the page, two stores of the counts (elements,
//! slots); no shared lock, no atomic read-modify-write. Once per page (full, or standing for
//! `slots_per_batch` slots): it is linked into the
//! lock-free full list and the drain (or the idle timer) is queued, and the
//! next push takes a pool page under the pool lock with preemption enabled,
//! so that PREEMPT_RT, where that lock sleeps, can run it.

use crate::{
    batch::Batch,
    instance::{CpuBuf, Deferred},
};
use core::ptr;
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
    /// Queues `elem` (`elem_size` bytes), which stands for `slots` slots;
    /// see `zs_deferred_push_run()`.
    ///
    /// # Safety
    ///
    /// `elem` points to `self.elem_size` readable bytes.
    #[inline]
    pub(crate) unsafe fn push(&self, elem: *const u8, slots: u32) -> bool {
        if !self.enabled.load(Relaxed) {
            self.trace_fallback(true);
            return false;
        }
        // A page taken from the pool for a CPU whose buffer had none. At
        // most two rounds: the second has a page, and either installs it or
        // (moved to a CPU that has one) gives it back.
        let mut spare: *mut Batch = ptr::null_mut();
        loop {
            // The guard is a temporary: this CPU's lock is dropped at the
            // end of the statement, before the workqueue or pool calls.
            // SAFETY: `elem` is valid (caller).
            let kick = unsafe { self.store_local(&self.bufs.lock(), elem, slots, &mut spare) };
            if let Some(kick) = kick {
                if !spare.is_null() {
                    // SAFETY: `spare` came from the pool and is in no list.
                    unsafe { self.pool.put(spare) };
                }
                match kick {
                    Kick::Nothing => {}
                    Kick::Drain => self.kick_drain(),
                    Kick::Idle => self.arm_idle(),
                }
                return true;
            }
            spare = self.pool.take();
            if spare.is_null() {
                self.fallbacks.add(1, KRelaxed);
                self.trace_fallback(false);
                return false;
            }
        }
    }

    /// Stores `elem` in this CPU's buffer, locked by `b`, installing
    /// `spare` if the buffer has no page; `None` if it has none and there is
    /// no spare. Returns what the workqueues must be asked once the lock is
    /// dropped.
    ///
    /// # Safety
    ///
    /// `elem` points to `self.elem_size` readable bytes.
    #[inline]
    unsafe fn store_local(
        &self,
        b: &LocalGuard<'_, CpuBuf>,
        elem: *const u8,
        slots: u32,
        spare: &mut *mut Batch,
    ) -> Option<Kick> {
        let mut batch = b.batch.load(Relaxed);
        if batch.is_null() {
            if spare.is_null() {
                return None;
            }
            batch = core::mem::take(spare);
            b.batch.store(batch, Relaxed);
        }
        let nr = b.nr.load(Relaxed);
        // SAFETY: `batch` is this CPU's page, which only this task changes
        // while `b` holds the CPU's lock, with room for `cap` elements and
        // `nr < cap`; `elem` is valid (caller).
        unsafe { self.store(batch, nr, elem) };
        let nr = nr + 1;
        b.nr.store(nr, Relaxed);
        let slots = b.slots.load(Relaxed).saturating_add(slots);
        b.slots.store(slots, Relaxed);
        Some(if nr == self.cap || slots >= self.slots_per_batch {
            self.queue_buffer(b);
            Kick::Drain
        } else if nr == 1 {
            Kick::Idle
        } else {
            Kick::Nothing
        })
    }

    /// Copies one element into slot `nr` of `batch`.
    ///
    /// # Safety
    ///
    /// `batch` is a page owned by this CPU's buffer and `nr < self.cap`;
    /// `elem` points to `self.elem_size` readable bytes.
    #[inline]
    unsafe fn store(&self, batch: *mut Batch, nr: u32, elem: *const u8) {
        let dst = Batch::elems(batch).wrapping_add(nr as usize * self.elem_size);
        // SAFETY: Both sides are valid for `elem_size` bytes (caller); the
        // destination is aligned to `elem_size` since the header is 16 bytes.
        unsafe {
            if self.elem_size == 4 {
                dst.cast::<u32>().write(elem.cast::<u32>().read_unaligned());
            } else {
                dst.cast::<u64>().write(elem.cast::<u64>().read_unaligned());
            }
        }
    }

    /// Moves this CPU's non-empty buffer to the full list; the next push
    /// takes a fresh page. Called with the CPU's local lock held (or on a
    /// dead CPU).
    pub(crate) fn queue_buffer(&self, b: &CpuBuf) {
        let batch = b.batch.swap(core::ptr::null_mut(), Relaxed);
        let nr = b.nr.swap(0, Relaxed);
        b.slots.store(0, Relaxed);
        // SAFETY: The buffer owned `batch`; it now goes to the full list.
        unsafe {
            (*batch).nr = nr;
            self.full.push(batch);
        }
        self.queued_elems.add(u64::from(nr), KRelaxed);
        self.batches_queued.add(1, KRelaxed);
    }
}
