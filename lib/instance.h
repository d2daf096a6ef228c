/* instance.h: one friday at a time on a host. Two runs would load the same
 * probes twice, double the overhead on a host already in trouble, and
 * measure each other. The lock is flock(2) on a file (/run/friday.lock, or
 * $FRIDAY_LOCK): the kernel drops it when the process ends however it
 * ends, so a run killed with SIGKILL never blocks the next one. */
#ifndef FRIDAY_INSTANCE_H
#define FRIDAY_INSTANCE_H

#include <stddef.h>

#define INSTANCE_LOCK_PATH "/run/friday.lock"

/* Takes the lock for the life of the process (the fd is kept open).
 * Returns 0; -EBUSY with err naming the running friday's pid; or 0 with
 * a note in err when the lock file cannot be opened (no privilege to
 * write /run: such a friday loads no BPF, and runs unlocked). */
int instance_lock(char *err, size_t err_len);
/* The lock file's path: $FRIDAY_LOCK, else INSTANCE_LOCK_PATH. */
const char *instance_lock_path(void);

#endif
