/* hot_switch.c: a known workload for `friday diff`: one thread loops over
 * two named functions doing the same arithmetic, friday_hot_step for HOT
 * iterations and friday_cold_step for 1,000,000. "slow" makes HOT
 * 3,000,000 (the hot function is 75% of the CPU time), "fast" 750,000 (a
 * fix that makes it 4 times cheaper: 42.9%). Usage: hot_switch SECONDS
 * slow|fast. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COLD_ITERS 1000000L

volatile double sink;

__attribute__((noinline)) double friday_hot_step(long iters)
{
	double x = sink;

	for (long i = 0; i < iters; i++)
		x = x * 1.0000001 + 1e-9;
	return x;
}

__attribute__((noinline)) double friday_cold_step(long iters)
{
	double x = sink;

	for (long i = 0; i < iters; i++)
		x = x * 1.0000001 + 1e-9;
	return x;
}

int main(int argc, char **argv)
{
	time_t end;
	long hot;

	if (argc < 3 || (strcmp(argv[2], "slow") && strcmp(argv[2], "fast"))) {
		fprintf(stderr, "usage: hot_switch SECONDS slow|fast\n");
		return 2;
	}
	end = time(NULL) + atoi(argv[1]);
	hot = !strcmp(argv[2], "slow") ? 3 * COLD_ITERS : 3 * COLD_ITERS / 4;
	while (time(NULL) < end) {
		sink = friday_hot_step(hot);
		sink = friday_cold_step(COLD_ITERS);
	}
	return 0;
}
