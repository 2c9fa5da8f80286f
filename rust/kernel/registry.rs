// SPDX-License-Identifier: GPL-2.0

//! Lists of live objects, for code that must reach every object of a kind.
//!
//! A subsystem that applies a global setting (a module parameter, say) to
//! every object it created keeps them in a list under a global lock: each
//! object joins once it is initialised and leaves before it is torn down.
//! [`Registered`] does both for the object it owns, so a walk of the list
//! under its lock ([`Members::iter`]) sees only live objects, whatever path
//! drops them.

use crate::{
    prelude::*,
    sync::lock::{mutex::MutexBackend, GlobalLock, GlobalLockBackend},
};
use core::{cell::UnsafeCell, marker::PhantomPinned, ops::Deref};

/// The members of a registry: what its global lock (see
/// [`global_lock!`](crate::sync::global_lock)) holds.
///
/// Pinned, so the lock's guard lends it out only shared (no `DerefMut`,
/// which would let it be swapped with a list outside the lock): objects join
/// and leave only through [`Registered`]. Not [`Sync`]: it is shared only
/// under that lock.
///
/// # Context
///
/// Joining and leaving take the lock and may sleep (joining allocates with
/// `GFP_KERNEL`): not from atomic context, nor, as the lock is not
/// recursive, while a walk of the same list holds it.
///
/// # Invariants
///
/// Every pointer in `list` is the `data` of a pinned [`Registered`] whose
/// `data` has not started being dropped. `list` is changed only by
/// [`Registered`], with the global lock that holds `self` held.
///
/// # Examples
///
/// A global setting applied to every object that exists:
///
/// ```
/// use kernel::{
///     registry::{Members, Registered},
///     sync::atomic::{Atomic, Relaxed},
/// };
///
/// #[pin_data]
/// struct Counter {
///     n: Atomic<u32>,
/// }
///
/// fn counter(n: u32) -> impl PinInit<Counter, Error> {
///     try_pin_init!(Counter { n: Atomic::new(n) }? Error)
/// }
///
/// kernel::sync::global_lock! {
///     // SAFETY: Initialised below, before any other use.
///     unsafe(uninit) static COUNTERS: Mutex<Members<Counter>> = Members::new();
/// }
/// // SAFETY: Called once, before any other use of the lock.
/// unsafe { COUNTERS.init() };
///
/// let a = KBox::pin_init(Registered::new(&COUNTERS, counter(1)), GFP_KERNEL)?;
/// let b = KBox::pin_init(Registered::new(&COUNTERS, counter(2)), GFP_KERNEL)?;
/// for c in COUNTERS.lock().iter() {
///     c.n.add(10, Relaxed);
/// }
/// assert_eq!((a.n.load(Relaxed), b.n.load(Relaxed)), (11, 12));
/// // A dropped object has left the list.
/// drop(b);
/// assert_eq!(COUNTERS.lock().iter().count(), 1);
/// # Ok::<(), Error>(())
/// ```
pub struct Members<T> {
    list: UnsafeCell<KVec<*const T>>,
    _pin: PhantomPinned,
}

// SAFETY: The pointers are used only as `&T`, by whichever thread holds the
// lock, so sending the list sends `&T`s: `T: Sync` makes that sound.
unsafe impl<T: Sync> Send for Members<T> {}

impl<T> Default for Members<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Members<T> {
    /// An empty list, for the initialiser of a global lock.
    pub const fn new() -> Self {
        // INVARIANT: Empty.
        Self {
            list: UnsafeCell::new(KVec::new()),
            _pin: PhantomPinned,
        }
    }

    /// The objects in the list, which stay live as long as the lock's guard
    /// that lent `self` is held. Creating or dropping a [`Registered`] of
    /// the same list meanwhile deadlocks.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        // SAFETY: `self` is shared, so it is lent by the guard of its lock
        // (which lends no `&mut`, as `Members` is `!Unpin`) or not in a
        // global lock at all (and then empty, as only `Registered` adds, and
        // only to a global lock's); either way nothing changes `list` until
        // that borrow ends (type invariant).
        let list = unsafe { &*self.list.get() };
        // SAFETY: Each pointer is the `data` of a live `Registered` (type
        // invariant), which leaves the list under the lock before its `data`
        // goes, so not before the borrow of `self` ends.
        list.iter().map(|p| unsafe { &**p })
    }

    /// The list, to change it.
    ///
    /// # Safety
    ///
    /// The caller holds the global lock that holds `self`, and the result
    /// is gone before it unlocks.
    #[expect(clippy::mut_from_ref)]
    unsafe fn list_mut(&self) -> &mut KVec<*const T> {
        // SAFETY: The lock is held (caller), so no other reference to `list`
        // exists: `iter` borrows only through a guard.
        unsafe { &mut *self.list.get() }
    }
}

/// A `T` in the registry whose lock is `B`'s: it joins once initialised
/// and leaves when dropped, before `T` is dropped.
///
/// Joining may allocate under the lock, which is therefore a mutex; see
/// [`Members`] for the context.
#[pin_data(PinnedDrop)]
pub struct Registered<T, B>
where
    T: Sync + 'static,
    B: GlobalLockBackend<Item = Members<T>, Backend = MutexBackend> + 'static,
{
    #[pin]
    data: T,
    members: &'static GlobalLock<B>,
    #[pin]
    _pin: PhantomPinned,
}

impl<T, B> Registered<T, B>
where
    T: Sync + 'static,
    B: GlobalLockBackend<Item = Members<T>, Backend = MutexBackend> + 'static,
{
    /// Initialises `data`, then adds it to `members`. Fails with `ENOMEM`
    /// if the list cannot grow.
    pub fn new(
        members: &'static GlobalLock<B>,
        data: impl PinInit<T, Error>,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            data <- data,
            members,
            _pin: PhantomPinned,
        }? Error)
        .pin_chain(|this| {
            let guard = this.members.lock();
            // SAFETY: The lock is held, and the borrow ends in this block.
            let list = unsafe { guard.list_mut() };
            // INVARIANT: `this` is pinned and initialised; its drop removes
            // the pointer again.
            list.push(&this.data, GFP_KERNEL)?;
            Ok(())
        })
    }
}

impl<T, B> Deref for Registered<T, B>
where
    T: Sync + 'static,
    B: GlobalLockBackend<Item = Members<T>, Backend = MutexBackend> + 'static,
{
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

#[pinned_drop]
impl<T, B> PinnedDrop for Registered<T, B>
where
    T: Sync + 'static,
    B: GlobalLockBackend<Item = Members<T>, Backend = MutexBackend> + 'static,
{
    fn drop(self: Pin<&mut Self>) {
        let me: *const T = &self.data;
        let guard = self.members.lock();
        // SAFETY: The lock is held, and the borrow ends in this block.
        let list = unsafe { guard.list_mut() };
        // INVARIANT: Out before `data` is dropped. Not in the list if
        // joining failed.
        list.retain(|p| *p != me);
        // The last one out frees the list's buffer: a registry in a
        // module's static is not dropped at unload, so a buffer kept here
        // would leak once per load and unload.
        if list.is_empty() {
            *list = KVec::new();
        }
    }
}
