// SPDX-License-Identifier: GPL-2.0
/*
 * Kill, then refill under a limit: what a low-memory killer's victim gives
 * back to the next process.
 *
 * Process A fills SIZE MiB and pages it out to zram or zswap. The backend
 * is then limited to what it holds and an eighth more (zram: the device's
 * mem_limit; zswap: memory.zswap.max of the cgroup this program runs in),
 * A is killed with SIGKILL and, as soon as it is reaped, process B fills
 * and pages out as much. B's stores fit only in the memory A freed. Per
 * run: how long B took from the kill on, how much of B stayed resident,
 * and what went wrong meanwhile: zram's failed writes, pages written to
 * the disk instead of zswap (pswpout, zswap only), zswap writebacks
 * (zswpwb) and OOM kills, from /proc/vmstat and the device's io_stat.
 *
 *   kill_refill -b zram|zswap [-s MIB] [-r RUNS] [-j] [--zram-dev zramN]
 *
 * zswap runs must be started inside a non-root cgroup with the memory
 * controller; the limits are taken off again after every run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
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

#define PAGEOUT_TRIES		3
#define RETURN_TIMEOUT_MS	10000
#define TAG_MAGIC		0x6b726600000000ULL	/* "krf" */

enum backend { ZRAM, ZSWAP };

static struct {
	enum backend backend;
	unsigned long size_mb;
	unsigned long runs;
	bool json;
	const char *zram_dev;
} opt = { ZRAM, 256, 1, false, "zram0" };

static size_t page_size;
/* The backend's memory: zram's mm_stat, or the cgroup's zswap.current. */
static char usage_path[PATH_MAX];
/* The limit that goes on it: mem_limit, or the cgroup's zswap.max. */
static char limit_path[PATH_MAX];

/* What a child tells the parent once its memory is out. */
struct child_report {
	unsigned long npages;
	unsigned long resident;
	int err;
};

/* Counters read before and after B's refill. */
struct counters {
	unsigned long long failed_writes;
	unsigned long long pswpout;
	unsigned long long zswpwb;
	unsigned long long oom_kill;
};

/* Field @name of /proc/vmstat, or 0 if this kernel has none. */
static unsigned long long vmstat_field(const char *name)
{
	unsigned long long val = 0, v;
	char key[64];
	FILE *f;

	f = fopen("/proc/vmstat", "r");
	if (!f)
		return 0;
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (!strcmp(key, name)) {
			val = v;
			break;
		}
	}
	fclose(f);
	return val;
}

