// SPDX-License-Identifier: GPL-2.0

//! Per-CPU storage: the only place that touches per-CPU memory directly.
//!
//! The 7.3 `kernel` crate has no per-CPU abstraction. [`PerCpu`] is the
//! smallest sound one this code needs: one zeroed `T` per possible CPU, the
//! current CPU's `T` with preemption disabled, and any CPU's `T` by id.

use core::ptr::NonNull;
use kernel::{bindings, prelude::*};

/// One `T` per possible CPU.
///
/// Access is shared (`&T`) everywhere, so `T` carries its own interior
/// mutability (atomics); what `PerCpu` adds is finding the current CPU's `T`
/// cheaply with preemption disabled, which makes that CPU the only one
/// running code that touches it (see [`PerCpu::with_local`]).
///
/// # Invariants
///
/// `ptr` is a per-CPU cookie returned by `pcpu_alloc_noprof()` for an
/// all-zeroes `T` on every possible CPU, valid until `self` is dropped.
pub(crate) struct PerCpu<T: Zeroable + Sync> {
    /// Per-CPU cookie, not dereferenceable: `per_cpu_ptr()` turns it into a
    /// CPU's `T`.
    ptr: NonNull<T>,
}

// SAFETY: The per-CPU memory is owned by `PerCpu` and holds `Sync` values;
// it may be freed from any thread.
unsafe impl<T: Zeroable + Sync> Send for PerCpu<T> {}
// SAFETY: Only shared references to `T: Sync` values are handed out.
unsafe impl<T: Zeroable + Sync> Sync for PerCpu<T> {}

impl<T: Zeroable + Sync> PerCpu<T> {
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
    /// Two C calls in all (`get_cpu_ptr()`, `preempt_enable()`): this is the
    /// hot path, and under emulation every call and return is expensive.
    /// Must not be called from interrupt context, whose code could run in
    /// the middle of `f` on the same CPU.
    #[inline]
    pub(crate) fn with_local<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        // SAFETY: `ptr` is a valid per-CPU cookie (type invariant);
        // `get_cpu_ptr()` disables preemption, undone below.
        let t = unsafe { bindings::get_cpu_ptr(self.ptr.as_ptr().cast()) }.cast::<T>();
        // SAFETY: `t` is this CPU's initialised `T`, valid while `self` is.
        let r = f(unsafe { &*t });
        // SAFETY: Balances `get_cpu_ptr()` on the same task.
        unsafe { bindings::preempt_enable() };
        r
    }

    /// `cpu`'s `T`. Shared access is always sound; code that changes it must
    /// be the owning CPU under [`PerCpu::with_local`], or run while `cpu` is
    /// offline with CPU hotplug excluded.
    #[inline]
    pub(crate) fn get(&self, cpu: u32) -> &T {
        // SAFETY: `ptr` is a valid per-CPU cookie (type invariant) and `cpu` is
        // below `nr_cpu_ids` for every caller (they walk `cpu_possible_mask`).
        unsafe { &*bindings::per_cpu_ptr(self.ptr.as_ptr().cast(), cpu).cast::<T>() }
    }
}

impl<T: Zeroable + Sync> Drop for PerCpu<T> {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `pcpu_alloc_noprof()` and is freed only here.
        unsafe { bindings::free_percpu(self.ptr.as_ptr().cast()) };
    }
}

/// Calls `f` for every possible CPU id.
pub(crate) fn for_each_possible_cpu(mut f: impl FnMut(u32)) {
    for cpu in 0..kernel::cpu::nr_cpu_ids() {
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
