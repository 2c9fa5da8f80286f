// SPDX-License-Identifier: GPL-2.0
/*
 * Swap slot churn with verification of every byte.
 *
 * For --duration seconds, --workers processes each keep a private anonymous
 * VMA of --size MiB and go through rounds that free swapped-out memory and
 * write new data in its place, rotating between three ways of freeing it:
 *
 *  - munmap: the VMA is filled with a checksummed pattern and paged out with
 *    MADV_PAGEOUT, then about half of its blocks are unmapped, mapped again
 *    with MAP_FIXED_NOREPLACE, filled with a new generation of the pattern
 *    and paged out again at once, so that they are likely to land in the swap
 *    slots that were just freed;
 *  - MADV_DONTNEED: the same, with MADV_DONTNEED instead of munmap() and
 *    mmap();
 *  - exit: the VMA is paged out and inherited by a child, which fills and
 *    pages out a VMA of its own, checks a sample of it after swapping it back
 *    in and exits without munmap(), so that exit_mmap() frees its swap
 *    entries and drops its references to those of the worker.
 *
 * Every round ends with every byte of the worker's VMA being read back,
 * which swaps it in, and compared with what was last written there.  This is
 * meant to catch swap slots that are handed out again while still in use,
 * e.g. by zram or zswap freeing slots later from a background worker.
 *
 * Every worker adds up its rounds, the bytes it verified, the pages that
 * mincore() showed as swapped out after each MADV_PAGEOUT (counting only
 * pages written or swapped in since the previous one) and the pages that did
 * not match in a MAP_SHARED page, where the parent reads them once the worker
 * has exited.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "swap_util.h"

#define GIB			(1024.0 * 1024 * 1024)
#define MAX_WORKERS		64
#define MAX_DURATION_S		1000000UL
#define SAMPLE_STRIDE		8
#define GRACE_S			60UL
#define TAG_MAGIC		0x7363ULL	/* "sc" */

/* Exit codes of the child of an exit round. */
#define CHILD_OK		0
#define CHILD_MISMATCH		1
#define CHILD_ERROR		2

enum free_mode {
	MODE_MUNMAP,
	MODE_DONTNEED,
	MODE_EXIT,
	NR_MODES,
};

static const char * const mode_name[] = {
	[MODE_MUNMAP] = "munmap",
	[MODE_DONTNEED] = "MADV_DONTNEED",
	[MODE_EXIT] = "exit",
};

struct options {
	unsigned long duration_s;
	unsigned long workers;
	unsigned long size_mb;
	bool json;
};

static struct options opt = {
	.duration_s = 120,
	.workers = 3,
	.size_mb = 32,
};

/*
 * Totals of one worker, in a MAP_SHARED anonymous mapping so that the parent
 * can read them after waitpid().  The child of an exit round reports through
 * the child_* fields, which its worker reads after waitpid() in turn.
 */
struct worker_slot {
	unsigned long long rounds;
	unsigned long long mode_rounds[NR_MODES];
	unsigned long long bytes_verified;
	unsigned long long pages_swapped;
	unsigned long long mismatches;
	unsigned long long child_exits;
	unsigned long long child_verified;
	unsigned long long child_swapped;
	unsigned long long child_mismatches;
};

struct worker {
	unsigned int id;		/* 1-based, also the KTAP test number */
	struct worker_slot *slot;
	char *buf;
	size_t len;
	unsigned long npages;
	unsigned long round;
	unsigned int *gen;		/* generation last written to each page */
	unsigned int last_gen;
	unsigned char *vec;		/* mincore() output */
	unsigned long long *expected;	/* one page, rebuilt for each compare */
	bool reported;			/* the first mismatch has been printed */
};

static size_t page_size;
static size_t page_words;

/*
 * Parent: workers to forward signals to (0 once reaped) and what the signal
 * handlers did.  The flags are set in signal handlers and only accessed with
 * __atomic builtins.
 */
static pid_t worker_pid[MAX_WORKERS];
static int nr_signals;
static int last_signal;
static int timed_out;

/* Worker: stop after the current round. */
static int stop_requested;

