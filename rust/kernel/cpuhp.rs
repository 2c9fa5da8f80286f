// SPDX-License-Identifier: GPL-2.0

//! CPU hotplug states with many instances.
//!
//! C header: [`include/linux/cpuhotplug.h`](srctree/include/linux/cpuhotplug.h)
//!
//! A multi-instance state runs its callbacks for every instance added to it
//! when a CPU comes or goes: a driver with one object per device sets up
//! one state and adds each object as an instance. The states here are
//! dynamic ones of the prepare section (`CPUHP_BP_PREPARE_DYN`): their
//! callbacks run on a control CPU, before a CPU comes up and after it has
//! died, which is where per-CPU data of a dead CPU is taken over.

use crate::{
    bindings,
    cpu::CpuId,
    error::{to_result, Error, Result},
    prelude::*,
    str::{CStr, CStrExt},
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
    types::{NotThreadSafe, Opaque},
};
use core::{
    marker::{PhantomData, PhantomPinned},
    ops::Deref,
};

/// What an instance of a [`PrepareState`] does as CPUs come and go. `'static`,
/// as the state that calls it is a `static`.
pub trait MultiInstance: Sync + 'static {
    /// Prepares for `cpu` coming up: runs on a control CPU before `cpu`
    /// starts. An error stops the bring-up. Does nothing by default.
    fn prepare(&self, _cpu: CpuId) -> Result {
        Ok(())
    }

    /// Cleans up after `cpu` has died: runs on a control CPU, with the CPU
    /// hotplug lock held, once `cpu` runs nothing any more.
    fn dead(&self, cpu: &mut DeadCpu);
}

/// A CPU that has died, lent to [`MultiInstance::dead`]: it runs nothing,
/// and cannot come back up before the callback returns. Per-CPU data that
/// only that CPU's own tasks touch can be taken over through it, e.g. with
/// `LocalLocked::dead_split()` (`kernel::local_lock`).
///
/// # Invariants
///
/// `cpu` is dead, a CPU hotplug callback is running for it with the
/// hotplug lock held for writing, and only that callback has this value.
pub struct DeadCpu {
    cpu: CpuId,
    _not_send: NotThreadSafe,
}

impl DeadCpu {
    /// The CPU that died.
    #[inline]
    pub fn id(&self) -> CpuId {
        self.cpu
    }
}

/// A dynamically allocated multi-instance state of the prepare section,
/// whose instances are `T`s: meant for a `static`, set up by its first
/// instance ([`Instance::new`]) and removed when no instance is left
/// ([`PrepareState::remove`], e.g. at module exit).
///
/// # Invariants
///
/// `nr` is 0 or a state set up by `PrepareState::setup` with the
/// callbacks of `T`, not removed since. `users` counts the [`Instance`]s
/// being initialised or alive, each of which holds one of them from before
/// it joins the state until after it left; it is -1 while `remove` runs,
/// which it does only when it was 0.
///
/// # Examples
///
/// ```
/// use kernel::{cpuhp::{DeadCpu, Instance, MultiInstance, PrepareState},
///              sync::atomic::{Atomic, Relaxed}};
///
/// #[pin_data]
/// struct Counter {
///     deaths: Atomic<u32>,
/// }
///
/// impl MultiInstance for Counter {
///     fn dead(&self, _cpu: &mut DeadCpu) {
///         self.deaths.add(1, Relaxed);
///     }
/// }
///
/// static STATE: PrepareState<Counter> = PrepareState::new();
///
/// let counter = try_pin_init!(Counter { deaths: Atomic::new(0) }? Error);
/// let c = KBox::pin_init(Instance::new(&STATE, c"example:dead", counter), GFP_KERNEL)?;
/// // Every CPU that dies from now on counts, until `c` is dropped.
/// assert_eq!(c.deaths.load(Relaxed), 0);
/// // No removal while an instance is left.
/// assert_eq!(STATE.remove(), Err(EBUSY));
/// drop(c);
/// STATE.remove()?;
/// # Ok::<(), Error>(())
/// ```
pub struct PrepareState<T> {
    nr: Atomic<i32>,
    users: Atomic<i32>,
    _t: PhantomData<fn(&T)>,
}

impl<T: MultiInstance> Default for PrepareState<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: MultiInstance> PrepareState<T> {
    /// A state not set up yet.
    pub const fn new() -> Self {
        // INVARIANT: 0, not set up.
        Self {
            nr: Atomic::new(0),
            users: Atomic::new(0),
            _t: PhantomData,
        }
    }

