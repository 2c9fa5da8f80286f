// SPDX-License-Identifier: GPL-2.0
/*
 * munmap() latency of swapped-out anonymous memory.
 *
 * Every run maps a private anonymous VMA, fills each page with distinct but
 * well compressible data, pushes the whole VMA out with MADV_PAGEOUT, checks
 * with mincore() that it really left RAM and then times munmap().  After the
 * munmap() the memory counter of the compressed swap backend (zram or zswap)
 * is polled until it is back at its level from before the fill, which must
 * happen within --returned-timeout-ms.
 *
 * With --procs N, N child processes each set up their own VMA and call
 * munmap() at the same moment, released by a barrier in a shared page.
 *
 * With --floor, the munmap() time of an equally sized VMA whose PTEs all map
 * the shared zero page is measured too, as a lower bound to compare with.
 *
 * With --op kill or --op mrelease, the children do not unmap: they are killed
 * the way a low-memory killer kills, with SIGKILL, or with
 * pidfd_send_signal() followed by process_mrelease() as Android's lmkd does,
 * and what is timed is the killer's side: the signals (and the mrelease
 * calls), the last child reaped, the memory back.
 *
 * With --op swapin, each child reads its VMA back in (one read per page,
 * which also checks the page's index) and what is timed is that read; the
 * memory is back when the backend has freed what was loaded (zswap frees
 * an entry once it is loaded), and the VMA is unmapped after.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "swap_util.h"

#define PAGEOUT_RETRIES		3
#define MIN_SLACK		(64UL << 10)
#define MAX_PROCS		1024
#define POLL_NS			NSEC_PER_MSEC
#define SETTLE_NS		(20 * NSEC_PER_MSEC)
/*
 * Workers are quiet once they use less than WORKERS_QUIET_CPU_NS in
 * WORKERS_QUIET_NS, longer than the default idle_ms (100) after which
 * partial buffers drain.
 */
#define WORKERS_QUIET_NS	(150 * NSEC_PER_MSEC)
#define WORKERS_QUIET_CPU_NS	(NSEC_PER_MSEC / 2)
#define WORKERS_QUIET_TRIES	20
#define TAG_MAGIC		0x6d736c7400000000ULL	/* "mslt" */

enum backend {
	BACKEND_ZRAM,
	BACKEND_ZSWAP,
};

static const char * const backend_name[] = {
	[BACKEND_ZRAM] = "zram",
	[BACKEND_ZSWAP] = "zswap",
};

/* How the swapped-out memory goes away. */
enum op {
	OP_MUNMAP,	/* each child unmaps its VMA */
	OP_KILL,	/* the parent SIGKILLs the children */
	OP_MRELEASE,	/* pidfd_send_signal(SIGKILL) + process_mrelease() */
	OP_SWAPIN,	/* each child faults its VMA back in, then unmaps it */
};

static const char * const op_name[] = {
	[OP_MUNMAP] = "munmap",
	[OP_KILL] = "kill",
	[OP_MRELEASE] = "mrelease",
	[OP_SWAPIN] = "swapin",
};

/* Whether the parent kills the children instead of timing their own work. */
static bool op_kills(enum op op)
{
	return op == OP_KILL || op == OP_MRELEASE;
}

#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal	424
#endif
#ifndef __NR_process_mrelease
#define __NR_process_mrelease	448
#endif

struct options {
	unsigned long size_mb;
	unsigned long nprocs;
	unsigned long runs;
	enum backend backend;
	enum op op;
	bool json;
	bool floor;
	unsigned long returned_timeout_ms;
	const char *zram_dev;
};

static struct options opt = {
	.size_mb = 256,
	.nprocs = 1,
	.runs = 1,
	.backend = BACKEND_ZRAM,
	.returned_timeout_ms = 10000,
	.zram_dev = "zram0",
};

enum child_state {
	CHILD_SETUP,		/* filling and paging out */
	CHILD_READY,		/* swapped out, waiting for the start signal */
	CHILD_NOSWAP,		/* too many pages stayed resident */
	CHILD_ERROR,		/* a system call failed during setup */
	CHILD_DONE,		/* munmap() has returned */
};

