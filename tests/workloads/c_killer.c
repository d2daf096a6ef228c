/* c_killer.c: known signals and exits for the events cross-check. Forks
 * three children that rename themselves (ev_term, ev_kill, ev_exit42),
 * waits for a line on stdin, then sends SIGTERM to the first and SIGKILL
 * to the second, lets the third exit with code 42, reaps all three and
 * prints "term PID kill PID exit42 PID" and how each ended.
 * The children are named before stdin is read.
 * Usage: c_killer < go */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready[2];   /* each child writes a byte once it has its name */

/* A child that names itself, says so, and waits: for a signal, or for the
 * pipe to close and then exits with code (when code >= 0). */
static pid_t child(const char *name, int code, int *pipe_w)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		prctl(PR_SET_NAME, name);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		while (read(fds[0], &c, 1) > 0)
			;
		if (code >= 0)
			_exit(code);
		for (;;)
			pause();
	}
	close(fds[0]);
	*pipe_w = fds[1];
	return pid;
}

static const char *how(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "signal-%d", WTERMSIG(status));
	else
		snprintf(buf, len, "code-%d", WEXITSTATUS(status));
	return buf;
}

int main(void)
{
	int w_term, w_kill, w_exit, st_term, st_kill, st_exit;
	pid_t term, kill9, exit42;
	char line[16], a[32], b[32], c[32], byte;

	if (pipe(ready))
		return 1;
	term = child("ev_term", -1, &w_term);
	kill9 = child("ev_kill", -1, &w_kill);
	exit42 = child("ev_exit42", 42, &w_exit);
	if (term < 0 || kill9 < 0 || exit42 < 0)
		return 1;
	for (int i = 0; i < 3; i++)
		if (read(ready[0], &byte, 1) != 1)
			return 1;
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	kill(term, SIGTERM);
	usleep(100000);
	kill(kill9, SIGKILL);
	usleep(100000);
	close(w_exit);
	waitpid(term, &st_term, 0);
	waitpid(kill9, &st_kill, 0);
	waitpid(exit42, &st_exit, 0);
	close(w_term);
	close(w_kill);
	printf("term %d kill %d exit42 %d %s %s %s\n", term, kill9, exit42,
	       how(st_term, a, sizeof(a)), how(st_kill, b, sizeof(b)), how(st_exit, c, sizeof(c)));
	return 0;
}
