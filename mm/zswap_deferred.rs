// SPDX-License-Identifier: GPL-2.0

//! zswap: free invalidated entries through the zsmalloc deferred-free core.
//!
//! `zswap_invalidate()` keeps `xa_erase()` synchronous, so a new store to the
//! same offset never sees the old entry, and the accounting too (LRU
//! removal, objcg uncharge, stored counts), so limits and the shrinker see
//! the entry gone at once; it only pushes the erased entry here. The drain
//! frees its memory: `zs_free()`, the pool reference, the cache object.
//! Until then the entry keeps its pool alive (it holds a reference), so
//! pool destruction and compressor switches need nothing more than the
//! flush in swapoff.
//!
//! Writeback stays safe: it only uses an entry after finding that same
//! pointer in the tree under the folio lock, and an erased entry is not in
//! the tree; its memory is not reused before the drain frees it, so no new
//! entry can alias it either.

#![warn(clippy::missing_docs_in_private_items)]

use kernel::{
    bindings,
    error::from_err_ptr,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Release},
};

/// Prefix of this file's `pr_*!` messages.
const __LOG_PREFIX: &[u8] = b"zswap\0";

/// zswap's instance; null until `zswap_deferred_init()` succeeds.
static INSTANCE: Atomic<*mut bindings::zs_deferred> = Atomic::new(core::ptr::null_mut());

/// The drain: every element is a `struct zswap_entry *`.
///
/// # Safety
///
/// Called by the deferred-free core with `nr` elements at `elems`.
unsafe extern "C" fn drain(_priv: *mut c_void, elems: *const c_void, nr: c_uint) -> c_uint {
    let entries = elems.cast::<*mut c_void>();
    for i in 0..nr as usize {
        // SAFETY: The core passes `nr` 8-byte elements, each an entry pushed
        // by `zswap_deferred_push_many` and owned by us since its erase.
        unsafe { bindings::zswap_entry_free_deferred(entries.add(i).read()) };
    }
    // An erased entry cannot be reused before its free: none is stale.
    0
}

/// Ops of zswap's instance: pointer-sized elements, drained by [`drain`].
static OPS: bindings::zs_deferred_ops = bindings::zs_deferred_ops {
    elem_size: size_of::<*mut c_void>() as c_uint,
    drain: Some(drain),
};

/// Creates zswap's instance, sized for `capacity` entries.
///
/// # Safety
///
/// Called once, from `zswap_setup()`, before any invalidation.
#[export]
pub unsafe extern "C" fn zswap_deferred_init(capacity: c_ulong, enabled: bool) -> c_int {
    // SAFETY: Static name and ops; no private data.
    let d = unsafe {
        bindings::zs_deferred_create(
            c"zswap".as_char_ptr(),
            &OPS,
            core::ptr::null_mut(),
            capacity,
        )
    };
    if let Err(e) = from_err_ptr(d) {
        pr_warn!("deferred free unavailable ({e:?}), freeing synchronously\n");
        return e.to_errno();
    }
    // SAFETY: `d` is a live instance.
    unsafe { bindings::zs_deferred_set_enabled(d, enabled) };
    INSTANCE.store(d, Release);
    0
}

/// Queues `nr` erased entries in one push; returns how many were queued,
/// the first ones: the caller frees the others now.
///
/// # Safety
///
/// `entries` points to `nr` entries, each just erased from its tree and
/// owned by the caller.
#[export]
pub unsafe extern "C" fn zswap_deferred_push_many(entries: *mut *mut c_void, nr: c_uint) -> c_uint {
    let d = INSTANCE.load(Acquire);
    if d.is_null() {
        return 0;
    }
    // SAFETY: `d` is live once published; the elements are the `nr`
    // pointer values at `entries` (caller).
    unsafe { bindings::zs_deferred_push_runs(d, entries.cast_const().cast(), nr, 1) }
}

/// Counts a run of `nr` freed slots in the instance's run-length statistics.
#[export]
pub extern "C" fn zswap_deferred_note_run(nr: c_uint) {
    let d = INSTANCE.load(Acquire);
    if !d.is_null() {
        // SAFETY: `d` is live (never destroyed once published).
        unsafe { bindings::zs_deferred_note_run(d, nr) };
    }
}

/// Frees every entry pushed so far.
///
/// # Safety
///
/// Process context.
#[export]
pub unsafe extern "C" fn zswap_deferred_flush() {
    let d = INSTANCE.load(Acquire);
    if !d.is_null() {
        // SAFETY: `d` is live (it is never destroyed once published).
        unsafe { bindings::zs_deferred_flush(d) };
    }
}

/// Frees the entries invalidated so far that the drain has not reached;
/// returns how many. For a store about to be refused on the pool limit or
/// the memcg's zswap limit, which those entries still count toward.
///
/// # Safety
///
/// Process context that may sleep, holding no lock the drain takes (the
/// LRU and tree locks).
#[export]
pub unsafe extern "C" fn zswap_deferred_reclaim() -> c_ulong {
    let d = INSTANCE.load(Acquire);
    if d.is_null() {
        return 0;
    }
    // SAFETY: `d` is live (never destroyed once published).
    unsafe { bindings::zs_deferred_reclaim(d, c_ulong::MAX) }
}

/// The `zswap.deferred_free` switch.
///
/// # Safety
///
/// Any context that may call a module parameter setter.
#[export]
pub unsafe extern "C" fn zswap_deferred_set_enabled(on: bool) -> c_int {
    let d = INSTANCE.load(Acquire);
    if d.is_null() {
        return 0;
    }
    // SAFETY: `d` is live.
    unsafe { bindings::zs_deferred_set_enabled(d, on) }
}