struct child_slot {
	int state;
	int err;
	char what[32];
	unsigned long npages;
	unsigned long resident;
	int munmap_err;
	unsigned long long start_ns;
	unsigned long long end_ns;
	/* CPU time used before the free began (munmap(), or the kill). */
	unsigned long long cpu_mark_ns;
};

/* Lives in a MAP_SHARED anonymous mapping shared by parent and children. */
struct shared {
	int nreported;
	int go;
	int abort;
	struct child_slot slot[];
};

struct run_result {
	double munmap_ms;
	double munmap_max_ms;
	double returned_ms;	/* negative: not returned in time */
	double floor_ms;	/* negative: not measured */
	double swapped_pct;
	double signal_ms;	/* kill ops: the signals and mrelease calls */
	double task_cpu_ms;	/* CPU of the freeing tasks, from the free on */
	double worker_cpu_ms;	/* CPU of kernel workers meanwhile */
	long long grown;	/* backend growth before munmap(), bytes */
	bool measured;		/* munmap() was timed */
};

static size_t page_size;
static char counter_path[PATH_MAX];

static void sleep_ns(unsigned long long ns)
{
	struct timespec ts = {
		.tv_sec = ns / NSEC_PER_SEC,
		.tv_nsec = ns % NSEC_PER_SEC,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double ns_to_ms(unsigned long long ns)
{
	return (double)ns / NSEC_PER_MSEC;
}

/* se.sum_exec_runtime of task @pid from /proc/@pid/sched, in ns, or 0. */
static unsigned long long sched_runtime_ns(const char *pid)
{
	unsigned long long ms = 0, frac = 0;
	char path[PATH_MAX], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/sched", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "se.sum_exec_runtime : %llu.%llu", &ms, &frac) >= 1)
			break;
	}
	fclose(f);
	/* Printed as milliseconds with six decimals. */
	return ms * NSEC_PER_MSEC + frac;
}

/*
 * CPU time of every kernel worker so far: kworkers, which run the deferred
 * frees' drains (and whatever else the kernel queues), and the drain
 * queues' rescuers (zsd_*). Exact for a worker that is not running.
 */
static unsigned long long workers_cpu_ns(void)
{
	unsigned long long sum = 0;
	char path[PATH_MAX], comm[32];
	struct dirent *e;
	DIR *dir;
	FILE *f;

	dir = opendir("/proc");
	if (!dir)
		return 0;
	while ((e = readdir(dir))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    (!strncmp(comm, "kworker", 7) || !strncmp(comm, "zsd_", 4)))
			sum += sched_runtime_ns(e->d_name);
		fclose(f);
	}
	closedir(dir);
	return sum;
}

/*
 * Worker CPU time since @before, once the workers have gone quiet: the
 * last batches may still be draining when the backend's counter reads as
 * returned, and partial buffers drain only after idle_ms.
 */
static double workers_ms_since(unsigned long long before)
{
	unsigned long long prev, cur = workers_cpu_ns();
	int i;

	for (i = 0; i < WORKERS_QUIET_TRIES; i++) {
		prev = cur;
		sleep_ns(WORKERS_QUIET_NS);
		cur = workers_cpu_ns();
		if (cur - prev < WORKERS_QUIET_CPU_NS)
			break;
	}
	return ns_to_ms(prev - before);
}