/* now_ns() for workers, which report a failure instead of exiting. */
static int worker_now_ns(unsigned long long *ns)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return -1;
	*ns = (unsigned long long)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
	return 0;
}

static unsigned long long make_tag(unsigned int worker, unsigned int gen)
{
	return TAG_MAGIC << 48 | (unsigned long long)worker << 32 | gen;
}

static unsigned long long *page_ptr(char *buf, unsigned long idx)
{
	return (unsigned long long *)(buf + idx * page_size);
}

/* Fill page @idx with the checksummed pattern of @worker, gen @gen. */
static void fill_page(unsigned long long *p, unsigned long idx,
		      unsigned int worker, unsigned int gen)
{
	fill_pattern_csum(p, page_words, idx, make_tag(worker, gen));
}

/* Generation numbers are never 0, which keeps tags of real data non-zero. */
static unsigned int next_gen(struct worker *w)
{
	if (!++w->last_gen)
		w->last_gen = 1;
	return w->last_gen;
}

/* Base pages only, so that every page gets a swap slot of its own. */
static int no_thp(char *addr, size_t len)
{
	/* EINVAL: a kernel without THP, there is nothing to turn off. */
	if (madvise(addr, len, MADV_NOHUGEPAGE) && errno != EINVAL)
		return -1;
	return 0;
}

/*
 * Pages of the @npages at @buf that are not resident; with @only_gen, only
 * those whose last written generation is @only_gen count.
 */
static long count_swapped(char *buf, unsigned long npages,
			  unsigned char *vec, const unsigned int *gen,
			  unsigned int only_gen)
{
	unsigned long i;
	long swapped = 0;

	if (mincore(buf, npages * page_size, vec))
		return -1;
	for (i = 0; i < npages; i++) {
		if (only_gen && gen[i] != only_gen)
			continue;
		swapped += !(vec[i] & 1);
	}
	return swapped;
}

static int worker_error(struct worker *w, const char *what)
{
	ksft_print_msg("worker %u round %lu: %s: %s\n", w->id, w->round, what,
		       strerror(errno));
	return -1;
}

/* @who: "worker W round R (mode)" */
static void describe_page(const char *who, unsigned long idx,
			  const unsigned long long *p)
{
	unsigned long long tag = p[1];
	size_t i;

	for (i = 0; i < page_words && !p[i]; i++)
		;
	if (i == page_words) {
		ksft_print_msg("%s: page %lu reads as all zeroes\n", who, idx);
		return;
	}
	if (page_csum(p, page_words) == p[page_words - 1] && tag >> 48 == TAG_MAGIC) {
		ksft_print_msg("%s: page %lu holds intact page %llu of worker %llu gen %llu\n",
			       who, idx, p[0], (tag >> 32) & 0xffff,
			       tag & 0xffffffff);
		return;
	}
	ksft_print_msg("%s: page %lu holds corrupted data (0x%llx 0x%llx ...)\n",
		       who, idx, p[0], p[1]);
}

/* Compare page @idx of @buf with generation w->gen[@idx] of the pattern. */
static bool check_page(struct worker *w, const char *what, char *buf,
		       unsigned long idx)
{
	const unsigned char *exp = (const unsigned char *)w->expected;
	const unsigned char *act = (const unsigned char *)page_ptr(buf, idx);
	char who[64];
	size_t b;

	fill_page(w->expected, idx, w->id, w->gen[idx]);
	if (!memcmp(act, exp, page_size))
		return true;
	if (w->reported)
		return false;
	w->reported = true;
	for (b = 0; b < page_size && act[b] == exp[b]; b++)
		;
	snprintf(who, sizeof(who), "worker %u round %lu (%s)", w->id,
		 w->round, what);
	ksft_print_msg("%s: first mismatch: page %lu, expected gen %u\n", who,
		       idx, w->gen[idx]);
	ksft_print_msg("%s: page %lu byte %zu: expected 0x%02x, got 0x%02x\n",
		       who, idx, b, exp[b], act[b]);
	describe_page(who, idx, (const unsigned long long *)act);
	return false;
}

/*
 * Read back every @stride-th page of @buf, swapping it in, and compare every
 * byte of it.  Returns the number of pages that did not match.
 */
