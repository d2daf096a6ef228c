/* forkstorm.c: thousands of short-lived processes: forks children that
 * exit at once, reaping each, for SECONDS; prints the forks per second.
 * Usage: forkstorm [SECONDS] */
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

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10, t0 = now_s();
	long n = 0;

	while (now_s() - t0 < seconds) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid > 0 && waitpid(pid, NULL, 0) == pid)
			n++;
	}
	printf("forks_per_s %.0f\n", n / (now_s() - t0));
	return 0;
}
