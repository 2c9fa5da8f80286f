// SPDX-License-Identifier: GPL-2.0

//! Dynamically allocated per-CPU variables.
//!
//! C header: [`include/linux/percpu.h`](srctree/include/linux/percpu.h)

use crate::{
    alloc::{AllocError, Flags},
    bindings,
    cpu::{possible_cpus, CpuId},
};
use core::{marker::PhantomData, ptr::NonNull};

/// One `T` for every possible CPU, from the dynamic per-CPU allocator
/// (`alloc_percpu()`).
///
/// Every access is shared (`&T`): a CPU's value may be read by other CPUs at
/// any time, so `T` carries its own synchronisation (atomics, locks). What
/// `PerCpu` adds is finding the current CPU's value cheaply with preemption
/// disabled ([`PerCpu::with_local`]), so that code which changes a value
/// only on its own CPU, inside that window, is the only writer of it.
///
/// # Invariants
///
/// `ptr` is a per-CPU cookie returned by the per-CPU allocator for a `T`,
/// owned by `self`; every possible CPU's `T` is initialised.
///
/// # Examples
///
/// ```
/// use kernel::{cpu::CpuId, percpu::PerCpu, sync::atomic::{Atomic, Relaxed}};
///
/// let hits = PerCpu::new(GFP_KERNEL, |_| Atomic::<u64>::new(0))?;
/// hits.with_local(|h| h.add(1u64, Relaxed));
/// hits.with_local(|h| h.add(1u64, Relaxed));
/// let total: u64 = hits.iter().map(|(_, h)| h.load(Relaxed)).sum();
/// assert_eq!(total, 2);
/// assert!(hits.get(CpuId::current()).is_some());
/// # Ok::<(), Error>(())
/// ```
pub struct PerCpu<T> {
    ptr: NonNull<T>,
    _t: PhantomData<T>,
}

// SAFETY: `PerCpu<T>` owns its values; it may be sent to another thread
// (and dropped there) if they may.
unsafe impl<T: Send> Send for PerCpu<T> {}
// SAFETY: Through `&PerCpu<T>` every CPU gets shared references to the
// values, which is sound when `T: Sync`.
unsafe impl<T: Sync> Sync for PerCpu<T> {}

impl<T> PerCpu<T> {
    /// Allocates a `T` for every possible CPU, initialised by `init(cpu)`.
    ///
    /// `flags` are those of the allocation; `GFP_KERNEL` may sleep.
    pub fn new(flags: Flags, mut init: impl FnMut(CpuId) -> T) -> Result<Self, AllocError> {
        // SAFETY: A plain allocation of `size_of::<T>()` bytes per CPU,
        // aligned for `T`.
        let p = unsafe {
            bindings::__alloc_percpu_gfp(size_of::<T>(), align_of::<T>(), flags.as_raw())
        };
        let ptr = NonNull::new(p.cast::<T>()).ok_or(AllocError)?;
        for cpu in possible_cpus() {
            // SAFETY: `ptr` is a per-CPU cookie for a `T` and `cpu` is a
            // possible CPU, so this is its (uninitialised) `T`.
            unsafe { Self::slot(ptr, cpu).write(init(cpu)) };
        }
        // INVARIANT: Allocated above; every possible CPU's `T` is written.
        Ok(Self {
            ptr,
            _t: PhantomData,
        })
    }

    /// The per-CPU cookie (a `__percpu` pointer in C) of the values, for C
    /// APIs that find a CPU's copy themselves (`this_cpu_ptr()`,
    /// `local_lock()`). Valid as long as `self`.
    #[inline]
    pub fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// The address of `cpu`'s `T`.
    ///
    /// # Safety
    ///
    /// `ptr` is a per-CPU cookie for a `T` and `cpu` a possible CPU.
    #[inline]
    unsafe fn slot(ptr: NonNull<T>, cpu: CpuId) -> *mut T {
        // SAFETY: The caller's guarantee; `CpuId` is below `nr_cpu_ids`.
        unsafe { bindings::per_cpu_ptr(ptr.as_ptr().cast(), cpu.as_u32()) }.cast()
    }
}

impl<T: Sync> PerCpu<T> {
    /// Runs `f` on the current CPU's `T` with preemption disabled.
    ///
    /// No other task runs on this CPU until `f` returns, so code that only
    /// ever changes a CPU's value from within `with_local` on that CPU is
    /// its only writer. Interrupts stay enabled: code that must also
    /// exclude interrupt handlers on this CPU needs more. `f` must not
    /// sleep.
    #[inline]
    pub fn with_local<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        // SAFETY: `ptr` is a per-CPU cookie (type invariant);
        // `get_cpu_ptr()` disables preemption, enabled again below.
        let t = unsafe { bindings::get_cpu_ptr(self.ptr.as_ptr().cast()) }.cast::<T>();
        // SAFETY: `t` is this CPU's `T`, initialised (type invariant) and
        // valid while `self` is.
        let r = f(unsafe { &*t });
        // SAFETY: Balances `get_cpu_ptr()` above, on the same task.
        unsafe { bindings::preempt_enable() };
        r
    }

    /// `cpu`'s `T`, from any CPU; `None` if `cpu` is not a possible CPU,
    /// which has no per-CPU area.
    #[inline]
    pub fn get(&self, cpu: CpuId) -> Option<&T> {
        if !cpu.is_possible() {
            return None;
        }
        // SAFETY: `ptr` is a per-CPU cookie for a `T` (type invariant) and
        // `cpu` is possible, so its `T` is initialised and lives as long as
        // `self`.
        Some(unsafe { &*Self::slot(self.ptr, cpu) })
    }

    /// Every possible CPU with its `T`.
    pub fn iter(&self) -> impl Iterator<Item = (CpuId, &T)> {
        possible_cpus().filter_map(|cpu| Some((cpu, self.get(cpu)?)))
    }
}

impl<T> Drop for PerCpu<T> {
    fn drop(&mut self) {
        if core::mem::needs_drop::<T>() {
            for cpu in possible_cpus() {
                // SAFETY: Each possible CPU's `T` is initialised (type
                // invariant) and dropped once, here.
                unsafe { Self::slot(self.ptr, cpu).drop_in_place() };
            }
        }
        // SAFETY: `ptr` came from the per-CPU allocator and is freed only here.
        unsafe { bindings::free_percpu(self.ptr.as_ptr().cast()) };
    }
}
