// SPDX-License-Identifier: GPL-2.0

//! Trace events (`include/trace/events/zs_deferred.h`, created in
//! `zsmalloc_deferred_module.c`): batches drained, pushes that fell back to
//! the synchronous free, pool pages gained or given back. While an event is
//! off its call is a static branch; what feeds it is computed anyway: the
//! drain's two clock reads per batch, the pool's size on a grow or shrink.

use crate::instance::Deferred;
use kernel::{prelude::*, tracepoint::declare_trace};

declare_trace! {
    /// A batch of `nr` elements was drained in `ns`; `stale` had nothing left to free.
    // SAFETY: The event copies `name` (`__string()`); the rest are values.
    unsafe(copies_args) fn zs_deferred_drain(name: &CStr, nr: u32, stale: u32, ns: u64);
    /// A push was refused: the instance is switched off (`off`) or has no free page.
    // SAFETY: As for `zs_deferred_drain`.
    unsafe(copies_args) fn zs_deferred_fallback(name: &CStr, off: bool);
    /// The pool gained (`delta` > 0) or gave back pages and now owns `pages`.
    // SAFETY: As for `zs_deferred_drain`.
    unsafe(copies_args) fn zs_deferred_pool(name: &CStr, delta: isize, pages: usize);
}

impl Deferred {
    /// Traces one drained batch.
    pub(crate) fn trace_drain(&self, nr: u32, stale: u32, ns: u64) {
        zs_deferred_drain(&self.name, nr, stale, ns);
    }

    /// Traces a refused push.
    #[inline]
    pub(crate) fn trace_fallback(&self, off: bool) {
        zs_deferred_fallback(&self.name, off);
    }

    /// Traces a change of the pool's size, if there was one.
    pub(crate) fn trace_pool(&self, delta: isize) {
        if delta != 0 {
            let (_, pages) = self.pool.counts();
            zs_deferred_pool(&self.name, delta, pages);
        }
    }
}
