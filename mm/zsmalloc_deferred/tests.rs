// SPDX-License-Identifier: GPL-2.0

//! KUnit suite of the deferred-free core.
//!
//! Every case uses an instance whose drain records what it receives: how
//! often each value arrived, and whether values inside one batch kept the
//! order a single pusher gave them.

use crate::{
    debugfs::{read, write, Attr},
    instance::Deferred,
    percpu::{cpu_online, for_each_possible_cpu},
};
use kernel::{
    bindings, container_of,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
};

/// What a test instance's drain saw.
struct Recorder {
    elem_size: usize,
    /// Times each value (its low 32 bits) was drained.
    seen: KVVec<Atomic<u32>>,
    /// Values pushed at all, and those whose push returned false.
    attempted: KVVec<Atomic<u32>>,
    rejected: KVVec<Atomic<u32>>,
    /// Batches whose values were not strictly increasing.
    order_errors: Atomic<u32>,
    /// 8-byte elements whose high half was lost.
    tag_errors: Atomic<u32>,
    /// While set, the drain waits: lets a test run the pool dry.
    hold: Atomic<bool>,
}

/// High half of every 8-byte test element.
const TAG: u64 = 0x5a5a_0000_0000_0000;

impl Recorder {
    fn new(elem_size: usize, nvalues: usize) -> Result<KBox<Self>> {
        let mut seen = KVVec::with_capacity(nvalues, GFP_KERNEL)?;
        let mut attempted = KVVec::with_capacity(nvalues, GFP_KERNEL)?;
        let mut rejected = KVVec::with_capacity(nvalues, GFP_KERNEL)?;
        for _ in 0..nvalues {
            seen.push(Atomic::new(0), GFP_KERNEL)?;
            attempted.push(Atomic::new(0), GFP_KERNEL)?;
            rejected.push(Atomic::new(0), GFP_KERNEL)?;
        }
        Ok(KBox::new(
            Self {
                elem_size,
                seen,
                attempted,
                rejected,
                order_errors: Atomic::new(0),
                tag_errors: Atomic::new(0),
                hold: Atomic::new(false),
            },
            GFP_KERNEL,
        )?)
    }

    /// Pushes value `v` and records a rejection.
    fn push(&self, d: &Deferred, v: u32) -> bool {
        let wide = TAG | u64::from(v);
        let elem: *const u8 = if self.elem_size == 4 {
            ptr_of(&v)
        } else {
            ptr_of(&wide)
        };
        self.attempted[v as usize].add(1, Relaxed);
        // SAFETY: `elem` points to `elem_size` bytes on our stack.
        let ok = unsafe { d.push(elem) };
        if !ok {
            self.rejected[v as usize].add(1, Relaxed);
        }
        ok
    }

    /// Values below `limit` drained other than exactly once if accepted,
    /// never if rejected or not pushed at all.
    fn delivery_errors(&self, limit: usize) -> usize {
        (0..limit)
            .filter(|&v| {
                let accepted =
                    self.attempted[v].load(Relaxed) == 1 && self.rejected[v].load(Relaxed) == 0;
                self.seen[v].load(Relaxed) != u32::from(accepted)
            })
            .count()
    }

    fn rejections(&self) -> usize {
        self.rejected.iter().filter(|r| r.load(Relaxed) > 0).count()
    }
}

fn ptr_of<T>(v: &T) -> *const u8 {
    core::ptr::from_ref(v).cast()
}

