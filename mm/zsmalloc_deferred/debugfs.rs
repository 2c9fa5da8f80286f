// SPDX-License-Identifier: GPL-2.0

//! Stats and tunables of one instance, under
//! `/sys/kernel/debug/zs_deferred/<name>/`.
//!
//! Every file is a number read through `simple_attr`: statistics and the
//! settings in force, which are set elsewhere (the user's switch, the
//! module parameters in `params.rs`). The one write is `flush`, a trigger
//! for debugging and tests, not a setting. One file sits
//! beside the instances' directories: `pages`, the batch pages all instances
//! hold, so that a teardown can be checked to give back every page.
//!
//! Without `CONFIG_DEBUG_FS` there are no files: the attributes are still
//! read and written by the rest of the crate and by KUnit.

#[cfg(CONFIG_DEBUG_FS)]
use crate::batch::PAGES;
use crate::instance::{Deferred, IDLE_MS_MAX};
use core::ptr;
#[cfg(CONFIG_DEBUG_FS)]
use kernel::{
    bindings,
    sync::atomic::{Acquire, Release},
};
use kernel::{
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
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

/// File name, mode and meaning of every file, in directory order.
const ATTRS: [(&CStr, u16, Attr); 25] = [
    (c"enabled", 0o444, Attr::Enabled),
    (c"idle_ms", 0o444, Attr::IdleMs),
    (c"pool_min", 0o444, Attr::PoolMin),
    (c"pool_max", 0o444, Attr::PoolMax),
    (c"flush", 0o200, Attr::Flush),
    (c"pushed", 0o444, Attr::Pushed),
    (c"drained", 0o444, Attr::Drained),
    (c"stale", 0o444, Attr::Stale),
    (c"fallbacks", 0o444, Attr::Fallbacks),
    (c"batches_queued", 0o444, Attr::BatchesQueued),
    (c"pool_pages", 0o444, Attr::PoolPages),
    (c"pool_free", 0o444, Attr::PoolFree),
    (c"elem_size", 0o444, Attr::ElemSize),
    (c"runs_1", 0o444, Attr::Runs(0)),
    (c"runs_2", 0o444, Attr::Runs(1)),
    (c"runs_4", 0o444, Attr::Runs(2)),
    (c"runs_8", 0o444, Attr::Runs(3)),
    (c"runs_16", 0o444, Attr::Runs(4)),
    (c"runs_32", 0o444, Attr::Runs(5)),
    (c"runs_64", 0o444, Attr::Runs(6)),
    (c"runs_128", 0o444, Attr::Runs(7)),
    (c"runs_256", 0o444, Attr::Runs(8)),
    (c"runs_512", 0o444, Attr::Runs(9)),
    (c"runs_1024", 0o444, Attr::Runs(10)),
    (c"runs_2048", 0o444, Attr::Runs(11)),
];

/// `i_private` of one file: which instance, which attribute.
#[cfg_attr(not(CONFIG_DEBUG_FS), allow(dead_code))]
struct Slot {
    /// The instance the file belongs to; set by [`DebugfsDir::create`].
    owner: Atomic<*const Deferred>,
    /// What the file shows or sets.
    attr: Attr,
}

/// The debugfs directory of an instance and the data its files point to.
#[cfg_attr(not(CONFIG_DEBUG_FS), allow(dead_code))]
pub(crate) struct DebugfsDir {
    /// `<name>/`: null before `create` and after `remove`, an error pointer if
    /// debugfs failed.
    dir: Atomic<*mut kernel::bindings::dentry>,
    /// One `i_private` per file, in [`ATTRS`] order.
    slots: [Slot; ATTRS.len()],
}

/// `/sys/kernel/debug/zs_deferred`, created by the first instance.
#[cfg(CONFIG_DEBUG_FS)]
static ROOT: Atomic<*mut bindings::dentry> = Atomic::new(ptr::null_mut());

/// [`ROOT`], created on first use (or looked up if another instance won the
/// race); an error pointer, not cached, if debugfs fails.
#[cfg(CONFIG_DEBUG_FS)]
fn root() -> *mut bindings::dentry {
    let r = ROOT.load(Acquire);
    if !r.is_null() {
        return r;
    }
    // SAFETY: Static name; a null parent means the debugfs root.
    let mut new =
        unsafe { bindings::debugfs_create_dir(c"zs_deferred".as_char_ptr(), ptr::null_mut()) };
    // SAFETY: `IS_ERR` only looks at the value.
    if unsafe { bindings::IS_ERR(new.cast()) } {
        // Lost a race with another first instance: use its directory.
        // SAFETY: As above; the reference it takes is kept forever.
        let found =
            unsafe { bindings::debugfs_lookup(c"zs_deferred".as_char_ptr(), ptr::null_mut()) };
        if found.is_null() {
            // debugfs is off or failed: not cached, so a later instance
            // tries again. Creating files under an error parent does nothing.
            return new;
        }
        new = found;
    }
    match ROOT.cmpxchg(ptr::null_mut(), new, Release) {
        Ok(_) => {
            // SAFETY: `new` is a directory; `PAGES` is a static, and
            // `remove_root()` removes the file before a module unload frees it.
            unsafe {
                bindings::debugfs_create_ulong(
                    c"pages".as_char_ptr(),
                    0o444,
                    new,
                    PAGES.as_ptr().cast(),
                )
            };
            new
        }
        Err(winner) => winner,
    }
}

/// Removes [`ROOT`] and the files in it. Module unload only, after the
/// last instance removed its own directory.
#[cfg(CONFIG_DEBUG_FS)]
pub(crate) fn remove_root() {
    let r = ROOT.xchg(ptr::null_mut(), Acquire);
    // SAFETY: `r` is null or the directory `root()` created or looked up;
    // `debugfs_remove()` takes both.
    unsafe { bindings::debugfs_remove(r) };
}

/// Without debugfs there is no root to remove.
#[cfg(not(CONFIG_DEBUG_FS))]
pub(crate) fn remove_root() {}

impl DebugfsDir {
    /// No directory yet; each slot knows its attribute but has no owner.
    pub(crate) fn empty() -> Self {
        Self {
            dir: Atomic::new(ptr::null_mut()),
            slots: ATTRS.map(|(_, _, attr)| Slot {
                owner: Atomic::new(ptr::null()),
                attr,
            }),
        }
    }
}

#[cfg(CONFIG_DEBUG_FS)]
impl DebugfsDir {
    /// Creates the directory and its files. Failures are not fatal: the
    /// instance works without debugfs.
    pub(crate) fn create(&self, d: &Deferred) {
        // SAFETY: `d.name` is a valid C string, `root()` a directory or an
        // error pointer, which debugfs accepts as a parent.
        let dir = unsafe { bindings::debugfs_create_dir(d.name.as_char_ptr(), root()) };
        for (slot, (name, mode, _)) in self.slots.iter().zip(ATTRS.iter()) {
            slot.owner.store(d, Release);
            // SAFETY: `slot` lives in `d`, which outlives the file: its
            // teardown (`PinnedDrop`) calls `remove` right after turning
            // pushes off, before anything is freed, and `debugfs_remove()`
            // waits for the open, read and write calls in progress (all
            // taken under `debugfs_file_get()`).
            unsafe {
                bindings::debugfs_create_file_unsafe(
                    name.as_char_ptr(),
                    *mode,
                    dir,
                    ptr::from_ref(slot).cast_mut().cast(),
                    &FOPS.0,
                )
            };
        }
        self.dir.store(dir, Release);
    }

    /// Removes the directory; waits for readers and writers in progress.
    pub(crate) fn remove(&self) {
        let dir = self.dir.xchg(ptr::null_mut(), Relaxed);
        // SAFETY: `dir` is ours (or null/error, which debugfs ignores).
        unsafe { bindings::debugfs_remove(dir) };
    }
}

#[cfg(not(CONFIG_DEBUG_FS))]
impl DebugfsDir {
    /// Without debugfs there are no files to create.
    pub(crate) fn create(&self, _d: &Deferred) {}

    /// Without debugfs there are no files to remove.
    pub(crate) fn remove(&self) {}
}

/// The `file_operations` of every file: `simple_attr` with our get/set.
#[cfg(CONFIG_DEBUG_FS)]
struct Fops(bindings::file_operations);

// SAFETY: The table is immutable; its only pointers are functions and a
// null owner.
#[cfg(CONFIG_DEBUG_FS)]
unsafe impl Sync for Fops {}

/// The one table every file of every instance uses.
#[cfg(CONFIG_DEBUG_FS)]
static FOPS: Fops = Fops(bindings::file_operations {
    open: Some(attr_open),
    release: Some(bindings::simple_attr_release),
    read: Some(bindings::debugfs_attr_read),
    write: Some(bindings::debugfs_attr_write),
    // SAFETY: All-zeroes is valid for the remaining fields (no callbacks).
    ..unsafe { core::mem::zeroed() }
});

/// `open`: sets up `simple_attr` with a getter unless the file is write-only
/// and a setter only for `flush`.
///
/// # Safety
///
/// Called by the VFS for one of our files, whose `i_private` is a `Slot`.
#[cfg(CONFIG_DEBUG_FS)]
unsafe extern "C" fn attr_open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: `i_private` is the `Slot` passed at creation.
    let slot = unsafe { &*(*inode).i_private.cast::<Slot>() };
    let readable = slot.attr != Attr::Flush;
    // Root may open a 0444 file for writing: the mode alone does not stop it.
    let writable = slot.attr == Attr::Flush;
    // SAFETY: Valid inode and file; the format matches a u64.
    unsafe {
        bindings::simple_attr_open(
            inode,
            file,
            if readable { Some(attr_get) } else { None },
            if writable { Some(attr_set) } else { None },
            c"%llu\n".as_char_ptr(),
        )
    }
}

/// `simple_attr` getter.
///
/// # Safety
///
/// `data` is a `Slot` of a live instance and `val` a valid out pointer.
#[cfg(CONFIG_DEBUG_FS)]
unsafe extern "C" fn attr_get(data: *mut c_void, val: *mut u64) -> c_int {
    // SAFETY: `data` is our `Slot`; its owner is alive while files exist.
    let slot = unsafe { &*data.cast::<Slot>() };
    // SAFETY: As above.
    let d = unsafe { &*slot.owner.load(Acquire) };
    let v = read(d, slot.attr);
    // SAFETY: `simple_attr` passes a valid out pointer.
    unsafe { *val = v };
    0
}

/// `simple_attr` setter.
///
/// # Safety
///
/// `data` is a `Slot` of a live instance.
#[cfg(CONFIG_DEBUG_FS)]
unsafe extern "C" fn attr_set(data: *mut c_void, val: u64) -> c_int {
    // SAFETY: `data` is our `Slot`; its owner is alive while files exist.
    let slot = unsafe { &*data.cast::<Slot>() };
    // SAFETY: As above.
    let d = unsafe { &*slot.owner.load(Acquire) };
    match write(d, slot.attr, val) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
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