static unsigned long verify(struct worker *w, const char *what, char *buf,
			    unsigned long stride, unsigned long long *bytes)
{
	unsigned long i, bad = 0;

	for (i = 0; i < w->npages; i += stride) {
		if (!check_page(w, what, buf, i))
			bad++;
		*bytes += page_size;
	}
	return bad;
}

/*
 * Blocks of 1 to 32 pages (more for VMAs above 128 MiB, to stay well below
 * the default vm.max_map_count in munmap rounds), changing every time the
 * rotation through the modes starts over.
 */
static unsigned long round_block(struct worker *w)
{
	return block_pages(w->round / NR_MODES, w->npages);
}

/* About half of the blocks, a different half in every round. */
static bool block_freed(unsigned long long seed, unsigned long b)
{
	return mix64(seed + b) & 1;
}

/*
 * Free pages [@first, @end) of the VMA, which are swapped out for the most
 * part, write generation @gen into them and page them out again right away.
 */
static int replace_range(struct worker *w, enum free_mode mode,
			 unsigned long first, unsigned long end,
			 unsigned int gen)
{
	char *addr = w->buf + first * page_size;
	size_t len = (end - first) * page_size;
	unsigned long i;
	char *p;

	if (mode == MODE_MUNMAP) {
		if (munmap(addr, len))
			return worker_error(w, "munmap");
		p = mmap(addr, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0);
		if (p == MAP_FAILED)
			return worker_error(w, "mmap(MAP_FIXED_NOREPLACE)");
		if (p != addr) {
			/* A kernel without MAP_FIXED_NOREPLACE took a hint. */
			ksft_print_msg("worker %u round %lu: remap of %p landed at %p\n",
				       w->id, w->round, addr, p);
			if (munmap(p, len))
				worker_error(w, "munmap");
			return -1;
		}
		if (no_thp(addr, len))
			return worker_error(w, "madvise(MADV_NOHUGEPAGE)");
	} else if (madvise(addr, len, MADV_DONTNEED)) {
		return worker_error(w, "madvise(MADV_DONTNEED)");
	}

	for (i = first; i < end; i++) {
		w->gen[i] = gen;
		fill_page(page_ptr(w->buf, i), i, w->id, gen);
	}
	/*
	 * Best effort: pages that cannot be reclaimed right now stay where they
	 * are, which only shows up in the swapped-out count.
	 */
	if (page_out(addr, len, true))
		return worker_error(w, "madvise(MADV_PAGEOUT)");
	return 0;
}

/* A munmap or MADV_DONTNEED round. */
static int round_free(struct worker *w, enum free_mode mode)
{
	unsigned long long seed = mix64(((unsigned long long)w->id << 48) ^
					w->round);
	unsigned long block = round_block(w);
	unsigned long nblocks = (w->npages + block - 1) / block;
	unsigned int old_gen = next_gen(w);
	unsigned int gen = next_gen(w);
	unsigned long i, b, e, end;
	long swapped;

	for (i = 0; i < w->npages; i++) {
		w->gen[i] = old_gen;
		fill_page(page_ptr(w->buf, i), i, w->id, old_gen);
	}
	if (page_out(w->buf, w->len, true))
		return worker_error(w, "madvise(MADV_PAGEOUT)");
	swapped = count_swapped(w->buf, w->npages, w->vec, NULL, 0);
	if (swapped < 0)
		return worker_error(w, "mincore");
	w->slot->pages_swapped += swapped;

	/* Free runs of selected blocks, with one system call per run. */
	b = 0;
	while (b < nblocks) {
		if (!block_freed(seed, b)) {
			b++;
			continue;
		}
		for (e = b + 1; e < nblocks && block_freed(seed, e); e++)
			;
		end = e * block < w->npages ? e * block : w->npages;
		if (replace_range(w, mode, b * block, end, gen))
			return -1;
		b = e;
	}

	/* The rest was counted above and has not been touched since. */
	swapped = count_swapped(w->buf, w->npages, w->vec, w->gen, gen);
	if (swapped < 0)
		return worker_error(w, "mincore");
	w->slot->pages_swapped += swapped;

	w->slot->mismatches += verify(w, mode_name[mode], w->buf, 1,
				      &w->slot->bytes_verified);
	return 0;
}