static int read_counter(unsigned long long *val)
{
	FILE *f;
	int n;

	f = fopen(counter_path, "r");
	if (!f)
		return -1;
	if (opt.backend == BACKEND_ZRAM)
		n = fscanf(f, "%*u %*u %llu", val);
	else
		n = fscanf(f, "%llu", val);
	fclose(f);
	if (n != 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static void check_environment(void)
{
	unsigned long long val;
	char buf[8];
	FILE *f;

	skip_without_swap();

	if (opt.backend == BACKEND_ZRAM)
		snprintf(counter_path, sizeof(counter_path),
			 "/sys/block/%s/mm_stat", opt.zram_dev);
	else
		snprintf(counter_path, sizeof(counter_path),
			 "/sys/kernel/debug/zswap/pool_total_size");
	if (read_counter(&val))
		ksft_exit_skip("cannot read %s counter %s: %s\n",
			       backend_name[opt.backend], counter_path,
			       strerror(errno));

	if (opt.backend == BACKEND_ZSWAP) {
		f = fopen("/sys/module/zswap/parameters/enabled", "r");
		if (f) {
			if (fgets(buf, sizeof(buf), f) && buf[0] == 'N') {
				fclose(f);
				ksft_exit_skip("zswap is disabled\n");
			}
			fclose(f);
		}
	}
}

static void child_report(struct shared *sh, struct child_slot *slot,
			 int state, const char *what)
{
	if (what) {
		slot->err = errno;
		snprintf(slot->what, sizeof(slot->what), "%s", what);
	}
	__atomic_store_n(&slot->state, state, __ATOMIC_RELEASE);
	__atomic_fetch_add(&sh->nreported, 1, __ATOMIC_ACQ_REL);
}

/*
 * Sleep until every child has finished its setup, then spin so that all
 * children leave the barrier within a few cycles of the start signal.
 * Returns false if the parent called the run off.
 */
static bool child_wait_go(struct shared *sh)
{
	while (__atomic_load_n(&sh->nreported, __ATOMIC_ACQUIRE) <
	       (int)opt.nprocs) {
		if (__atomic_load_n(&sh->abort, __ATOMIC_ACQUIRE))
			return false;
		sleep_ns(POLL_NS);
	}
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&sh->abort, __ATOMIC_RELAXED))
			return false;
	}
	return true;
}

static void child_main(struct shared *sh, unsigned int idx, unsigned int run)
{
	struct child_slot *slot = &sh->slot[idx];
	size_t len = opt.size_mb * MIB;
	unsigned long npages = len / page_size;
	size_t nwords = page_size / sizeof(unsigned long long);
	unsigned long long tag, t0, t1;
	unsigned char *vec;
	unsigned long i;
	long resident;
	char *buf;
	int tries;

	vec = malloc(npages);
	if (!vec) {
		child_report(sh, slot, CHILD_ERROR, "malloc");
		return;
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		child_report(sh, slot, CHILD_ERROR, "mmap");
		free(vec);
		return;
	}
	/* Base pages only, so that every page gets its own swap entry. */
	madvise(buf, len, MADV_NOHUGEPAGE);

	/*
	 * The tag (run and process) makes every page differ from all others,
	 * also across processes and runs.
	 */
	tag = TAG_MAGIC | (unsigned long long)run << 12 | idx;
	for (i = 0; i < npages; i++)
		fill_pattern((unsigned long long *)(buf + i * page_size),
			     nwords, i, tag);

	for (tries = 0; ; tries++) {
		if (page_out(buf, len, false)) {
			child_report(sh, slot, CHILD_ERROR, "madvise(MADV_PAGEOUT)");
			goto out_unmap;
		}
		resident = count_resident_pages(buf, len, vec);
		if (resident < 0) {
			child_report(sh, slot, CHILD_ERROR, "mincore");
			goto out_unmap;
		}
		if ((unsigned long)resident * 100 <= npages ||
		    tries == PAGEOUT_RETRIES)
			break;
	}
	free(vec);
	vec = NULL;

	slot->npages = npages;
	slot->resident = resident;
	if ((unsigned long)resident * 100 > npages) {
		child_report(sh, slot, CHILD_NOSWAP, NULL);
		goto out_unmap;
	}
	/* Killed by the parent, with the VMA in place. */
	if (op_kills(opt.op)) {
		slot->cpu_mark_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		child_report(sh, slot, CHILD_READY, NULL);
		for (;;)
			pause();
	}
	child_report(sh, slot, CHILD_READY, NULL);

	if (!child_wait_go(sh))
		goto out_unmap;

	slot->cpu_mark_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	t0 = now_ns();
	if (opt.op == OP_SWAPIN) {
		/* One read per page faults it in; its first word is its index. */
		for (i = 0; i < npages; i++) {
			unsigned long long *p;

			p = (unsigned long long *)(buf + i * page_size);
			if (__atomic_load_n(p, __ATOMIC_RELAXED) != i)
				slot->munmap_err = EIO;
		}
	} else if (munmap(buf, len)) {
		slot->munmap_err = errno ? errno : EINVAL;
	}
	t1 = now_ns();
	slot->start_ns = t0;
	slot->end_ns = t1;
	if (opt.op == OP_SWAPIN)
		munmap(buf, len);
	__atomic_store_n(&slot->state, CHILD_DONE, __ATOMIC_RELEASE);
	return;

out_unmap:
	free(vec);
	munmap(buf, len);
}

