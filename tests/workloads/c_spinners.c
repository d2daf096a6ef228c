/* c_spinners.c: the run-queue saturation workload of SCENARIOS.md: N
 * threads (default 3 x online CPUs) spin for SECONDS, so every CPU has
 * about three runnable threads queued.
 * Usage: c_spinners [SECONDS [THREADS]] */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double deadline_s;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *spin(void *arg)
{
	volatile unsigned long n = 0;

	while (now_s() < deadline_s)
		for (int i = 0; i < 100000; i++)
			n++;
	return arg;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	long nr = argc > 2 ? atol(argv[2]) : 3 * sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t *tids;

	if (nr < 1)
		nr = 1;
	tids = calloc(nr, sizeof(*tids));
	if (!tids)
		return 1;
	deadline_s = now_s() + seconds;
	for (long i = 0; i < nr; i++)
		pthread_create(&tids[i], NULL, spin, NULL);
	for (long i = 0; i < nr; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return 0;
}
