/* c_poll_known.c: known syscall latencies for the syscall drill-down test.
 * After a line on stdin, sleeps in poll(2) with no descriptors: 60 times
 * for 10 ms, 35 times for 20 ms, 5 times for 45 ms (100 calls), through
 * syscall(2) so the C library cannot choose ppoll instead. The true
 * percentiles are then p50 10 ms, p90 20 ms, p99 45 ms, max 45 ms (plus the
 * scheduler's wake-up delay); each percentile's rank sits at least 5 calls
 * inside its group, so a few late wake-ups cannot move it to another.
 * It prints the longest poll it saw itself, from before the call to after
 * it: the time in the kernel, which friday measures, is within it.
 * Usage: c_poll_known < go */
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	static const struct { int n, ms; } plan[] = { { 60, 10 }, { 35, 20 }, { 5, 45 } };
	char line[16];
	int calls = 0;
	long long max_ns = 0;

	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++)
		for (int k = 0; k < plan[i].n; k++, calls++) {
			struct timespec a, b;
			long long ns;

			clock_gettime(CLOCK_MONOTONIC, &a);
			syscall(SYS_poll, NULL, 0, plan[i].ms);
			clock_gettime(CLOCK_MONOTONIC, &b);
			ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
			if (ns > max_ns)
				max_ns = ns;
		}
	printf("poll %d max_ns %lld\n", calls, max_ns);
	return 0;
}
