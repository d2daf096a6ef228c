/* kmsg.h: the kernel log as /dev/kmsg hands it out, one record per read:
 * "PRIORITY,SEQUENCE,TIMESTAMP_US,FLAG[,...];MESSAGE" followed by optional
 * continuation lines " KEY=VALUE" (Documentation/ABI/testing/dev-kmsg).
 * The parser is separate from the reader so tests feed it lines. */
#ifndef FRIDAY_KMSG_H
#define FRIDAY_KMSG_H

#include <stddef.h>
#include <stdint.h>

struct kmsg_record {
	int facility;          /* 0 = the kernel; user space writes 1 and up */
	int level;             /* 0 emerg .. 7 debug */
	uint64_t seq;
	uint64_t ts_us;        /* microseconds since boot (local_clock) */
	char flag;             /* '-' or 'c' (continuation) */
	const char *msg;       /* not NUL-terminated: msg_len bytes */
	size_t msg_len;
};

/* Parses one record line (without its newline). Returns 0, or -EINVAL
 * for a malformed line or a continuation line (" KEY=VALUE"). */
int kmsg_parse_line(const char *line, size_t len, struct kmsg_record *rec);

/* Reads every record of path (normally /dev/kmsg, from the start of the
 * buffer, non-blocking; a regular file of such lines works too) and calls
 * fn for each well-formed one. Returns the number of records or -errno;
 * *nr_malformed counts the lines that did not parse. */
long kmsg_read_all(const char *path, void (*fn)(const struct kmsg_record *rec, void *arg),
		   void *arg, long *nr_malformed);

#endif
