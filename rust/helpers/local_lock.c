// SPDX-License-Identifier: GPL-2.0

#include <linux/local_lock.h>

__rust_helper void rust_helper___local_lock_init(local_lock_t *lock,
						 const char *name,
						 struct lock_class_key *key)
{
#ifdef CONFIG_PREEMPT_RT
	__spin_lock_init(lock, name, key, true);
#elif defined(CONFIG_DEBUG_LOCK_ALLOC)
	debug_check_no_locks_freed((void *)lock, sizeof(*lock));
	lockdep_init_map_type(&lock->dep_map, name, key, 0, LD_WAIT_CONFIG,
			      LD_WAIT_INV, LD_LOCK_PERCPU);
	local_lock_debug_init(lock);
#endif
}

/*
 * local_lock() followed by this_cpu_ptr() of the same lock: once the lock is
 * held the task stays on this CPU, so the address is that of the data the
 * lock protects on it. One call instead of two on the caller's fast path.
 */
__rust_helper local_lock_t *
rust_helper_local_lock_this_cpu(local_lock_t __percpu *lock)
{
	local_lock(lock);
	return this_cpu_ptr(lock);
}

__rust_helper void rust_helper_local_unlock(local_lock_t __percpu *lock)
{
	local_unlock(lock);
}
