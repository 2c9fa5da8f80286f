// SPDX-License-Identifier: GPL-2.0
/*
 * Hold a swapped-out VMA until told to let it go.
 *
 * Maps SIZE MiB of private anonymous memory, fills it with data that the
 * stronger compressors shrink much further than the fast ones (each page
 * is 8-byte tokens drawn from a set of 16), pages it out, creates READY and
 * waits for SIGUSR1; then unmaps the VMA, which frees its swap slots, and
 * exits 0. Shell checks use it to free swapped-out memory at the moment
 * some other operation (zram recompression or writeback) is running.
 *
 *   swap_hold SIZE_MIB READY_FILE
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>

#include "swap_util.h"

#define TOKENS		16

static void fill_tokens(unsigned long long *p, size_t nwords,
			unsigned long idx)
{
	unsigned long long tok[TOKENS];
	unsigned int r = idx * 2654435761u;
	size_t i;

	for (i = 0; i < TOKENS; i++)
		tok[i] = mix64(idx * TOKENS + i);
	for (i = 0; i < nwords; i++) {
		r = r * 1103515245u + 12345u;
		p[i] = tok[(r >> 16) % TOKENS];
	}
}

int main(int argc, char **argv)
{
	size_t page_size = psize(), len, i;
	sigset_t usr1;
	char *buf;
	int fd, sig;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SIZE_MIB READY_FILE\n", argv[0]);
		return KSFT_FAIL;
	}
	len = parse_ulong(argv[0], "size", argv[1], 1, 1024) * MIB;

	/* Blocked from the start, so that an early SIGUSR1 waits for sigwait(). */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return KSFT_FAIL;
	}
	madvise(buf, len, MADV_NOHUGEPAGE);
	for (i = 0; i < len / page_size; i++)
		fill_tokens((unsigned long long *)(buf + i * page_size),
			    page_size / sizeof(unsigned long long), i);
	if (page_out(buf, len, false)) {
		perror("madvise(MADV_PAGEOUT)");
		return KSFT_FAIL;
	}

	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[2]);
		return KSFT_FAIL;
	}
	close(fd);

	if (sigwait(&usr1, &sig)) {
		perror("sigwait");
		return KSFT_FAIL;
	}
	if (munmap(buf, len)) {
		perror("munmap");
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}