/// The drain of test instances.
///
/// # Safety
///
/// `priv_` is a live `Recorder`; `elems` holds `nr` elements of its size.
unsafe extern "C" fn record(priv_: *mut c_void, elems: *const c_void, nr: c_uint) {
    // SAFETY: Test instances are created with a live `Recorder` as `priv_`.
    let r = unsafe { &*priv_.cast::<Recorder>() };
    while r.hold.load(Acquire) {
        // SAFETY: The drain runs in process context.
        unsafe { bindings::msleep(1) };
    }
    let mut prev = None;
    for i in 0..nr as usize {
        // SAFETY: The core passes `nr` elements of `elem_size` bytes.
        let v = unsafe {
            if r.elem_size == 4 {
                u64::from(elems.cast::<u32>().add(i).read())
            } else {
                elems.cast::<u64>().add(i).read()
            }
        };
        if r.elem_size == 8 && v & !0xffff_ffff != TAG {
            r.tag_errors.add(1, Relaxed);
        }
        if prev.is_some_and(|p| v <= p) {
            r.order_errors.add(1, Relaxed);
        }
        prev = Some(v);
        if let Some(c) = r.seen.get((v & 0xffff_ffff) as usize) {
            c.add(1, Relaxed);
        }
    }
}

fn instance(name: &CStr, r: &Recorder, capacity: usize) -> Result<Pin<KBox<Deferred>>> {
    Deferred::create(
        name,
        r.elem_size,
        record,
        ptr_of(r).cast_mut().cast(),
        capacity,
    )
}

/// A work item that runs a closure on one CPU (in its bound kworker).
#[repr(C)]
struct OnCpu<'a> {
    work: bindings::work_struct,
    f: &'a (dyn Fn(u32) + Sync),
    cpu: u32,
}

