/* hot_function.c: a known workload for the CPU profile: threads spinning
 * inside one named function, friday_hot_spin(), in a PIE binary built -O2 -g
 * without frame pointers. Usage: hot_function SECONDS [THREADS]. The
 * profile's leaf must be friday_hot_spin in most of its busy samples. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile double sink;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* noinline keeps the name in the profile; the loop is the whole cost. */
__attribute__((noinline)) double friday_hot_spin(long iters)
{
	double x = 1.0;

	for (long i = 0; i < iters; i++)
		x = x * 1.0000001 + 1e-9;
	return x;
}

static void *spin(void *arg)
{
	double end = now_s() + *(double *)arg;

	while (now_s() < end)
		sink = friday_hot_spin(2000000);
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	int nr = argc > 2 ? atoi(argv[2]) : 1;
	pthread_t tids[64];

	if (nr < 1 || nr > 64)
		nr = 1;
	for (int i = 1; i < nr; i++)
		pthread_create(&tids[i], NULL, spin, &seconds);
	spin(&seconds);
	for (int i = 1; i < nr; i++)
		pthread_join(tids[i], NULL);
	return 0;
}
