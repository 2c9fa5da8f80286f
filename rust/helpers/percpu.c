// SPDX-License-Identifier: GPL-2.0

#include <linux/cpuhotplug.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>

__rust_helper void *rust_helper_per_cpu_ptr(void __percpu *ptr, unsigned int cpu)
{
	return per_cpu_ptr(ptr, cpu);
}

__rust_helper void *rust_helper_get_cpu_ptr(void __percpu *ptr)
{
	return get_cpu_ptr(ptr);
}

__rust_helper void rust_helper_preempt_enable(void)
{
	preempt_enable();
}

__rust_helper void rust_helper_cond_resched(void)
{
	cond_resched();
}

__rust_helper int
rust_helper_cpuhp_setup_state_multi(enum cpuhp_state state, const char *name,
				    int (*startup)(unsigned int cpu, struct hlist_node *node),
				    int (*teardown)(unsigned int cpu, struct hlist_node *node))
{
	return cpuhp_setup_state_multi(state, name, startup, teardown);
}

__rust_helper int
rust_helper_cpuhp_state_add_instance_nocalls(enum cpuhp_state state,
					     struct hlist_node *node)
{
	return cpuhp_state_add_instance_nocalls(state, node);
}

__rust_helper int
rust_helper_cpuhp_state_remove_instance_nocalls(enum cpuhp_state state,
						struct hlist_node *node)
{
	return cpuhp_state_remove_instance_nocalls(state, node);
}