/* Field @field (from 1) of the one-line file @path. */
static int read_field(const char *path, int field, unsigned long long *val)
{
	char fmt[64] = "";
	FILE *f;
	int i, n;

	for (i = 1; i < field; i++)
		strcat(fmt, "%*u ");
	strcat(fmt, "%llu");
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, fmt, val);
	fclose(f);
	if (n != 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int backend_usage(unsigned long long *val)
{
	return read_field(usage_path, opt.backend == ZRAM ? 3 : 1, val);
}

static void read_counters(struct counters *c)
{
	char path[256];

	memset(c, 0, sizeof(*c));
	if (opt.backend == ZRAM) {
		snprintf(path, sizeof(path), "/sys/block/%s/io_stat",
			 opt.zram_dev);
		read_field(path, 2, &c->failed_writes);
	} else {
		/* With zram as the swap device, every page out counts here. */
		c->pswpout = vmstat_field("pswpout");
	}
	c->zswpwb = vmstat_field("zswpwb");
	c->oom_kill = vmstat_field("oom_kill");
}

/* Pages of [@buf, @buf + @len) still resident, or -1. */
static long resident_pages(char *buf, size_t len)
{
	size_t i, npages = len / page_size;
	unsigned char *vec = malloc(npages);
	long n = 0;

	if (!vec)
		return -1;
	if (mincore(buf, len, vec)) {
		free(vec);
		return -1;
	}
	for (i = 0; i < npages; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

/*
 * The child: fill SIZE MiB, page it out (a few tries, as reclaim may leave
 * pages behind), report through @fd and wait to be killed.
 */
static void __noreturn child(int fd, unsigned long long tag)
{
	size_t len = opt.size_mb * MIB, i;
	struct child_report rep = { .npages = len / page_size };
	size_t nwords = page_size / sizeof(unsigned long long);
	long resident = 0;
	char *buf;
	int tries;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		rep.err = errno;
		goto out;
	}
	madvise(buf, len, MADV_NOHUGEPAGE);
	for (i = 0; i < rep.npages; i++)
		fill_pattern((unsigned long long *)(buf + i * page_size),
			     nwords, i, tag);
	for (tries = 0; tries < PAGEOUT_TRIES; tries++) {
		if (page_out(buf, len, true)) {
			rep.err = errno;
			goto out;
		}
		resident = resident_pages(buf, len);
		if (resident < 0) {
			rep.err = errno;
			goto out;
		}
		if ((unsigned long)resident * 100 <= rep.npages)
			break;
	}
	rep.resident = resident;
out:
	if (write(fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(KSFT_FAIL);
	for (;;)
		pause();
}

/* Start a child; its report lands in @rep. Returns its pid or -1. */
static pid_t start_child(unsigned long long tag, struct child_report *rep)
{
	int fds[2];
	pid_t pid;
	ssize_t n;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!pid) {
		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		child(fds[1], tag);
	}
	close(fds[1]);
	n = read(fds[0], rep, sizeof(*rep));
	close(fds[0]);
	if (n != sizeof(*rep)) {
		kill(pid, SIGKILL);
		wait_child(pid, &(int){0});
		errno = EIO;
		return -1;
	}
	return pid;
}

static int kill_and_reap(pid_t pid)
{
	int status;

	if (kill(pid, SIGKILL) || wait_child(pid, &status))
		return -1;
	return 0;
}

/* Wait until the backend's usage is back at @baseline plus 1%. */
static int wait_returned(unsigned long long baseline, unsigned long long slack)
{
	unsigned long long val, t0 = now_ns();

	for (;;) {
		if (backend_usage(&val))
			return -1;
		if (val <= baseline + slack)
			return 0;
		if (now_ns() - t0 > RETURN_TIMEOUT_MS * NSEC_PER_MSEC) {
			errno = ETIMEDOUT;
			return -1;
		}
		usleep(1000);
	}
}

static int run_once(unsigned int run)
{
	unsigned long long baseline, held, slack, t0, t1;
	const char *unlimited = opt.backend == ZRAM ? "0" : "max";
	struct child_report ra, rb;
	struct counters c0, c1;
	double refill_ms, b_resident_pct;
	char limit[32];
	pid_t a, b;
	int ret = KSFT_PASS;

	slack = opt.size_mb * MIB / 100;
	if (backend_usage(&baseline))
		ksft_exit_fail_perror(usage_path);
	a = start_child(TAG_MAGIC | (unsigned long long)run << 8 | 1, &ra);
	if (a < 0)
		ksft_exit_fail_perror("child A");
	if (ra.err || ra.resident * 100 > ra.npages) {
		kill_and_reap(a);
		ksft_print_msg("A: %s, %lu of %lu pages resident\n",
			       strerror(ra.err), ra.resident, ra.npages);
		return KSFT_SKIP;
	}
	if (backend_usage(&held))
		ksft_exit_fail_perror(usage_path);
	if (held <= baseline + slack) {
		kill_and_reap(a);
		ksft_print_msg("%s grew by only %llu KiB: is swap behind %s?\n",
			       usage_path, (held - baseline) / 1024,
			       opt.backend == ZRAM ? opt.zram_dev : "zswap");
		return KSFT_SKIP;
	}
	/* Room for what is held now and an eighth of A's share more. */
	snprintf(limit, sizeof(limit), "%llu", held + (held - baseline) / 8);
	write_file(limit_path, limit, strlen(limit) + 1);
	read_counters(&c0);

	t0 = now_ns();
	if (kill_and_reap(a))
		ksft_exit_fail_perror("kill A");
	b = start_child(TAG_MAGIC | (unsigned long long)run << 8 | 2, &rb);
	t1 = now_ns();
	if (b < 0)
		ksft_exit_fail_perror("child B");
	read_counters(&c1);
	if (rb.err) {
		ksft_print_msg("B: %s\n", strerror(rb.err));
		ret = KSFT_FAIL;
	}
	kill_and_reap(b);
	write_file(limit_path, unlimited, strlen(unlimited) + 1);
	if (wait_returned(baseline, slack)) {
		ksft_perror("memory not returned after B");
		ret = KSFT_FAIL;
	}

	refill_ms = (double)(t1 - t0) / NSEC_PER_MSEC;
	b_resident_pct = 100.0 * rb.resident / rb.npages;
	ksft_print_msg("run %u: A held %llu KiB, limit %s bytes\n",
		       run, (held - baseline) / 1024, limit);
	ksft_print_msg("run %u: B paged out %.1f ms after the kill, %.1f%% resident\n",
		       run, refill_ms, b_resident_pct);
	ksft_print_msg("run %u: failed writes %llu, to disk %llu, written back %llu\n",
		       run, c1.failed_writes - c0.failed_writes,
		       c1.pswpout - c0.pswpout, c1.zswpwb - c0.zswpwb);
	ksft_print_msg("run %u: OOM kills %llu\n", run,
		       c1.oom_kill - c0.oom_kill);
	if (!opt.json)
		return ret;
	printf("# JSON {\"backend\":\"%s\",\"op\":\"refill\",",
	       opt.backend == ZRAM ? "zram" : "zswap");
	printf("\"size_mb\":%lu,\"nprocs\":1,\"run\":%u,", opt.size_mb, run);
	printf("\"refill_ms\":%.3f,\"b_resident_pct\":%.1f,", refill_ms,
	       b_resident_pct);
	printf("\"failed_writes\":%llu,\"pswpout\":%llu,",
	       c1.failed_writes - c0.failed_writes, c1.pswpout - c0.pswpout);
	printf("\"zswpwb\":%llu,\"oom_kill\":%llu}\n", c1.zswpwb - c0.zswpwb,
	       c1.oom_kill - c0.oom_kill);
	return ret;
}

/* The cgroup this process runs in, as a path under /sys/fs/cgroup. */
static void own_cgroup(char *dir, size_t size)
{
	char line[PATH_MAX];
	FILE *f;

	f = fopen("/proc/self/cgroup", "r");
	if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "0::", 3))
		ksft_exit_skip("no cgroup v2 membership in /proc/self/cgroup\n");
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (!strcmp(line + 3, "/"))
		ksft_exit_skip("run inside a non-root cgroup for zswap\n");
	if (snprintf(dir, size, "/sys/fs/cgroup%s", line + 3) >= (int)size)
		ksft_exit_skip("cgroup path too long\n");
}

static void setup_paths(void)
{
	const char *usage_file = "mm_stat", *limit_file = "mem_limit";
	char dir[PATH_MAX];

	if (opt.backend == ZRAM) {
		snprintf(dir, sizeof(dir), "/sys/block/%s", opt.zram_dev);
	} else {
		own_cgroup(dir, sizeof(dir));
		usage_file = "memory.zswap.current";
		limit_file = "memory.zswap.max";
	}
	if (snprintf(usage_path, sizeof(usage_path), "%s/%s", dir,
		     usage_file) >= (int)sizeof(usage_path) ||
	    snprintf(limit_path, sizeof(limit_path), "%s/%s", dir,
		     limit_file) >= (int)sizeof(limit_path))
		ksft_exit_skip("path too long under %s\n", dir);
	if (access(usage_path, R_OK) || access(limit_path, W_OK))
		ksft_exit_skip("cannot use %s and %s\n", usage_path, limit_path);
}

static void __noreturn print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -b zram|zswap [-s MIB] [-r RUNS] [-j] [--zram-dev zramN]\n",
		prog);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "size", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "zram-dev", required_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int run;
	int c, ret;

	while ((c = getopt_long(argc, argv, "b:s:r:j", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (!strcmp(optarg, "zram"))
				opt.backend = ZRAM;
			else if (!strcmp(optarg, "zswap"))
				opt.backend = ZSWAP;
			else
				print_usage(argv[0]);
			break;
		case 's':
			opt.size_mb = parse_ulong(argv[0], "size", optarg, 1, 4096);
			break;
		case 'r':
			opt.runs = parse_ulong(argv[0], "runs", optarg, 1, 1000);
			break;
		case 'j':
			opt.json = true;
			break;
		case 'z':
			opt.zram_dev = optarg;
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (optind != argc)
		print_usage(argv[0]);

	ksft_print_header();
	page_size = psize();
	skip_without_swap();
	setup_paths();
	ksft_set_plan(opt.runs);
	for (run = 1; run <= opt.runs; run++) {
		ret = run_once(run);
		if (ret == KSFT_PASS)
			ksft_test_result_pass("kill_refill run %u\n", run);
		else if (ret == KSFT_SKIP)
			ksft_test_result_skip("kill_refill run %u\n", run);
		else
			ksft_test_result_fail("kill_refill run %u\n", run);
	}
	exit_with_results();
}
