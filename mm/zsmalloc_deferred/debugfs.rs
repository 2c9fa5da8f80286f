// SPDX-License-Identifier: GPL-2.0

//! Stats and tunables of one instance, under
//! `/sys/kernel/debug/zs_deferred/<name>/`, through `kernel::debugfs`.
//!
//! Every file is a number: statistics and the settings in force, which are
//! set elsewhere (the user's switch, the module parameters in `params.rs`).
//! The one write is `flush`, a trigger for debugging and tests, not a
//! setting. One file sits beside the instances' directories: `pages`, the
//! batch pages all instances hold, so that a teardown can be checked to give
//! back every page.
//!
//! An instance's files are a `debugfs::Scope` around its shrinker
//! registration (see `instance::Hooked`): they are removed, waiting for
//! readers and writers in progress, before the instance is torn down.
//! Without `CONFIG_DEBUG_FS` there are no files: the attributes are still
//! read and written by the rest of the crate and by KUnit.

use crate::{
    batch::PAGES,
    instance::{Deferred, IDLE_MS_MAX},
};
use core::fmt;
use kernel::{
    debugfs::{Dir, File, ScopedDir},
    prelude::*,
    shrinker::Registration,
    sync::atomic::Relaxed,
    uaccess::UserSliceReader,
};

/// What one debugfs file shows or sets.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Attr {
    /// `enabled`: the runtime switch, 0 or 1 (the user's: zram's
    /// `deferred_free` attribute, zswap's `deferred_free` parameter).
    Enabled,
    /// `idle_ms`: delay before partial buffers are drained, 1 to
    /// [`IDLE_MS_MAX`] (the `idle_ms` parameter unless KUnit set the
    /// instance's own; writing 0 returns it to the parameter).
    IdleMs,
    /// `pool_min`: pages the pool keeps while idle, 1 to `pool_max`.
    PoolMin,
    /// `pool_max`: most pages the pool may own, `pool_min` to 1/64 of RAM
    /// (sized by `create`, or the `pool_max` parameter).
    PoolMax,
    /// `flush` (write-only): writing 1 drains everything pushed so far.
    Flush,
    /// `pushed`: elements accepted by push, drained or still buffered.
    Pushed,
    /// `drained`: elements passed to the user's drain callback.
    Drained,
    /// `stale`: drained elements the user found already freed.
    Stale,
    /// `fallbacks`: pushes refused for want of a pool page.
    Fallbacks,
    /// `batches_queued`: batches handed to the drain, full or flushed partial.
    BatchesQueued,
    /// `pool_pages`: pages the pool owns, free or in use.
    PoolPages,
    /// `pool_free`: free pages in the pool.
    PoolFree,
    /// `elem_size`: bytes per element, 4 or 8.
    ElemSize,
    /// `runs_<n>`: runs of `n` to `2n - 1` elements the user reported
    /// (`runs_2048`: 2048 or more), for bucket `log2(n)`.
    Runs(usize),
}

/// File name and meaning of every file, in directory order.
const ATTRS: [(&CStr, Attr); 25] = [
    (c"enabled", Attr::Enabled),
    (c"idle_ms", Attr::IdleMs),
    (c"pool_min", Attr::PoolMin),
    (c"pool_max", Attr::PoolMax),
    (c"flush", Attr::Flush),
    (c"pushed", Attr::Pushed),
    (c"drained", Attr::Drained),
    (c"stale", Attr::Stale),
    (c"fallbacks", Attr::Fallbacks),
    (c"batches_queued", Attr::BatchesQueued),
    (c"pool_pages", Attr::PoolPages),
    (c"pool_free", Attr::PoolFree),
    (c"elem_size", Attr::ElemSize),
    (c"runs_1", Attr::Runs(0)),
    (c"runs_2", Attr::Runs(1)),
    (c"runs_4", Attr::Runs(2)),
    (c"runs_8", Attr::Runs(3)),
    (c"runs_16", Attr::Runs(4)),
    (c"runs_32", Attr::Runs(5)),
    (c"runs_64", Attr::Runs(6)),
    (c"runs_128", Attr::Runs(7)),
    (c"runs_256", Attr::Runs(8)),
    (c"runs_512", Attr::Runs(9)),
    (c"runs_1024", Attr::Runs(10)),
    (c"runs_2048", Attr::Runs(11)),
];

/// The one write-only file: [`create_files`] skips its index.
const FLUSH: usize = 4;
const _: () = assert!(matches!(ATTRS[FLUSH].1, Attr::Flush));

/// What an instance's files are given: the instance, as its shrinker
/// registration holds it.
pub(crate) type Registered = Registration<Deferred>;

/// Shows `ATTRS[I]` of an instance.
fn show<const I: usize>(d: &Registered, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{}", read(d, ATTRS[I].1))
}