/// Work function of an [`OnCpu`].
///
/// # Safety
///
/// `work` is the `work` field of a live `OnCpu`.
unsafe extern "C" fn on_cpu_fn(work: *mut bindings::work_struct) {
    // SAFETY: `work` is the first field of an `OnCpu` kept alive until flushed.
    let o = unsafe { &*container_of!(work, OnCpu<'_>, work) };
    (o.f)(o.cpu);
}

/// Runs `f(cpu)` on every online CPU at the same time and waits for all.
fn on_every_cpu(f: &(dyn Fn(u32) + Sync)) -> Result {
    let mut items = KVec::new();
    // SAFETY: Held across queueing and flushing; may sleep.
    unsafe { bindings::cpus_read_lock() };
    for_each_possible_cpu(|cpu| {
        if cpu_online(cpu) {
            // SAFETY: All-zeroes is a valid not-yet-initialised work_struct.
            let work = unsafe { core::mem::zeroed() };
            if let Ok(b) = KBox::new(OnCpu { work, f, cpu }, GFP_KERNEL) {
                let _ = items.push(b, GFP_KERNEL);
            }
        }
    });
    for o in items.iter_mut() {
        // SAFETY: The item is boxed (stable) and outlives its execution.
        unsafe {
            bindings::init_work_with_key(
                &raw mut o.work,
                Some(on_cpu_fn),
                false,
                c"zs_deferred_test".as_char_ptr(),
                kernel::static_lock_class!().as_ptr(),
            );
            bindings::queue_work_on(o.cpu as i32, bindings::system_percpu_wq, &raw mut o.work);
        }
    }
    for o in items.iter_mut() {
        // SAFETY: Initialised and queued above.
        unsafe { bindings::flush_work(&raw mut o.work) };
    }
    // SAFETY: Taken above.
    unsafe { bindings::cpus_read_unlock() };
    Ok(())
}

fn online_cpus() -> u32 {
    let mut n = 0;
    for_each_possible_cpu(|cpu| n += u32::from(cpu_online(cpu)));
    n
}

#[kunit_tests(zs_deferred)]
mod cases {
    use super::*;

    /// Pushers bound to every online CPU at once: each accepted value is
    /// drained exactly once, each rejected value never.
    #[test]
    fn exactly_once_from_every_cpu() -> Result {
        const PER_CPU: u32 = 20_000;
        let nr = (PER_CPU * 64) as usize;
        let r = Recorder::new(4, nr)?;
        let d = instance(c"kunit_every_cpu", &r, nr)?;
        let pusher = |cpu: u32| {
            for i in 0..PER_CPU {
                r.push(&d, cpu * PER_CPU + i);
            }
        };
        on_every_cpu(&pusher)?;
        d.flush();
        assert_eq!(r.delivery_errors(nr), 0);
        assert_eq!(r.order_errors.load(Relaxed), 0);
        let accepted = u64::from(online_cpus() * PER_CPU) - r.rejections() as u64;
        assert_eq!(read(&d, Attr::Pushed), accepted);
        assert_eq!(read(&d, Attr::Drained), accepted);
        Deferred::destroy(d);
        Ok(())
    }

    /// Many pages through one CPU: order kept inside each batch, every
    /// full page queued.
    #[test]
    fn rotation_keeps_order() -> Result {
        // A capacity whose pool starts with more than the 6 pages needed.
        let r = Recorder::new(4, 16 * 1024)?;
        let d = instance(c"kunit_rotation", &r, 256 * 1024)?;
        let n = 5 * d.cap + 7;
        for v in 0..n {
            assert!(r.push(&d, v));
        }
        d.flush();
        assert!(read(&d, Attr::BatchesQueued) >= 5);
        assert_eq!(r.delivery_errors(n as usize), 0);
        assert_eq!(r.order_errors.load(Relaxed), 0);
        Deferred::destroy(d);
        Ok(())
    }

    /// With the drain stuck, the pool runs dry: push returns false, and
    /// those values never reach the drain.
    #[test]
    fn pool_exhaustion_falls_back() -> Result {
        let nr = 64 * 1024;
        let r = Recorder::new(4, nr)?;
        // Capacity of one batch: the smallest pool the core will build.
        let d = instance(c"kunit_exhaust", &r, 1)?;
        r.hold.store(true, Release);
        let mut refused = 0;
        for v in 0..nr as u32 {
            if !r.push(&d, v) {
                refused += 1;
            }
        }
        r.hold.store(false, Release);
        d.flush();
        assert!(refused > 0);
        assert_eq!(read(&d, Attr::Fallbacks), refused);
        assert_eq!(r.delivery_errors(nr), 0);
        Deferred::destroy(d);
        Ok(())
    }

    /// `flush` drains the partial buffers of every CPU.
    #[test]
    fn flush_drains_partial_buffers() -> Result {
        let r = Recorder::new(4, 1024)?;
        let d = instance(c"kunit_flush", &r, 1024)?;
        let pusher = |cpu: u32| {
            for i in 0..3 {
                r.push(&d, cpu * 3 + i);
            }
        };
        on_every_cpu(&pusher)?;
        assert_eq!(read(&d, Attr::Drained), 0);
        d.flush();
        assert_eq!(read(&d, Attr::Drained), u64::from(3 * online_cpus()));
        assert_eq!(r.delivery_errors(1024), 0);
        Deferred::destroy(d);
        Ok(())
    }

    /// A partial buffer is drained within `idle_ms` with no further push
    /// and no flush.
    #[test]
    fn idle_flush_drains_partial_buffer() -> Result {
        let r = Recorder::new(4, 64)?;
        let d = instance(c"kunit_idle", &r, 64)?;
        write(&d, Attr::IdleMs, 20)?;
        for v in 0..5 {
            assert!(r.push(&d, v));
        }
        let mut waited = 0;
        while read(&d, Attr::Drained) < 5 && waited < 2000 {
            // SAFETY: Test context may sleep.
            unsafe { bindings::msleep(10) };
            waited += 10;
        }
        assert_eq!(read(&d, Attr::Drained), 5);
        Deferred::destroy(d);
        Ok(())
    }

    /// `destroy` drains whatever is still buffered.
    #[test]
    fn destroy_drains_pending() -> Result {
        let r = Recorder::new(4, 64)?;
        let d = instance(c"kunit_destroy", &r, 64)?;
        for v in 0..10 {
            assert!(r.push(&d, v));
        }
        Deferred::destroy(d);
        assert_eq!(r.delivery_errors(64), 0);
        assert_eq!(r.seen[9].load(Relaxed), 1);
        Ok(())
    }

    /// The switch off makes push return false; back on, it queues again.
    #[test]
    fn switch_off_refuses_pushes() -> Result {
        let r = Recorder::new(4, 64)?;
        let d = instance(c"kunit_switch", &r, 64)?;
        write(&d, Attr::Enabled, 0)?;
        assert!(!r.push(&d, 1));
        write(&d, Attr::Enabled, 1)?;
        assert!(r.push(&d, 2));
        d.flush();
        assert_eq!(r.seen[1].load(Relaxed), 0);
        assert_eq!(r.seen[2].load(Relaxed), 1);
        Deferred::destroy(d);
        Ok(())
    }

    /// 8-byte elements (zswap entries) arrive whole.
    #[test]
    fn eight_byte_elements() -> Result {
        let r = Recorder::new(8, 4096)?;
        let d = instance(c"kunit_wide", &r, 4096)?;
        assert_eq!(d.cap, 510);
        for v in 0..2000 {
            assert!(r.push(&d, v));
        }
        d.flush();
        assert_eq!(r.tag_errors.load(Relaxed), 0);
        assert_eq!(r.delivery_errors(4096), 0);
        assert_eq!(r.order_errors.load(Relaxed), 0);
        Deferred::destroy(d);
        Ok(())
    }

    /// Bad arguments fail with an error pointer, never a crash.
    #[test]
    fn create_rejects_bad_input() {
        let ops = bindings::zs_deferred_ops {
            elem_size: 3,
            drain: Some(record),
        };
        let no_drain = bindings::zs_deferred_ops {
            elem_size: 4,
            drain: None,
        };
        let good = bindings::zs_deferred_ops {
            elem_size: 4,
            drain: Some(record),
        };
        let is_einval =
            |p: *mut bindings::zs_deferred| kernel::error::from_err_ptr(p).err() == Some(EINVAL);
        // SAFETY: Every pointer is null or valid; none of these can succeed.
        unsafe {
            let n = c"kunit_bad".as_char_ptr();
            assert!(is_einval(crate::zs_deferred_create(
                n,
                &ops,
                core::ptr::null_mut(),
                64
            )));
            assert!(is_einval(crate::zs_deferred_create(
                n,
                core::ptr::null(),
                core::ptr::null_mut(),
                64
            )));
            assert!(is_einval(crate::zs_deferred_create(
                n,
                &no_drain,
                core::ptr::null_mut(),
                64
            )));
            assert!(is_einval(crate::zs_deferred_create(
                n,
                &good,
                core::ptr::null_mut(),
                0
            )));
            crate::zs_deferred_destroy(core::ptr::null_mut());
        }
    }

    /// Invalid tunable values return EINVAL and change nothing.
    #[test]
    fn tunables_reject_bad_values() -> Result {
        let r = Recorder::new(4, 64)?;
        let d = instance(c"kunit_tunables", &r, 64 * 1024)?;
        let (min, max) = (read(&d, Attr::PoolMin), read(&d, Attr::PoolMax));
        assert_eq!(write(&d, Attr::Enabled, 2), Err(EINVAL));
        assert_eq!(read(&d, Attr::Enabled), 1);
        assert_eq!(write(&d, Attr::IdleMs, 0), Err(EINVAL));
        assert_eq!(write(&d, Attr::IdleMs, 60_001), Err(EINVAL));
        assert_eq!(read(&d, Attr::IdleMs), 100);
        assert_eq!(write(&d, Attr::PoolMin, 0), Err(EINVAL));
        assert_eq!(write(&d, Attr::PoolMin, max + 1), Err(EINVAL));
        assert_eq!(write(&d, Attr::PoolMax, min - 1), Err(EINVAL));
        assert_eq!(write(&d, Attr::Flush, 2), Err(EINVAL));
        assert_eq!(write(&d, Attr::Pushed, 1), Err(EINVAL));
        assert_eq!(
            (read(&d, Attr::PoolMin), read(&d, Attr::PoolMax)),
            (min, max)
        );
        Deferred::destroy(d);
        Ok(())
    }
}
