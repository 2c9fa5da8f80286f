// SPDX-License-Identifier: GPL-2.0

//! One deferred-free instance: what it owns, how it is created and how it is
//! torn down. The hot path is in `hot_path.rs`, the drain in `drain.rs`.
//!
//! Lifetime: `create` returns a pinned box, which the C API leaks to its
//! user until `zs_deferred_destroy()`; dropping it leaves the list the
//! module parameters apply to (`registry::Registered`), unhooks CPU hotplug
//! (`cpuhp::Instance`), removes the debugfs files (`debugfs::Scope`),
//! unregisters the shrinker, then (`PinnedDrop`) turns off pushes, drains
//! everything and frees it all.

use crate::{
    batch::{BatchQueue, OwnedBatch},
    debugfs::{create_files, Registered},
    pool::PagePool,
};
use core::{
    ops::Deref,
    sync::atomic::{AtomicBool, AtomicU32},
};
use kernel::{
    cpu::{possible_cpus, CpuId},
    cpuhp::{Instance, PrepareState},
    debugfs::Scope,
    local_lock::LocalLocked,
    page::totalram_pages,
    percpu::PerCpu,
    prelude::*,
    registry, shrinker,
    str::CString,
    sync::{
        atomic::{Atomic, Relaxed},
        Mutex, SpinLock,
    },
    time::{Instant, Monotonic},
    workqueue::{OwnedQueue, OwnerDelayedWork, OwnerWork, QueueFlags},
};

/// The drain callback of the user (`struct zs_deferred_ops::drain`).
/// It returns how many of the elements had nothing left to free.
pub(crate) type DrainFn = unsafe extern "C" fn(*mut c_void, *const c_void, c_uint) -> c_uint;

/// Default delay after which partial buffers are drained (`idle_ms`).
pub(crate) const IDLE_MS_DEFAULT: u32 = 100;
/// `idle_ms` of every instance that has no value of its own (KUnit sets
/// one): the `zsmalloc_deferred.idle_ms` module parameter.
pub(crate) static IDLE_MS: Atomic<u32> = Atomic::new(IDLE_MS_DEFAULT);
/// Longest accepted `idle_ms`: memory must not wait longer than a minute.
pub(crate) const IDLE_MS_MAX: u32 = 60_000;
/// Buckets of the run-length histogram: bucket `b` counts runs of
/// `2^b..2^(b+1)` elements, the last one every longer run too.
pub(crate) const RUN_BUCKETS: usize = 12;
/// Part of RAM the pool of one instance may ever hold (1/64, ~1.6%).
const POOL_MAX_RAM_SHIFT: u32 = 6;

/// What other CPUs may read of a CPU's buffer.
///
/// Changed only by its own CPU under the CPU's local lock, by the hotplug
/// callback once that CPU is dead, or by the teardown, which has the
/// instance to itself; others read `nr` for stats and to skip idle CPUs.
/// A `core` atomic used with `Relaxed` loads and stores only: plain moves,
/// no read-modify-write and, unlike the `kernel` atomics, no call into C
/// on the hot path.
pub(crate) struct CpuBuf {
    /// Elements in the page being filled.
    pub(crate) nr: AtomicU32,
}

/// The page a CPU fills, which only the holder of the CPU's local lock
/// touches (lent out by the guard, see `LocalLocked`).
#[derive(Default)]
pub(crate) struct Filling {
    /// The page being filled; `None` until the first push after a rotation.
    pub(crate) page: Option<OwnedBatch>,
    /// Slots the elements in `page` stand for (an element may stand for
    /// a run of them).
    pub(crate) slots: u32,
}

