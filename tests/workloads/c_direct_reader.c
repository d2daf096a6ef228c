/* c_direct_reader.c: the reader of the "disk I/O throttled by a cgroup"
 * known workload (SCENARIOS.md): O_DIRECT random 4 KiB reads of FILE for
 * SECONDS, one at a time, so every read goes to the block device and
 * waits for it (and for any throttle in front of it). At the end it prints
 * how many reads it made and their average latency as the syscall saw it,
 * for the test to compare with what friday measured.
 * Usage: c_direct_reader FILE [SECONDS] */
#define _GNU_SOURCE /* O_DIRECT */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_BYTES 4096

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 2 ? atof(argv[2]) : 10, deadline_s, total_s = 0;
	unsigned long long nr_reads = 0, seed = 88172645463325252ull;
	long long nr_blocks;
	struct stat st;
	void *buf;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE [SECONDS]\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 1;
	}
	nr_blocks = st.st_size / BLOCK_BYTES;
	if (nr_blocks < 1 || posix_memalign(&buf, BLOCK_BYTES, BLOCK_BYTES)) {
		fprintf(stderr, "%s: too small for one %d-byte block\n", argv[1], BLOCK_BYTES);
		return 1;
	}
	deadline_s = now_s() + seconds;
	while (now_s() < deadline_s) {
		double t0;

		/* xorshift: a random block each time, so no cache can help. */
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		t0 = now_s();
		if (pread(fd, buf, BLOCK_BYTES, (off_t)(seed % nr_blocks) * BLOCK_BYTES) != BLOCK_BYTES) {
			perror("pread");
			return 1;
		}
		total_s += now_s() - t0;
		nr_reads++;
	}
	printf("reads %llu avg_ms %.3f\n", nr_reads, nr_reads ? total_s * 1000 / nr_reads : 0.0);
	free(buf);
	close(fd);
	return 0;
}
