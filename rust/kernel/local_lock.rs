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

use crate::{
    alloc::{AllocError, Flags},
    bindings,
    cpu::CpuId,
    percpu::PerCpu,
    str::{CStr, CStrExt},
    sync::LockClassKey,
    types::{NotThreadSafe, Opaque},
};
use core::{ops::Deref, pin::Pin};

/// Creates a [`LocalLocked`] whose locks get a lock class of their own,
/// named after the call site unless a name is given.
///
/// # Examples
///
/// ```
/// use kernel::{new_local_locked, sync::atomic::{Atomic, Relaxed}};
///
/// let hits = new_local_locked!(GFP_KERNEL, |_| Atomic::<u64>::new(0))?;
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
struct Slot<T> {
    lock: Opaque<bindings::local_lock_t>,
    data: T,
}

// SAFETY: The lock is only used through the local lock API, which may run
// on any CPU; the data is shared as `T` allows.
unsafe impl<T: Sync> Sync for Slot<T> {}
// SAFETY: As above; a slot moves between threads only with its `PerCpu`.
unsafe impl<T: Send> Send for Slot<T> {}

/// A `T` for every possible CPU, each behind that CPU's local lock.
///
/// [`LocalLocked::lock`] takes the current CPU's lock and gives that CPU's
/// `T` until the guard is dropped: no other task runs the same section on
/// this CPU meanwhile, so code that changes a CPU's value only under its
/// lock, on that CPU, is the only writer of it. Other CPUs may still read
/// any CPU's value ([`LocalLocked::get`]), so access is shared (`&T`) and
/// `T` carries its own interior mutability. Interrupt handlers are not
/// excluded: the lock is for task context (lockdep complains if it is also
/// taken in an interrupt).
///
/// # Invariants
///
/// The lock of every possible CPU is initialised.
///
/// # Examples
///
/// ```
/// use kernel::{cpu::CpuId, new_local_locked, sync::atomic::{Atomic, Relaxed}};
///
/// let pending = new_local_locked!(GFP_KERNEL, |_| Atomic::<u32>::new(0), "pending")?;
/// {
///     let mine = pending.lock();
///     // Only this task changes this CPU's count while the guard lives.
///     mine.store(mine.load(Relaxed) + 1, Relaxed);
///     assert_eq!(pending.get(mine.cpu()).map(|p| p.load(Relaxed)), Some(1));
/// }
/// let total: u32 = pending.iter().map(|(_, p)| p.load(Relaxed)).sum();
/// assert_eq!(total, 1);
/// # Ok::<(), Error>(())
/// ```
pub struct LocalLocked<T> {
    slots: PerCpu<Slot<T>>,
}

impl<T: Sync> LocalLocked<T> {
    /// Allocates a `T` for every possible CPU, initialised by `init(cpu)`,
    /// and a local lock for each in the lock class `key`; see also
    /// [`new_local_locked!`].
    pub fn new(
        flags: Flags,
        mut init: impl FnMut(CpuId) -> T,
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
    ) -> Result<Self, AllocError> {
        let slots = PerCpu::new(flags, |cpu| Slot {
            lock: Opaque::uninit(),
            data: init(cpu),
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

    /// Takes this CPU's lock; the guard gives this CPU's `T`.
    #[inline]
    pub fn lock(&self) -> LocalGuard<'_, T> {
        let lock = self.slots.as_ptr().cast::<bindings::local_lock_t>();
        // SAFETY: `lock` is the per-CPU cookie of the slots, whose first
        // field is an initialised local lock (type invariant).
        let slot = unsafe { bindings::local_lock_this_cpu(lock) }.cast::<Slot<T>>();
        // SAFETY: `slot` is this CPU's slot, initialised and alive as long as
        // `self`; the task stays on this CPU until the guard unlocks.
        let data = unsafe { &(*slot).data };
        LocalGuard {
            data,
            lock,
            _not_send: NotThreadSafe,
        }
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

/// This CPU's `T` of a [`LocalLocked`], its lock held until the guard is
/// dropped, on the task that took it.
pub struct LocalGuard<'a, T> {
    data: &'a T,
    lock: *mut bindings::local_lock_t,
    _not_send: NotThreadSafe,
}

impl<T> LocalGuard<'_, T> {
    /// The CPU whose value this is: the task cannot leave it while the
    /// guard lives.
    #[inline]
    pub fn cpu(&self) -> CpuId {
        CpuId::current()
    }
}

impl<T> Deref for LocalGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        self.data
    }
}

impl<T> Drop for LocalGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: This task took the lock of this CPU (which it has not left)
        // in `LocalLocked::lock` and releases it once, here.
        unsafe { bindings::local_unlock(self.lock) };
    }
}
