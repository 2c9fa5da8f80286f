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
use kernel::{
    shrinker::{Scanned, ShrinkControl, Shrinker},
    sync::atomic::Relaxed,
};

impl Shrinker for Deferred {
    fn count(&self, _sc: &ShrinkControl) -> usize {
        read(self, Attr::Pushed).saturating_sub(self.drained.load(Relaxed)) as usize
    }

    fn scan(&self, sc: &ShrinkControl) -> Scanned {
        if !sc.may_do_io() || !sc.may_enter_fs() {
            return Scanned::Stop;
        }
        match self.reclaim(sc.nr_to_scan(), false) {
            0 => Scanned::Stop,
            n => Scanned::Freed(n),
        }
    }
}
