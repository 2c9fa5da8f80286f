// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by munmap_swap_latency, reuse_integrity and swap_churn.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "swap_util.h"

#define PAGEOUT_CHUNK		(4 * MIB)
#define PATTERN_WORDS		8

unsigned long parse_ulong(const char *prog, const char *name, const char *s,
			  unsigned long min, unsigned long max)
{
	unsigned long val;
	char *end;

	errno = 0;
	val = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || val < min || val > max) {
		fprintf(stderr, "%s: invalid %s '%s' (allowed %lu..%lu)\n",
			prog, name, s, min, max);
		exit(KSFT_FAIL);
	}
	return val;
}

long count_resident_pages(char *buf, size_t len, unsigned char *vec)
{
	size_t i, npages = len / psize();
	long resident = 0;

	if (mincore(buf, len, vec))
		return -1;
	for (i = 0; i < npages; i++)
		resident += vec[i] & 1;
	return resident;
}

unsigned long long mix64(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

int count_swaps(void)
{
	char line[512], dev[256];
	int n = 0;
	FILE *f;

	f = fopen("/proc/swaps", "r");
	if (!f)
		return -1;
	/* The first line is the header. */
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s", dev) != 1)
			continue;
		ksft_print_msg("swap device: %s\n", dev);
		n++;
	}
	fclose(f);
	return n;
}

int wait_child(pid_t pid, int *status)
{
	unsigned long long cpu_ns;

	return wait_child_cpu(pid, status, &cpu_ns);
}

int wait_child_cpu(pid_t pid, int *status, unsigned long long *cpu_ns)
{
	struct rusage ru;
	pid_t ret;

	do {
		ret = wait4(pid, status, 0, &ru);
	} while (ret < 0 && errno == EINTR);
	if (ret != pid)
		return -1;
	*cpu_ns = ((unsigned long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
		  1000000000ULL +
		  ((unsigned long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) *
		  1000ULL;
	return 0;
}

int page_out(char *buf, size_t len, bool best_effort)
{
	size_t off, chunk;

	for (off = 0; off < len; off += chunk) {
		chunk = len - off < PAGEOUT_CHUNK ? len - off : PAGEOUT_CHUNK;
		if (!madvise(buf + off, chunk, MADV_PAGEOUT))
			continue;
		if (!best_effort ||
		    (errno != EAGAIN && errno != EBUSY && errno != EINTR))
			return -1;
	}
	return 0;
}

unsigned long long page_csum(const unsigned long long *p, size_t nwords)
{
	unsigned long long c = 0;
	size_t i;

	for (i = 0; i < nwords - 1; i++)
		c = ((c << 7) | (c >> 57)) ^ p[i];
	return mix64(c);
}

void fill_pattern(unsigned long long *p, size_t nwords, unsigned long idx,
		  unsigned long long tag)
{
	unsigned long long seed = mix64(idx ^ mix64(tag));
	size_t nrandom = nwords * 5 / 32;
	unsigned long long pat[PATTERN_WORDS];
	size_t i;

	p[0] = idx;
	p[1] = tag;
	for (i = 2; i < nrandom; i++)
		p[i] = mix64(seed + i);
	for (i = 0; i < PATTERN_WORDS; i++)
		pat[i] = mix64(~seed + i) | 1;
	for (i = nrandom; i < nwords; i++)
		p[i] = pat[i % PATTERN_WORDS];
}

void fill_pattern_csum(unsigned long long *p, size_t nwords,
		       unsigned long idx, unsigned long long tag)
{
	fill_pattern(p, nwords, idx, tag);
	/* page_csum() does not cover the last word, just overwrite it. */
	p[nwords - 1] = page_csum(p, nwords);
}

unsigned long block_pages(unsigned long step, unsigned long npages)
{
	unsigned long block = 1UL << (step % (MAX_BLOCK_SHIFT + 1));

	while (npages / block > MAX_BLOCKS)
		block <<= 1;
	return block;
}
