/* c_futex_known.c: known futex waits for the futexwait cross-check. After a
 * line on stdin, a waiter thread
 *   - waits N times (default 23) on a futex word nobody changes, with a
 *     20 ms timeout: N timed-out waits of ~20 ms;
 *   - then waits N times on a second word that the main thread wakes after
 *     sleeping 10 ms each time: N woken waits of ~10 ms.
 * Raw futex(2) calls (FUTEX_WAIT_PRIVATE), so no library retries hide any.
 * Prints the addresses of the two words.
 * Usage: c_futex_known [N] < go */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint32_t idle_word, handoff_word;
static int nr_waits = 23;
static volatile int woken_seen;

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static void *waiter(void *arg)
{
	struct timespec timeout = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < nr_waits; i++)
		futex(&idle_word, FUTEX_WAIT_PRIVATE, 0, &timeout);
	for (int i = 0; i < nr_waits; i++) {
		/* Sleep until the word moves past i: the main thread bumps it. */
		while (__atomic_load_n(&handoff_word, __ATOMIC_ACQUIRE) == (uint32_t)i)
			futex(&handoff_word, FUTEX_WAIT_PRIVATE, i, NULL);
		__atomic_store_n(&woken_seen, i + 1, __ATOMIC_RELEASE);
	}
	return arg;
}

int main(int argc, char **argv)
{
	struct timespec ten_ms = { 0, 10 * 1000 * 1000 };
	pthread_t tid;
	char line[16];

	nr_waits = argc > 1 ? atoi(argv[1]) : 23;
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	pthread_create(&tid, NULL, waiter, NULL);
	/* Let the timed waits finish, then hand over N times, 10 ms apart. */
	nanosleep(&(struct timespec){ 0, (long)nr_waits * 20 * 1000 * 1000 + 100000000 }, NULL);
	for (int i = 0; i < nr_waits; i++) {
		nanosleep(&ten_ms, NULL);
		__atomic_store_n(&handoff_word, i + 1, __ATOMIC_RELEASE);
		futex(&handoff_word, FUTEX_WAKE_PRIVATE, 1, NULL);
		while (__atomic_load_n(&woken_seen, __ATOMIC_ACQUIRE) <= i)
			sched_yield();
	}
	pthread_join(tid, NULL);
	printf("idle %p handoff %p\n", (void *)&idle_word, (void *)&handoff_word);
	return 0;
}
