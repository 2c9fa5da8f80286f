// SPDX-License-Identifier: GPL-2.0
/*
 * Data integrity across swap slot reuse.
 *
 * Every round maps a private anonymous VMA, fills each page with a pattern
 * that depends on the page index, the round and a generation number, and
 * pushes it out with MADV_PAGEOUT.  Half of the pages are then dropped,
 * alternating between munmap() of sub-ranges (odd rounds) and
 * MADV_DONTNEED (even rounds) on blocks of 1 to 32 pages, so that their swap slots get freed.  The
 * dropped ranges are immediately mapped again, filled with the next
 * generation and paged out too, so that they are likely to land in the slots
 * that were just freed.  Finally every byte of every page is read back and
 * compared with what was written.  This is meant to catch swap slots that
 * are reused while still in use, e.g. with deferred slot freeing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kselftest.h"
#include "swap_util.h"

#define PAGEOUT_RETRIES		3
#define MAX_REPORTED		5
#define TAG_MAGIC		0x73727569ULL	/* "srui" */
#define GEN_OLD			0
#define GEN_NEW			1

struct options {
	unsigned long size_mb;
	unsigned long rounds;
	unsigned long min_swapped_pct;
	const char *flush_path;
	bool json;
};

static struct options opt = {
	.size_mb = 32,
	.rounds = 20,
	.min_swapped_pct = 99,
};

struct round_stats {
	unsigned long verified;
	unsigned long mismatches;
	unsigned long replaced;
	double swapped_pct;
	double new_swapped_pct;
};

static size_t page_size;
static size_t page_words;
static unsigned char *mincore_vec;
static unsigned long long *expected;

static unsigned long long make_tag(unsigned int round, unsigned int gen)
{
	return TAG_MAGIC << 32 | (unsigned long long)round << 8 | gen;
}

/* Fill page @idx with the checksummed pattern of round @round, gen @gen. */
static void fill_page(unsigned long long *p, unsigned long idx,
		      unsigned int round, unsigned int gen)
{
	fill_pattern_csum(p, page_words, idx, make_tag(round, gen));
}

/* Resident pages in [buf, buf + len); only pages selected by @want count. */
static long count_resident(char *buf, size_t len,
			   bool (*want)(unsigned long, unsigned long,
					unsigned int),
			   unsigned long block, unsigned int phase,
			   unsigned long *considered)
{
	size_t i, npages = len / page_size;
	long resident = 0;

	if (mincore(buf, len, mincore_vec))
		return -1;
	*considered = 0;
	for (i = 0; i < npages; i++) {
		if (want && !want(i, block, phase))
			continue;
		(*considered)++;
		resident += mincore_vec[i] & 1;
	}
	return resident;
}

/* Is page @idx in one of the blocks that get dropped and replaced? */
static bool is_replaced(unsigned long idx, unsigned long block,
			unsigned int phase)
{
	return ((idx / block) & 1) == phase;
}

/*
 * Rounds come in pairs, one with munmap() and one with MADV_DONTNEED, going
 * through block sizes of 1 to 32 pages (more for VMAs above 128 MiB) and,
 * every six pairs, switching which half of the blocks gets replaced.
 */
static unsigned long round_block(unsigned int round)
{
	return block_pages(round / 2, opt.size_mb * MIB / page_size);
}

static unsigned int round_phase(unsigned int round)
{
	return (round / 2 / (MAX_BLOCK_SHIFT + 1)) & 1;
}

static bool round_munmap(unsigned int round)
{
	return round & 1;
}

static void describe_page(unsigned int round, unsigned long idx,
			  const unsigned long long *p)
{
	unsigned long long tag = p[1];
	size_t i;

	for (i = 0; i < page_words && !p[i]; i++)
		;
	if (i == page_words) {
		ksft_print_msg("round %u: page %lu reads as all zeroes\n",
			       round, idx);
		return;
	}
	if (page_csum(p, page_words) == p[page_words - 1] && tag >> 32 == TAG_MAGIC) {
		ksft_print_msg("round %u: page %lu holds intact page %llu of round %llu gen %llu\n",
			       round, idx, p[0], (tag >> 8) & 0xffffff,
			       tag & 0xff);
		return;
	}
	ksft_print_msg("round %u: page %lu holds corrupted data\n", round, idx);
}

