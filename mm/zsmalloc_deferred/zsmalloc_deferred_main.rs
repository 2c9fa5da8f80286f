// SPDX-License-Identifier: GPL-2.0

//! Per-CPU deferred free for zsmalloc users (zram, zswap).
//!
//! Freeing a swap entry (zram `slot_free()`, zswap `zswap_entry_free()`,
//! both ending in `zs_free()`) dominates munmap and exit of a process whose
//! memory sits in compressed swap. This moves that work off the hot path:
//!
//! ```text
//!  push (any CPU, local lock)          drain (unbound WQ_MEM_RECLAIM worker)
//!  this CPU's page buffer  --full-->   queue of full pages --> ops->drain()
//!  no page left in the pool: push returns false, the caller frees at once
//! ```
//!
//! Properties (each has a KUnit case in `tests.rs`): an element for which
//! push returned true is drained exactly once, one for which it returned
//! false never; the hot path takes no shared lock per element (two
//! spinlocks per page: the full queue's and the pool's), allocates nothing
//! and never sleeps; partial buffers are drained within `idle_ms`; a dead CPU's buffer
//! is drained; `flush` and `destroy` leave nothing behind.
//!
//! C API: `include/linux/zsmalloc.h`; design and tunables:
//! `Documentation/mm/zsmalloc-deferred.rst`.

#![warn(clippy::missing_docs_in_private_items)]

mod batch;
mod debugfs;
mod drain;
mod hot_path;
mod instance;
mod params;
mod pool;
mod shrinker;
#[cfg(CONFIG_ZSMALLOC_DEFERRED_FREE_KUNIT_TEST)]
mod tests;
mod trace;

use instance::{Deferred, Handle};
use kernel::{bindings, error::from_err_ptr, prelude::*, types::ForeignOwnable};

/// An instance as the C API hands it out, through [`ForeignOwnable`].
type Owned = Pin<KBox<Handle>>;

/// Prefix of this file's `pr_*!` messages (what `module!` sets for modules).
const __LOG_PREFIX: &[u8] = b"zs_deferred\0";

/// Turns the C handle back into the instance.
///
/// # Safety
///
/// `d` came from [`zs_deferred_create`] and was not destroyed.
unsafe fn instance<'a>(d: *mut bindings::zs_deferred) -> &'a Deferred {
    // SAFETY: By the safety requirements, `d` came from `into_foreign` and
    // `from_foreign` has not been called on it.
    unsafe { Owned::borrow(d.cast()) }.get_ref()
}

/// Turns the C handle back into the instance, and the `nr` elements at
/// `elems` into the bytes the hot path copies.
///
/// # Safety
///
/// As for [`instance()`]; `elems` points to `nr` elements of the instance's
/// `elem_size` bytes, which no one changes during the call.
unsafe fn instance_and_elems<'a>(
    d: *mut bindings::zs_deferred,
    elems: *const c_void,
    nr: c_uint,
) -> (&'a Deferred, &'a [u8]) {
    // SAFETY: `d` is live and `elems` holds `nr` elements of its size
    // (caller).
    unsafe {
        let d = instance(d);
        let len = d.elem_size.saturating_mul(nr as usize);
        (d, core::slice::from_raw_parts(elems.cast(), len))
    }
}

/// Creates a deferred-free instance; see the kernel-doc in
/// `include/linux/zsmalloc.h`.
///
/// # Safety
///
/// `name` is null or a valid C string; `ops` is null or valid for the whole
/// life of the instance; `drain` may be called with `priv_` until
/// [`zs_deferred_destroy`] returns.
#[export]
pub unsafe extern "C" fn zs_deferred_create(
    name: *const c_char,
    ops: *const bindings::zs_deferred_ops,
    priv_: *mut c_void,
    capacity: c_ulong,
) -> *mut bindings::zs_deferred {
    if name.is_null() || ops.is_null() {
        pr_warn!("create without a name or ops\n");
        return EINVAL.to_ptr();
    }
    // SAFETY: Both are non-null, so `name` is a valid C string and `ops`
    // is valid for the instance's life (caller).
    let (name, ops) = unsafe { (CStr::from_char_ptr(name), &*ops) };
    let Some(drain) = ops.drain else {
        pr_warn!("{name:?}: no drain callback\n");
        return EINVAL.to_ptr();
    };
    match Deferred::create(name, ops.elem_size as usize, drain, priv_, capacity) {
        // Ownership goes to C until `zs_deferred_destroy`.
        Ok(d) => d.into_foreign().cast(),
        Err(e) => e.to_ptr(),
    }
}

