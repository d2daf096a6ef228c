/* c_fork23.c: a known number of processes for the proclife cross-check:
 * waits for a line on stdin, then forks exactly N children (default 23),
 * one after the other, each exec'ing /bin/true, and reaps them.
 * Usage: c_fork23 [N] < go */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 23, failed = 0;
	char line[16];

	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			failed++;
	}
	printf("children %d failed %d\n", n, failed);
	return failed != 0;
}