/*
 * The child of an exit round: fill a VMA of its own with generation @gen,
 * page it out, check a sample of it and exit with it still mapped.
 */
static __noreturn void exit_child(struct worker *w, unsigned int gen)
{
	struct worker_slot *slot = w->slot;
	unsigned long long verified = 0;
	pid_t parent = getppid();
	unsigned long i, bad;
	long swapped;
	char *buf;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(CHILD_ERROR);

	buf = mmap(NULL, w->len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		worker_error(w, "exit child: mmap");
		goto fail;
	}
	if (no_thp(buf, w->len)) {
		worker_error(w, "exit child: madvise(MADV_NOHUGEPAGE)");
		goto fail;
	}
	/* w->gen is the child's own copy, it now describes buf. */
	for (i = 0; i < w->npages; i++) {
		w->gen[i] = gen;
		fill_page(page_ptr(buf, i), i, w->id, gen);
	}
	if (page_out(buf, w->len, true)) {
		worker_error(w, "exit child: madvise(MADV_PAGEOUT)");
		goto fail;
	}
	swapped = count_swapped(buf, w->npages, w->vec, NULL, 0);
	if (swapped < 0) {
		worker_error(w, "exit child: mincore");
		goto fail;
	}
	bad = verify(w, "exit child", buf, SAMPLE_STRIDE, &verified);

	slot->child_swapped = swapped;
	slot->child_verified = verified;
	slot->child_mismatches = bad;
	fflush(stdout);
	/* No munmap(): exit_mmap() is to free the swap entries. */
	_exit(bad ? CHILD_MISMATCH : CHILD_OK);

fail:
	fflush(stdout);
	_exit(CHILD_ERROR);
}

/* An exit round. */
static int round_exit(struct worker *w)
{
	struct worker_slot *slot = w->slot;
	unsigned int gen = next_gen(w);
	int status, code;
	long swapped;
	pid_t pid;

	/*
	 * The last verification swapped the VMA back in; push it out again so
	 * that the child inherits swap entries and its exit drops references
	 * to them, which must not free them under the worker.
	 */
	if (page_out(w->buf, w->len, true))
		return worker_error(w, "madvise(MADV_PAGEOUT)");
	swapped = count_swapped(w->buf, w->npages, w->vec, NULL, 0);
	if (swapped < 0)
		return worker_error(w, "mincore");
	slot->pages_swapped += swapped;

	slot->child_swapped = 0;
	slot->child_verified = 0;
	slot->child_mismatches = 0;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return worker_error(w, "fork");
	if (!pid)
		exit_child(w, gen);
	if (wait_child(pid, &status))
		return worker_error(w, "waitpid");

	if (WIFSIGNALED(status)) {
		ksft_print_msg("worker %u round %lu: exit child killed by signal %d\n",
			       w->id, w->round, WTERMSIG(status));
		return -1;
	}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (code != CHILD_OK && code != CHILD_MISMATCH) {
		ksft_print_msg("worker %u round %lu: exit child failed (status 0x%x)\n",
			       w->id, w->round, status);
		return -1;
	}
	slot->child_exits++;
	slot->bytes_verified += slot->child_verified;
	slot->pages_swapped += slot->child_swapped;
	if (code == CHILD_MISMATCH) {
		slot->mismatches += slot->child_mismatches ?
				    slot->child_mismatches : 1;
		w->reported = true;
	}

	slot->mismatches += verify(w, mode_name[MODE_EXIT], w->buf, 1,
				   &slot->bytes_verified);
	return 0;
}

