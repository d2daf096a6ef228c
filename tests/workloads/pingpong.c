/* pingpong.c: a context-switch storm: PAIRS pairs of processes pass one
 * byte back and forth over two pipes for SECONDS, so every hop wakes the
 * other side and puts this one to sleep (two context switches a round
 * trip, as `perf bench sched pipe`). Prints the round trips per second
 * of all pairs at the end. Usage: pingpong [SECONDS [PAIRS]] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One pair: the parent pings, the child pongs; returns round trips. */
static long run_pair(double seconds)
{
	int ping[2], pong[2];
	long trips = 0;
	double end;
	char b = 0;
	pid_t child;

	if (pipe(ping) || pipe(pong))
		exit(1);
	child = fork();
	if (child == 0) {
		/* only the parent writes ping: its close ends this loop */
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &b, 1) == 1 && write(pong[1], &b, 1) == 1)
			;
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	end = now_s() + seconds;
	while ((trips & 1023) || now_s() < end) {
		if (write(ping[1], &b, 1) != 1 || read(pong[0], &b, 1) != 1)
			break;
		trips++;
	}
	close(ping[1]);
	waitpid(child, NULL, 0);
	return trips;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	int pairs = argc > 2 ? atoi(argv[2]) : 1, fds[2];
	double t0 = now_s();
	long total = 0, trips;

	if (pipe(fds))
		return 1;
	for (int i = 0; i < pairs; i++) {
		if (fork() == 0) {
			trips = run_pair(seconds);
			if (write(fds[1], &trips, sizeof(trips)) != sizeof(trips))
				_exit(1);
			_exit(0);
		}
	}
	for (int i = 0; i < pairs; i++)
		if (read(fds[0], &trips, sizeof(trips)) == sizeof(trips))
			total += trips;
	while (wait(NULL) > 0)
		;
	printf("round_trips_per_s %.0f\n", total / (now_s() - t0));
	return 0;
}
