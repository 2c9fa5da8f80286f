// SPDX-License-Identifier: GPL-2.0
/*
 * Free swap slots in ranges the swap core cannot hand over whole, and check
 * that every slot is freed once and no other page is touched.
 *
 * The swap core frees a run of slots in one call per swap cluster and
 * skips slots whose page is in the swap cache, which are freed one by one
 * once that page is reclaimed. Maps NPAGES pages, fills them, pages them
 * out, optionally reads every CACHE_EVERY-th page of [START, START + LEN)
 * into the swap cache with MADV_WILLNEED (the page table keeps the swap
 * entry), then unmaps [START, START + LEN): with LEN above a cluster the
 * range straddles at least one cluster boundary, and the cached pages break
 * it into shorter runs. Checks, after draining pending deferred frees:
 *
 *  - the backend holds exactly LEN pages fewer than before (none leaked,
 *    none freed twice or outside the range);
 *  - every page outside the range reads back intact;
 *  - with the deferred-free core's statistics, at least as many runs were
 *    freed as the range must have been cut into.
 *
 *   swap_ranges -b zram|zswap [-d zramN] [-n NPAGES] [-s START] [-l LEN]
 *               [-c CACHE_EVERY]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "swap_util.h"

/* Buckets of the core's run-length statistics: runs_1 ... runs_2048. */
#define RUN_BUCKETS	12

/*
 * Slots per swap cluster: HPAGE_PMD_NR (512) with THP swap, which only 4 KiB
 * pages have, else 256. A larger guess only lowers the bound checked.
 */
static unsigned long cluster_slots(void)
{
	return psize() == 4096 ? 512 : 256;
}

static const char *backend = "zram";
static const char *zram_dev = "zram0";

/* The deferred-free instance of the backend, in debugfs. */
static void instance_path(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "/sys/kernel/debug/zs_deferred/%s/%s",
		 strcmp(backend, "zram") ? "zswap" : zram_dev, file);
}

/* Drains every pending deferred free; nothing to do without the core. */
static void flush_deferred(void)
{
	char path[128];

	instance_path(path, sizeof(path), "flush");
	if (!access(path, W_OK))
		write_file(path, "1", 2);
}

/* Pages the backend stores now, or -1. */
static long backend_pages(void)
{
	unsigned long long orig = 0;
	char path[128];
	long ret = -1;
	FILE *f;

	if (!strcmp(backend, "zram"))
		snprintf(path, sizeof(path), "/sys/block/%s/mm_stat", zram_dev);
	else
		snprintf(path, sizeof(path), "/sys/kernel/debug/zswap/stored_pages");
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%llu", &orig) == 1)
		ret = strcmp(backend, "zram") ? (long)orig : (long)(orig / psize());
	fclose(f);
	return ret;
}

/* Runs counted by the deferred-free core so far, or -1 without it. */
static long runs_counted(void)
{
	unsigned long long n, sum = 0;
	char path[128], name[16];
	unsigned int b;
	FILE *f;

	for (b = 0; b < RUN_BUCKETS; b++) {
		snprintf(name, sizeof(name), "runs_%u", 1u << b);
		instance_path(path, sizeof(path), name);
		f = fopen(path, "r");
		if (!f)
			return -1;
		if (fscanf(f, "%llu", &n) != 1)
			n = 0;
		fclose(f);
		sum += n;
	}
	return sum;
}

/* Pages [@first, @first + @nr) of @buf resident in memory, or -1. */
static long count_incore(char *buf, unsigned long first, unsigned long nr)
{
	unsigned char *vec = malloc(nr);
	long n;

	if (!vec)
		return -1;
	n = count_resident_pages(buf + first * psize(), nr * psize(), vec);
	free(vec);
	return n;
}

/*
 * Pages of [@first, @first + @nr) still mapped (present in the page table),
 * as opposed to swapped out but still in the swap cache, which mincore()
 * counts as resident too; -1 if the pagemap cannot be read.
 */
static long count_mapped(char *buf, unsigned long first, unsigned long nr)
{
	uint64_t ent;
	long n = 0;
	unsigned long i;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return -1;
	for (i = first; i < first + nr; i++) {
		off_t off = (uintptr_t)(buf + i * psize()) / psize() * sizeof(ent);

		if (pread(fd, &ent, sizeof(ent), off) != sizeof(ent)) {
			n = -1;
			break;
		}
		n += !!(ent & (1ULL << 63));
	}
	close(fd);
	return n;
}

