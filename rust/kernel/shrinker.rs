// SPDX-License-Identifier: GPL-2.0

//! Shrinkers: memory reclaim's way to ask a cache to give memory back.
//!
//! C header: [`include/linux/shrinker.h`](srctree/include/linux/shrinker.h)
//!
//! Reclaim first asks every registered shrinker how many objects it could
//! free ([`Shrinker::count`]), then asks some of them to free a number of
//! them ([`Shrinker::scan`]).

use crate::{
    bindings, fmt,
    prelude::*,
    str::CString,
    sync::atomic::{Acquire, Atomic, Release},
    types::Opaque,
};
use core::{marker::PhantomPinned, ops::Deref, ptr};

/// What one count or scan call is for (`struct shrink_control`).
#[repr(transparent)]
pub struct ShrinkControl(Opaque<bindings::shrink_control>);

impl ShrinkControl {
    /// The raw control.
    fn raw(&self) -> &bindings::shrink_control {
        // SAFETY: Reclaim passes a valid control that it does not change
        // while the callback runs.
        unsafe { &*self.0.get() }
    }

    /// Objects to scan in this call.
    pub fn nr_to_scan(&self) -> usize {
        self.raw().nr_to_scan
    }

    /// Whether the reclaiming context may start I/O (`__GFP_IO`).
    pub fn may_do_io(&self) -> bool {
        self.raw().gfp_mask & (1 << bindings::___GFP_IO_BIT) != 0
    }

    /// Whether the reclaiming context may enter filesystems (`__GFP_FS`).
    pub fn may_enter_fs(&self) -> bool {
        self.raw().gfp_mask & (1 << bindings::___GFP_FS_BIT) != 0
    }
}

/// The answer of a scan.
pub enum Scanned {
    /// This many objects were freed.
    Freed(usize),
    /// Nothing can be freed in this context (`SHRINK_STOP`): reclaim stops
    /// asking for now.
    Stop,
}

/// A cache that gives memory back on request.
pub trait Shrinker: Sync {
    /// How many objects could be freed now; 0 if none.
    fn count(&self, sc: &ShrinkControl) -> usize;

    /// Frees up to `sc.nr_to_scan()` objects.
    fn scan(&self, sc: &ShrinkControl) -> Scanned;
}

