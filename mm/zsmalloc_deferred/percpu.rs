// SPDX-License-Identifier: GPL-2.0

//! Per-CPU storage: the only place that touches per-CPU memory directly.
//!
//! The 7.3 `kernel` crate has no per-CPU abstraction. [`PerCpu`] is the
//! smallest sound one this code needs: one zeroed `T` per possible CPU, an
//! exclusive `&mut T` for the current CPU while preemption is disabled, and a
//! raw pointer to another CPU's `T` for the two places allowed to use it (a
//! dead CPU's buffer, and counters that are only ever read through atomics).

use core::{marker::PhantomData, ptr::NonNull};
use kernel::{bindings, prelude::*};

/// Disables preemption while alive.
///
/// `!Send`: it must be dropped on the CPU (and task) that created it.
pub(crate) struct PreemptGuard(PhantomData<*mut ()>);

impl PreemptGuard {
    /// Disables preemption until the guard is dropped.
    #[inline]
    pub(crate) fn new() -> Self {
        // SAFETY: Always safe to call; balanced by the call in `drop`.
        unsafe { bindings::preempt_disable() };
        Self(PhantomData)
    }
}

impl Drop for PreemptGuard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: Balances the `preempt_disable()` in `new` on the same task.
        unsafe { bindings::preempt_enable() };
    }
}

/// One `T` per possible CPU.
///
/// # Invariants
///
/// `ptr` is a per-CPU cookie returned by `pcpu_alloc_noprof()` for an
/// all-zeroes `T` on every possible CPU, valid until `self` is dropped.
pub(crate) struct PerCpu<T: Zeroable> {
    ptr: NonNull<T>,
}

// SAFETY: The per-CPU memory is owned by `PerCpu` and may be freed from any
// thread; access to it follows the rules of `with_local` and `remote`.
unsafe impl<T: Zeroable + Send> Send for PerCpu<T> {}
// SAFETY: Shared access only hands out the current CPU's `T` under
// `PreemptGuard` or raw pointers whose use is `unsafe`.
unsafe impl<T: Zeroable + Send> Sync for PerCpu<T> {}

impl<T: Zeroable> PerCpu<T> {
    /// Allocates a zeroed `T` for every possible CPU.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: A plain allocation; per-CPU memory is always zeroed.
        let p = unsafe {
            bindings::pcpu_alloc_noprof(
                size_of::<T>(),
                align_of::<T>(),
                false,
                bindings::GFP_KERNEL,
            )
        };
        let ptr = NonNull::new(p.cast::<T>()).ok_or(ENOMEM)?;
        // INVARIANT: `pcpu_alloc_noprof()` returned zeroed memory for a `T`.
        Ok(Self { ptr })
    }

    /// Runs `f` on the current CPU's `T` with preemption disabled.
    ///
    /// `f` must not call `with_local` on the same `PerCpu`, and `with_local`
    /// must not be called from interrupt context: both would alias the
    /// `&mut T` on this CPU.
    #[inline]
    pub(crate) fn with_local<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let _guard = PreemptGuard::new();
        // SAFETY: `ptr` is a valid per-CPU cookie (type invariant).
        let t = unsafe { bindings::this_cpu_ptr(self.ptr.as_ptr().cast()) }.cast::<T>();
        // SAFETY: `t` points to this CPU's initialised `T`. Preemption is off,
        // so no other task on this CPU runs until `f` returns, callers never
        // nest `with_local` or call it from interrupts, and `remote` users only
        // dereference CPUs that cannot run this (see `remote`).
        f(unsafe { &mut *t })
    }

    /// Returns a raw pointer to `cpu`'s `T`.
    ///
    /// Dereferencing it mutably is only sound while `cpu` cannot be inside
    /// `with_local`, i.e. while it is offline and CPU hotplug is excluded.
    #[inline]
    pub(crate) fn remote(&self, cpu: u32) -> *mut T {
        // SAFETY: `ptr` is a valid per-CPU cookie (type invariant) and `cpu` is
        // below `nr_cpu_ids` for every caller (they walk `cpu_possible_mask`).
        unsafe { bindings::per_cpu_ptr(self.ptr.as_ptr().cast(), cpu) }.cast::<T>()
    }
}

impl<T: Zeroable> Drop for PerCpu<T> {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `pcpu_alloc_noprof()` and is freed only here.
        unsafe { bindings::free_percpu(self.ptr.as_ptr().cast()) };
    }
}

/// Calls `f` for every possible CPU id.
pub(crate) fn for_each_possible_cpu(mut f: impl FnMut(u32)) {
    // SAFETY: `nr_cpu_ids` is set before any caller can run.
    let nr = unsafe { bindings::nr_cpu_ids };
    for cpu in 0..nr {
        // SAFETY: `__cpu_possible_mask` is a valid, static cpumask.
        if unsafe { bindings::cpumask_test_cpu(cpu as i32, &raw mut bindings::__cpu_possible_mask) }
        {
            f(cpu);
        }
    }
}

/// Whether `cpu` is online. Stable only under `cpus_read_lock()`.
pub(crate) fn cpu_online(cpu: u32) -> bool {
    // SAFETY: `__cpu_online_mask` is a valid, static cpumask.
    unsafe { bindings::cpumask_test_cpu(cpu as i32, &raw mut bindings::__cpu_online_mask) }
}
