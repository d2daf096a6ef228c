/* past_errors.h: the kernel log scan of Monday (ERR-01..13), callable on
 * any file of /dev/kmsg lines so tests can feed it fixtures. */
#ifndef FRIDAY_PAST_ERRORS_H
#define FRIDAY_PAST_ERRORS_H

#include <stddef.h>
#include <stdint.h>

#include "reports/report.h"

/* "Now" on the kernel log's clock (microseconds since boot; 0: the last
 * record's time) and on the wall clock (seconds since the epoch; 0: unknown,
 * then findings carry no wall-clock times). */
struct log_clock {
	uint64_t now_us;
	double wall_now_s;
};

/* Scans kmsg_path and adds one finding per error pattern seen; clock may be
 * NULL. Returns the number of findings, or -errno with reason saying why
 * the log could not be read. */
int past_errors_scan(struct report *r, const char *kmsg_path, const struct log_clock *clock, char *reason,
		     size_t len);

#endif