/// A CPU's two work items, each with the CPU it belongs to.
pub(crate) struct CpuWork {
    /// Hands this CPU's partial buffer to the drain. Queued on the CPU's
    /// `cpu_wq` worker by `flush_cpus`, so it never races with a push;
    /// runs `cpu_flush`.
    pub(crate) flush: OwnerWork<Deferred, CpuId>,
    /// A drain worker, queued on the unbound `wq` when this CPU fills a
    /// page; runs `drain_work`. One per CPU, so that batches from several
    /// pushers are drained by as many workers at once.
    pub(crate) drain: OwnerWork<Deferred, CpuId>,
}

impl CpuWork {
    /// `cpu`'s items, bound to the instance by `Deferred::bind_work`.
    fn new(cpu: CpuId) -> Self {
        Self {
            flush: OwnerWork::new(cpu, crate::drain::cpu_flush),
            drain: OwnerWork::new(cpu, crate::drain::drain_work),
        }
    }
}

/// One deferred-free instance (`struct zs_deferred` in C).
///
#[pin_data(PinnedDrop)]
pub(crate) struct Deferred {
    /// Name of the workqueues, the debugfs directory and log messages.
    pub(crate) name: CString,
    /// Bytes per element: 4 or 8.
    pub(crate) elem_size: usize,
    /// Elements per batch page.
    pub(crate) cap: u32,
    /// Slots per batch: a page goes to the drain once its elements stand
    /// for this many, as many as a page of one-slot 4-byte elements holds.
    /// Each batch then frees about as much as a full page of single slots,
    /// and no more pages are in flight than the capacity sized the pool
    /// for.
    pub(crate) slots_per_batch: u32,
    /// The user's drain, called once per batch.
    drain_cb: DrainFn,
    /// The user's `priv`, passed back to `drain_cb` untouched.
    drain_priv: *mut c_void,
    /// The runtime switch, read on every push (a `core` atomic: no C call).
    pub(crate) enabled: AtomicBool,
    /// This instance's own `idle_ms` (set by KUnit), or 0 to follow
    /// [`IDLE_MS`]; [`Deferred::idle_ms`] is the one in force.
    pub(crate) idle_ms: Atomic<u32>,
    /// Each CPU's buffer being filled, behind the CPU's local lock.
    pub(crate) bufs: LocalLocked<CpuBuf, Filling>,
    /// Full (or flushed partial) batches not yet picked up by the drain.
    /// Taken once per page by a push (not per element), and by the drain
    /// to move them all to `backlog`; nothing is taken or freed under it.
    #[pin]
    pub(crate) full: SpinLock<BatchQueue>,
    /// Pages for the CPU buffers; a push fails when it is empty.
    #[pin]
    pub(crate) pool: PagePool,
    /// `(min, max)` of the pool as sized from the capacity, before the
    /// `pool_max` parameter caps them.
    pub(crate) auto_pool: (usize, usize),
    /// Batches the drain picked up, oldest first. Drainers (the workers,
    /// `flush`, `reclaim`) take one batch at a time under the mutex and
    /// drain it without, so that several run at once.
    #[pin]
    pub(crate) backlog: Mutex<BatchQueue>,
    /// Elements handed to the drain (full and flushed batches).
    pub(crate) queued_elems: Atomic<u64>,
    /// Elements passed to `drain_cb`.
    pub(crate) drained: Atomic<u64>,
    /// Drained elements that `drain_cb` found already freed (e.g. a zram
    /// slot rewritten before the drain reached it).
    pub(crate) stale: Atomic<u64>,
    /// Batches put on `full`, full or flushed partial.
    pub(crate) batches_queued: Atomic<u64>,
    /// Pushes refused for want of a pool page.
    pub(crate) fallbacks: Atomic<u64>,
    /// Lengths of the runs the user reported (`zs_deferred_note_run()`),
    /// by powers of two.
    pub(crate) runs: [Atomic<u64>; RUN_BUCKETS],
    /// Each CPU's flush and drain work items. They and `idle_work` are
    /// disabled by the teardown and dropped before the queues they run on.
    pub(crate) cpu_work: PerCpu<CpuWork>,
    /// Armed by a buffer's first element: flushes partial buffers after
    /// `idle_ms`, then shrinks the pool to `min` if nothing is pending.
    pub(crate) idle_work: OwnerDelayedWork<Deferred>,
    /// Unbound `WQ_MEM_RECLAIM` queue of the drain items: the drain frees
    /// memory, so it has a rescuer to run it when no worker can be created.
    /// Destroyed after the teardown below, when no item is left on it.
    pub(crate) wq: OwnedQueue,
    /// Per-CPU queue of the CPU flush items and `idle_work`, without a
    /// rescuer: neither is needed for reclaim to make progress (the
    /// shrinker and `zs_deferred_reclaim()` drain without them).
    pub(crate) cpu_wq: OwnedQueue,
}

