// SPDX-License-Identifier: GPL-2.0

//! Work items that run a function on an object which owns them.
//!
//! The safe work item API ([`Work`](super::Work)) hands the workqueue a counted or boxed pointer
//! to the item, so an item can only live inside an [`Arc`](crate::sync::Arc), a
//! [`Pin<KBox<T>>`] or an [`ARef`](crate::sync::aref::ARef). Some objects instead own many
//! items at fixed places (one per CPU in a [`PerCpu`](crate::percpu::PerCpu), say) and stop them
//! all before they go away: C does this with `INIT_WORK()` on embedded items and
//! `disable_work_sync()` in the object's teardown.
//!
//! [`OwnerWork`] and [`OwnerDelayedWork`] are such items. Each is made with a function
//! `fn(&T, &D)` and a value `D` of its own (for one item per CPU, the CPU); once bound to its
//! owner, a `T`, it may be queued, flushed and disabled through `&self`, and every run calls the
//! function with the owner and the value. Binding is the one `unsafe` step: the owner promises to
//! outlive every run, which it keeps by calling [`OwnerWork::disable_sync`] in its drop before
//! anything the function uses goes. An item that was never bound is never queued:
//! [`OwnerWork::queue`] returns `false` for it.
//!
//! A delayed item is bound to its queue too: until it fires, its timer holds a pointer to the
//! queue, which must then outlive it as the owner does (destroying a workqueue does not wait for
//! timers).
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)

use super::Queue;
use crate::{cpu::CpuId, prelude::*, sync::LockClassKey, time::Jiffies, types::Opaque};
use core::{cell::UnsafeCell, ptr};

/// What a run of an item calls: the function, its owner and its value.
struct Target<T, D> {
    /// The owner, null until the item is bound.
    owner: UnsafeCell<*const T>,
    /// What a run calls.
    func: fn(&T, &D),
    /// The item's own value, passed to `func`.
    data: D,
}

impl<T, D> Target<T, D> {
    fn new(data: D, func: fn(&T, &D)) -> Self {
        Self {
            owner: UnsafeCell::new(ptr::null()),
            func,
            data,
        }
    }

    /// Whether the item is bound. Binding happens before the item is shared (see
    /// [`OwnerWork::bind`]), so this read races with no write.
    fn is_bound(&self) -> bool {
        // SAFETY: `owner` is only written by `bind`, before `self` is shared.
        !unsafe { *self.owner.get() }.is_null()
    }

    /// Calls the function on the owner.
    ///
    /// # Safety
    ///
    /// The item is bound and its owner alive (the contract of `bind`).
    unsafe fn run(&self) {
        // SAFETY: Bound before it could be queued, and alive while a run is possible (`bind`).
        let owner = unsafe { &**self.owner.get() };
        (self.func)(owner, &self.data)
    }
}

/// A work item owned by a `T`, calling a `fn(&T, &D)` on it.
///
/// # Invariants
///
/// Once `target.owner` is non-null, `work` is an initialised `work_struct` whose function is
/// `run_raw`, `self` does not move until it is dropped, and the owner is valid until
/// `disable_sync()` has been called or `self` is dropped.
///
/// # Examples
///
/// An object counting the runs of the item it owns:
///
/// ```
/// use kernel::sync::atomic::{Atomic, Relaxed};
/// use kernel::workqueue::{self, OwnerWork};
///
/// #[pin_data(PinnedDrop)]
/// struct Counter {
///     runs: Atomic<u32>,
///     work: OwnerWork<Counter>,
/// }
///
/// impl Counter {
///     fn new() -> Result<Pin<KBox<Self>>> {
///         let work = OwnerWork::new((), |c: &Counter, _: &()| {
///             c.runs.add(1, Relaxed);
///         });
///         let c = KBox::pin(Counter { runs: Atomic::new(0), work }, GFP_KERNEL)?;
///         // SAFETY: `c` is pinned, so neither it nor its item moves, and its drop disables the
///         // item before anything else.
///         unsafe { c.work.bind(&c, c"counter", kernel::static_lock_class!()) };
///         Ok(c)
///     }
/// }
///
/// #[pinned_drop]
/// impl PinnedDrop for Counter {
///     fn drop(self: Pin<&mut Self>) {
///         self.work.disable_sync();
///     }
/// }
///
/// let c = Counter::new()?;
/// assert!(c.work.queue(workqueue::system_percpu()));
/// c.work.flush();
/// assert_eq!(c.runs.load(Relaxed), 1);
/// // Disabled, the item is not queued any more.
/// c.work.disable_sync();
/// assert!(!c.work.queue(workqueue::system_percpu()));
/// # Ok::<(), Error>(())
/// ```
pub struct OwnerWork<T, D = ()> {
    /// The C work item, initialised by `bind`.
    work: Opaque<bindings::work_struct>,
    /// What its runs call.
    target: Target<T, D>,
}