static void verify(char *buf, unsigned long npages, unsigned int round,
		   unsigned long block, unsigned int phase,
		   struct round_stats *st)
{
	const unsigned char *exp = (const unsigned char *)expected;
	const unsigned char *act;
	unsigned long i;
	size_t b;

	for (i = 0; i < npages; i++) {
		act = (const unsigned char *)(buf + i * page_size);
		fill_page(expected, i, round,
			  is_replaced(i, block, phase) ? GEN_NEW : GEN_OLD);
		st->verified++;
		if (!memcmp(act, exp, page_size))
			continue;
		for (b = 0; b < page_size && act[b] == exp[b]; b++)
			;
		if (!st->mismatches) {
			ksft_print_msg("round %u: first mismatch at offset 0x%lx\n",
				       round, i * page_size + b);
			ksft_print_msg("round %u: page %lu byte %zu: expected 0x%02x, got 0x%02x\n",
				       round, i, b, exp[b], act[b]);
		}
		if (st->mismatches < MAX_REPORTED)
			describe_page(round, i,
				      (const unsigned long long *)act);
		st->mismatches++;
	}
}

/*
 * Writes "1" to opt.flush_path, if given: frees still pending from this
 * round are carried out before its data is read back, so a free that hits a
 * reused slot destroys data the verification then sees.
 */
static int flush_pending(void)
{
	int fd, ret = 0;

	if (!opt.flush_path)
		return 0;
	fd = open(opt.flush_path, O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1)
		ret = -1;
	if (fd >= 0)
		close(fd);
	return ret;
}

static int run_round(unsigned int round, struct round_stats *st)
{
	unsigned long block = round_block(round);
	bool use_munmap = round_munmap(round);
	unsigned int phase = round_phase(round);
	size_t len = opt.size_mb * MIB;
	unsigned long npages = len / page_size;
	unsigned long i, b, first, n, considered;
	long resident;
	char *buf, *addr, *p;
	int tries;

	memset(st, 0, sizeof(*st));
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		ksft_perror("mmap");
		return KSFT_FAIL;
	}
	/* Base pages only, so that every page gets its own swap slot. */
	madvise(buf, len, MADV_NOHUGEPAGE);

	for (i = 0; i < npages; i++)
		fill_page((unsigned long long *)(buf + i * page_size), i,
			  round, GEN_OLD);

	for (tries = 0; ; tries++) {
		if (page_out(buf, len, false)) {
			ksft_perror("madvise(MADV_PAGEOUT)");
			goto fail;
		}
		resident = count_resident(buf, len, NULL, 0, 0, &considered);
		if (resident < 0) {
			ksft_perror("mincore");
			goto fail;
		}
		if ((unsigned long)resident * 100 <=
		    npages * (100 - opt.min_swapped_pct) ||
		    tries == PAGEOUT_RETRIES)
			break;
	}
	st->swapped_pct = 100.0 * (npages - resident) / npages;
	if ((unsigned long)resident * 100 >
	    npages * (100 - opt.min_swapped_pct)) {
		ksft_print_msg("round %u: %ld of %lu pages still resident after %d retries\n",
			       round, resident, npages, PAGEOUT_RETRIES);
		munmap(buf, len);
		return KSFT_SKIP;
	}

	/* Drop every other block, freeing the swap slots behind it. */
	for (b = phase; b * block < npages; b += 2) {
		first = b * block;
		n = npages - first < block ? npages - first : block;
		addr = buf + first * page_size;
		if (use_munmap ? munmap(addr, n * page_size) :
				 madvise(addr, n * page_size, MADV_DONTNEED)) {
			ksft_perror(use_munmap ? "munmap" : "madvise(MADV_DONTNEED)");
			goto fail;
		}
		st->replaced += n;
	}

	/* Put a new generation of data into the dropped blocks. */
	for (b = phase; b * block < npages; b += 2) {
		first = b * block;
		n = npages - first < block ? npages - first : block;
		addr = buf + first * page_size;
		if (use_munmap) {
			p = mmap(addr, n * page_size, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				 -1, 0);
			if (p == MAP_FAILED) {
				ksft_perror("mmap(MAP_FIXED_NOREPLACE)");
				goto fail;
			}
			if (p != addr) {
				ksft_print_msg("round %u: remap of %p landed at %p\n",
					       round, addr, p);
				munmap(p, n * page_size);
				goto fail;
			}
			madvise(addr, n * page_size, MADV_NOHUGEPAGE);
		}
		for (i = first; i < first + n; i++)
			fill_page((unsigned long long *)(buf + i * page_size),
				  i, round, GEN_NEW);
	}

	/* Page them out too, so that they reuse the slots just freed. */
	if (page_out(buf, len, false)) {
		ksft_perror("madvise(MADV_PAGEOUT)");
		goto fail;
	}
	resident = count_resident(buf, len, is_replaced, block, phase,
				  &considered);
	if (resident < 0) {
		ksft_perror("mincore");
		goto fail;
	}
	if (considered)
		st->new_swapped_pct = 100.0 * (considered - resident) /
				      considered;

	if (flush_pending()) {
		ksft_perror(opt.flush_path);
		goto fail;
	}
	verify(buf, npages, round, block, phase, st);

	ksft_print_msg("round %u: %s of %lu-page blocks, %lu pages replaced\n",
		       round, use_munmap ? "munmap" : "MADV_DONTNEED", block,
		       st->replaced);
	ksft_print_msg("round %u: swapped out %.1f%% old, %.1f%% new, %lu verified, %lu bad\n",
		       round, st->swapped_pct, st->new_swapped_pct,
		       st->verified, st->mismatches);

	if (munmap(buf, len)) {
		ksft_perror("munmap");
		return KSFT_FAIL;
	}
	return st->mismatches ? KSFT_FAIL : KSFT_PASS;

