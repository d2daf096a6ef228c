/* lock_split.c: a known workload for `friday diff` of off-CPU time: four
 * threads each hold a mutex while sleeping IN_US (400 us) and then sleep
 * OUT_US (400 us) outside it. With LOCKS 1 they all share one mutex: the
 * lock is busy all the time and each thread waits about 800 us in futex
 * per 1600 us turn (half its blocked time). With LOCKS 2 (the fix: the
 * lock split in two, two threads on each) a thread's 800 us turn matches
 * its lock's 2 x 400 us, and futex waits mostly vanish. Nearly no CPU is
 * used, so the shares hold on a loaded host.
 * Usage: lock_split SECONDS LOCKS. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define IN_US 400
#define OUT_US 400

static pthread_mutex_t locks[2] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER };
static int nr_locks = 1;
static time_t end;

__attribute__((noinline)) static void friday_hold_lock(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	usleep(IN_US);
	pthread_mutex_unlock(m);
}

static void *worker(void *arg)
{
	long i = (long)arg;

	while (time(NULL) < end) {
		friday_hold_lock(&locks[i % nr_locks]);
		usleep(OUT_US);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS];

	if (argc < 3 || (atoi(argv[2]) != 1 && atoi(argv[2]) != 2)) {
		fprintf(stderr, "usage: lock_split SECONDS 1|2\n");
		return 2;
	}
	end = time(NULL) + atoi(argv[1]);
	nr_locks = atoi(argv[2]);
	for (long i = 1; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	worker((void *)0);
	for (long i = 1; i < THREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}