    /// Counts one more user of the state, unless it is being removed.
    fn hold(&'static self) -> Result<StateHold<T>> {
        let mut users = self.users.load(Relaxed);
        loop {
            if users < 0 {
                return Err(EBUSY);
            }
            let more = users.checked_add(1).ok_or(EBUSY)?;
            // Acquire: after a removal that ran before, `setup` sees 0.
            match self.users.cmpxchg(users, more, Acquire) {
                Ok(_) => return Ok(StateHold { state: self }),
                Err(now) => users = now,
            }
        }
    }

    /// The state's number, set up under `name` first if it is not yet. Of
    /// two racing first calls one state wins; the other is removed again.
    fn setup(&self, name: &'static CStr) -> Result<i32> {
        let nr = self.nr.load(Acquire);
        if nr > 0 {
            return Ok(nr);
        }
        // SAFETY: `name` is static; both callbacks take the node of an
        // `Instance<T>`, the only kind added to this state.
        let ret = unsafe {
            bindings::cpuhp_setup_state_multi(
                bindings::cpuhp_state_CPUHP_BP_PREPARE_DYN,
                name.as_char_ptr(),
                Some(prepare_callback::<T>),
                Some(dead_callback::<T>),
            )
        };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: `ret` was set up above with the callbacks of `T`.
        match self.nr.cmpxchg(0, ret, Release) {
            Ok(_) => Ok(ret),
            Err(winner) => {
                // SAFETY: `ret` was set up above, has no instance and is
                // known to nobody else.
                unsafe { bindings::__cpuhp_remove_state(ret as bindings::cpuhp_state, false) };
                Ok(winner)
            }
        }
    }

    /// Removes the state if it was set up; it may be set up again later.
    ///
    /// Fails with `EBUSY` if an [`Instance`] of the state exists or is
    /// being created: the number of a removed state may go to another
    /// user, whose callbacks would then get the instance. An [`Instance::new`]
    /// racing with this fails with `EBUSY` too, as does a second `remove`.
    ///
    /// A module that owns the state removes it at exit, when every
    /// instance must be gone: a state left set up after an `EBUSY` there
    /// (an instance was leaked) keeps calling the module's callbacks, whose
    /// code is unloaded. This cannot tell, so such a module warns.
    pub fn remove(&self) -> Result {
        // Acquire: the nodes of the instances that were dropped are out of
        // the state before it goes.
        if self.users.cmpxchg(0, -1, Acquire).is_err() {
            return Err(EBUSY);
        }
        let nr = self.nr.xchg(0, Relaxed);
        if nr > 0 {
            // SAFETY: `nr` was set up by `setup` (type invariant) and has no
            // instance: `users` is -1, so none exists and none can join.
            unsafe { bindings::__cpuhp_remove_state(nr as bindings::cpuhp_state, false) };
        }
        // Release: a later `setup` sees `nr` at 0.
        self.users.store(0, Release);
        Ok(())
    }
}

/// One user of a [`PrepareState`], held by an [`Instance`] for its whole
/// life: the state cannot be removed until it is dropped.
struct StateHold<T: MultiInstance> {
    state: &'static PrepareState<T>,
}

impl<T: MultiInstance> Drop for StateHold<T> {
    fn drop(&mut self) {
        // Release: the instance's node left the state before this.
        self.state.users.fetch_sub(1, Release);
    }
}

/// A `T` added to a [`PrepareState`]: its [`MultiInstance`] callbacks run
/// for every CPU that comes up or dies after [`Instance::new`] returns, and
/// none runs any more once the instance starts being dropped.
///
/// # Invariants
///
/// `node` is in the instance list of the state numbered `nr` until `self`
/// is dropped; `hold` keeps that state from being removed meanwhile.
#[pin_data(PinnedDrop)]
pub struct Instance<T: MultiInstance> {
    #[pin]
    data: T,
    nr: i32,
    // Added to the state once everything before it is initialised.
    #[pin]
    node: Opaque<bindings::hlist_node>,
    #[pin]
    _pin: PhantomPinned,
    // Taken first, dropped last: after the node left the state.
    hold: StateHold<T>,
}

// SAFETY: The node is used only by the CPU hotplug core, under its own
// locks; everything else is the `T` and a count in the static state.
unsafe impl<T: MultiInstance + Send> Send for Instance<T> {}
// SAFETY: As above; `&Instance<T>` gives only `&T`, and `T: Sync`.
unsafe impl<T: MultiInstance> Sync for Instance<T> {}