fail:
	munmap(buf, len);
	return KSFT_FAIL;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [options]\n"
		"Check that data survives swap slots being freed and reused at once.\n"
		"\n"
		"  -s, --size MIB    VMA size (default 32)\n"
		"  -r, --rounds N    number of rounds (default 20)\n"
		"  -m, --min-swapped PCT  skip a round when less of it left RAM\n"
		"                    (default 99; lower it when a slow backing\n"
		"                    device keeps pages in the swap cache)\n"
		"  -f, --flush FILE  write 1 to FILE (a deferred-free flush file)\n"
		"                    before reading each round back\n"
		"  -j, --json        print a '# JSON {...}' summary line\n"
		"  -h, --help        show this help\n"
		"\n"
		"Needs an active swap device; skips (exit code %d) without one.\n",
		prog, KSFT_SKIP);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "min-swapped", required_argument, NULL, 'm' },
		{ "flush", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = argv[0];
	int c;

	while ((c = getopt_long(argc, argv, "s:r:m:f:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.size_mb = parse_ulong(prog, "size", optarg, 1,
						  (~0UL >> 1) / MIB);
			break;
		case 'r':
			/* The round number has 24 bits in the page tag. */
			opt.rounds = parse_ulong(prog, "round count", optarg,
						 1, 1UL << 24);
			break;
		case 'm':
			opt.min_swapped_pct = parse_ulong(prog, "percentage",
							  optarg, 0, 100);
			break;
		case 'f':
			opt.flush_path = optarg;
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

int main(int argc, char **argv)
{
	unsigned long verified = 0, mismatches = 0, done = 0;
	struct round_stats st;
	unsigned int round;
	int ret;

	parse_args(argc, argv);

	ksft_print_header();

	page_size = psize();
	page_words = page_size / sizeof(*expected);

	skip_without_swap();

	mincore_vec = malloc(opt.size_mb * MIB / page_size);
	if (!mincore_vec)
		ksft_exit_fail_msg("out of memory\n");
	if (posix_memalign((void **)&expected, page_size, page_size))
		ksft_exit_fail_msg("out of memory\n");

	ksft_print_msg("%lu MiB, %lu round(s)\n", opt.size_mb, opt.rounds);
	ksft_set_plan(opt.rounds);

	for (round = 0; round < opt.rounds; round++) {
		ret = run_round(round, &st);
		if (ret != KSFT_SKIP)
			done++;
		verified += st.verified;
		mismatches += st.mismatches;
		ksft_test_result_report(ret, "reuse round %u (%s, %lu-page blocks)\n",
					round,
					round_munmap(round) ? "munmap" : "MADV_DONTNEED",
					round_block(round));
	}

	if (opt.json)
		printf("# JSON {\"rounds\":%lu,\"pages_verified\":%lu,\"mismatches\":%lu}\n",
		       done, verified, mismatches);

	free(expected);
	free(mincore_vec);

	exit_with_results();
}