int main(int argc, char **argv)
{
	unsigned long npages = 1024, start = 300, len = 600, every = 0, i, bad;
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "zram-dev", required_argument, NULL, 'd' },
		{ "pages", required_argument, NULL, 'n' },
		{ "start", required_argument, NULL, 's' },
		{ "len", required_argument, NULL, 'l' },
		{ "cache-every", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	long before, after, runs0, runs1, cached = 0, cuts, resident;
	size_t ps = psize(), nwords = ps / sizeof(unsigned long long);
	unsigned long long tag = 0x5a4e4745ULL << 32;
	char *buf;
	cpu_set_t cpus;
	int c;

	while ((c = getopt_long(argc, argv, "b:d:n:s:l:c:", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			backend = optarg;
			break;
		case 'd':
			zram_dev = optarg;
			break;
		case 'n':
			npages = parse_ulong(argv[0], "pages", optarg, 1, 1 << 20);
			break;
		case 's':
			start = parse_ulong(argv[0], "start", optarg, 0, 1 << 20);
			break;
		case 'l':
			len = parse_ulong(argv[0], "len", optarg, 1, 1 << 20);
			break;
		case 'c':
			every = parse_ulong(argv[0], "cache-every", optarg, 0,
					    1 << 20);
			break;
		default:
			fprintf(stderr,
				"usage: %s -b zram|zswap [-d zramN] [-n NPAGES] [-s START]\n"
				"       [-l LEN] [-c CACHE_EVERY]\n", argv[0]);
			return KSFT_FAIL;
		}
	}
	if (start + len > npages || (strcmp(backend, "zram") && strcmp(backend, "zswap"))) {
		fprintf(stderr, "%s: bad backend or range\n", argv[0]);
		return KSFT_FAIL;
	}

	ksft_print_header();
	ksft_set_plan(1);
	skip_without_swap();

	/*
	 * Fill and page out on one CPU: a page faulted in on a CPU the task
	 * then left can wait in that CPU's LRU batch (up to 31 pages), where
	 * MADV_PAGEOUT, which only drains the batch of the CPU it runs on, does
	 * not find it. The drain workers the test wakes make such moves likely.
	 */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		ksft_exit_fail_perror("sched_setaffinity");

	buf = mmap(NULL, npages * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
	/* Base pages only, so that every page gets its own swap slot. */
	madvise(buf, npages * ps, MADV_NOHUGEPAGE);
	for (i = 0; i < npages; i++)
		fill_pattern_csum((unsigned long long *)(buf + i * ps), nwords, i, tag);
	if (page_out(buf, npages * ps, false))
		ksft_exit_fail_perror("madvise(MADV_PAGEOUT)");
	resident = count_incore(buf, 0, npages);
	if (resident * 100 > (long)npages)
		ksft_exit_skip("pages did not go to swap: %ld of %lu resident, %ld mapped\n",
			       resident, npages, count_mapped(buf, 0, npages));

	flush_deferred();
	before = backend_pages();
	runs0 = runs_counted();
	if (before < 0)
		ksft_exit_fail_msg("cannot read what %s stores\n", backend);
	/*
	 * A few pages can miss the page-out (left in another CPU's LRU batch):
	 * they have no slot, so unmapping them frees nothing in the backend.
	 */
	resident = count_incore(buf, start, len);
	if (resident < 0)
		ksft_exit_fail_msg("cannot tell which pages are resident\n");

	if (every) {
		/* Into the swap cache, still mapped by swap entries. */
		for (i = start; i < start + len; i += every)
			madvise(buf + i * ps, ps, MADV_WILLNEED);
		cached = count_incore(buf, start, len);
		if (cached <= 0)
			ksft_exit_fail_msg("MADV_WILLNEED cached none of the range\n");
	}
	if (munmap(buf + start * ps, len * ps))
		ksft_exit_fail_perror("munmap");

	flush_deferred();
	after = backend_pages();
	runs1 = runs_counted();

	bad = 0;
	for (i = 0; i < npages; i++) {
		unsigned long long *p = (unsigned long long *)(buf + i * ps);

		if (i >= start && i < start + len)
			continue;
		if (p[0] != i || p[1] != tag || p[nwords - 1] != page_csum(p, nwords))
			bad++;
	}

	/*
	 * Pieces the range must have been cut into: a run never spans two
	 * clusters, and a cached page ends one.
	 */
	cuts = (len + cluster_slots() - 1) / cluster_slots();
	if (cached > cuts)
		cuts = cached;
	ksft_print_msg("%s: %lu pages, unmapped [%lu, %lu), %ld of them in the swap cache\n",
		       backend, npages, start, start + len, cached);
	ksft_print_msg("stored %ld -> %ld pages (freed %ld, want %lu; %ld not paged out)\n",
		       before, after, before - after, len - resident, resident);
	ksft_print_msg("%lu bad pages outside the range\n", bad);
	if (runs0 >= 0)
		ksft_print_msg("runs freed: %ld (at least %ld)\n", runs1 - runs0, cuts);
	else
		ksft_print_msg("no run statistics (deferred-free core absent)\n");

	ksft_test_result(before - after == (long)len - resident && !bad &&
			 (runs0 < 0 || runs1 - runs0 >= cuts),
			 "%s ranges freed exactly once\n", backend);
	munmap(buf, npages * ps);
	exit_with_results();
}
