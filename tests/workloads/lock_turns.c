/* lock_turns.c: a known workload for the off-CPU profile: THREADS threads
 * (the main thread is one of them) take turns on one pthread mutex and,
 * holding it, spin WORK_US then sleep SLEEP_US. So at any moment one
 * thread holds the lock (mostly asleep) and the rest wait in futex: the
 * process is off CPU for nearly THREADS x the window, mostly in futex
 * waits. Usage: lock_turns SECONDS [THREADS] [WORK_US] [SLEEP_US]. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double end_s;
static long work_us = 20, sleep_us = 400;
static volatile double sink;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void work_inside_lock(void)
{
	double until = now_s() + work_us / 1e6;

	while (now_s() < until)
		sink = sink * 1.0000001 + 1e-9;
	usleep((useconds_t)sleep_us);
}

static void *take_turns(void *arg)
{
	while (now_s() < end_s) {
		pthread_mutex_lock(&lock);
		work_inside_lock();
		pthread_mutex_unlock(&lock);
	}
	return arg;
}

int main(int argc, char **argv)
{
	int nr = argc > 2 ? atoi(argv[2]) : 4;
	pthread_t tids[64];

	end_s = now_s() + (argc > 1 ? atof(argv[1]) : 10);
	if (argc > 3)
		work_us = atol(argv[3]);
	if (argc > 4)
		sleep_us = atol(argv[4]);
	if (nr < 1 || nr > 64)
		nr = 4;
	for (int i = 1; i < nr; i++)
		pthread_create(&tids[i], NULL, take_turns, NULL);
	take_turns(NULL);
	for (int i = 1; i < nr; i++)
		pthread_join(tids[i], NULL);
	return 0;
}
