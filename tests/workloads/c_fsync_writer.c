/* c_fsync_writer.c: a known file-system workload for the fslat cross-check
 * and the fsync-heavy scenario. Writes SIZE-byte blocks to FILE with
 * write(2), calling fsync(2) after every EVERY writes, N writes in all
 * (N = 0: until killed), then fdatasync(2) once and exits. With -g it first
 * waits for a line on stdin (so the collector can attach first). Raw
 * syscalls through syscall(2), so the C library cannot merge or skip any.
 * Prints what it did: "writes W fsyncs F fdatasyncs D bytes B".
 * Usage: c_fsync_writer [-g] FILE N EVERY SIZE */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	long n, every, size, writes = 0, fsyncs = 0, bytes = 0;
	int gate = argc > 1 && !strcmp(argv[1], "-g"), fd;
	char line[16], *buf;

	if (argc != 5 + gate) {
		fprintf(stderr, "usage: c_fsync_writer [-g] FILE N EVERY SIZE\n");
		return 2;
	}
	n = atol(argv[2 + gate]);
	every = atol(argv[3 + gate]);
	size = atol(argv[4 + gate]);
	if (n < 0 || every < 1 || size < 1 || !(buf = malloc(size)))
		return 2;
	memset(buf, 'f', size);
	fd = open(argv[1 + gate], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[1 + gate]);
		return 1;
	}
	signal(SIGTERM, on_term);
	if (gate && !fgets(line, sizeof(line), stdin))
		return 1;
	while (!stop && (n == 0 || writes < n)) {
		long w = syscall(SYS_write, fd, buf, size);

		if (w < 0) {
			perror("write");
			return 1;
		}
		writes++;
		bytes += w;
		if (writes % every == 0) {
			syscall(SYS_fsync, fd);
			fsyncs++;
		}
		/* Start again at the beginning: a bounded file on a small disk. */
		if (bytes % (8L << 20) < size)
			lseek(fd, 0, SEEK_SET);
	}
	syscall(SYS_fdatasync, fd);
	printf("writes %ld fsyncs %ld fdatasyncs 1 bytes %ld\n", writes, fsyncs, bytes);
	return 0;
}
