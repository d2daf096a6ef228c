/* kmsg.c: parse /dev/kmsg records and read the whole kernel log buffer
 * without blocking (see kmsg.h). /dev/kmsg returns one record per read()
 * and EAGAIN at the end; EPIPE means records were overwritten while we
 * read, and reading goes on from the next one. */
#include "checks/kmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parses an unsigned decimal up to a delimiter; advances *p past it. */
static int parse_field(const char **p, const char *end, char delim, uint64_t *val)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	while (s < end && *s >= '0' && *s <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s++ - '0');
	}
	if (s >= end || *s != delim)
		return -EINVAL;
	*p = s + 1;
	*val = v;
	return 0;
}

int kmsg_parse_line(const char *line, size_t len, struct kmsg_record *rec)
{
	const char *p = line, *end = line + len, *semi;
	uint64_t prio;

	if (!len || line[0] == ' ')
		return -EINVAL;
	semi = memchr(line, ';', len);
	if (!semi)
		return -EINVAL;
	if (parse_field(&p, semi, ',', &prio) || prio > 1023 * 8 + 7 ||
	    parse_field(&p, semi, ',', &rec->seq) || parse_field(&p, semi, ',', &rec->ts_us))
		return -EINVAL;
	/* The flag, then optional fields the kernel may add later. */
	if (p >= semi || (*p != '-' && *p != 'c') || (p + 1 < semi && p[1] != ','))
		return -EINVAL;
	rec->flag = *p;
	rec->facility = (int)(prio >> 3);
	rec->level = (int)(prio & 7);
	rec->msg = semi + 1;
	rec->msg_len = (size_t)(end - semi - 1);
	return 0;
}

#define KMSG_BUF 65536

struct assembler {
	char buf[KMSG_BUF];
	size_t used;
	long nr_records, nr_malformed;
	void (*fn)(const struct kmsg_record *rec, void *arg);
	void *arg;
};

static void feed_line(struct assembler *a, const char *line, size_t len)
{
	struct kmsg_record rec;

	if (len && line[len - 1] == '\r')
		len--;
	if (!len || line[0] == ' ')
		return;  /* continuation lines carry KEY=VALUE context, not records */
	if (kmsg_parse_line(line, len, &rec)) {
		a->nr_malformed++;
		return;
	}
	a->nr_records++;
	a->fn(&rec, a->arg);
}

/* Hands every complete line in the buffer to feed_line; keeps the rest. */
static void drain_lines(struct assembler *a, bool at_end)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(a->buf + start, '\n', a->used - start))) {
		feed_line(a, a->buf + start, (size_t)(nl - a->buf - start));
		start = (size_t)(nl - a->buf) + 1;
	}
	if (at_end && start < a->used) {
		feed_line(a, a->buf + start, a->used - start);
		start = a->used;
	}
	memmove(a->buf, a->buf + start, a->used - start);
	a->used -= start;
	if (a->used == sizeof(a->buf)) {
		a->nr_malformed++;  /* a line longer than the buffer: drop it */
		a->used = 0;
	}
}

long kmsg_read_all(const char *path, void (*fn)(const struct kmsg_record *rec, void *arg),
		   void *arg, long *nr_malformed)
{
	struct assembler *a = calloc(1, sizeof(*a));
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	long ret;

	if (!a || fd < 0) {
		ret = -(fd < 0 ? errno : ENOMEM);
		if (fd >= 0)
			close(fd);
		free(a);
		return ret;
	}
	a->fn = fn;
	a->arg = arg;
	/* From the start of the buffer (after a `dmesg -C` clear point, as
	 * dmesg itself does); a regular file simply stays at offset 0. */
	lseek(fd, 0, SEEK_DATA);
	for (;;) {
		ssize_t n = read(fd, a->buf + a->used, sizeof(a->buf) - a->used);

		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue;
		if (n <= 0) {
			ret = n == 0 || errno == EAGAIN ? 0 : -errno;
			break;
		}
		a->used += (size_t)n;
		drain_lines(a, false);
	}
	drain_lines(a, true);
	close(fd);
	if (nr_malformed)
		*nr_malformed = a->nr_malformed;
	if (!ret)
		ret = a->nr_records;
	free(a);
	return ret;
}
