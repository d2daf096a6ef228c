/* c_blocking_calls.c: a known workload for off-CPU unwinding: four
 * threads block over and over in libc's wrappers, each under its own
 * named function, built -O2 without frame pointers (as libc is):
 *   fridayb_read_wait   -> read() on a pipe
 *   fridayb_poll_wait   -> poll() on a pipe
 *   fridayb_epoll_wait  -> epoll_wait() on a pipe
 *   fridayb_lock_wait   -> pthread_mutex_lock() (futex)
 * A driver thread writes a byte to each pipe and releases the mutex every
 * 5 ms, so each waiter switches out about 200 times a second.
 * Usage: c_blocking_calls SECONDS */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static int read_pipe[2], poll_pipe[2], epoll_pipe[2];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int done;

__attribute__((noinline)) void fridayb_read_wait(void)
{
	char c;

	while (!done)
		if (read(read_pipe[0], &c, 1) < 0)
			break;
}

__attribute__((noinline)) void fridayb_poll_wait(void)
{
	struct pollfd p = { .fd = poll_pipe[0], .events = POLLIN };
	char c;

	while (!done)
		if (poll(&p, 1, 100) > 0 && read(poll_pipe[0], &c, 1) < 0)
			break;
}

__attribute__((noinline)) void fridayb_epoll_wait(void)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(0);
	char c;

	epoll_ctl(ep, EPOLL_CTL_ADD, epoll_pipe[0], &ev);
	while (!done)
		if (epoll_wait(ep, &out, 1, 100) > 0 && read(epoll_pipe[0], &c, 1) < 0)
			break;
}

__attribute__((noinline)) void fridayb_lock_wait(void)
{
	while (!done) {
		pthread_mutex_lock(&lock);
		pthread_mutex_unlock(&lock);
		usleep(100);
	}
}

static void *run(void *fn)
{
	((void (*)(void))fn)();
	return NULL;
}

int main(int argc, char **argv)
{
	void (*waiters[])(void) = { fridayb_read_wait, fridayb_poll_wait, fridayb_epoll_wait,
				    fridayb_lock_wait };
	struct timespec tick = { 0, 5000000 };
	time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 10);
	pthread_t t[4];

	if (pipe(read_pipe) || pipe(poll_pipe) || pipe(epoll_pipe))
		return 1;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, run, (void *)waiters[i]);
	while (time(NULL) < end) {
		/* The mutex is held while the driver sleeps: the locker waits. */
		pthread_mutex_unlock(&lock);
		usleep(50);
		pthread_mutex_lock(&lock);
		if (write(read_pipe[1], "x", 1) < 0 || write(poll_pipe[1], "x", 1) < 0 ||
		    write(epoll_pipe[1], "x", 1) < 0)
			break;
		nanosleep(&tick, NULL);
	}
	done = 1;
	pthread_mutex_unlock(&lock);
	write(read_pipe[1], "x", 1);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 0;
}
