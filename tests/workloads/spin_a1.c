/* spin_a1.c: a known CPU load for the load-snapshot tests: N threads that
 * spin in user space for S seconds, then exit by themselves (so a test that
 * dies cannot leave it running for long).
 *
 *   spin_a1 NTHREADS SECONDS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static void *spin(void *arg)
{
	unsigned long x = (unsigned long)arg;

	for (;;) {
		x = x * 6364136223846793005ul + 1442695040888963407ul;
		sink = x;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nr = argc > 1 ? atoi(argv[1]) : 1;
	int secs = argc > 2 ? atoi(argv[2]) : 30;
	pthread_t t;

	if (nr < 1 || nr > 1024 || secs < 1) {
		fprintf(stderr, "usage: spin_a1 NTHREADS(1-1024) SECONDS\n");
		return 2;
	}
	/* The main thread sleeps; NTHREADS spin. */
	for (int i = 0; i < nr; i++)
		if (pthread_create(&t, NULL, spin, (void *)(unsigned long)i)) {
			perror("pthread_create");
			return 1;
		}
	sleep(secs);
	return 0;
}
