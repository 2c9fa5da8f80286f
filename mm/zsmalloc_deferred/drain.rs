// SPDX-License-Identifier: GPL-2.0

//! The slow side: the drain worker, `flush`, the idle flush and CPU hotplug.
//!
//! Draining runs in several places at once: a worker per CPU that filled a
//! page, `flush`, `reclaim` and the idle flush each take one batch at a
//! time from `backlog` (a mutex, held only to take it) and drain it without
//! a lock of ours. `flush` and the idle work take `cpus_read_lock()` first
//! and never hold `backlog` across it. The CPU-dead callback runs under
//! the hotplug lock and takes only the spinlock of the full queue, which
//! is innermost everywhere (nothing is taken or freed under it).

use crate::{
    batch::{BatchQueue, OwnedBatch},
    instance::{Deferred, Hooked},
};
use kernel::{
    alloc::{
        flags::{__GFP_NOWARN, GFP_NOWAIT},
        Flags,
    },
    cpu::CpuId,
    cpuhp::{self, DeadCpu, MultiInstance},
    prelude::*,
    sync::atomic::Relaxed,
    time::msecs_to_jiffies,
};

/// Batches one worker run drains before it requeues itself, so a long
/// backlog never monopolises a worker.
const DRAIN_BUDGET: usize = 64;

/// Nice level of a drain worker while it drains. The drain is work that
/// the pushing tasks handed off: on a busy CPU it runs behind them (an
/// exiting process, the killer's `process_mrelease()`) instead of taking a
/// fair share from them, and on an idle CPU at full speed. Memory needed at
/// once does not wait for it: reclaim (the shrinker) and the users' limits
/// (`zs_deferred_reclaim()`) drain in their own context.
const DRAIN_NICE: i32 = 19;

impl Deferred {
    /// Makes sure a drain worker runs soon: this CPU's, so that pages
    /// filled on several CPUs are drained by as many workers at once. Any
    /// CPU's item would do, so a caller preempted and moved may pick a
    /// stale CPU's.
    pub(crate) fn kick_drain(&self) {
        self.queue_drain(CpuId::current());
    }

    /// Queues `cpu`'s drain worker (a no-op if it is queued already).
    fn queue_drain(&self, cpu: CpuId) {
        if let Some(w) = self.cpu_work.get(cpu) {
            w.drain.queue(&self.wq);
        }
    }

    /// Makes sure partial buffers are flushed within `idle_ms`. Only the
    /// first arm counts: a pending idle work is left as it is. The timer is
    /// not pinned (a busy CPU may take it over from one going idle) and the
    /// work runs on the CPU where it fires.
    pub(crate) fn arm_idle(&self) {
        self.idle_work.queue(msecs_to_jiffies(self.idle_ms()));
    }

    /// The runtime switch. Off: later pushes are refused, everything pushed
    /// is drained and the pool frees all its pages, so a switched-off
    /// instance holds no batch page. On: the pool is refilled to `pool_min`
    /// before pushes are accepted (what it cannot get now, the worker grows
    /// later).
    pub(crate) fn set_enabled(&self, on: bool) {
        if on {
            let (_, total) = self.pool.counts();
            let min = self.pool.min.load(Relaxed);
            self.grow_pool(min.saturating_sub(total), GFP_KERNEL);
            self.enabled
                .store(true, core::sync::atomic::Ordering::Release);
        } else {
            self.enabled
                .store(false, core::sync::atomic::Ordering::Release);
            self.flush();
            self.shrink_pool(0);
        }
    }

    /// Gives the pool the bounds now in force (`params::pool_bounds`) and
    /// frees its free pages above the new `max`.
    pub(crate) fn apply_pool_bounds(&self) {
        let (min, max) = crate::params::pool_bounds(self.auto_pool);
        self.pool.set_bounds(min, max);
        self.shrink_pool(max);
    }

    /// Grows the pool by up to `n` pages; returns how many it got.
    pub(crate) fn grow_pool(&self, n: usize, gfp: Flags) -> usize {
        let added = self.pool.grow(n, gfp);
        self.trace_pool(added as isize);
        added
    }