/* Kill (if asked to) and reap every child that has not been reaped yet. */
static void reap_children(struct shared *sh, pid_t *pids, bool *reaped,
			  unsigned int n, bool kill_them)
{
	unsigned int i;
	int status;

	__atomic_store_n(&sh->abort, 1, __ATOMIC_RELEASE);
	for (i = 0; i < n; i++) {
		if (reaped[i] || pids[i] <= 0)
			continue;
		if (kill_them)
			kill(pids[i], SIGKILL);
		wait_child(pids[i], &status);
		reaped[i] = true;
	}
}

/*
 * Wait until every child has reported the outcome of its setup. Returns the
 * index of a child that died without reporting, or -1.
 */
static int wait_reported(struct shared *sh, pid_t *pids, bool *reaped,
			 unsigned int n)
{
	unsigned int i;
	int status;

	while (__atomic_load_n(&sh->nreported, __ATOMIC_ACQUIRE) < (int)n) {
		for (i = 0; i < n; i++) {
			if (reaped[i] || waitpid(pids[i], &status, WNOHANG) != pids[i])
				continue;
			reaped[i] = true;
			if (__atomic_load_n(&sh->slot[i].state, __ATOMIC_ACQUIRE) ==
			    CHILD_SETUP)
				return i;
		}
		sleep_ns(POLL_NS);
	}
	return -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int measure_floor(size_t len, double *ms)
{
	unsigned long long t0, t1;
	size_t off;
	char *buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return -1;
	madvise(buf, len, MADV_NOHUGEPAGE);
	/* Read faults map the shared zero page. */
	for (off = 0; off < len; off += page_size)
		(void)__atomic_load_n(buf + off, __ATOMIC_RELAXED);
	t0 = now_ns();
	if (munmap(buf, len))
		return -1;
	t1 = now_ns();
	*ms = ns_to_ms(t1 - t0);
	return 0;
}

/* pidfd_send_signal(SIGKILL) and process_mrelease() of @pid, as lmkd does. */
static int kill_and_mrelease(pid_t pid)
{
	int pidfd, ret = -1;

	pidfd = syscall(__NR_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -1;
	/* ESRCH from mrelease: the victim's exit released its mm first. */
	if (!syscall(__NR_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) &&
	    (!syscall(__NR_process_mrelease, pidfd, 0) || errno == ESRCH))
		ret = 0;
	close(pidfd);
	return ret;
}

/*
 * The killer's side: signal every child (and mrelease it), wait until all
 * are reaped, then until the backend's counter is back at @baseline. Times
 * are from the first signal; memory that was back before the last child was
 * reaped counts as back at that moment.
 */
static int kill_children(struct shared *sh, pid_t *pids, bool *reaped,
			 unsigned int n, unsigned long long baseline,
			 unsigned long long slack, struct run_result *res)
{
	unsigned long long t0, t_sig, t_reaped, val, cpu, task_cpu, workers0;
	int ret = KSFT_PASS, status;
	unsigned int i;

	workers0 = workers_cpu_ns();
	/* The killer's own CPU: process_mrelease() frees in its context. */
	task_cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (opt.op == OP_KILL ? kill(pids[i], SIGKILL) :
					kill_and_mrelease(pids[i])) {
			ksft_perror(op_name[opt.op]);
			ret = KSFT_FAIL;
		}
	}
	t_sig = now_ns();
	task_cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - task_cpu;
	for (i = 0; i < n; i++) {
		if (wait_child_cpu(pids[i], &status, &cpu)) {
			ksft_perror("waitpid");
			ret = KSFT_FAIL;
			continue;
		}
		reaped[i] = true;
		task_cpu += cpu - sh->slot[i].cpu_mark_ns;
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			ksft_print_msg("child %u was not killed (status 0x%x)\n",
				       i, status);
			ret = KSFT_FAIL;
		}
	}
	t_reaped = now_ns();
	res->signal_ms = ns_to_ms(t_sig - t0);
	res->munmap_ms = ns_to_ms(t_reaped - t0);
	res->munmap_max_ms = res->munmap_ms;
	res->measured = true;
	res->task_cpu_ms = ns_to_ms(task_cpu);

	for (;;) {
		if (read_counter(&val)) {
			ksft_print_msg("cannot read %s: %s\n", counter_path,
				       strerror(errno));
			return KSFT_FAIL;
		}
		if (val <= baseline + slack) {
			res->returned_ms = ns_to_ms(now_ns() - t0);
			res->worker_cpu_ms = workers_ms_since(workers0);
			return ret;
		}
		if (now_ns() - t0 > opt.returned_timeout_ms * NSEC_PER_MSEC) {
			ksft_print_msg("%s: %llu KiB not returned %lu ms after the kill\n",
				       counter_path, (val - baseline) / 1024,
				       opt.returned_timeout_ms);
			return KSFT_FAIL;
		}
		sleep_ns(POLL_NS);
	}
}