// SAFETY: The item may be queued, flushed, disabled and dropped from any thread; a run on a
// worker reaches the owner and the value through shared references only.
unsafe impl<T: Sync, D: Send + Sync> Send for OwnerWork<T, D> {}
// SAFETY: All methods taking `&self` go through the workqueue code, which synchronises itself.
unsafe impl<T: Sync, D: Sync> Sync for OwnerWork<T, D> {}

impl<T: Sync, D: Sync> OwnerWork<T, D> {
    /// Makes an item that will call `func` with its owner and `data`; it can be queued once
    /// [bound](Self::bind) in the place it will keep.
    pub fn new(data: D, func: fn(&T, &D)) -> Self {
        Self {
            work: Opaque::uninit(),
            target: Target::new(data, func),
        }
    }

    /// Binds the item to `owner` and initialises it in place, with `name` and `key` for lockdep.
    ///
    /// # Safety
    ///
    /// - `self` is not shared yet (no other thread uses it during the call) and is not bound;
    /// - `self` does not move from now until it is dropped;
    /// - `owner`, and everything of it that the function uses, stays valid until
    ///   [`Self::disable_sync`] has returned. Dropping the item disables it too, but that only
    ///   protects the item's own memory: an owner that holds the item calls `disable_sync()` in
    ///   its drop, before any of its fields go.
    pub unsafe fn bind(&self, owner: &T, name: &'static CStr, key: Pin<&'static LockClassKey>) {
        // SAFETY: `self` is not shared yet (caller), so nothing reads `owner` or the item while
        // they are written; `run_raw` matches `work_func_t`.
        // INVARIANT: The item is initialised before `owner` is set; the caller keeps it in place
        // and `owner` valid.
        unsafe {
            bindings::init_work_with_key(
                self.work.get(),
                Some(Self::run_raw),
                false,
                name.as_char_ptr(),
                key.as_ptr(),
            );
            *self.target.owner.get() = owner;
        }
    }

    /// The value given to [`Self::new`].
    pub fn data(&self) -> &D {
        &self.target.data
    }

    /// Queues the item on `wq`, to run on any CPU (`WORK_CPU_UNBOUND`).
    ///
    /// Returns `false` if it was queued already, is disabled or is not bound.
    pub fn queue(&self, wq: &Queue) -> bool {
        self.queue_raw(wq, bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int)
    }

    /// Queues the item on `wq`, to run on `cpu` if `wq` is per-CPU; see
    /// [`Queue::enqueue_on`].
    ///
    /// Returns `false` if it was queued already, is disabled or is not bound.
    pub fn queue_on(&self, wq: &Queue, cpu: CpuId) -> bool {
        self.queue_raw(wq, cpu.as_u32() as c_int)
    }

    fn queue_raw(&self, wq: &Queue, cpu: c_int) -> bool {
        if !self.target.is_bound() {
            return false;
        }
        // SAFETY: The item is initialised and stays in place, and its owner outlives every run
        // (type invariant); `cpu` is a CPU number or `WORK_CPU_UNBOUND`.
        unsafe { bindings::queue_work_on(cpu, wq.as_raw(), self.work.get()) }
    }

    /// Waits until the last queued run of the item has finished. Returns whether it had to wait.
    pub fn flush(&self) -> bool {
        crate::task::might_sleep();
        if !self.target.is_bound() {
            return false;
        }
        // SAFETY: The item is initialised (type invariant); waiting is allowed here.
        unsafe { bindings::flush_work(self.work.get()) }
    }

    /// Cancels the item if it is queued, waits for a run in progress and disables it for good:
    /// later queueing does nothing. Returns whether it was queued. After this the owner may go.
    pub fn disable_sync(&self) -> bool {
        crate::task::might_sleep();
        if !self.target.is_bound() {
            return false;
        }
        // SAFETY: The item is initialised (type invariant); waiting is allowed here.
        unsafe { bindings::disable_work_sync(self.work.get()) }
    }

