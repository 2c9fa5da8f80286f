// SPDX-License-Identifier: GPL-2.0

//! Per-CPU data behind per-CPU local locks.
//!
//! C header: [`include/linux/local_lock.h`](srctree/include/linux/local_lock.h)
//!
//! A local lock serialises the tasks of one CPU on that CPU's data. Without
//! `CONFIG_PREEMPT_RT`, taking it disables preemption; with it, it disables
//! migration and takes a per-CPU spinlock, so the section stays preemptible
//! there. Either way lockdep sees it as a lock: it checks the contexts it is
//! taken in and its order against other locks, which `preempt_disable()`
//! alone would not give.
//!
//! Each CPU's data has two parts: one that any CPU may read (`T`, shared,
//! with its own interior mutability) and one that only the lock holder
//! touches (`U`, lent out mutably by the guard), e.g. a buffer the CPU
//! fills while others only read how full it is.

use crate::{
    alloc::{AllocError, Flags},
    bindings,
    cpu::CpuId,
    cpuhp::DeadCpu,
    percpu::PerCpu,
    str::{CStr, CStrExt},
    sync::{barrier::barrier, LockClassKey},
    types::{NotThreadSafe, Opaque},
};
use core::{
    cell::UnsafeCell,
    ops::Deref,
    pin::Pin,
    sync::atomic::{AtomicBool, Ordering},
};

/// Creates a [`LocalLocked`] whose locks get a lock class of their own,
/// named after the call site unless a name is given.
///
/// # Examples
///
/// ```
/// use kernel::{local_lock::LocalLocked, new_local_locked, sync::atomic::{Atomic, Relaxed}};
///
/// let hits: LocalLocked<_> = new_local_locked!(GFP_KERNEL, |_| Atomic::<u64>::new(0))?;
/// hits.lock().add(1u64, Relaxed);
/// # Ok::<(), Error>(())
/// ```
#[macro_export]
macro_rules! new_local_locked {
    ($flags:expr, $init:expr $(, $name:literal)? $(,)?) => {
        $crate::local_lock::LocalLocked::new(
            $flags,
            $init,
            $crate::optional_name!($($name)?),
            $crate::static_lock_class!(),
        )
    };
}
pub use new_local_locked;

/// One CPU's lock and data. The lock comes first, so that the address of a
/// CPU's lock is that of its slot.
#[repr(C)]
struct Slot<T, U> {
    lock: Opaque<bindings::local_lock_t>,
    data: T,
    /// Whether a guard on this CPU has lent out `owned`. Only this CPU
    /// changes it, with its lock held: a second guard on the same CPU (a
    /// nested `lock()`: an interrupt handler, or without `PREEMPT_RT` a
    /// task that holds a guard already; lockdep reports both) finds it set
    /// and gets no `U`. A `core` atomic with `Relaxed` loads and stores: a
    /// plain move, where the `kernel` atomics may be a call into C.
    lent: AtomicBool,
    owned: UnsafeCell<U>,
}

// SAFETY: The lock is only used through the local lock API, which may run
// on any CPU; `data` is shared as `T` allows; `owned` is only reached by one
// context at a time (the guard that lent it out, the holder of `&mut
// LocalLocked` or the hotplug callback of its dead CPU), as a `Mutex<U>`
// would be, which needs `U: Send`.
unsafe impl<T: Sync, U: Send> Sync for Slot<T, U> {}
// SAFETY: As above; a slot moves between threads only with its `PerCpu`.
unsafe impl<T: Send, U: Send> Send for Slot<T, U> {}

