/* c_mutex_contend.c: the lock-contention workload of SCENARIOS.md: N
 * threads (default 4) take turns on one pthread mutex and do their work
 * inside it, so all but one wait in futex at any time.
 * Usage: c_mutex_contend [SECONDS [THREADS]] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t the_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile unsigned long shared_counter;
static double deadline_s;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* About 50 us of work while holding the lock. */
static void work_inside(void)
{
	for (int i = 0; i < 20000; i++)
		shared_counter++;
}

static void *worker(void *arg)
{
	while (now_s() < deadline_s) {
		pthread_mutex_lock(&the_lock);
		work_inside();
		pthread_mutex_unlock(&the_lock);
	}
	return arg;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	int nr = argc > 2 ? atoi(argv[2]) : 4;
	pthread_t tids[64];

	if (nr < 1 || nr > 64)
		nr = 4;
	deadline_s = now_s() + seconds;
	for (int i = 0; i < nr; i++)
		pthread_create(&tids[i], NULL, worker, NULL);
	for (int i = 0; i < nr; i++)
		pthread_join(tids[i], NULL);
	printf("%lu\n", shared_counter);
	return 0;
}