    /// Frees free pool pages until the pool owns at most `keep`.
    pub(crate) fn shrink_pool(&self, keep: usize) {
        let freed = self.pool.shrink_to(keep);
        self.trace_pool(-(freed as isize));
    }

    /// Sets the instance's own `idle_ms` (0: follow the module parameter)
    /// and applies it to an idle work armed with the old delay: partial
    /// buffers are handed over at most the new delay from now, not whenever
    /// the old timer would have fired (up to a minute later). When nothing
    /// was armed this queues one idle run, which finds nothing to do and
    /// does not arm itself again.
    pub(crate) fn set_idle_ms(&self, ms: u32) {
        self.idle_ms.store(ms, Relaxed);
        self.rearm_idle();
    }

    /// Moves an armed idle flush to the delay now in force, counted from
    /// now; queues one idle run if none was armed (see `set_idle_ms`).
    pub(crate) fn rearm_idle(&self) {
        self.idle_work.modify(msecs_to_jiffies(self.idle_ms()));
    }

    /// One drain run: grow the pool if it runs low, then drain up to
    /// `DRAIN_BUDGET` batches, oldest first, one at a time. Returns whether
    /// batches are left for another run.
    fn drain_some(&self) -> bool {
        self.refill_pool();
        for _ in 0..DRAIN_BUDGET {
            let Some(b) = self.take_batch() else {
                return false;
            };
            self.drain_batch(b);
            kernel::task::cond_resched();
        }
        self.has_queued()
    }

    /// Whether batches wait in `full` or `backlog`; a snapshot.
    fn has_queued(&self) -> bool {
        !self.full.lock().is_empty() || !self.backlog.lock().is_empty()
    }

    /// Takes the oldest queued batch, if any, for the caller to drain.
    fn take_batch(&self) -> Option<OwnedBatch> {
        self.pop_queued(&mut self.backlog.lock())
    }

    /// Moves the full batches to `backlog` (the instance's, locked by the
    /// caller) and takes the oldest. `full` is locked only for the move.
    fn pop_queued(&self, backlog: &mut BatchQueue) -> Option<OwnedBatch> {
        let fresh = self.full.lock().take_all();
        backlog.append(fresh);
        backlog.pop_front()
    }

