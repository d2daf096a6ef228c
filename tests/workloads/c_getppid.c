/* c_getppid.c: a known number of syscalls for the syscount cross-check:
 * waits for a line on stdin (so the collector can attach first), then
 * calls getppid() exactly N times (default 23,000) through syscall(2), so
 * the C library cannot cache or skip any, and exits.
 * Usage: c_getppid [N] < go */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 23000;
	char line[16];

	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	printf("getppid %ld\n", n);
	return 0;
}
