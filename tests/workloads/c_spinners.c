/* c_spinners.c: the run-queue saturation workload of SCENARIOS.md: N
 * threads (default 3 x online CPUs) spin for SECONDS, so every CPU has
 * about three runnable threads queued. At the end it prints the kernel's
 * own count of the time its threads waited on a run queue (the second
 * field of /proc/thread-self/schedstat, summed; each thread reads its own
 * just before it ends), for the runqlat cross-check.
 * Usage: c_spinners [SECONDS [THREADS]] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double deadline_s;
static unsigned long long run_delay_ns;   /* summed over the threads */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long long my_run_delay_ns(void)
{
	unsigned long long on_cpu, delay = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f) {
		if (fscanf(f, "%llu %llu", &on_cpu, &delay) != 2)
			delay = 0;
		fclose(f);
	}
	return delay;
}

static void *spin(void *arg)
{
	volatile unsigned long n = 0;

	while (now_s() < deadline_s)
		for (int i = 0; i < 100000; i++)
			n++;
	__atomic_add_fetch(&run_delay_ns, my_run_delay_ns(), __ATOMIC_RELAXED);
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
	printf("threads %ld run_delay_ns %llu\n", nr, run_delay_ns + my_run_delay_ns());
	free(tids);
	return 0;
}