/// Queues one element; see `include/linux/zsmalloc.h`.
///
/// # Safety
///
/// `d` is a live instance; `elem` points to its `elem_size` bytes. Process
/// context, not concurrent with [`zs_deferred_destroy`].
#[export]
pub unsafe extern "C" fn zs_deferred_push(
    d: *mut bindings::zs_deferred,
    elem: *const c_void,
) -> bool {
    // SAFETY: `d` is live and `elem` holds one element (caller).
    let (d, elem) = unsafe { instance_and_elems(d, elem, 1) };
    d.push(elem, 1)
}

/// Queues one element that stands for a run of `nr` slots; see
/// `include/linux/zsmalloc.h`.
///
/// # Safety
///
/// As for [`zs_deferred_push`].
#[export]
pub unsafe extern "C" fn zs_deferred_push_run(
    d: *mut bindings::zs_deferred,
    elem: *const c_void,
    nr: c_uint,
) -> bool {
    // SAFETY: `d` is live and `elem` holds one element (caller).
    let (d, elem) = unsafe { instance_and_elems(d, elem, 1) };
    d.push(elem, nr)
}

/// Queues up to `nr` elements; returns how many, the first ones; see
/// `include/linux/zsmalloc.h`.
///
/// # Safety
///
/// As for [`zs_deferred_push`], with `nr` elements at `elems`.
#[export]
pub unsafe extern "C" fn zs_deferred_push_many(
    d: *mut bindings::zs_deferred,
    elems: *const c_void,
    nr: c_uint,
) -> c_uint {
    if nr == 0 {
        return 0;
    }
    // SAFETY: `d` is live and `elems` holds `nr` elements (caller).
    let (d, elems) = unsafe { instance_and_elems(d, elems, nr) };
    d.push_many(elems, 1)
}

/// Counts a run of `nr` elements in the run-length statistics; see
/// `include/linux/zsmalloc.h`.
///
/// # Safety
///
/// `d` is a live instance.
#[export]
pub unsafe extern "C" fn zs_deferred_note_run(d: *mut bindings::zs_deferred, nr: c_uint) {
    // SAFETY: `d` is live (caller).
    unsafe { instance(d) }.note_run(nr);
}

/// Drains everything pushed so far and waits; see `include/linux/zsmalloc.h`.
///
/// # Safety
///
/// `d` is a live instance; process context.
#[export]
pub unsafe extern "C" fn zs_deferred_flush(d: *mut bindings::zs_deferred) {
    // SAFETY: `d` is live (caller).
    unsafe { instance(d) }.flush();
}

/// Drains queued elements now, without the CPU hotplug lock; see
/// `include/linux/zsmalloc.h`.
///
/// # Safety
///
/// `d` is a live instance; process context, no spinlock held.
#[export]
pub unsafe extern "C" fn zs_deferred_reclaim(
    d: *mut bindings::zs_deferred,
    nr: c_ulong,
) -> c_ulong {
    // SAFETY: `d` is live (caller).
    unsafe { instance(d) }.reclaim(nr, true)
}

/// Flushes and frees an instance; NULL or an error pointer is a no-op.
///
/// # Safety
///
/// `d` is null, an error pointer, or a live instance that no one pushes to
/// any more.
#[export]
pub unsafe extern "C" fn zs_deferred_destroy(d: *mut bindings::zs_deferred) {
    if d.is_null() || from_err_ptr(d).is_err() {
        return;
    }
    // Dropping it leaves the hotplug state, then tears the instance down
    // (`PinnedDrop for Deferred`).
    // SAFETY: `d` came from `into_foreign` in `zs_deferred_create`, and the
    // caller gives up its handle: no borrow of it is left.
    drop(unsafe { Owned::from_foreign(d.cast()) });
}

/// The runtime switch; see `include/linux/zsmalloc.h`.
///
/// # Safety
///
/// `d` is a live instance.
#[export]
pub unsafe extern "C" fn zs_deferred_set_enabled(d: *mut bindings::zs_deferred, on: bool) -> c_int {
    // SAFETY: `d` is live (caller).
    let d = unsafe { instance(d) };
    match debugfs::write(d, debugfs::Attr::Enabled, u64::from(on)) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Module unload: drops what the first instance set up for all of them (the
/// CPU hotplug state, `/sys/kernel/debug/zs_deferred`). Called from the C
/// `module_exit` in `zsmalloc_deferred_module.c`; every instance belongs to
/// a module that uses this one's exports, so none is left.
#[no_mangle]
pub extern "C" fn zs_deferred_exit() {
    // SAFETY: Every instance was destroyed by its user, a module that
    // depends on this one and is gone, and no new one can be created.
    unsafe { instance::CPU_DEAD.remove() };
    debugfs::remove_root();
}
