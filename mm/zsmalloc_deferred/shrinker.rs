// SPDX-License-Identifier: GPL-2.0

//! Reclaim's way in: one shrinker per instance, so that a system short of
//! memory drains the frees waiting in it rather than waiting for the worker.
//!
//! Count: elements pushed and not yet drained. Scan: [`Deferred::reclaim`]
//! of up to `nr_to_scan` elements, from this CPU's partial buffer and the
//! queued batches. A scan never waits for a drain in progress (that drain
//! frees the same memory) and runs only for reclaim that may do I/O and
//! enter filesystems: zram allocates with `GFP_NOIO` while holding slot
//! locks, which its drain takes.

use crate::{
    debugfs::{read, Attr},
    instance::Deferred,
};
use core::ptr;
use kernel::{
    bindings,
    prelude::*,
    sync::atomic::{Acquire, Relaxed, Release},
};

/// `SHRINK_STOP`: no progress possible in this context.
const SHRINK_STOP: c_ulong = !0;
/// `SHRINK_EMPTY`: nothing to free.
const SHRINK_EMPTY: c_ulong = !0 - 1;
/// The reclaim contexts a scan runs in: `__GFP_IO | __GFP_FS` (macros with
/// casts, which bindgen leaves out; their bit numbers are an enum).
const SCAN_GFP: bindings::gfp_t = (1 << bindings::___GFP_IO_BIT) | (1 << bindings::___GFP_FS_BIT);

impl Deferred {
    /// Registers the instance's shrinker. Failure is not fatal: the worker
    /// and the users' own reclaim calls still drain.
    pub(crate) fn register_shrinker(&self) {
        // SAFETY: The format takes one C string, which we pass.
        let s = unsafe {
            bindings::shrinker_alloc(0, c"zs_deferred-%s".as_char_ptr(), self.name.as_char_ptr())
        };
        if s.is_null() {
            pr_warn!(
                "{:?}: no shrinker, pending frees wait for the worker\n",
                self.name
            );
            return;
        }
        // SAFETY: `s` is a fresh, unregistered shrinker we own. The instance
        // is pinned and `unregister_shrinker` frees `s` before it goes.
        unsafe {
            (*s).count_objects = Some(count);
            (*s).scan_objects = Some(scan);
            (*s).private_data = ptr::from_ref(self).cast_mut().cast();
            bindings::shrinker_register(s);
        }
        self.shrinker.store(s, Release);
    }

    /// Unregisters the shrinker; returns once no count or scan runs.
    pub(crate) fn unregister_shrinker(&self) {
        let s = self.shrinker.xchg(ptr::null_mut(), Acquire);
        if !s.is_null() {
            // SAFETY: `s` was registered by `register_shrinker`; freeing it
            // waits for the callbacks in progress.
            unsafe { bindings::shrinker_free(s) };
        }
    }
}

/// The instance a shrinker belongs to.
///
/// # Safety
///
/// `s` is a shrinker registered by [`Deferred::register_shrinker`] whose
/// callbacks are running.
unsafe fn owner<'a>(s: *mut bindings::shrinker) -> &'a Deferred {
    // SAFETY: `private_data` is the instance, which outlives the shrinker
    // (`unregister_shrinker` waits for the callbacks).
    unsafe { &*(*s).private_data.cast::<Deferred>() }
}

/// `count_objects`: elements pushed and not yet drained.
///
/// # Safety
///
/// Called by reclaim for a shrinker registered by `register_shrinker`.
unsafe extern "C" fn count(
    s: *mut bindings::shrinker,
    _sc: *mut bindings::shrink_control,
) -> c_ulong {
    // SAFETY: As required of the caller.
    let d = unsafe { owner(s) };
    match read(d, Attr::Pushed).saturating_sub(d.drained.load(Relaxed)) {
        0 => SHRINK_EMPTY,
        n => n as c_ulong,
    }
}

/// `scan_objects`: drains up to `nr_to_scan` elements.
///
/// # Safety
///
/// Called by reclaim for a shrinker registered by `register_shrinker`, with
/// a valid `sc`.
unsafe extern "C" fn scan(
    s: *mut bindings::shrinker,
    sc: *mut bindings::shrink_control,
) -> c_ulong {
    // SAFETY: As required of the caller.
    let (d, gfp, nr) = unsafe { (owner(s), (*sc).gfp_mask, (*sc).nr_to_scan) };
    if gfp & SCAN_GFP != SCAN_GFP {
        return SHRINK_STOP;
    }
    match d.reclaim(nr, false) {
        0 => SHRINK_STOP,
        n => n,
    }
}
