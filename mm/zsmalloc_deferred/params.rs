// SPDX-License-Identifier: GPL-2.0

//! The module parameters, `zsmalloc_deferred.idle_ms` and
//! `zsmalloc_deferred.pool_max`, and the list of live instances a write
//! applies to.
//!
//! They are the production settings of every instance (debugfs only shows
//! them): a value written at run time takes effect at once, for instances
//! that exist and for those created later. The parameters themselves are
//! declared in `zsmalloc_deferred_module.c`, which calls the functions
//! below.

use crate::instance::{pool_ram_bound, Deferred, Listed, IDLE_MS, IDLE_MS_MAX};
use kernel::{
    prelude::*,
    registry::Members,
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
};

/// Most pages the pool of each instance may own; 0: sized by the instance
/// from its capacity (`instance::pool_bounds`).
static POOL_MAX: Atomic<usize> = Atomic::new(0);

kernel::sync::global_lock! {
    // SAFETY: `zs_deferred_init()` initialises it at module init, before any
    // instance can be created.
    /// The live instances, which the parameters apply to: each is in it
    /// from its creation to its drop (`instance::Handle`).
    pub(crate) unsafe(uninit) static INSTANCES: Mutex<Members<Listed>> = Members::new();
}

/// Set once [`INSTANCES`](static@INSTANCES) is initialised. Parameters
/// given on the kernel command line are parsed long before initcalls,
/// when no instance exists and the lock cannot be taken yet.
static READY: Atomic<bool> = Atomic::new(false);

/// Module init: readies [`INSTANCES`](static@INSTANCES) and the lock of the
/// debugfs root. Called once, from the C initcall in
/// `zsmalloc_deferred_module.c`.
#[no_mangle]
pub(crate) extern "C" fn zs_deferred_init() {
    // SAFETY: Called exactly once, before any instance exists, so before
    // any use of either lock.
    unsafe {
        INSTANCES.init();
        crate::debugfs::ROOT.init();
    }
    READY.store(true, Release);
}

/// Calls `f` on every live instance, under the lock that keeps them live.
fn for_each(f: impl Fn(&Deferred)) {
    if !READY.load(Acquire) {
        return;
    }
    for d in INSTANCES.lock().iter() {
        f(d);
    }
}

/// Pool bounds in force for an instance whose own sizing is `auto`
/// (`(min, max)`): the `pool_max` parameter, if set, caps both.
pub(crate) fn pool_bounds(auto: (usize, usize)) -> (usize, usize) {
    match POOL_MAX.load(Relaxed) {
        0 => auto,
        max => (auto.0.min(max), max),
    }
}

/// Sets the `idle_ms` parameter: the delay of every instance that has no
/// value of its own, applied at once to an idle flush already waiting
/// (which would otherwise wait out the old delay, up to a minute).
/// Returns 0, or `-EINVAL` outside 1 to [`IDLE_MS_MAX`].
#[no_mangle]
pub(crate) extern "C" fn zs_deferred_param_set_idle_ms(ms: c_uint) -> c_int {
    if !(1..=IDLE_MS_MAX).contains(&ms) {
        return EINVAL.to_errno();
    }
    IDLE_MS.store(ms, Relaxed);
    for_each(Deferred::rearm_idle);
    0
}

/// The `idle_ms` parameter.
#[no_mangle]
pub(crate) extern "C" fn zs_deferred_param_idle_ms() -> c_uint {
    IDLE_MS.load(Relaxed)
}

/// Sets the `pool_max` parameter, in pages per instance (0: each instance
/// sizes its own). Every pool takes the new bounds at once and frees the
/// free pages above them; pages in use above them are freed as they come
/// back. Returns 0, or `-EINVAL` above 1/64 of RAM.
#[no_mangle]
pub(crate) extern "C" fn zs_deferred_param_set_pool_max(pages: c_ulong) -> c_int {
    if pages > pool_ram_bound() {
        return EINVAL.to_errno();
    }
    POOL_MAX.store(pages, Relaxed);
    for_each(Deferred::apply_pool_bounds);
    0
}

/// The `pool_max` parameter.
#[no_mangle]
pub(crate) extern "C" fn zs_deferred_param_pool_max() -> c_ulong {
    POOL_MAX.load(Relaxed) as c_ulong
}
