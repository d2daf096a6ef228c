/* instance.c: the single-instance lock (see instance.h). */
#include "lib/instance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

const char *instance_lock_path(void)
{
	const char *env = getenv("FRIDAY_LOCK");

	return env && *env ? env : INSTANCE_LOCK_PATH;
}

/* The pid the holder wrote into the lock file, or 0 when unreadable. */
static long holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int instance_lock(char *err, size_t err_len)
{
	const char *path = instance_lock_path();
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	char pid[32];
	long other;
	int len;

	err[0] = '\0';
	if (fd < 0) {
		snprintf(err, err_len, "cannot open the lock file %s (%s): not checking for "
			 "another friday", path, strerror(errno));
		return 0;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		other = holder_pid(fd);
		close(fd);
		if (e != EWOULDBLOCK) {
			snprintf(err, err_len, "cannot lock %s (%s): not checking for another "
				 "friday", path, strerror(e));
			return 0;
		}
		if (other > 0)
			snprintf(err, err_len, "another friday is running on this host (pid %ld, "
				 "lock %s): wait for it to end or stop it (kill -INT %ld); two at "
				 "once would measure each other", other, path, other);
		else
			snprintf(err, err_len, "another friday is running on this host (lock %s "
				 "held): wait for it to end", path);
		return -EBUSY;
	}
	/* The fd stays open, and the lock with it, until the process ends. */
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)len, 0) != len)
		snprintf(err, err_len, "lock %s taken, but our pid could not be written there: %s",
			 path, strerror(errno));
	return 0;
}