/// A `T` registered as a shrinker: reclaim may call its [`Shrinker`]
/// methods from [`Registration::new`] on until it is dropped, before the `T`
/// is dropped.
///
/// # Invariants
///
/// `shrinker` is a shrinker registered with this registration's `data` as
/// its private data, or null before registration completes.
///
/// # Examples
///
/// ```
/// use kernel::{shrinker::{Registration, Scanned, ShrinkControl, Shrinker},
///              sync::atomic::{Atomic, Relaxed}};
///
/// #[pin_data]
/// struct Cache {
///     cached: Atomic<usize>,
/// }
///
/// impl Shrinker for Cache {
///     fn count(&self, _sc: &ShrinkControl) -> usize {
///         self.cached.load(Relaxed)
///     }
///
///     fn scan(&self, sc: &ShrinkControl) -> Scanned {
///         let freed = sc.nr_to_scan().min(self.cached.load(Relaxed));
///         self.cached.fetch_sub(freed, Relaxed);
///         Scanned::Freed(freed)
///     }
/// }
///
/// let cache = try_pin_init!(Cache { cached: Atomic::new(0) }? Error);
/// let reg = KBox::pin_init(Registration::new(fmt!("example-cache"), cache), GFP_KERNEL)?;
/// assert_eq!(reg.cached.load(Relaxed), 0);
/// // Dropping `reg` unregisters the shrinker, waiting for calls in progress.
/// drop(reg);
/// # Ok::<(), Error>(())
/// ```
#[pin_data(PinnedDrop)]
pub struct Registration<T: Shrinker> {
    #[pin]
    data: T,
    shrinker: Atomic<*mut bindings::shrinker>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: The shrinker is used only through the C API, which synchronises
// itself; everything else is the `T`.
unsafe impl<T: Shrinker + Send> Send for Registration<T> {}
// SAFETY: As above; `&Registration<T>` gives only `&T`, and `T: Sync`.
unsafe impl<T: Shrinker> Sync for Registration<T> {}

impl<T: Shrinker> Registration<T> {
    /// Initialises `data` and registers it as a shrinker named `name` (shown
    /// under `/sys/kernel/debug/shrinker/`).
    pub fn new(
        name: fmt::Arguments<'_>,
        data: impl PinInit<T, Error>,
    ) -> impl PinInit<Self, Error> {
        let name = CString::try_from_fmt(name);
        try_pin_init!(Self {
            data <- data,
            shrinker: Atomic::new(ptr::null_mut()),
            _pin: PhantomPinned,
        }? Error)
        .pin_chain(move |this| {
            let name = name?;
            // SAFETY: The format takes one C string, which we pass.
            let s = unsafe { bindings::shrinker_alloc(0, c"%s".as_char_ptr(), name.as_char_ptr()) };
            if s.is_null() {
                return Err(ENOMEM);
            }
            // SAFETY: `s` is a fresh, unregistered shrinker we own; `data` is
            // pinned and outlives it, since `drop` frees `s` before `data`
            // is dropped.
            unsafe {
                (*s).count_objects = Some(count_callback::<T>);
                (*s).scan_objects = Some(scan_callback::<T>);
                (*s).private_data = ptr::from_ref(&this.data).cast_mut().cast();
                bindings::shrinker_register(s);
            }
            // INVARIANT: `s` is registered with `data` as its private data.
            this.shrinker.store(s, Release);
            Ok(())
        })
    }
}

impl<T: Shrinker> Deref for Registration<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

#[pinned_drop]
impl<T: Shrinker> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        let s = self.shrinker.xchg(ptr::null_mut(), Acquire);
        if !s.is_null() {
            // SAFETY: `s` is registered (type invariant) and freed once,
            // here; `shrinker_free()` waits for the callbacks in progress.
            unsafe { bindings::shrinker_free(s) };
        }
    }
}

/// The `T` and the control of a callback.
///
/// # Safety
///
/// `s` is a shrinker of a live `Registration<T>` and `sc` a valid control.
unsafe fn callback_args<'a, T: Shrinker>(
    s: *mut bindings::shrinker,
    sc: *mut bindings::shrink_control,
) -> (&'a T, &'a ShrinkControl) {
    // SAFETY: `private_data` is the registration's `data` (type invariant
    // of `Registration`), alive while the shrinker is; `ShrinkControl` is a
    // transparent wrapper of the control.
    unsafe {
        (
            &*(*s).private_data.cast::<T>(),
            &*sc.cast::<ShrinkControl>(),
        )
    }
}

/// `count_objects` of a shrinker registered by [`Registration::new`].
///
/// # Safety
///
/// Called by reclaim with the registration's shrinker and a valid control.
unsafe extern "C" fn count_callback<T: Shrinker>(
    s: *mut bindings::shrinker,
    sc: *mut bindings::shrink_control,
) -> c_ulong {
    // SAFETY: As required of the caller.
    let (data, sc) = unsafe { callback_args::<T>(s, sc) };
    match data.count(sc) {
        0 => bindings::SHRINK_EMPTY as c_ulong,
        n => n as c_ulong,
    }
}

/// `scan_objects` of a shrinker registered by [`Registration::new`].
///
/// # Safety
///
/// As for [`count_callback`].
unsafe extern "C" fn scan_callback<T: Shrinker>(
    s: *mut bindings::shrinker,
    sc: *mut bindings::shrink_control,
) -> c_ulong {
    // SAFETY: As required of the caller.
    let (data, sc) = unsafe { callback_args::<T>(s, sc) };
    match data.scan(sc) {
        Scanned::Freed(n) => n as c_ulong,
        Scanned::Stop => bindings::SHRINK_STOP as c_ulong,
    }
}