// SAFETY: Raw pointers in `Deferred` are to memory it owns (pages, per-CPU
// areas, workqueues) or to the user's `priv`, which the user shares with the
// drain by contract; all shared state is atomic or behind locks.
unsafe impl Send for Deferred {}
// SAFETY: See `Send`; `&Deferred` methods synchronise internally.
unsafe impl Sync for Deferred {}

/// The CPU hotplug state of all instances, set up by the first one and
/// removed at module unload: its dead callback hands a dead CPU's buffer to
/// the drain (`MultiInstance for Deferred`, in `drain.rs`).
pub(crate) static CPU_DEAD: PrepareState<Hooked> = PrepareState::new();

/// An instance as its users hold it: in the list the module parameters
/// apply to (`params::INSTANCES`), in [`CPU_DEAD`], registered as a
/// shrinker (`shrinker.rs`) and with its debugfs files (`debugfs.rs`).
/// Dropping it leaves the list and the hotplug state, removes the files,
/// unregisters the shrinker, then tears the instance down.
pub(crate) type Handle = registry::Registered<Listed, crate::params::INSTANCES>;

/// What the list of live instances holds: an instance in [`CPU_DEAD`].
pub(crate) type Listed = Instance<Hooked>;

/// An instance with its shrinker and debugfs files: what the hotplug state
/// holds.
#[pin_data]
pub(crate) struct Hooked {
    /// The instance, registered with reclaim, in a debugfs scope whose
    /// files are removed before it is dropped.
    #[pin]
    files: Scope<Registered>,
}

impl Deref for Hooked {
    type Target = Deferred;

    fn deref(&self) -> &Deferred {
        &self.files
    }
}

/// Number of possible CPUs.
fn nr_possible_cpus() -> usize {
    possible_cpus().count()
}

/// Number of online CPUs: a snapshot, which is all a pool size needs.
fn nr_online_cpus() -> usize {
    possible_cpus().filter(|cpu| cpu.is_online()).count()
}

/// Pool bounds for `capacity` outstanding elements of `cap` per page.
///
/// `max` lets every element the backend can hold be pending at once (one
/// batch page per `cap` elements, plus a page per CPU being filled), but
/// never more than [`pool_ram_bound`]. `min`, allocated at create time, is
/// an eighth of `max` but at least two pages per online CPU (and never
/// above `max`): it covers bursts while the worker grows the pool. Online,
/// not possible: a phone whose firmware declares more CPUs than it brings
/// up should not pay for the absent ones; a CPU that comes online later
/// gets its pages from the worker's growth like any burst.
pub(crate) fn pool_bounds(capacity: usize, cap: u32) -> (usize, usize) {
    let max = (capacity.div_ceil(cap as usize) + nr_possible_cpus()).min(pool_ram_bound());
    let min = (max / 8).max(2 * nr_online_cpus()).min(max);
    (min, max)
}

/// The most pages one pool may hold: 1/64 of RAM, at least two per CPU.
pub(crate) fn pool_ram_bound() -> usize {
    (totalram_pages() >> POOL_MAX_RAM_SHIFT).max(2 * nr_possible_cpus())
}