/// A `T` and a `U` for every possible CPU, each behind that CPU's local
/// lock.
///
/// [`LocalLocked::lock`] takes the current CPU's lock and gives that CPU's
/// `T` until the guard is dropped: no other task runs the same section on
/// this CPU meanwhile, so code that changes a CPU's value only under its
/// lock, on that CPU, is the only writer of it. Other CPUs may still read
/// any CPU's `T` ([`LocalLocked::get`]), so access to it is shared (`&T`)
/// and `T` carries its own interior mutability.
///
/// The `U` is private to the lock holder: the guard lends it out mutably
/// ([`LocalGuard::split`]), so it needs no atomics. Elsewhere it is reached
/// only with exclusive access to the whole ([`LocalLocked::split_mut`]) or
/// once its CPU is dead ([`LocalLocked::dead_split`]). Interrupt handlers are
/// not excluded by the lock, which is for task context (lockdep complains
/// if it is also taken in an interrupt); one that takes it anyway gets no
/// `U` while the task it interrupted holds it.
///
/// # Invariants
///
/// The lock of every possible CPU is initialised.
///
/// # Examples
///
/// ```
/// use kernel::{local_lock::LocalLocked, new_local_locked, sync::atomic::{Atomic, Relaxed}};
///
/// // No `U`: the default, `()`.
/// let pending: LocalLocked<_> =
///     new_local_locked!(GFP_KERNEL, |_| Atomic::<u32>::new(0), "pending")?;
/// {
///     let mine = pending.lock();
///     // Only this task changes this CPU's count while the guard lives.
///     mine.store(mine.load(Relaxed) + 1, Relaxed);
///     assert_eq!(pending.get(mine.cpu()).map(|p| p.load(Relaxed)), Some(1));
/// }
/// let total: u32 = pending.iter().map(|(_, p)| p.load(Relaxed)).sum();
/// assert_eq!(total, 1);
///
/// // A count readable from anywhere and a log only its CPU writes.
/// let log: LocalLocked<_, KVec<u32>> = new_local_locked!(GFP_KERNEL, |_| Atomic::<u32>::new(0))?;
/// let mut mine = log.lock();
/// if let Some((len, entries)) = mine.split() {
///     entries.push(7, GFP_ATOMIC)?;
///     len.store(entries.len() as u32, Relaxed);
/// }
/// drop(mine);
/// assert_eq!(log.iter().map(|(_, l)| l.load(Relaxed)).sum::<u32>(), 1);
/// # Ok::<(), Error>(())
/// ```
pub struct LocalLocked<T, U = ()> {
    slots: PerCpu<Slot<T, U>>,
}

impl<T: Sync, U: Send + Default> LocalLocked<T, U> {
    /// Allocates a `T` for every possible CPU, initialised by `init(cpu)`,
    /// a default `U` and a local lock for each in the lock class `key`; see
    /// also [`new_local_locked!`].
    pub fn new(
        flags: Flags,
        mut init: impl FnMut(CpuId) -> T,
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
    ) -> Result<Self, AllocError> {
        let slots = PerCpu::new(flags, |cpu| Slot {
            lock: Opaque::uninit(),
            data: init(cpu),
            lent: AtomicBool::new(false),
            owned: UnsafeCell::new(U::default()),
        })?;
        for (_, slot) in slots.iter() {
            // SAFETY: `slot.lock` is valid for writes and stays at this
            // address (per-CPU memory does not move) until `slots` is freed;
            // `name` and `key` are static.
            unsafe {
                bindings::__local_lock_init(slot.lock.get(), name.as_char_ptr(), key.as_ptr())
            };
        }
        // INVARIANT: Every possible CPU's lock was initialised above.
        Ok(Self { slots })
    }
}

