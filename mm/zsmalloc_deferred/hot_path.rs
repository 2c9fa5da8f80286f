// SPDX-License-Identifier: GPL-2.0

//! The hot path: `push` one element into this CPU's buffer.
//!
//! Per element: one relaxed load of the switch, preemption off, a copy into
//! the page, two plain per-CPU stores. Once per page: a pool page is taken
//! under the pool lock, a full page is linked into the lock-free full list,
//! and the drain (or the idle timer) is queued.

use crate::{
    batch::Batch,
    instance::{CpuBuf, Deferred},
};
use kernel::{
    bindings,
    sync::atomic::{Atomic, Relaxed},
};

/// What a push asks of the workqueues once preemption is back on.
enum Kick {
    Nothing,
    /// A page filled up: wake the drain.
    Drain,
    /// A fresh page got its first element: make sure the idle flush runs.
    Idle,
}

/// Adds one to a counter only its own CPU writes: no atomic
/// read-modify-write, readers on other CPUs see either value.
#[inline]
fn bump(c: &Atomic<u64>) {
    c.store(c.load(Relaxed).wrapping_add(1), Relaxed);
}

impl Deferred {
    /// Queues `elem` (`elem_size` bytes); see `zs_deferred_push()`.
    ///
    /// # Safety
    ///
    /// `elem` points to `self.elem_size` readable bytes.
    #[inline]
    pub(crate) unsafe fn push(&self, elem: *const u8) -> bool {
        if !self.enabled.load(Relaxed) {
            return false;
        }
        let (queued, kick) = self.bufs.with_local(|b| {
            // SAFETY: Preemption is off, so this is our CPU's id for the
            // whole closure.
            let cpu = unsafe { bindings::raw_smp_processor_id() };
            // SAFETY: `CpuStats` is only accessed through shared references.
            let stats = unsafe { &*self.cpu_stats.remote(cpu) };
            if b.batch.is_null() {
                b.batch = self.pool.take();
                if b.batch.is_null() {
                    bump(&stats.fallbacks);
                    return (false, Kick::Nothing);
                }
            }
            // SAFETY: `b.batch` is this CPU's page with room for `cap`
            // elements and `b.nr < cap`; `elem` is valid (caller).
            unsafe { self.store(b, elem) };
            b.nr += 1;
            bump(&stats.pushed);
            if b.nr == self.cap {
                self.queue_buffer(b);
                (true, Kick::Drain)
            } else if b.nr == 1 {
                (true, Kick::Idle)
            } else {
                (true, Kick::Nothing)
            }
        });
        match kick {
            Kick::Nothing => {}
            Kick::Drain => self.kick_drain(),
            Kick::Idle => self.arm_idle(),
        }
        queued
    }

    /// Copies one element into the next free slot of `b`.
    ///
    /// # Safety
    ///
    /// `b.batch` is a page with `b.nr < self.cap`; `elem` points to
    /// `self.elem_size` readable bytes.
    #[inline]
    unsafe fn store(&self, b: &CpuBuf, elem: *const u8) {
        let dst = Batch::elems(b.batch).wrapping_add(b.nr as usize * self.elem_size);
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
    /// takes a fresh page. Called with preemption disabled (or on a dead CPU).
    pub(crate) fn queue_buffer(&self, b: &mut CpuBuf) {
        let batch = core::mem::replace(&mut b.batch, core::ptr::null_mut());
        // SAFETY: The buffer owned `batch`; it now goes to the full list.
        unsafe {
            (*batch).nr = b.nr;
            self.full.push(batch);
        }
        b.nr = 0;
        self.batches_queued.add(1, Relaxed);
    }
}