    /// The work function of every bound item.
    ///
    /// # Safety
    ///
    /// Called by the workqueue code with the `work` field of a bound `Self`.
    unsafe extern "C" fn run_raw(work: *mut bindings::work_struct) {
        let work = Opaque::cast_from(work);
        // SAFETY: `work` is the `work` field of a `Self` (caller), which stays in place while
        // it may run (type invariant).
        let this = unsafe { &*crate::container_of!(work, Self, work) };
        // SAFETY: A queued item is bound and its owner valid (type invariant).
        unsafe { this.target.run() }
    }
}

impl<T, D> Drop for OwnerWork<T, D> {
    fn drop(&mut self) {
        if self.target.is_bound() {
            crate::task::might_sleep();
            // The memory of a queued or running item must not go; this waits for it (the owner
            // has normally disabled the item already, and it returns at once).
            // SAFETY: The item is initialised (type invariant).
            unsafe { bindings::disable_work_sync(self.work.get()) };
        }
    }
}

/// A delayed work item owned by a `T`: an [`OwnerWork`] with a timer.
///
/// # Invariants
///
/// As for [`OwnerWork`], with `dwork` a `delayed_work` whose `work` runs `run_raw` and
/// whose timer is the workqueue code's, and `queue`, once `target.owner` is non-null, a queue
/// valid until the item is disabled.
///
/// # Examples
///
/// ```
/// use kernel::sync::atomic::{Atomic, Relaxed};
/// use kernel::workqueue::{self, OwnerDelayedWork};
///
/// #[pin_data(PinnedDrop)]
/// struct Later {
///     runs: Atomic<u32>,
///     work: OwnerDelayedWork<Later>,
/// }
///
/// #[pinned_drop]
/// impl PinnedDrop for Later {
///     fn drop(self: Pin<&mut Self>) {
///         self.work.disable_sync();
///     }
/// }
///
/// let work = OwnerDelayedWork::new((), |l: &Later, _: &()| {
///     l.runs.add(1, Relaxed);
/// });
/// let l = KBox::pin(Later { runs: Atomic::new(0), work }, GFP_KERNEL)?;
/// let (key, timer_key) = (kernel::static_lock_class!(), kernel::static_lock_class!());
/// // SAFETY: `l` is pinned and its drop disables the item first; the system queue stays.
/// unsafe { l.work.bind(&l, workqueue::system_percpu(), c"later", key, timer_key) };
/// // Queued for an hour, then brought forward to now.
/// assert!(l.work.queue(kernel::time::msecs_to_jiffies(3_600_000)));
/// assert!(l.work.modify(0));
/// l.work.flush();
/// assert_eq!(l.runs.load(Relaxed), 1);
/// # Ok::<(), Error>(())
/// ```
pub struct OwnerDelayedWork<T, D = ()> {
    /// The C delayed work item, initialised by `bind`.
    dwork: Opaque<bindings::delayed_work>,
    /// The queue it goes to, set by `bind`.
    queue: UnsafeCell<*const Queue>,
    /// What its runs call.
    target: Target<T, D>,
}

// SAFETY: As for `OwnerWork`; the timer only queues the item.
unsafe impl<T: Sync, D: Send + Sync> Send for OwnerDelayedWork<T, D> {}
// SAFETY: As for `OwnerWork`.
unsafe impl<T: Sync, D: Sync> Sync for OwnerDelayedWork<T, D> {}

impl<T: Sync, D: Sync> OwnerDelayedWork<T, D> {
    /// Makes an item that will call `func` with its owner and `data`; see [`OwnerWork::new`].
    pub fn new(data: D, func: fn(&T, &D)) -> Self {
        Self {
            dwork: Opaque::uninit(),
            queue: UnsafeCell::new(ptr::null()),
            target: Target::new(data, func),
        }
    }