    /// Grows the pool (up to `max`) when fewer than a quarter of its pages
    /// are free, doubling it at most: pushes outrun the drain several times
    /// over, so a large unmap needs most of its batches in flight at once.
    fn refill_pool(&self) {
        // An instance switched off holds no page.
        if !self.enabled.load(core::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let (free, total) = self.pool.counts();
        if free * 4 >= total {
            return;
        }
        // Never block reclaim from here: this worker is what frees memory.
        let gfp = GFP_NOWAIT | __GFP_NOWARN;
        self.grow_pool(total.max(16), gfp);
    }

    /// Hands every CPU's partial buffer to the full list: each online CPU
    /// does it itself (a work item bound to it). An offline CPU holds none:
    /// its buffer was queued when it died (`dead`), or it never pushed.
    /// Two exceptions, both left to the teardown (`PinnedDrop`), which
    /// takes every buffer: a CPU that died after the instance left the
    /// hotplug state, and one that root stopped half-way down, above this
    /// state (`CONFIG_CPU_HOTPLUG_STATE_CONTROL`'s `hotplug/target`, a
    /// debugging knob), whose buffer waits until it comes back or the
    /// instance goes.
    ///
    /// With `only_busy`, an online CPU whose buffer looks empty is left
    /// alone, so that the idle flush wakes no idle CPU. The look is a racy
    /// read, which is enough there: a push that makes a buffer non-empty
    /// arms the idle work after its store, so a run that missed it is
    /// followed by another. `flush()` waits for pushes in flight on every
    /// CPU instead, which only the work item on that CPU can do.
    fn flush_cpus(&self, only_busy: bool) {
        let _hotplug = cpuhp::cpus_read_lock();
        for ((cpu, b), (_, w)) in self.bufs.iter().zip(self.cpu_work.iter()) {
            if only_busy && b.nr.load(core::sync::atomic::Ordering::Relaxed) == 0 {
                continue;
            }
            if cpu.is_online() {
                // The CPU stays online while `_hotplug` is held.
                w.flush.queue_on(&self.cpu_wq, cpu);
            }
        }
        for (cpu, w) in self.cpu_work.iter() {
            if cpu.is_online() {
                // Returns at once for an item that was not queued.
                w.flush.flush();
            }
        }
    }

    /// Drains at least `nr` elements if that many are queued, without the
    /// CPU hotplug lock; see `zs_deferred_reclaim()`. This CPU's partial
    /// buffer is queued first; other CPUs' partial buffers (a page each at
    /// most) are left to the idle flush. With `wait` false, a drainer
    /// holding the backlog lock (for as long as it takes one batch) makes
    /// it return 0 rather than wait: for reclaim, which must not block.
    pub(crate) fn reclaim(&self, nr: usize, wait: bool) -> usize {
        self.queue_local(&mut self.bufs.lock());
        let mut done = 0;
        while done < nr {
            let b = if wait {
                self.take_batch()
            } else {
                let Some(mut backlog) = self.backlog.try_lock() else {
                    // The lock holder may have looked at the full list
                    // before this CPU's buffer joined it.
                    self.kick_drain();
                    break;
                };
                self.pop_queued(&mut backlog)
            };
            let Some(b) = b else { break };
            done += b.nr() as usize;
            self.drain_batch(b);
        }
        // What is left goes to the workers, as if it had just been queued.
        if self.has_queued() {
            self.kick_drain();
        }
        done
    }

    /// Drains everything pushed so far and waits for it; see
    /// `zs_deferred_flush()`. Batches a worker took before are drained by
    /// it: waiting for every drain worker covers them.
    pub(crate) fn flush(&self) {
        self.flush_cpus(false);
        while let Some(b) = self.take_batch() {
            self.drain_batch(b);
            kernel::task::cond_resched();
        }
        for (_, w) in self.cpu_work.iter() {
            // Returns at once for an item that is neither queued nor running.
            w.drain.flush();
        }
    }
}

/// Drain worker of `cpu`'s item; requeues itself while batches are left.
pub(crate) fn drain_work(d: &Deferred, cpu: &CpuId) {
    // The workqueue code gave this worker the nice level of its pool, which
    // is put back for the next work item.
    let task = kernel::current!();
    let pool_nice = task.nice();
    task.set_nice(DRAIN_NICE);
    let more = d.drain_some();
    task.set_nice(pool_nice);
    if more {
        d.queue_drain(*cpu);
    }
}

/// Idle flush: partial buffers go to the drain, then the pool shrinks back
/// to `min` pages if nothing is pending.
///
/// It leaves the draining to the drain workers rather than draining here:
/// `flush()` (and so the switch off) waits for those, and a batch drained
/// here could still be in this work's hands when `flush()` returns. While
/// they are at it, it looks again one delay later, to shrink the pool once
/// they are done.
pub(crate) fn idle_work(d: &Deferred, (): &()) {
    d.flush_cpus(true);
    if d.has_queued() {
        d.kick_drain();
        d.arm_idle();
    } else {
        d.shrink_pool(d.pool.min.load(Relaxed));
    }
}

/// Runs on `cpu`, queued there by `flush_cpus`: hands its partial buffer
/// to the drain.
pub(crate) fn cpu_flush(d: &Deferred, cpu: &CpuId) {
    let queued = {
        let mut b = d.bufs.lock();
        let had = b.nr.load(core::sync::atomic::Ordering::Relaxed) > 0;
        d.queue_local(&mut b);
        had
    };
    if queued {
        d.queue_drain(*cpu);
    }
}

/// CPU hotplug: a dead CPU's buffer goes to the drain.
impl MultiInstance for Hooked {
    fn dead(&self, cpu: &mut DeadCpu) {
        if let Some((b, f)) = self.bufs.dead_split(cpu) {
            self.queue_buffer(b, f);
            self.kick_drain();
        }
    }
}
