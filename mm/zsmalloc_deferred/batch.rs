// SPDX-License-Identifier: GPL-2.0

//! Buffer pages ("batches") and the two lists that carry them: the lock-free
//! list of full batches waiting for the drain, and the FIFO the drain works
//! through.
//!
//! A batch is one page: a [`Batch`] header, then elements back to back. Pages
//! are linked through the header, so queuing a full buffer allocates nothing.

use core::{mem::MaybeUninit, ptr};
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
    pub(crate) nr: u32,
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

impl Batch {
    /// Allocates an empty batch page with `flags` (a page-sized, and so
    /// page-aligned, `kmalloc()` object); null on failure.
    pub(crate) fn alloc(flags: Flags) -> *mut Batch {
        let Ok(page) = KBox::<BatchPage>::new_uninit(flags) else {
            return ptr::null_mut();
        };
        PAGES.add(1, Relaxed);
        let b = KBox::into_raw(page).cast::<Batch>();
        // SAFETY: `b` is the start of a fresh, exclusively owned
        // `BatchPage`, whose first field is the header; the elements stay
        // uninitialised until pushes write them.
        unsafe {
            b.write(Batch {
                next: ptr::null_mut(),
                nr: 0,
            })
        };
        b
    }

    /// Frees a batch page.
    ///
    /// # Safety
    ///
    /// `b` came from [`Batch::alloc`] and is in no list.
    pub(crate) unsafe fn free(b: *mut Batch) {
        // SAFETY: By the safety requirements, `b` is the `BatchPage` box
        // `alloc` leaked; as `MaybeUninit` nothing in it is dropped.
        drop(unsafe { KBox::from_raw(b.cast::<MaybeUninit<BatchPage>>()) });
        PAGES.fetch_sub(1, Relaxed);
    }

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
    ///
    /// # Safety
    ///
    /// `b` is a batch owned by the caller, in no other list.
    #[inline]
    pub(crate) unsafe fn push(&self, b: *mut Batch) {
        let mut old = self.head.load(Relaxed);
        loop {
            // SAFETY: We own `b` until the cmpxchg below publishes it.
            unsafe { (*b).next = old };
            match self.head.cmpxchg(old, b, Release) {
                Ok(_) => return,
                Err(cur) => old = cur,
            }
        }
    }

    /// Takes every batch, oldest first.
    pub(crate) fn take_all(&self) -> BatchQueue {
        let mut p = self.head.xchg(ptr::null_mut(), Acquire);
        let mut q = BatchQueue::new();
        // The list is newest-first: reverse it onto the front of `q`.
        while !p.is_null() {
            // SAFETY: `xchg` gave us sole ownership of every batch in the list.
            let next = unsafe { (*p).next };
            // SAFETY: As above; `p` leaves the old list for `q`.
            unsafe { q.push_front(p) };
            p = next;
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
    ///
    /// # Safety
    ///
    /// `b` is a batch owned by the caller, in no other list.
    unsafe fn push_front(&mut self, b: *mut Batch) {
        // SAFETY: The caller hands us `b`.
        unsafe { (*b).next = self.head };
        if self.head.is_null() {
            self.tail = b;
        }
        self.head = b;
        self.len += 1;
    }

    /// Adds `b` as the newest batch.
    ///
    /// # Safety
    ///
    /// `b` is a batch owned by the caller, in no other list.
    pub(crate) unsafe fn push_back(&mut self, b: *mut Batch) {
        // SAFETY: The caller hands us `b`; `tail` is ours when non-null.
        unsafe {
            (*b).next = ptr::null_mut();
            if self.tail.is_null() {
                self.head = b;
            } else {
                (*self.tail).next = b;
            }
        }
        self.tail = b;
        self.len += 1;
    }

    /// Removes the oldest batch; the caller owns it.
    pub(crate) fn pop_front(&mut self) -> Option<*mut Batch> {
        if self.head.is_null() {
            return None;
        }
        let b = self.head;
        // SAFETY: `b` is in this queue, which owns it.
        self.head = unsafe { (*b).next };
        if self.head.is_null() {
            self.tail = ptr::null_mut();
        }
        self.len -= 1;
        Some(b)
    }

    /// Moves all of `other` to the back of `self`.
    pub(crate) fn append(&mut self, mut other: BatchQueue) {
        while let Some(b) = other.pop_front() {
            // SAFETY: `b` just left `other`; we own it.
            unsafe { self.push_back(b) };
        }
    }

    /// Frees every batch in the queue.
    pub(crate) fn free_all(&mut self) {
        while let Some(b) = self.pop_front() {
            // SAFETY: `b` left the queue and is in no list.
            unsafe { Batch::free(b) };
        }
    }
}

/// A queue never leaks its pages: those still in it when it goes go back to
/// the page allocator. Their elements are not drained; owners that care
/// (the instance's teardown) drain first.
impl Drop for BatchQueue {
    fn drop(&mut self) {
        self.free_all();
    }
}

/// Like [`BatchQueue`], a dropped list frees the batches still on it.
impl Drop for FullList {
    fn drop(&mut self) {
        drop(self.take_all());
    }
}