static int run_once(struct shared *sh, size_t shared_len, unsigned int run,
		    pid_t *pids, bool *reaped, double *times,
		    struct run_result *res)
{
	unsigned long long len = (unsigned long long)opt.size_mb * MIB;
	unsigned long long total = len * opt.nprocs;
	unsigned long long slack = total / 100;
	unsigned long long baseline, before, val, t_go, t_ret = 0, start;
	unsigned long long cpu, task_cpu = 0, workers0;
	unsigned long npages = 0, resident = 0;
	unsigned int i, n = opt.nprocs;
	bool returned = false;
	int ret = KSFT_PASS;
	int status, dead;
	pid_t pid;

	if (slack < MIN_SLACK)
		slack = MIN_SLACK;
	memset(sh, 0, shared_len);
	memset(res, 0, sizeof(*res));
	res->returned_ms = -1;
	res->floor_ms = -1;

	if (read_counter(&baseline)) {
		ksft_print_msg("cannot read %s: %s\n", counter_path,
			       strerror(errno));
		return KSFT_FAIL;
	}

	for (i = 0; i < n; i++) {
		pids[i] = 0;
		reaped[i] = false;
	}
	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0) {
			ksft_perror("fork");
			reap_children(sh, pids, reaped, n, true);
			return KSFT_FAIL;
		}
		if (!pid) {
			pid_t parent = getppid();

			if (prctl(PR_SET_PDEATHSIG, SIGKILL) ||
			    getppid() != parent)
				_exit(KSFT_FAIL);
			child_main(sh, i, run);
			_exit(KSFT_PASS);
		}
		pids[i] = pid;
	}

	dead = wait_reported(sh, pids, reaped, n);
	if (dead >= 0) {
		ksft_print_msg("child %d died during setup\n", dead);
		reap_children(sh, pids, reaped, n, true);
		return KSFT_FAIL;
	}

	for (i = 0; i < n; i++) {
		struct child_slot *slot = &sh->slot[i];

		switch (__atomic_load_n(&slot->state, __ATOMIC_ACQUIRE)) {
		case CHILD_ERROR:
			ksft_print_msg("child %u: %s failed: %s\n", i,
				       slot->what, strerror(slot->err));
			ret = KSFT_FAIL;
			break;
		case CHILD_NOSWAP:
			ksft_print_msg("child %u: %lu of %lu pages resident after %d retries\n",
				       i, slot->resident, slot->npages,
				       PAGEOUT_RETRIES);
			if (ret == KSFT_PASS)
				ret = KSFT_SKIP;
			break;
		default:
			break;
		}
		npages += slot->npages;
		resident += slot->resident;
	}
	if (npages)
		res->swapped_pct = 100.0 * (npages - resident) / npages;
	if (ret != KSFT_PASS) {
		reap_children(sh, pids, reaped, n, false);
		return ret;
	}

	if (read_counter(&before)) {
		ksft_print_msg("cannot read %s: %s\n", counter_path,
			       strerror(errno));
		reap_children(sh, pids, reaped, n, false);
		return KSFT_FAIL;
	}
	res->grown = (long long)(before - baseline);
	if (before <= baseline + slack) {
		ksft_print_msg("%s grew by only %lld KiB for %llu MiB swapped out\n",
			       counter_path, res->grown / 1024, total / MIB);
		ksft_print_msg("is swap really backed by %s?\n",
			       backend_name[opt.backend]);
		reap_children(sh, pids, reaped, n, false);
		return KSFT_SKIP;
	}

	if (op_kills(opt.op)) {
		ret = kill_children(sh, pids, reaped, n, baseline, slack, res);
		if (opt.floor && measure_floor(len, &res->floor_ms)) {
			ksft_perror("floor measurement");
			res->floor_ms = -1;
			ret = KSFT_FAIL;
		}
		return ret;
	}

	/* Let every child reach its spin loop, then release them all. */
	sleep_ns(SETTLE_NS);
	workers0 = workers_cpu_ns();
	t_go = now_ns();
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);

	for (;;) {
		if (read_counter(&val)) {
			ksft_print_msg("cannot read %s: %s\n", counter_path,
				       strerror(errno));
			ret = KSFT_FAIL;
			break;
		}
		if (val <= baseline + slack) {
			t_ret = now_ns();
			returned = true;
			break;
		}
		if (now_ns() - t_go > opt.returned_timeout_ms * NSEC_PER_MSEC) {
			ksft_print_msg("%s: %llu KiB not returned %lu ms after munmap()\n",
				       counter_path, (val - baseline) / 1024,
				       opt.returned_timeout_ms);
			ret = KSFT_FAIL;
			break;
		}
		sleep_ns(POLL_NS);
	}

	for (i = 0; i < n; i++) {
		if (reaped[i])
			continue;
		if (wait_child_cpu(pids[i], &status, &cpu)) {
			ksft_perror("waitpid");
			ret = KSFT_FAIL;
			continue;
		}
		reaped[i] = true;
		task_cpu += cpu - sh->slot[i].cpu_mark_ns;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != KSFT_PASS) {
			ksft_print_msg("child %u exited abnormally (status 0x%x)\n",
				       i, status);
			ret = KSFT_FAIL;
		}
	}

	start = ULLONG_MAX;
	res->munmap_max_ms = 0;
	for (i = 0; i < n; i++) {
		struct child_slot *slot = &sh->slot[i];

		if (__atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) != CHILD_DONE) {
			ksft_print_msg("child %u did not get to %s\n", i,
				       op_name[opt.op]);
			ret = KSFT_FAIL;
			times[i] = 0;
			continue;
		}
		if (slot->munmap_err) {
			ksft_print_msg("child %u: %s failed: %s\n", i,
				       op_name[opt.op],
				       strerror(slot->munmap_err));
			ret = KSFT_FAIL;
		}
		times[i] = ns_to_ms(slot->end_ns - slot->start_ns);
		if (times[i] > res->munmap_max_ms)
			res->munmap_max_ms = times[i];
		if (slot->start_ns < start)
			start = slot->start_ns;
		if (n > 1)
			ksft_print_msg("run %u proc %u: munmap %.3f ms\n",
				       run, i, times[i]);
	}
	qsort(times, n, sizeof(*times), cmp_double);
	res->measured = true;
	res->munmap_ms = n & 1 ? times[n / 2] :
			 (times[n / 2 - 1] + times[n / 2]) / 2;
	if (returned && start != ULLONG_MAX)
		res->returned_ms = t_ret > start ? ns_to_ms(t_ret - start) : 0;
	res->task_cpu_ms = ns_to_ms(task_cpu);
	if (returned)
		res->worker_cpu_ms = workers_ms_since(workers0);

	if (opt.floor && measure_floor(len, &res->floor_ms)) {
		ksft_perror("floor measurement");
		res->floor_ms = -1;
		ret = KSFT_FAIL;
	}
	return ret;
}