impl Deferred {
    /// Counts one run of `nr` elements freed together, in the bucket of
    /// its power of two.
    pub(crate) fn note_run(&self, nr: u32) {
        let bucket = (nr.max(1).ilog2() as usize).min(RUN_BUCKETS - 1);
        self.runs[bucket].add(1, Relaxed);
    }

    /// Creates an instance; see `zs_deferred_create()`.
    pub(crate) fn create(
        name: &CStr,
        elem_size: usize,
        drain_cb: DrainFn,
        drain_priv: *mut c_void,
        capacity: usize,
    ) -> Result<Pin<KBox<Handle>>> {
        if elem_size != 4 && elem_size != 8 {
            pr_warn!("{name:?}: unsupported element size {elem_size} (4 or 8)\n");
            return Err(EINVAL);
        }
        if capacity == 0 {
            pr_warn!("{name:?}: zero capacity, no pool to size\n");
            return Err(EINVAL);
        }
        let cap = crate::batch::capacity(elem_size);
        let slots_per_batch = crate::batch::capacity(4);
        let auto_pool = pool_bounds(capacity, cap);
        let (pool_min, pool_max) = crate::params::pool_bounds(auto_pool);
        // Both queues are named after the instance, as its log messages.
        let label = name.to_str().unwrap_or("?");
        let wq = OwnedQueue::new(
            fmt!("zsd_{label}"),
            QueueFlags::UNBOUND | QueueFlags::MEM_RECLAIM,
            0,
        )?;
        let cpu_wq = OwnedQueue::new(fmt!("zsd_{label}_cpu"), QueueFlags::PERCPU, 0)?;
        let init = try_pin_init!(Self {
            name: CString::try_from(name)?,
            elem_size,
            cap,
            slots_per_batch,
            drain_cb,
            drain_priv,
            enabled: AtomicBool::new(true),
            idle_ms: Atomic::new(0),
            bufs: kernel::new_local_locked!(
                GFP_KERNEL,
                |_| CpuBuf { nr: AtomicU32::new(0) },
                "zs_deferred_buf"
            )?,
            cpu_work: PerCpu::new(GFP_KERNEL, CpuWork::new)?,
            full <- kernel::new_spinlock!(BatchQueue::new()),
            pool <- PagePool::new(pool_min, pool_max),
            auto_pool,
            backlog <- kernel::new_mutex!(BatchQueue::new()),
            queued_elems: Atomic::new(0),
            drained: Atomic::new(0),
            stale: Atomic::new(0),
            batches_queued: Atomic::new(0),
            fallbacks: Atomic::new(0),
            runs: [const { Atomic::new(0) }; RUN_BUCKETS],
            wq,
            cpu_wq,
            idle_work: OwnerDelayedWork::new((), crate::drain::idle_work),
        }? Error)
        // The work items point at the instance, so they are bound once it
        // has its place, before a CPU's death can queue them.
        .pin_chain(|d| {
            use kernel::static_lock_class as class;
            // SAFETY: `d` is pinned and not shared yet, and each item is
            // bound once; the items sit in it (or in its per-CPU area, which
            // lives as long) and its teardown disables them all before
            // anything they use goes (`PinnedDrop`), `cpu_wq` included.
            unsafe {
                d.idle_work
                    .bind(&d, &d.cpu_wq, c"zs_deferred_idle", class!(), class!());
                for (_, w) in d.cpu_work.iter() {
                    w.flush.bind(&d, c"zs_deferred_cpu_flush", class!());
                    w.drain.bind(&d, c"zs_deferred_drain", class!());
                }
            }
            Ok(())
        });
        let root = crate::debugfs::root();
        let hooked = try_pin_init!(Hooked {
            files <- root.scope(
                shrinker::Registration::new(fmt!("zs_deferred-{label}"), init),
                name,
                create_files,
            ),
        }? Error);
        let d = KBox::pin_init(
            registry::Registered::new(
                &crate::params::INSTANCES,
                Instance::new(&CPU_DEAD, c"mm/zs_deferred:dead", hooked),
            ),
            GFP_KERNEL,
        )?;
        let added = d.grow_pool(pool_min, GFP_KERNEL);
        // Against the minimum in force now: the instance is listed, so a
        // `pool_max` written meanwhile may have lowered it, and the pool
        // rightly stopped there.
        if added < pool_min.min(d.pool.min.load(Relaxed)) {
            pr_warn!("{name:?}: cannot allocate a pool of {pool_min} pages\n");
            return Err(ENOMEM);
        }
        // A `pool_max` written since the bounds above were taken and before
        // this instance was listed did not reach it.
        d.apply_pool_bounds();
        Ok(d)
    }

