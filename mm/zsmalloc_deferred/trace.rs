// SPDX-License-Identifier: GPL-2.0

//! Trace events (`include/trace/events/zs_deferred.h`, created in
//! `zsmalloc_deferred_module.c`): batches drained, pushes that fell back to
//! the synchronous free, pool pages gained or given back. While an event is
//! off its call is a static branch; what feeds it is computed anyway: the
//! drain's two clock reads per batch, the pool's size on a grow or shrink.

use crate::instance::Deferred;
use kernel::{
    ffi::{c_char, c_long, c_uint, c_ulong},
    prelude::*,
    tracepoint::declare_trace,
};

declare_trace! {
    /// A batch of `nr` elements was drained in `ns`; `stale` had nothing left to free.
    ///
    /// # Safety
    ///
    /// `name` is a valid C string.
    unsafe fn zs_deferred_drain(name: *const c_char, nr: c_uint, stale: c_uint, ns: u64);
    /// A push was refused: the instance is switched off (`off`) or has no free page.
    ///
    /// # Safety
    ///
    /// `name` is a valid C string.
    unsafe fn zs_deferred_fallback(name: *const c_char, off: bool);
    /// The pool gained (`delta` > 0) or gave back pages and now owns `pages`.
    ///
    /// # Safety
    ///
    /// `name` is a valid C string.
    unsafe fn zs_deferred_pool(name: *const c_char, delta: c_long, pages: c_ulong);
}

impl Deferred {
    /// Traces one drained batch.
    pub(crate) fn trace_drain(&self, nr: u32, stale: u32, ns: u64) {
        // SAFETY: `name` is a C string owned by the instance.
        unsafe { zs_deferred_drain(self.name.as_char_ptr(), nr, stale, ns) };
    }

    /// Traces a refused push.
    #[inline]
    pub(crate) fn trace_fallback(&self, off: bool) {
        // SAFETY: As in `trace_drain`.
        unsafe { zs_deferred_fallback(self.name.as_char_ptr(), off) };
    }

    /// Traces a change of the pool's size, if there was one.
    pub(crate) fn trace_pool(&self, delta: isize) {
        if delta != 0 {
            let (_, pages) = self.pool.counts();
            // SAFETY: As in `trace_drain`.
            unsafe { zs_deferred_pool(self.name.as_char_ptr(), delta as c_long, pages as c_ulong) };
        }
    }
}