static void print_ms_json(const char *key, double ms)
{
	if (ms < 0)
		printf(",\"%s\":null", key);
	else
		printf(",\"%s\":%.3f", key, ms);
}

static void report_run(unsigned int run, const struct run_result *res)
{
	char returned[32], floor[32];

	if (res->returned_ms < 0)
		snprintf(returned, sizeof(returned), "not returned");
	else
		snprintf(returned, sizeof(returned), "returned after %.3f ms",
			 res->returned_ms);
	if (res->floor_ms < 0)
		snprintf(floor, sizeof(floor), "n/a");
	else
		snprintf(floor, sizeof(floor), "%.3f ms", res->floor_ms);

	ksft_print_msg("run %u: %s %lu MiB x%lu, swapped %.1f%%, +%lld KiB stored\n",
		       run, backend_name[opt.backend], opt.size_mb, opt.nprocs,
		       res->swapped_pct, res->grown / 1024);
	if (!op_kills(opt.op))
		ksft_print_msg("run %u: %s %.3f ms (max %.3f ms), memory %s, floor %s\n",
			       run, op_name[opt.op], res->munmap_ms,
			       res->munmap_max_ms, returned, floor);
	else
		ksft_print_msg("run %u: %s: signals %.3f ms, all reaped after %.3f ms, memory %s\n",
			       run, op_name[opt.op], res->signal_ms,
			       res->munmap_ms, returned);
	ksft_print_msg("run %u: CPU: tasks %.3f ms, kernel workers %.3f ms\n",
		       run, res->task_cpu_ms, res->worker_cpu_ms);

	if (!opt.json)
		return;
	printf("# JSON {\"backend\":\"%s\",\"op\":\"%s\",\"size_mb\":%lu,\"nprocs\":%lu,\"run\":%u",
	       backend_name[opt.backend], op_name[opt.op], opt.size_mb,
	       opt.nprocs, run);
	if (opt.op == OP_SWAPIN) {
		print_ms_json("swapin_ms", res->munmap_ms);
		print_ms_json("swapin_max_ms", res->munmap_max_ms);
	} else if (opt.op == OP_MUNMAP) {
		print_ms_json("munmap_ms", res->munmap_ms);
		print_ms_json("munmap_max_ms", res->munmap_max_ms);
	} else {
		print_ms_json("signal_ms", res->signal_ms);
		print_ms_json("reaped_ms", res->munmap_ms);
	}
	print_ms_json("returned_ms", res->returned_ms);
	print_ms_json("task_cpu_ms", res->task_cpu_ms);
	print_ms_json("worker_cpu_ms", res->worker_cpu_ms);
	print_ms_json("floor_ms", res->floor_ms);
	printf(",\"swapped_pct\":%.1f}\n", res->swapped_pct);
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [options]\n"
		"Time munmap() of a swapped-out private anonymous VMA and wait for\n"
		"the compressed swap backend to give the memory back.\n"
		"\n"
		"  -s, --size MIB               VMA size per process (default 256)\n"
		"  -p, --procs N                processes unmapping at the same time (default 1)\n"
		"  -r, --runs N                 repetitions (default 1)\n"
		"  -b, --backend zram|zswap     backend whose memory counter is watched (default zram)\n"
		"      --zram-dev zramN         zram device for the zram backend (default zram0)\n"
		"      --op munmap|kill|mrelease|swapin  how the memory goes: the children\n"
		"                               unmap it, or are killed with SIGKILL, or\n"
		"                               with pidfd_send_signal() +\n"
		"                               process_mrelease(), or fault it back in\n"
		"                               (timed) and then unmap it\n"
		"  -j, --json                   print a '# JSON {...}' line per run\n"
		"      --floor                  also time munmap() of a zero-page mapped VMA\n"
		"      --returned-timeout-ms N  limit for the memory to be returned (default 10000)\n"
		"  -h, --help                   show this help\n"
		"\n"
		"Needs an active swap device; skips (exit code %d) without one.\n",
		prog, KSFT_SKIP);
}

