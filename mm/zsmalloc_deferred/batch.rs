// SPDX-License-Identifier: GPL-2.0

//! Buffer pages ("batches") and the two lists that carry them: the lock-free
//! list of full batches waiting for the drain, and the FIFO the drain works
//! through.
//!
//! A batch is one page: a [`Batch`] header, then elements back to back. Pages
//! are linked through the header, so queuing a full buffer allocates nothing.

use core::{
    mem::{ManuallyDrop, MaybeUninit},
    ptr::{self, NonNull},
};
use kernel::{
    alloc::Flags,
    page::PAGE_SIZE,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
};

/// Header at the start of every buffer page.
#[repr(C, align(16))]
pub(crate) struct Batch {
    /// Next batch in whichever list holds this one.
    next: *mut Batch,
    /// Elements stored after the header (set when the batch is queued).
    nr: u32,
}

/// Bytes taken by the header; elements start here.
const HDR: usize = size_of::<Batch>();

/// Batch pages of every instance allocated and not yet freed, shown in
/// `/sys/kernel/debug/zs_deferred/pages`: a teardown that keeps a page
/// shows up there as a count above its baseline.
pub(crate) static PAGES: Atomic<usize> = Atomic::new(0);

/// Elements of `elem_size` bytes that fit in one batch.
pub(crate) const fn capacity(elem_size: usize) -> u32 {
    ((PAGE_SIZE - HDR) / elem_size) as u32
}

/// A batch page as allocated: the header, then room for the elements.
#[repr(C)]
struct BatchPage {
    /// The header: links and count.
    hdr: Batch,
    /// Element storage, written by pushes, read by the drain.
    elems: [MaybeUninit<u8>; PAGE_SIZE - HDR],
}

/// A batch page owned by whoever holds it, in no list: freed when
/// dropped. The pool and the lists move pages around
/// as `OwnedBatch`es; only a CPU's buffer keeps its page as a raw pointer
/// ([`OwnedBatch::into_raw`]), to fill it under the CPU's local lock.
///
/// # Invariants
///
/// `self.0` is a `BatchPage` from [`OwnedBatch::alloc`], owned by `self`,
/// with an initialised header.
pub(crate) struct OwnedBatch(NonNull<Batch>);

// SAFETY: The page is owned outright and holds plain data; it may be freed
// or handed over on any CPU.
unsafe impl Send for OwnedBatch {}

impl OwnedBatch {
    /// Allocates an empty batch page with `flags` (a page-sized, and so
    /// page-aligned, `kmalloc()` object).
    pub(crate) fn alloc(flags: Flags) -> Option<Self> {
        let page = KBox::<BatchPage>::new_uninit(flags).ok()?;
        let b = NonNull::from(KBox::leak(page)).cast::<Batch>();
        PAGES.add(1, Relaxed);
        // SAFETY: `b` is the start of a fresh, exclusively owned
        // `BatchPage`, whose first field is the header; the elements stay
        // uninitialised until pushes write them.
        unsafe {
            b.as_ptr().write(Batch {
                next: ptr::null_mut(),
                nr: 0,
            })
        };
        // INVARIANT: Allocated above, header written.
        Some(Self(b))
    }

    /// Gives up ownership: the page is the caller's to keep (a CPU's
    /// buffer) until it comes back through [`OwnedBatch::from_raw`].
    pub(crate) fn into_raw(self) -> *mut Batch {
        ManuallyDrop::new(self).0.as_ptr()
    }

    /// Takes back ownership of a page from [`OwnedBatch::into_raw`].
    ///
    /// # Safety
    ///
    /// `b` came from `into_raw` and the caller owns it: no one else uses it
    /// and no other `OwnedBatch` is made from it.
    pub(crate) unsafe fn from_raw(b: *mut Batch) -> Self {
        // SAFETY: Non-null, as every page from `into_raw` (caller).
        // INVARIANT: Owned by the caller, who hands it over (caller).
        Self(unsafe { NonNull::new_unchecked(b) })
    }

    /// The header, ours to change.
    fn hdr(&mut self) -> &mut Batch {
        // SAFETY: The page and its header are ours (type invariant).
        unsafe { self.0.as_mut() }
    }

    /// Elements stored in the page (set when it is queued).
    pub(crate) fn nr(&self) -> u32 {
        self.hdr_ref().nr
    }

    /// The header, for reading.
    fn hdr_ref(&self) -> &Batch {
        // SAFETY: As in `hdr`.
        unsafe { self.0.as_ref() }
    }

    /// The link to the next page in the list this one was taken from.
    fn next_raw(&self) -> *mut Batch {
        self.hdr_ref().next
    }

    /// Sets how many elements the page holds.
    pub(crate) fn set_nr(&mut self, nr: u32) {
        self.hdr().nr = nr;
    }

    /// Address of element slot 0, for the drain to read `nr()` elements.
    pub(crate) fn elems(&self) -> *const u8 {
        Batch::elems(self.0.as_ptr())
    }
}

impl Drop for OwnedBatch {
    fn drop(&mut self) {
        // SAFETY: The page is the `BatchPage` box `alloc` leaked, owned by
        // `self` (type invariant); as `MaybeUninit` nothing in it is dropped.
        drop(unsafe { KBox::from_raw(self.0.as_ptr().cast::<MaybeUninit<BatchPage>>()) });
        PAGES.fetch_sub(1, Relaxed);
    }
}

