/* past_errors.h: the kernel log scan of Monday (ERR-01..13), callable on
 * any file of /dev/kmsg lines so tests can feed it fixtures. */
#ifndef FRIDAY_PAST_ERRORS_H
#define FRIDAY_PAST_ERRORS_H

#include <stddef.h>
#include <stdint.h>

#include "reports/report.h"

/* Scans kmsg_path and adds one finding per error pattern seen. now_us is
 * "now" on the log's clock (microseconds since boot); 0 means the last
 * record's time. Returns the number of findings, or -errno with reason
 * saying why the log could not be read. */
int past_errors_scan(struct report *r, const char *kmsg_path, uint64_t now_us, char *reason, size_t len);

#endif
