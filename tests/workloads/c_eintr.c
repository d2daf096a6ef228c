/* c_eintr.c: a known number of signals that interrupt a blocking read, for
 * syscount's error counts: waits for a line on stdin (so the collector can
 * attach first), then N times (default 200) arms a one-shot 1 ms timer and
 * blocks in read(2) on an empty pipe; SIGALRM's handler is installed
 * without SA_RESTART, so each read fails with EINTR and each signal ends
 * in one rt_sigreturn, which returns the read's -EINTR to the interrupted
 * context. Prints how many reads failed with EINTR.
 * Usage: c_eintr [N] < go */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200, eintr = 0;
	struct itimerval one_ms = { .it_value = { .tv_usec = 1000 } };
	struct sigaction sa;
	char line[16], c;
	int fds[2];

	if (!fgets(line, sizeof(line), stdin) || pipe(fds))
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;    /* no SA_RESTART: the read fails */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		return 1;
	for (long i = 0; i < n; i++) {
		if (setitimer(ITIMER_REAL, &one_ms, NULL))
			return 1;
		if (read(fds[0], &c, 1) < 0 && errno == EINTR)
			eintr++;
	}
	printf("eintr %ld\n", eintr);
	return eintr == n ? 0 : 2;
}
