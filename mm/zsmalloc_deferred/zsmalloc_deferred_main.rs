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
///
/// Each exported function turns its C handle back into the instance in one
/// `unsafe` block, for which its caller's contract (its `# Safety`) is the
/// justification: `d` came from [`zs_deferred_create`] and was not destroyed.
type Owned = Pin<KBox<Handle>>;

/// Prefix of this file's `pr_*!` messages (what `module!` sets for modules).
const __LOG_PREFIX: &[u8] = b"zs_deferred\0";

/// Bytes in `nr` of `d`'s elements.
fn elems_len(d: &Deferred, nr: c_uint) -> usize {
    d.elem_size.saturating_mul(nr as usize)
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

/// Queues up to `nr` elements, each standing for `slots` slots; returns how
/// many, the first ones; see `include/linux/zsmalloc.h`. The static inlines
/// there (`zs_deferred_push()`, `zs_deferred_push_run()`,
/// `zs_deferred_push_many()`) are this with `nr` or `slots` at 1.
///
/// # Safety
///
/// `d` is a live instance; `elems` points to `nr` of its `elem_size`-byte
/// elements. Process context, not concurrent with [`zs_deferred_destroy`].
#[export]
pub unsafe extern "C" fn zs_deferred_push_runs(
    d: *mut bindings::zs_deferred,
    elems: *const c_void,
    nr: c_uint,
    slots: c_uint,
) -> c_uint {
    if nr == 0 {
        return 0;
    }
    // SAFETY: `d` came from `into_foreign` and is live, and `elems` holds
    // `nr` elements of its size (caller).
    let (d, elems) = unsafe {
        let d = Owned::borrow(d.cast()).get_ref();
        (
            d,
            core::slice::from_raw_parts(elems.cast(), elems_len(d, nr)),
        )
    };
    d.push_many(elems, slots)
}

/// Counts a run of `nr` elements in the run-length statistics; see
/// `include/linux/zsmalloc.h`.
///
/// # Safety
///
/// `d` is a live instance.
#[export]
pub unsafe extern "C" fn zs_deferred_note_run(d: *mut bindings::zs_deferred, nr: c_uint) {
    // SAFETY: `d` came from `into_foreign` and is live (caller).
    unsafe { Owned::borrow(d.cast()) }.note_run(nr);
}

/// Drains everything pushed so far and waits; see `include/linux/zsmalloc.h`.
///
/// # Safety
///
/// `d` is a live instance; process context.
#[export]
pub unsafe extern "C" fn zs_deferred_flush(d: *mut bindings::zs_deferred) {
    // SAFETY: `d` came from `into_foreign` and is live (caller).
    unsafe { Owned::borrow(d.cast()) }.flush();
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
    // SAFETY: `d` came from `into_foreign` and is live (caller).
    unsafe { Owned::borrow(d.cast()) }.reclaim(nr, true)
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
    // SAFETY: `d` came from `into_foreign` and is live (caller).
    let d = unsafe { Owned::borrow(d.cast()) }.get_ref();
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
    // Every instance was destroyed by its user, a module that depends on
    // this one and is gone. One leaked by a bug keeps the state, whose
    // callbacks are about to be unloaded: loudly.
    if let Err(e) = instance::CPU_DEAD.remove() {
        pr_err!("CPU hotplug state still in use at unload: {e:?}\n");
        kernel::warn_on!(true);
    }
    debugfs::remove_root();
}
