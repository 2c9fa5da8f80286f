// SPDX-License-Identifier: GPL-2.0

//! Buffer pages ("batches") and the queue that carries them between the
//! CPU buffers, the drain and the pool.
//!
//! A batch is one page: a [`Batch`] header, then elements back to back.
//! Pages are linked through the header, so queuing a full buffer allocates
//! nothing. The links own the next page (`Option<KBox<_>>`), and a CPU
//! fills its page as an [`OwnedBatch`] lent out by its local lock, so all of
//! this is safe code.

use kernel::{
    alloc::Flags,
    page::PAGE_SIZE,
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
};

/// Header at the start of every buffer page.
#[repr(C, align(16))]
#[derive(Zeroable)]
pub(crate) struct Batch {
    /// Next page in whichever queue holds this one; owned by this one
    /// while they are linked.
    next: Option<KBox<BatchPage>>,
    /// Elements stored after the header (set when the batch is queued).
    nr: u32,
}

/// Bytes taken by the header; elements start here, aligned for 8-byte
/// elements. A literal, not `size_of::<Batch>()`, which would make the
/// page's layout depend on itself; checked below.
const HDR: usize = 16;
const _: () = assert!(size_of::<Batch>() == HDR);
const _: () = assert!(size_of::<BatchPage>() == PAGE_SIZE);

/// Batch pages of every instance allocated and not yet freed, shown in
/// `/sys/kernel/debug/zs_deferred/pages`: a teardown that keeps a page
/// shows up there as a count above its baseline.
pub(crate) static PAGES: Atomic<usize> = Atomic::new(0);

/// Elements of `elem_size` bytes that fit in one batch.
pub(crate) const fn capacity(elem_size: usize) -> u32 {
    ((PAGE_SIZE - HDR) / elem_size) as u32
}

/// A batch page as allocated: the header, then room for the elements.
/// Page-sized, so `kmalloc()` hands out whole, page-aligned pages.
#[repr(C)]
#[derive(Zeroable)]
pub(crate) struct BatchPage {
    /// The header: link and count.
    hdr: Batch,
    /// Element storage, written by pushes, read by the drain. Zeroed when
    /// the page is allocated, so every byte is initialised.
    elems: [u8; PAGE_SIZE - HDR],
}

/// Counts the page out of [`PAGES`], and frees the pages linked after it
/// one at a time: dropping the chain recursively could overflow the stack.
impl Drop for BatchPage {
    fn drop(&mut self) {
        PAGES.fetch_sub(1, Relaxed);
        let mut next = self.hdr.next.take();
        while let Some(mut b) = next {
            next = b.hdr.next.take();
        }
    }
}

/// A batch page owned by whoever holds it, in no queue: freed when
/// dropped. The pool, the queues and the CPU buffers move pages around as
/// `OwnedBatch`es.
///
/// # Invariants
///
/// The page is linked to no other (`hdr.next` is `None`).
pub(crate) struct OwnedBatch(KBox<BatchPage>);

impl OwnedBatch {
    /// Allocates an empty batch page with `flags`. Zeroed, so that the
    /// header starts out valid without `unsafe`: a page is allocated when
    /// the pool grows, not per push, and is reused after every drain.
    pub(crate) fn alloc(flags: Flags) -> Option<Self> {
        let page = KBox::<BatchPage>::zeroed(flags).ok()?;
        PAGES.add(1, Relaxed);
        // INVARIANT: A zeroed link is `None`.
        Some(Self(page))
    }

    /// Copies `elem`, one element, into slot `idx` of elements of its size.
    /// The caller queues a full page before storing more, so a slot past
    /// the page is a bug: warned about and not stored.
    #[inline]
    pub(crate) fn store(&mut self, idx: u32, elem: &[u8]) {
        let off = idx as usize * elem.len();
        let Some(dst) = self.0.elems.get_mut(off..off + elem.len()) else {
            kernel::warn_on!(true);
            return;
        };
        // Elements are 4 or 8 bytes.
        let _ = copy_fixed::<4>(&mut *dst, elem) || copy_fixed::<8>(dst, elem);
    }

    /// Elements stored in the page (set when it is queued).
    pub(crate) fn nr(&self) -> u32 {
        self.0.hdr.nr
    }

    /// Sets how many elements the page holds.
    pub(crate) fn set_nr(&mut self, nr: u32) {
        self.0.hdr.nr = nr;
    }

    /// Address of element slot 0, for the drain to read `nr()` elements.
    pub(crate) fn elems(&self) -> *const u8 {
        self.0.elems.as_ptr()
    }
}

/// Copies `src` to `dst` if both are `N` bytes long: a copy of a known
/// size, a move where one of `src.len()` bytes would be a call to memcpy.
#[inline]
fn copy_fixed<const N: usize>(dst: &mut [u8], src: &[u8]) -> bool {
    match (<&mut [u8; N]>::try_from(dst), <&[u8; N]>::try_from(src)) {
        (Ok(d), Ok(s)) => {
            *d = *s;
            true
        }
        _ => false,
    }
}

/// A singly linked stack of pages, the top first.
type Chain = Option<KBox<BatchPage>>;

/// Links `b` on top of `chain`.
fn chain_push(chain: &mut Chain, b: OwnedBatch) {
    let mut page = b.0;
    page.hdr.next = chain.take();
    *chain = Some(page);
}

/// Unlinks the top page of `chain`.
fn chain_pop(chain: &mut Chain) -> Option<OwnedBatch> {
    let mut page = chain.take()?;
    *chain = page.hdr.next.take();
    // INVARIANT: Unlinked just above.
    Some(OwnedBatch(page))
}

/// A FIFO of batches owned by one context (the full list, the drain's
/// backlog, or the pool). Two stacks: pushes go on `newest`, pops come off
/// `oldest`, which is refilled by reversing `newest` when it runs out, so
/// each page is moved at most twice and every operation is safe code.
#[derive(Default)]
pub(crate) struct BatchQueue {
    /// The oldest batches, the oldest on top.
    oldest: Chain,
    /// The newest batches, the newest on top.
    newest: Chain,
    /// Number of batches in the queue.
    len: usize,
}

impl BatchQueue {
    /// An empty queue.
    pub(crate) const fn new() -> Self {
        Self {
            oldest: None,
            newest: None,
            len: 0,
        }
    }

    /// Number of batches in the queue.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the queue holds no batch.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `b` as the newest batch.
    pub(crate) fn push_back(&mut self, b: OwnedBatch) {
        chain_push(&mut self.newest, b);
        self.len += 1;
    }

    /// Removes the oldest batch, for the caller to own.
    pub(crate) fn pop_front(&mut self) -> Option<OwnedBatch> {
        if self.oldest.is_none() {
            while let Some(b) = chain_pop(&mut self.newest) {
                chain_push(&mut self.oldest, b);
            }
        }
        let b = chain_pop(&mut self.oldest)?;
        self.len -= 1;
        Some(b)
    }

    /// Takes every batch, leaving the queue empty.
    pub(crate) fn take_all(&mut self) -> BatchQueue {
        core::mem::take(self)
    }

    /// Moves all of `other` to the back of `self`: in one step when `self`
    /// is empty (the drain's usual case), else a page at a time.
    pub(crate) fn append(&mut self, mut other: BatchQueue) {
        if self.is_empty() {
            *self = other;
            return;
        }
        while let Some(b) = other.pop_front() {
            self.push_back(b);
        }
    }
}
