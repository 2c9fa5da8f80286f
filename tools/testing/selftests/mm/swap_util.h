/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the swap-free tests (munmap_swap_latency,
 * reuse_integrity, swap_churn, swap_hold, kill_refill, swap_ranges), beside
 * vm_util.h.
 */
#ifndef __SWAP_UTIL_H__
#define __SWAP_UTIL_H__

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "kselftest.h"
#include "vm_util.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

#define MIB			(1024UL * 1024)
#define NSEC_PER_MSEC		1000000ULL
#define NSEC_PER_SEC		1000000000ULL
#define MAX_BLOCK_SHIFT		5
#define MAX_BLOCKS		32768

/*
 * Parse @s as an unsigned number in [@min, @max] and return it; on anything
 * else print "@prog: invalid @name ..." to stderr and exit with KSFT_FAIL.
 */
unsigned long parse_ulong(const char *prog, const char *name, const char *s,
			  unsigned long min, unsigned long max);

/*
 * Return how many of the pages of [@buf, @buf + @len) are resident in memory
 * (mincore()), or -1 with errno set; @vec has room for one byte per page.
 */
long count_resident_pages(char *buf, size_t len, unsigned char *vec);

/* Return the splitmix64 finalizer of @x: a well mixed 64 bit hash. */
unsigned long long mix64(unsigned long long x);

/*
 * Return the number of active swap devices, printing each one as a
 * "# swap device: ..." line, or -1 with errno set if /proc/swaps cannot be
 * opened.
 */
int count_swaps(void);

/*
 * Wait for child @pid, retrying on EINTR, and store its wait status in
 * @status.  Return 0 once it has been reaped, -1 with errno set otherwise.
 */
int wait_child(pid_t pid, int *status);

/*
 * As wait_child(), and store in @cpu_ns the CPU time (user and system) the
 * child used over its whole life.
 */
int wait_child_cpu(pid_t pid, int *status, unsigned long long *cpu_ns);

/*
 * MADV_PAGEOUT [@buf, @buf + @len) in chunks of a few MiB.  Return 0, or -1
 * with errno set when a chunk fails; with @best_effort, EAGAIN, EBUSY and
 * EINTR (pages that cannot be reclaimed right now) do not count as failures.
 */
int page_out(char *buf, size_t len, bool best_effort);

/*
 * Return a checksum of the first @nwords - 1 words at @p, the words that
 * fill_pattern_csum() covers with the checksum in the last one.
 */
unsigned long long page_csum(const unsigned long long *p, size_t nwords);

/*
 * Fill the @nwords words at @p with the test pattern of page @idx: @idx and
 * @tag in the first two words, about 1/6 of pseudo random words, then a
 * repeating 64 byte pattern.  Every (@idx, @tag) gives different data that is
 * never same-filled and compresses to about 1/5 of its size.
 */
void fill_pattern(unsigned long long *p, size_t nwords, unsigned long idx,
		  unsigned long long tag);

/*
 * As fill_pattern(), but with page_csum() of the other words in the last
 * word, which tells a misplaced but intact page apart from a corrupted one.
 */
void fill_pattern_csum(unsigned long long *p, size_t nwords,
		       unsigned long idx, unsigned long long tag);

/*
 * Return the block size in pages for step @step of the rotation: 1 to
 * 1 << MAX_BLOCK_SHIFT, doubled until @npages pages make at most MAX_BLOCKS
 * blocks, to stay well below the default vm.max_map_count when every other
 * block gets unmapped.
 */
unsigned long block_pages(unsigned long step, unsigned long npages);

/*
 * The helpers below end the test through kselftest.h, so they are inline to
 * use the kselftest counters of the program that calls them.
 */

/* Return clock @clk in nanoseconds; bail out if it cannot be read. */
static inline unsigned long long clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		ksft_exit_fail_perror("clock_gettime");
	return (unsigned long long)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Return CLOCK_MONOTONIC in nanoseconds. */
static inline unsigned long long now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* Skip the whole test unless there is an active swap device. */
static inline void skip_without_swap(void)
{
	int n = count_swaps();

	if (n < 0)
		ksft_exit_skip("cannot read /proc/swaps: %s\n", strerror(errno));
	if (!n)
		ksft_exit_skip("no active swap device in /proc/swaps\n");
}

/*
 * Exit with KSFT_FAIL if a test failed, with KSFT_SKIP if all of them were
 * skipped, else as ksft_finished() does.
 */
static inline __noreturn void exit_with_results(void)
{
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	if (!ksft_get_pass_cnt() && ksft_get_xskip_cnt()) {
		ksft_print_cnts();
		exit(KSFT_SKIP);
	}
	ksft_finished();
}

#endif /* __SWAP_UTIL_H__ */