/// `flush`: a number written (only 1 is accepted), as `simple_attr` took it.
fn flush_write(d: &Registered, r: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; 24];
    let n = r.len();
    if n == 0 || n > buf.len() {
        return Err(EINVAL);
    }
    r.read_slice(&mut buf[..n])?;
    let text = core::str::from_utf8(&buf[..n]).map_err(|_| EINVAL)?;
    let val = text.trim().parse::<u64>().map_err(|_| EINVAL)?;
    write(d, Attr::Flush, val)
}

/// Creates an instance's files in `dir`, its directory; the init function
/// of the instance's `debugfs::Scope`.
pub(crate) fn create_files<'data>(d: &'data Registered, dir: &ScopedDir<'data, '_>) {
    macro_rules! readable {
        ($($i:literal)*) => {
            $(dir.read_callback_file(ATTRS[$i].0, d, &show::<$i>);)*
        };
    }
    readable!(0 1 2 3 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24);
    dir.write_only_callback_file(ATTRS[FLUSH].0, d, &flush_write);
}

/// `/sys/kernel/debug/zs_deferred` and its `pages` file.
pub(crate) struct Root {
    /// The directory; each instance's `Scope` holds a reference too.
    dir: Dir,
    /// `pages`; `None` if there was no memory for it.
    _pages: Option<Pin<KBox<File<()>>>>,
}

kernel::sync::global_lock! {
    // SAFETY: `zs_deferred_init()` initialises it at module init, before
    // any instance can be created.
    pub(crate) unsafe(uninit) static ROOT: Mutex<Option<Root>> = None;
}

/// The directory instances go in, created with `pages` by the first one.
pub(crate) fn root() -> Dir {
    let mut root = ROOT.lock();
    if let Some(r) = &*root {
        return r.dir.clone();
    }
    let dir = Dir::new(c"zs_deferred");
    let pages = dir.read_callback_file(c"pages", (), &|(): &(), f: &mut fmt::Formatter<'_>| {
        writeln!(f, "{}", PAGES.load(Relaxed))
    });
    *root = Some(Root {
        dir: dir.clone(),
        _pages: KBox::pin_init(pages, GFP_KERNEL).ok(),
    });
    dir
}

/// Removes the root directory and `pages`. Module unload only, after the
/// last instance removed its own directory.
pub(crate) fn remove_root() {
    drop(ROOT.lock().take());
}

/// Elements pushed: handed to the drain, or still in a CPU's buffer (a
/// racy but harmless read of the other CPUs' counts).
fn pushed(d: &Deferred) -> u64 {
    let mut sum = d.queued_elems.load(Relaxed);
    for (_, b) in d.bufs.iter() {
        sum += u64::from(b.nr.load(core::sync::atomic::Ordering::Relaxed));
    }
    sum
}

/// Current value of `attr`.
pub(crate) fn read(d: &Deferred, attr: Attr) -> u64 {
    match attr {
        Attr::Enabled => u64::from(d.enabled.load(core::sync::atomic::Ordering::Relaxed)),
        Attr::IdleMs => u64::from(d.idle_ms()),
        Attr::PoolMin => d.pool.min.load(Relaxed) as u64,
        Attr::PoolMax => d.pool.max.load(Relaxed) as u64,
        Attr::Flush => 0,
        Attr::Pushed => pushed(d),
        Attr::Fallbacks => d.fallbacks.load(Relaxed),
        Attr::Drained => d.drained.load(Relaxed),
        Attr::Stale => d.stale.load(Relaxed),
        Attr::BatchesQueued => d.batches_queued.load(Relaxed),
        Attr::PoolPages => d.pool.counts().1 as u64,
        Attr::PoolFree => d.pool.counts().0 as u64,
        Attr::ElemSize => d.elem_size as u64,
        Attr::Runs(bucket) => d.runs[bucket].load(Relaxed),
    }
}

/// Sets `attr` to `val`, or returns `EINVAL` and changes nothing. Callers:
/// the C API's switch, the module parameters, KUnit and, for `flush` only,
/// the debugfs file.
pub(crate) fn write(d: &Deferred, attr: Attr, val: u64) -> Result {
    let in_range = |lo: u64, hi: u64| {
        if (lo..=hi).contains(&val) {
            Ok(())
        } else {
            Err(EINVAL)
        }
    };
    match attr {
        Attr::Enabled => {
            in_range(0, 1)?;
            d.set_enabled(val == 1);
        }
        Attr::IdleMs => {
            in_range(0, u64::from(IDLE_MS_MAX))?;
            d.set_idle_ms(val as u32);
        }
        Attr::PoolMin => d.pool.set_min(usize::try_from(val)?)?,
        Attr::PoolMax => {
            let limit = crate::instance::pool_ram_bound();
            d.pool.set_max(usize::try_from(val)?, limit)?;
        }
        Attr::Flush => {
            in_range(1, 1)?;
            d.flush();
        }
        _ => return Err(EINVAL),
    }
    Ok(())
}
