/* waste_loop.c: a known workload for Friday's unnecessary-work findings:
 * for SECONDS, MODE "missing" opens a file that does not exist, "reopen"
 * opens and closes the same existing file, "poll" polls with a zero
 * timeout, "eagain" reads an empty non-blocking pipe 10 times (EAGAIN);
 * each about RATE times a second (default 2000). */
#define _GNU_SOURCE   /* pipe2 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double end, rate;
	const char *mode, *path;
	struct timespec gap;
	int pipe_fd[2];

	if (argc < 4) {
		fprintf(stderr, "usage: waste_loop SECONDS missing|reopen|poll|eagain PATH [RATE]\n");
		return 2;
	}
	end = now_s() + atof(argv[1]);
	mode = argv[2];
	path = argv[3];
	rate = argc > 4 ? atof(argv[4]) : 2000;
	gap.tv_sec = 0;
	gap.tv_nsec = (long)(1e9 / rate);
	if (!strcmp(mode, "eagain") && pipe2(pipe_fd, O_NONBLOCK)) {
		perror("pipe2");
		return 1;
	}
	while (now_s() < end) {
		if (!strcmp(mode, "eagain")) {
			char c;

			for (int i = 0; i < 10; i++)
				if (read(pipe_fd[0], &c, 1) >= 0)
					return 1;
		} else if (!strcmp(mode, "poll")) {
			struct pollfd p = { .fd = 0, .events = POLLIN };

			poll(&p, 0, 0);
		} else {
			int fd = open(path, O_RDONLY);

			if (fd >= 0)
				close(fd);
		}
		nanosleep(&gap, NULL);
	}
	return 0;
}