impl<T: Sync, U: Send> LocalLocked<T, U> {
    /// Takes this CPU's lock; the guard gives this CPU's `T`, and its `U`
    /// unless an outer guard on this CPU has it.
    #[inline]
    pub fn lock(&self) -> LocalGuard<'_, T, U> {
        let lock = self.slots.as_ptr().cast::<bindings::local_lock_t>();
        // SAFETY: `lock` is the per-CPU cookie of the slots, whose first
        // field is an initialised local lock (type invariant).
        let slot = unsafe { bindings::local_lock_this_cpu(lock) }.cast::<Slot<T, U>>();
        // SAFETY: `slot` is this CPU's slot, initialised and alive as long as
        // `self`; the task stays on this CPU until the guard unlocks.
        let slot = unsafe { &*slot };
        // Plain load and store: only this CPU writes the flag, and whatever
        // interrupts this puts it back before returning.
        let has_owned = !slot.lent.load(Ordering::Relaxed);
        if has_owned {
            slot.lent.store(true, Ordering::Relaxed);
            // Accesses to `U` stay after the flag is set, as seen by an
            // interrupt on this CPU.
            barrier();
        }
        LocalGuard {
            slot,
            lock,
            has_owned,
            _not_send: NotThreadSafe,
        }
    }

    /// `cpu`'s `T` and `U`; `None` if `cpu` is not a possible CPU.
    /// `&mut self` excludes every guard and every other access.
    #[inline]
    pub fn split_mut(&mut self, cpu: CpuId) -> Option<(&T, &mut U)> {
        let slot = self.slots.get(cpu)?;
        // SAFETY: `&mut self` is the only access to the whole: no guard (it
        // borrows `self`) and no other reference to any `U` exists.
        Some((&slot.data, unsafe { &mut *slot.owned.get() }))
    }

    /// A dead CPU's `T` and `U`, from the CPU hotplug callback that took
    /// over after it; `None` if that CPU is not possible.
    #[inline]
    pub fn dead_split<'a>(&'a self, cpu: &'a mut DeadCpu) -> Option<(&'a T, &'a mut U)> {
        let slot = self.slots.get(cpu.id())?;
        // SAFETY: `cpu` runs nothing and no guard on it is left: a guard
        // keeps its CPU from going down (preemption off; on PREEMPT_RT,
        // migration off, which the hotplug code waits out before the CPU
        // dies). None can be taken on it until it comes back up, which
        // waits for the callback; `&mut DeadCpu` is lent to one callback at
        // a time and borrowed for as long as the result.
        Some((&slot.data, unsafe { &mut *slot.owned.get() }))
    }

    /// `cpu`'s `T`, from any CPU, without its lock; `None` if `cpu` is not a
    /// possible CPU.
    #[inline]
    pub fn get(&self, cpu: CpuId) -> Option<&T> {
        self.slots.get(cpu).map(|s| &s.data)
    }

    /// Every possible CPU with its `T`, without their locks.
    pub fn iter(&self) -> impl Iterator<Item = (CpuId, &T)> {
        self.slots.iter().map(|(cpu, s)| (cpu, &s.data))
    }
}

/// This CPU's `T` (and `U`) of a [`LocalLocked`], its lock held until the
/// guard is dropped, on the task that took it.
pub struct LocalGuard<'a, T, U = ()> {
    slot: &'a Slot<T, U>,
    lock: *mut bindings::local_lock_t,
    /// Whether this guard set the slot's `lent` flag and so has its `U`.
    has_owned: bool,
    _not_send: NotThreadSafe,
}

impl<T, U> LocalGuard<'_, T, U> {
    /// The CPU whose value this is: the task cannot leave it while the
    /// guard lives.
    #[inline]
    pub fn cpu(&self) -> CpuId {
        CpuId::current()
    }

    /// This CPU's `T`, and its `U` for as long as the borrow of the guard;
    /// `None` if an outer guard on this CPU has the `U` (this guard was
    /// taken by an interrupt handler, or without `PREEMPT_RT` by a task
    /// that holds one already).
    #[inline]
    pub fn split(&mut self) -> Option<(&T, &mut U)> {
        if !self.has_owned {
            return None;
        }
        // SAFETY: This guard set `lent` in `LocalLocked::lock`, so no other
        // guard lends out `U`; the CPU cannot die while the lock is held,
        // and `&mut LocalLocked` cannot exist while `self` borrows it. The
        // borrow of `self` keeps the `&mut U` unique.
        Some((&self.slot.data, unsafe { &mut *self.slot.owned.get() }))
    }
}

impl<T, U> Deref for LocalGuard<'_, T, U> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.slot.data
    }
}

impl<T, U> Drop for LocalGuard<'_, T, U> {
    #[inline]
    fn drop(&mut self) {
        if self.has_owned {
            // Accesses to `U` stay before the flag is cleared.
            barrier();
            self.slot.lent.store(false, Ordering::Relaxed);
        }
        // SAFETY: This task took the lock of this CPU (which it has not left)
        // in `LocalLocked::lock` and releases it once, here.
        unsafe { bindings::local_unlock(self.lock) };
    }
}
