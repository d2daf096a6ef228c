/* c_fd_reuse.c: a known workload for fslat's per-thread fd memo. One fd
 * number changes what it stands for while the thread reads it: /dev/zero
 * (not storage, never counted), then, after close(2), a regular FILE
 * opened onto the same number (counted), then /dev/zero again through
 * dup2(2), then FILE again through dup3(2). Each phase reads ROUNDS times,
 * 512 bytes a read, so fslat must count exactly 2 x ROUNDS reads of FILE
 * and none of /dev/zero. Raw syscalls through syscall(2). After a line on
 * stdin (so the collector can attach first). Prints "file_reads N".
 * Usage: c_fd_reuse FILE ROUNDS */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static long reads(int fd, long rounds)
{
	char buf[512];
	long n = 0;

	for (long i = 0; i < rounds; i++) {
		if (syscall(SYS_pread64, fd, buf, sizeof(buf), 0) != (long)sizeof(buf))
			return -1;
		if (syscall(SYS_read, fd, buf, sizeof(buf)) < 0)
			return -1;
		n += 2;
	}
	return n;
}

int main(int argc, char **argv)
{
	int zero, num, file, keep_zero, keep_file;
	long rounds, file_reads = 0, r;
	char line[16];

	if (argc != 3 || (rounds = atol(argv[2])) < 1)
		return fprintf(stderr, "usage: c_fd_reuse FILE ROUNDS\n"), 2;
	keep_zero = open("/dev/zero", O_RDONLY);
	keep_file = open(argv[1], O_RDONLY);
	if (keep_zero < 0 || keep_file < 0 || !fgets(line, sizeof(line), stdin))
		return 1;
	num = zero = open("/dev/zero", O_RDONLY);
	if (reads(zero, rounds) < 0)
		return 1;
	close(zero);
	file = open(argv[1], O_RDONLY);          /* the lowest free number: num */
	if (file != num || (r = reads(file, rounds)) < 0)
		return fprintf(stderr, "fd %d, not %d\n", file, num), 1;
	file_reads += r;
	if (dup2(keep_zero, num) != num || reads(num, rounds) < 0)
		return 1;
	if (dup3(keep_file, num, O_CLOEXEC) != num || (r = reads(num, rounds)) < 0)
		return 1;
	file_reads += r;
	printf("file_reads %ld\n", file_reads);
	return 0;
}