enum {
	OPT_FLOOR = 256,
	OPT_RETURNED_TIMEOUT,
	OPT_ZRAM_DEV,
	OPT_OP,
};

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "procs", required_argument, NULL, 'p' },
		{ "runs", required_argument, NULL, 'r' },
		{ "backend", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "floor", no_argument, NULL, OPT_FLOOR },
		{ "returned-timeout-ms", required_argument, NULL,
		  OPT_RETURNED_TIMEOUT },
		{ "zram-dev", required_argument, NULL, OPT_ZRAM_DEV },
		{ "op", required_argument, NULL, OPT_OP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = argv[0];
	int c;

	while ((c = getopt_long(argc, argv, "s:p:r:b:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.size_mb = parse_ulong(prog, "size", optarg, 1,
						  1UL << 20);
			break;
		case 'p':
			opt.nprocs = parse_ulong(prog, "process count", optarg,
						 1, MAX_PROCS);
			break;
		case 'r':
			opt.runs = parse_ulong(prog, "run count", optarg, 1,
					       1000000);
			break;
		case 'b':
			if (!strcmp(optarg, "zram")) {
				opt.backend = BACKEND_ZRAM;
			} else if (!strcmp(optarg, "zswap")) {
				opt.backend = BACKEND_ZSWAP;
			} else {
				fprintf(stderr, "%s: unknown backend '%s'\n",
					prog, optarg);
				exit(KSFT_FAIL);
			}
			break;
		case 'j':
			opt.json = true;
			break;
		case OPT_FLOOR:
			opt.floor = true;
			break;
		case OPT_RETURNED_TIMEOUT:
			opt.returned_timeout_ms =
				parse_ulong(prog, "timeout", optarg, 1,
					    24UL * 3600 * 1000);
			break;
		case OPT_ZRAM_DEV:
			if (!*optarg || strchr(optarg, '/') ||
			    strlen(optarg) > 64) {
				fprintf(stderr, "%s: invalid zram device '%s'\n",
					prog, optarg);
				exit(KSFT_FAIL);
			}
			opt.zram_dev = optarg;
			break;
		case OPT_OP:
			for (c = 0; c < (int)ARRAY_SIZE(op_name); c++)
				if (!strcmp(optarg, op_name[c]))
					break;
			if (c == (int)ARRAY_SIZE(op_name)) {
				fprintf(stderr, "%s: unknown op '%s'\n", prog,
					optarg);
				exit(KSFT_FAIL);
			}
			opt.op = c;
			break;
		case 'h':
			usage(stdout, prog);
			exit(KSFT_PASS);
		default:
			usage(stderr, prog);
			exit(KSFT_FAIL);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		usage(stderr, prog);
		exit(KSFT_FAIL);
	}
	if (opt.size_mb * MIB / MIB != opt.size_mb ||
	    opt.size_mb * MIB * opt.nprocs / opt.nprocs != opt.size_mb * MIB) {
		fprintf(stderr, "%s: %lu MiB x %lu is too large\n", prog,
			opt.size_mb, opt.nprocs);
		exit(KSFT_FAIL);
	}
}

int main(int argc, char **argv)
{
	struct run_result res;
	size_t shared_len;
	struct shared *sh;
	unsigned int run;
	double *times;
	bool *reaped;
	pid_t *pids;
	int ret;

	parse_args(argc, argv);

	ksft_print_header();

	page_size = psize();

	check_environment();

	shared_len = sizeof(*sh) + opt.nprocs * sizeof(sh->slot[0]);
	shared_len = (shared_len + page_size - 1) & ~(page_size - 1);
	sh = mmap(NULL, shared_len, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_perror("mmap shared page");
	pids = calloc(opt.nprocs, sizeof(*pids));
	reaped = calloc(opt.nprocs, sizeof(*reaped));
	times = calloc(opt.nprocs, sizeof(*times));
	if (!pids || !reaped || !times)
		ksft_exit_fail_msg("out of memory\n");

	ksft_print_msg("backend %s (%s), %lu MiB x%lu, %lu run(s)\n",
		       backend_name[opt.backend], counter_path, opt.size_mb,
		       opt.nprocs, opt.runs);
	ksft_set_plan(opt.runs);

	for (run = 0; run < opt.runs; run++) {
		ret = run_once(sh, shared_len, run, pids, reaped, times, &res);
		if (res.measured)
			report_run(run, &res);
		ksft_test_result_report(ret, "%s %luMiB x%lu run %u\n",
					op_name[opt.op], opt.size_mb,
					opt.nprocs, run);
	}

	free(times);
	free(reaped);
	free(pids);
	munmap(sh, shared_len);

	exit_with_results();
}