static int worker_main(unsigned int id, struct worker_slot *slot,
		       unsigned long long deadline)
{
	struct worker w = {
		.id = id,
		.slot = slot,
		.buf = MAP_FAILED,
		.len = opt.size_mb * MIB,
	};
	unsigned long long now;
	enum free_mode mode;
	int ret = KSFT_PASS;

	w.npages = w.len / page_size;
	w.gen = calloc(w.npages, sizeof(*w.gen));
	w.vec = malloc(w.npages);
	if (!w.gen || !w.vec ||
	    posix_memalign((void **)&w.expected, page_size, page_size)) {
		ksft_print_msg("worker %u: out of memory\n", id);
		ret = KSFT_FAIL;
		goto out;
	}

	w.buf = mmap(NULL, w.len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w.buf == MAP_FAILED) {
		ksft_print_msg("worker %u: mmap of %lu MiB failed: %s\n", id,
			       opt.size_mb, strerror(errno));
		ret = KSFT_FAIL;
		goto out;
	}
	if (no_thp(w.buf, w.len)) {
		worker_error(&w, "madvise(MADV_NOHUGEPAGE)");
		ret = KSFT_FAIL;
		goto out;
	}

	/* Round 0 is a munmap round, so an exit round finds data in place. */
	for (w.round = 0; !__atomic_load_n(&stop_requested, __ATOMIC_RELAXED);
	     w.round++) {
		if (worker_now_ns(&now)) {
			worker_error(&w, "clock_gettime");
			ret = KSFT_FAIL;
			break;
		}
		if (now >= deadline)
			break;
		mode = w.round % NR_MODES;
		if (mode == MODE_EXIT ? round_exit(&w) : round_free(&w, mode)) {
			ret = KSFT_FAIL;
			break;
		}
		slot->rounds++;
		slot->mode_rounds[mode]++;
	}
	if (slot->mismatches)
		ret = KSFT_FAIL;

out:
	if (w.buf != MAP_FAILED && munmap(w.buf, w.len)) {
		worker_error(&w, "munmap");
		ret = KSFT_FAIL;
	}
	free(w.expected);
	free(w.vec);
	free(w.gen);
	return ret;
}

static void request_stop(int sig __always_unused)
{
	__atomic_store_n(&stop_requested, 1, __ATOMIC_RELAXED);
}

static void kill_workers(int sig)
{
	unsigned int i;

	for (i = 0; i < MAX_WORKERS; i++)
		if (worker_pid[i] > 0)
			kill(worker_pid[i], sig);
}

/* SIGINT/SIGTERM: workers stop after their round; a second one kills. */
static void forward_signal(int sig)
{
	int saved_errno = errno;

	__atomic_store_n(&last_signal, sig, __ATOMIC_RELAXED);
	if (__atomic_add_fetch(&nr_signals, 1, __ATOMIC_RELAXED) > 1)
		sig = SIGKILL;
	kill_workers(sig);
	errno = saved_errno;
}

/* SIGALRM: the workers are long past their deadline. */
static void watchdog(int sig __always_unused)
{
	int saved_errno = errno;

	__atomic_store_n(&timed_out, 1, __ATOMIC_RELAXED);
	kill_workers(SIGKILL);
	errno = saved_errno;
}

static void set_handler(int sig, void (*handler)(int), const sigset_t *mask)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_mask = *mask;
	if (sigaction(sig, &sa, NULL))
		ksft_exit_fail_perror("sigaction");
}

static void set_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	if (sigprocmask(how, set, old))
		ksft_exit_fail_perror("sigprocmask");
}

/* Runs in the forked worker, with the signals in @sigs blocked. */
static int worker_start(unsigned int id, struct worker_slot *slot,
			unsigned long long deadline, const sigset_t *sigs,
			pid_t parent)
{
	struct sigaction sa;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = request_stop;
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL)) {
		ksft_perror("sigaction");
		return KSFT_FAIL;
	}
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGALRM, &sa, NULL)) {
		ksft_perror("sigaction");
		return KSFT_FAIL;
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent) {
		ksft_print_msg("worker %u: parent gone or prctl failed\n", id);
		return KSFT_FAIL;
	}
	if (sigprocmask(SIG_UNBLOCK, sigs, NULL)) {
		ksft_perror("sigprocmask");
		return KSFT_FAIL;
	}
	ret = worker_main(id, slot, deadline);
	fflush(stdout);
	return ret;
}

/*
 * Wait for any worker to exit and reap it.  The pid is cleared with signals
 * blocked before the worker is reaped, so that forward_signal() can never
 * hit a recycled pid.  Returns the worker index, or -1 when none is left.
 */