impl Batch {
    /// Address of element slot 0 of `b`.
    #[inline]
    pub(crate) fn elems(b: *mut Batch) -> *mut u8 {
        b.cast::<u8>().wrapping_add(HDR)
    }
}

/// Lock-free LIFO of full batches: any CPU pushes, one consumer takes all.
///
/// Only `push` and `take_all` exist, so there is no ABA problem.
pub(crate) struct FullList {
    /// Newest batch, linked to older ones through `next`; null when empty.
    head: Atomic<*mut Batch>,
}

impl FullList {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        Self {
            head: Atomic::new(ptr::null_mut()),
        }
    }

    /// Adds `b`; callable with preemption disabled.
    #[inline]
    pub(crate) fn push(&self, mut b: OwnedBatch) {
        let mut old = self.head.load(Relaxed);
        loop {
            // `b` is ours until the cmpxchg below publishes it.
            b.hdr().next = old;
            match self.head.cmpxchg(old, b.0.as_ptr(), Release) {
                Ok(_) => break,
                Err(cur) => old = cur,
            }
        }
        // The list owns the page now; `take_all` gives it back.
        let _ = b.into_raw();
    }

    /// Takes every batch, oldest first.
    pub(crate) fn take_all(&self) -> BatchQueue {
        let mut p = self.head.xchg(ptr::null_mut(), Acquire);
        let mut q = BatchQueue::new();
        // The list is newest-first: reverse it onto the front of `q`.
        while !p.is_null() {
            // SAFETY: `xchg` gave us sole ownership of every batch in the
            // list, each put there by `push`.
            let b = unsafe { OwnedBatch::from_raw(p) };
            p = b.next_raw();
            q.push_front(b);
        }
        q
    }

    /// Whether no batch is waiting; a snapshot, any CPU may push right after.
    pub(crate) fn is_empty(&self) -> bool {
        self.head.load(Relaxed).is_null()
    }
}

/// A FIFO of batches owned by one context (the drain, or the pool).
pub(crate) struct BatchQueue {
    /// Oldest batch, the next to pop; null when empty.
    head: *mut Batch,
    /// Newest batch, whose `next` is null; null when empty.
    tail: *mut Batch,
    /// Number of batches in the queue.
    len: usize,
}

// SAFETY: A `BatchQueue` owns its pages outright; they may move between CPUs.
unsafe impl Send for BatchQueue {}

impl BatchQueue {
    /// An empty queue.
    pub(crate) const fn new() -> Self {
        Self {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
            len: 0,
        }
    }

    /// Number of batches in the queue.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the queue holds no batch.
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// Adds `b` as the oldest batch.
    fn push_front(&mut self, mut b: OwnedBatch) {
        b.hdr().next = self.head;
        let b = b.into_raw();
        if self.head.is_null() {
            self.tail = b;
        }
        self.head = b;
        self.len += 1;
    }

    /// Adds `b` as the newest batch.
    pub(crate) fn push_back(&mut self, mut b: OwnedBatch) {
        b.hdr().next = ptr::null_mut();
        let b = b.into_raw();
        self.link_at_tail(b);
        self.tail = b;
        self.len += 1;
    }

    /// Makes `b` (pages this queue now owns) follow the newest batch, or
    /// start the queue if it is empty; the caller sets `tail` and `len`.
    fn link_at_tail(&mut self, b: *mut Batch) {
        if self.tail.is_null() {
            self.head = b;
        } else {
            // SAFETY: `tail` is a page of this queue, which owns it (put
            // there from an `OwnedBatch`); no one else uses it.
            unsafe { (*self.tail).next = b };
        }
    }

    /// Removes the oldest batch, for the caller to own.
    pub(crate) fn pop_front(&mut self) -> Option<OwnedBatch> {
        if self.head.is_null() {
            return None;
        }
        // SAFETY: `head` is a page the queue owns (put there by `push_*`
        // from an `OwnedBatch`); it leaves the queue here.
        let b = unsafe { OwnedBatch::from_raw(self.head) };
        self.head = b.next_raw();
        if self.head.is_null() {
            self.tail = ptr::null_mut();
        }
        self.len -= 1;
        Some(b)
    }

    /// Moves all of `other` to the back of `self`, in one step.
    pub(crate) fn append(&mut self, mut other: BatchQueue) {
        if other.head.is_null() {
            return;
        }
        self.link_at_tail(other.head);
        self.tail = other.tail;
        self.len += other.len;
        // `other`'s pages are ours now: leave it empty for its drop.
        other.head = ptr::null_mut();
        other.tail = ptr::null_mut();
        other.len = 0;
    }
}

/// A queue never leaks its pages: those still in it when it goes are
/// freed. Their elements are not drained; owners that care
/// (the instance's teardown) drain first.
impl Drop for BatchQueue {
    fn drop(&mut self) {
        while self.pop_front().is_some() {}
    }
}

/// Like [`BatchQueue`], a dropped list frees the batches still on it.
impl Drop for FullList {
    fn drop(&mut self) {
        drop(self.take_all());
    }
}