    /// Delay in milliseconds after which partial buffers are drained: the
    /// instance's own, else the module parameter's.
    pub(crate) fn idle_ms(&self) -> u32 {
        match self.idle_ms.load(Relaxed) {
            0 => IDLE_MS.load(Relaxed),
            ms => ms,
        }
    }

    /// Calls the user's drain for one queued batch and recycles the page.
    pub(crate) fn drain_batch(&self, b: OwnedBatch) {
        let nr = b.nr();
        let start = Instant::<Monotonic>::now();
        // SAFETY: A queued batch holds `nr` initialised elements; `drain_cb`
        // is the user's drain, given `drain_priv` back as `create` promised.
        let stale = unsafe { (self.drain_cb)(self.drain_priv, b.elems().cast(), nr) };
        let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(0);
        self.trace_drain(nr, stale, ns);
        self.drained.add(u64::from(nr), Relaxed);
        self.stale.add(u64::from(stale), Relaxed);
        self.put_page(b);
    }

    /// Gives a page back to the pool, or frees it while the instance is off:
    /// a switch off frees the whole pool, and a page that was out meanwhile
    /// (drained by `reclaim()` or a concurrent flush, or taken by a push
    /// that then found the switch off) must not stay in it.
    pub(crate) fn put_page(&self, b: OwnedBatch) {
        if self.pool.put(b, || {
            self.enabled.load(core::sync::atomic::Ordering::Relaxed)
        }) {
            self.trace_pool(-1);
        }
    }
}

/// Teardown, whatever the path: `zs_deferred_destroy()`, a failed `create`
/// (after its allocations succeeded) or a test instance going out of scope.
/// The list entry, the hotplug node, the debugfs files and the shrinker are
/// gone before this runs (see [`Handle`]). Nothing can reach it once it
/// returns: pushes are off, every work item is cancelled or
/// finished (the workqueues, empty, are destroyed when the fields are
/// dropped right after); what was pushed has been drained and every page is
/// back with the allocator.
#[pinned_drop]
impl PinnedDrop for Deferred {
    fn drop(mut self: Pin<&mut Self>) {
        let d: &Self = &self;
        d.enabled
            .store(false, core::sync::atomic::Ordering::Release);
        d.idle_work.disable_sync();
        d.flush();
        for (_, w) in d.cpu_work.iter() {
            w.drain.disable_sync();
            w.flush.disable_sync();
        }
        // Every page goes back to the pool, to be freed below. A CPU that
        // died after the hotplug node went still holds its elements, which
        // are drained first. No push or work item runs any more.
        let mut left = BatchQueue::new();
        let bufs = self.as_mut().project().bufs;
        for cpu in possible_cpus() {
            if let Some((b, f)) = bufs.split_mut(cpu) {
                if let Some(page) = Self::take_page(b, f) {
                    left.push_back(page);
                }
            }
        }
        let d: &Self = &self;
        while let Some(b) = left.pop_front() {
            if b.nr() > 0 {
                d.queued_elems.add(u64::from(b.nr()), Relaxed);
                d.batches_queued.add(1, Relaxed);
                d.drain_batch(b);
            } else {
                d.put_page(b);
            }
        }
        d.shrink_pool(0);
    }
}