static int reap_worker(const sigset_t *sigs, int *status)
{
	sigset_t old;
	siginfo_t info;
	unsigned int i;
	int ret;

	for (;;) {
		memset(&info, 0, sizeof(info));
		if (waitid(P_ALL, 0, &info, WEXITED | WNOWAIT)) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD)
				ksft_perror("waitid");
			return -1;
		}
		for (i = 0; i < MAX_WORKERS; i++)
			if (worker_pid[i] == info.si_pid)
				break;
		set_sigmask(SIG_BLOCK, sigs, &old);
		if (i < MAX_WORKERS)
			worker_pid[i] = 0;
		ret = wait_child(info.si_pid, status);
		set_sigmask(SIG_SETMASK, &old, NULL);
		if (ret) {
			ksft_perror("waitpid");
			return -1;
		}
		if (i < MAX_WORKERS)
			return i;
	}
}

/* MADV_PAGEOUT came with Linux 5.4; older kernels reject it with EINVAL. */
static bool pageout_supported(void)
{
	int err = 0;
	char *p;

	p = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
	p[0] = 1;
	if (madvise(p, page_size, MADV_PAGEOUT))
		err = errno;
	if (munmap(p, page_size))
		ksft_exit_fail_perror("munmap");
	return err != EINVAL;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [options]\n"
		"Churn swapped-out anonymous memory in several processes and check\n"
		"every byte, to catch swap slots that are reused while still in use.\n"
		"\n"
		"  -d, --duration SECONDS  how long to run (default 120)\n"
		"  -w, --workers N         worker processes (default 3, at most %d)\n"
		"  -s, --size MIB          memory per worker (default 32)\n"
		"  -j, --json              print a '# JSON {...}' summary line\n"
		"  -h, --help              show this help\n"
		"\n"
		"Workers rotate between freeing swapped-out memory with munmap(),\n"
		"with MADV_DONTNEED and by letting a child process exit.\n"
		"Needs an active swap device; skips (exit code %d) without one.\n",
		prog, MAX_WORKERS, KSFT_SKIP);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, 'w' },
		{ "size", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = argv[0];
	int c;

	while ((c = getopt_long(argc, argv, "d:w:s:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt.duration_s = parse_ulong(prog, "duration", optarg,
						     1, MAX_DURATION_S);
			break;
		case 'w':
			opt.workers = parse_ulong(prog, "worker count", optarg,
						  1, MAX_WORKERS);
			break;
		case 's':
			opt.size_mb = parse_ulong(prog, "size", optarg, 1,
						  (~0UL >> 1) / MIB);
			break;
		case 'j':
			opt.json = true;
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
}

static void report_worker(unsigned int id, const struct worker_slot *s,
			  bool started, bool reaped, int status)
{
	bool ok = false;

	if (!started)
		ksft_print_msg("worker %u was not started\n", id);
	else if (!reaped)
		ksft_print_msg("worker %u was not reaped\n", id);
	else if (WIFSIGNALED(status))
		ksft_print_msg("worker %u killed by signal %d%s\n", id,
			       WTERMSIG(status),
			       __atomic_load_n(&timed_out, __ATOMIC_RELAXED) ?
			       " (missed its deadline)" : "");
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != KSFT_PASS)
		ksft_print_msg("worker %u failed (status 0x%x)\n", id, status);
	else
		ok = !s->mismatches;

	ksft_print_msg("worker %u: rounds: %llu munmap, %llu MADV_DONTNEED, %llu exit\n",
		       id, s->mode_rounds[MODE_MUNMAP],
		       s->mode_rounds[MODE_DONTNEED], s->mode_rounds[MODE_EXIT]);
	ksft_print_msg("worker %u: %llu MiB swapped out, %llu child exits\n", id,
		       s->pages_swapped * page_size / MIB, s->child_exits);
	ksft_test_result(ok, "worker %u: %llu rounds, %llu MiB verified, %llu mismatches\n",
			 id, s->rounds, s->bytes_verified / MIB,
			 s->mismatches);
}

static void print_json(const struct worker_slot *tot)
{
	printf("# JSON {\"duration_s\":%lu,\"workers\":%lu,\"rounds\":%llu,",
	       opt.duration_s, opt.workers, tot->rounds);
	printf("\"gib_verified\":%.3f,\"gib_swapped_out\":%.3f,",
	       tot->bytes_verified / GIB, tot->pages_swapped * page_size / GIB);
	printf("\"mismatches\":%llu,\"child_exits\":%llu}\n",
	       tot->mismatches, tot->child_exits);
}

int main(int argc, char **argv)
{
	static int status[MAX_WORKERS];
	static bool reaped[MAX_WORKERS];
	unsigned long long start, deadline, end;
	struct worker_slot *slots, *s;
	struct worker_slot tot = { 0 };
	unsigned long watchdog_s;
	unsigned int i, started;
	sigset_t sigs, old;
	size_t slots_len;
	pid_t pid, self;
	int n, wstatus;

	parse_args(argc, argv);

	ksft_print_header();

	page_size = psize();
	page_words = page_size / sizeof(unsigned long long);

	skip_without_swap();
	if (!pageout_supported())
		ksft_exit_skip("MADV_PAGEOUT is not supported\n");

	slots_len = opt.workers * sizeof(*slots);
	slots_len = (slots_len + page_size - 1) & ~(page_size - 1);
	slots = mmap(NULL, slots_len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED)
		ksft_exit_fail_perror("mmap shared page");

	ksft_print_msg("%lu worker(s) x %lu MiB for %lu s\n", opt.workers,
		       opt.size_mb, opt.duration_s);
	ksft_set_plan(opt.workers);

	/* Signals wait until every worker pid is known. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGALRM);
	set_sigmask(SIG_BLOCK, &sigs, &old);
	set_handler(SIGINT, forward_signal, &sigs);
	set_handler(SIGTERM, forward_signal, &sigs);
	set_handler(SIGALRM, watchdog, &sigs);

	start = now_ns();
	deadline = start + opt.duration_s * NSEC_PER_SEC;
	self = getpid();
	fflush(stdout);
	for (started = 0; started < opt.workers; started++) {
		pid = fork();
		if (pid < 0) {
			ksft_perror("fork");
			/* Let the workers that did start stop early. */
			kill_workers(SIGTERM);
			break;
		}
		if (!pid)
			_exit(worker_start(started + 1, &slots[started],
					   deadline, &sigs, self));
		worker_pid[started] = pid;
	}

	/* A round takes seconds at most; allow for slow swap and big VMAs. */
	watchdog_s = opt.duration_s + GRACE_S + opt.size_mb / 8;
	alarm(watchdog_s < UINT_MAX ? watchdog_s : UINT_MAX);
	set_sigmask(SIG_SETMASK, &old, NULL);

	for (i = 0; i < started; i++) {
		n = reap_worker(&sigs, &wstatus);
		if (n < 0)
			break;
		status[n] = wstatus;
		reaped[n] = true;
	}
	alarm(0);
	if (i < started) {
		/* Should not happen: stop and reap whatever is left. */
		set_sigmask(SIG_BLOCK, &sigs, NULL);
		kill_workers(SIGKILL);
		for (i = 0; i < started; i++) {
			if (reaped[i] || worker_pid[i] <= 0)
				continue;
			reaped[i] = !wait_child(worker_pid[i], &status[i]);
			worker_pid[i] = 0;
		}
	}
	end = now_ns();

	n = __atomic_load_n(&last_signal, __ATOMIC_RELAXED);
	if (n)
		ksft_print_msg("stopped early by signal %d\n", n);
	ksft_print_msg("ran for %.1f s\n", (double)(end - start) / NSEC_PER_SEC);

	for (i = 0; i < opt.workers; i++) {
		s = &slots[i];
		report_worker(i + 1, s, i < started, reaped[i], status[i]);
		tot.rounds += s->rounds;
		tot.bytes_verified += s->bytes_verified;
		tot.pages_swapped += s->pages_swapped;
		tot.mismatches += s->mismatches;
		tot.child_exits += s->child_exits;
	}
	if (tot.rounds && !tot.pages_swapped)
		ksft_print_msg("no page was swapped out, swap slot reuse was not exercised\n");
	if (opt.json)
		print_json(&tot);

	if (munmap(slots, slots_len))
		ksft_exit_fail_perror("munmap");

	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}
