/* counters.h: reading kernel counters by name, for the collectors that
 * take deltas over their window: "name value" files (/proc/vmstat) and
 * header/value line pairs (/proc/net/snmp, /proc/net/netstat, where a
 * counter is named "Prefix:Name", e.g. "Tcp:RetransSegs"). */
#ifndef FRIDAY_COUNTERS_H
#define FRIDAY_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fills vals[i] for names[i]; found[i] (may be NULL) says whether the
 * counter exists here. For "name value" files a name ending in '*' sums
 * every counter with that prefix (allocstall_*). Returns how many were
 * found, or -errno when the file is unreadable. */
int counters_read_flat(const char *path, const char *const *names, size_t n,
		       uint64_t *vals, bool *found);
int counters_read_paired(const char *path, const char *const *names, size_t n,
			 uint64_t *vals, bool *found);

#endif