    /// Binds the item to `owner` and to the queue `wq` it will go to, and initialises it and its
    /// timer in place, with lockdep keys for both.
    ///
    /// # Safety
    ///
    /// As for [`OwnerWork::bind`], and `wq` too stays valid until [`Self::disable_sync`] has
    /// returned or `self` is dropped, whichever comes first (a pending timer queues on it).
    pub unsafe fn bind(
        &self,
        owner: &T,
        wq: &Queue,
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
        timer_key: Pin<&'static LockClassKey>,
    ) {
        let dwork = self.dwork.get();
        // SAFETY: `self` is not shared yet (caller); `run_raw` matches `work_func_t`, and the
        // timer, embedded in the `delayed_work`, is only armed by the workqueue code, as
        // `delayed_work_timer_fn` requires (irq-safe, as `INIT_DELAYED_WORK()` makes it).
        unsafe {
            bindings::init_work_with_key(
                &raw mut (*dwork).work,
                Some(Self::run_raw),
                false,
                name.as_char_ptr(),
                key.as_ptr(),
            );
            bindings::timer_init_key(
                &raw mut (*dwork).timer,
                Some(bindings::delayed_work_timer_fn),
                bindings::TIMER_IRQSAFE,
                name.as_char_ptr(),
                timer_key.as_ptr(),
            );
            *self.queue.get() = wq;
            *self.target.owner.get() = owner;
        }
    }

    /// The value given to [`Self::new`].
    pub fn data(&self) -> &D {
        &self.target.data
    }

    /// Queues the item on its queue after `delay` jiffies, unless it is pending already (its
    /// timer is then left as it is). The work runs on the CPU where the timer fires.
    ///
    /// Returns `false` if it was pending already, is disabled or is not bound.
    pub fn queue(&self, delay: Jiffies) -> bool {
        if !self.target.is_bound() {
            return false;
        }
        // SAFETY: Initialised, in place, owner and queue valid (type invariant).
        unsafe {
            bindings::queue_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                self.queue_ptr(),
                self.dwork.get(),
                delay,
            )
        }
    }

    /// Queues the item on its queue after `delay` jiffies from now, whether it was pending or
    /// not (a pending item's timer is moved).
    ///
    /// Returns `false` if it was not pending (it is then queued), is disabled or is not bound.
    pub fn modify(&self, delay: Jiffies) -> bool {
        if !self.target.is_bound() {
            return false;
        }
        // SAFETY: As in `queue`.
        unsafe {
            bindings::mod_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                self.queue_ptr(),
                self.dwork.get(),
                delay,
            )
        }
    }

    /// The bound queue, for the C calls.
    fn queue_ptr(&self) -> *mut bindings::workqueue_struct {
        // SAFETY: `queue` was written by `bind` before `self` was shared and is only read since;
        // a bound item's queue is valid until it is disabled (type invariant), and the callers
        // use it only while the item may be queued.
        unsafe { (**self.queue.get()).as_raw() }
    }

    /// Runs a pending item now and waits for it and for a run in progress; see
    /// [`OwnerWork::flush`].
    pub fn flush(&self) -> bool {
        crate::task::might_sleep();
        if !self.target.is_bound() {
            return false;
        }
        // SAFETY: Initialised (type invariant); waiting is allowed here.
        unsafe { bindings::flush_delayed_work(self.dwork.get()) }
    }

    /// Cancels the item and its timer, waits for a run in progress and disables it; see
    /// [`OwnerWork::disable_sync`].
    pub fn disable_sync(&self) -> bool {
        crate::task::might_sleep();
        if !self.target.is_bound() {
            return false;
        }
        // SAFETY: Initialised (type invariant); waiting is allowed here.
        unsafe { bindings::disable_delayed_work_sync(self.dwork.get()) }
    }

    /// The work function of every bound delayed item.
    ///
    /// # Safety
    ///
    /// Called by the workqueue code with the `work` of the `dwork` field of a bound `Self`.
    unsafe extern "C" fn run_raw(work: *mut bindings::work_struct) {
        // SAFETY: `work` is the `work` field of a `delayed_work` (caller), set up by `bind`.
        let dwork = unsafe { crate::container_of!(work, bindings::delayed_work, work) };
        // SAFETY: That `delayed_work` is the `dwork` field of a `Self` (caller), in place while
        // it may run (type invariant).
        let this = unsafe { &*crate::container_of!(Opaque::cast_from(dwork), Self, dwork) };
        // SAFETY: A queued item is bound and its owner valid (type invariant).
        unsafe { this.target.run() }
    }
}

impl<T, D> Drop for OwnerDelayedWork<T, D> {
    fn drop(&mut self) {
        if self.target.is_bound() {
            crate::task::might_sleep();
            // SAFETY: The item is initialised (type invariant).
            unsafe { bindings::disable_delayed_work_sync(self.dwork.get()) };
        }
    }
}
