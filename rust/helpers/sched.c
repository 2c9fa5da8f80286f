// SPDX-License-Identifier: GPL-2.0

#include <linux/sched.h>

__rust_helper void rust_helper_cond_resched(void)
{
	cond_resched();
}

__rust_helper int rust_helper_task_nice(const struct task_struct *p)
{
	return task_nice(p);
}