impl<T: MultiInstance> Instance<T> {
    /// Initialises `data` and adds it to `state`, which is set up under
    /// `name` first if this is its first instance. The callbacks are not run
    /// for the CPUs already up. Fails with `EBUSY` while
    /// [`PrepareState::remove`] runs.
    pub fn new(
        state: &'static PrepareState<T>,
        name: &'static CStr,
        data: impl PinInit<T, Error>,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            hold: state.hold()?,
            nr: state.setup(name)?,
            data <- data,
            node <- Opaque::try_ffi_init(move |node: *mut bindings::hlist_node| {
                // Set up above, and kept so by `hold`.
                let nr = state.nr.load(Acquire);
                // SAFETY: `node` is pinned with the instance, whose drop
                // removes it from the state; the state was set up above.
                to_result(unsafe {
                    bindings::cpuhp_state_add_instance_nocalls(nr as bindings::cpuhp_state, node)
                })
            }),
            _pin: PhantomPinned,
        }? Error)
    }
}

impl<T: MultiInstance> Deref for Instance<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

#[pinned_drop]
impl<T: MultiInstance> PinnedDrop for Instance<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `node` is in the list of the state `nr` (type invariant);
        // the C side waits for a running callback under the hotplug lock, so
        // `data` is not used by one after this returns.
        unsafe {
            bindings::cpuhp_state_remove_instance_nocalls(
                self.nr as bindings::cpuhp_state,
                self.node.get(),
            )
        };
    }
}

/// The `T` of the instance whose node is `node`.
///
/// # Safety
///
/// `node` is the `node` of a live `Instance<T>`.
unsafe fn instance_data<'a, T: MultiInstance>(node: *mut bindings::hlist_node) -> &'a T {
    // SAFETY: By the safety requirements, `node` is the `node` field of an
    // `Instance<T>`, whose `data` is initialised before the node is added.
    unsafe {
        &(*crate::container_of!(
            node.cast::<Opaque<bindings::hlist_node>>(),
            Instance<T>,
            node
        ))
        .data
    }
}

/// Startup callback of a state of `T`s.
///
/// # Safety
///
/// Called by the CPU hotplug core for a node added by [`Instance::new`].
unsafe extern "C" fn prepare_callback<T: MultiInstance>(
    cpu: c_uint,
    node: *mut bindings::hlist_node,
) -> c_int {
    let Some(cpu) = CpuId::from_u32(cpu) else {
        return EINVAL.to_errno();
    };
    // SAFETY: The nodes of this state are those of live `Instance<T>`s: an
    // instance leaves the state before it is dropped.
    match unsafe { instance_data::<T>(node) }.prepare(cpu) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Teardown callback of a state of `T`s.
///
/// # Safety
///
/// As for [`prepare_callback`].
unsafe extern "C" fn dead_callback<T: MultiInstance>(
    cpu: c_uint,
    node: *mut bindings::hlist_node,
) -> c_int {
    if let Some(cpu) = CpuId::from_u32(cpu) {
        // INVARIANT: The hotplug core calls this after `cpu` died (or
        // failed to come up: its takedown runs first), with the hotplug
        // lock held for writing. Instances join and leave the state only
        // with the `_nocalls` calls and the state is removed without
        // calls, so no teardown runs here for an online CPU under the read
        // lock alone.
        let mut dead = DeadCpu {
            cpu,
            _not_send: NotThreadSafe,
        };
        // SAFETY: As in `prepare_callback`.
        unsafe { instance_data::<T>(node) }.dead(&mut dead);
    }
    0
}

/// The CPU hotplug lock held for reading: no CPU comes up or goes down until
/// the guard is dropped. Taken by [`cpus_read_lock`].
///
/// Not [`Send`]: the task that took the lock releases it.
///
/// # Examples
///
/// ```
/// use kernel::{cpu::possible_cpus, cpuhp};
///
/// let online = {
///     let _hotplug = cpuhp::cpus_read_lock();
///     // No CPU goes offline while the guard is held.
///     possible_cpus().filter(|cpu| cpu.is_online()).count()
/// };
/// assert!(online >= 1);
/// ```
#[must_use = "the lock is released when the guard is dropped"]
pub struct CpusReadGuard(PhantomData<*mut ()>);

/// Takes the CPU hotplug lock for reading (`cpus_read_lock()`), which may
/// sleep; the holder may sleep too.
#[inline]
pub fn cpus_read_lock() -> CpusReadGuard {
    // SAFETY: Always callable from a context that may sleep; the guard
    // releases the lock in this task.
    unsafe { bindings::cpus_read_lock() };
    CpusReadGuard(PhantomData)
}

impl Drop for CpusReadGuard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: Taken by `cpus_read_lock()` in this task: the guard is
        // not `Send`.
        unsafe { bindings::cpus_read_unlock() };
    }
}
