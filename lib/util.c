/* util.c: clocks, small-file reading and logging used across friday. */
#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int verbose_level;
volatile sig_atomic_t friday_stop_requested;

void (*log_hook)(bool before);

const char *friday_stop_reason(void)
{
	switch (friday_stop_requested) {
	case 0: return "";
	case SIGINT: return "stopped by SIGINT (Ctrl-C)";
	case SIGTERM: return "stopped by SIGTERM";
	case SIGQUIT: return "stopped by SIGQUIT (Ctrl-\\)";
	case SIGHUP: return "stopped by SIGHUP (the terminal closed)";
	case SIGALRM: return "the run passed its -d budget and grace, so friday stopped it";
	default: return "stopped by a signal";
	}
}

static void vlog(const char *tag, const char *fmt, va_list ap)
{
	if (log_hook)
		log_hook(true);
	fprintf(stderr, "friday: %s", tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (log_hook)
		log_hook(false);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (verbose_level < 1)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbose_level < 2)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

uint64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

double now_mono_s(void)
{
	return now_mono_ns() / 1e9;
}

double now_real_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

bool sleep_until_ns(uint64_t deadline_ns)
{
	/* Sleep in short slices so a stop request is seen within 100 ms. */
	while (!friday_stop_requested) {
		uint64_t now = now_mono_ns();
		uint64_t left, slice;
		struct timespec ts;

		if (now >= deadline_ns)
			return true;
		left = deadline_ns - now;
		slice = left < 100000000ull ? left : 100000000ull;
		ts.tv_sec = slice / 1000000000ull;
		ts.tv_nsec = slice % 1000000000ull;
		nanosleep(&ts, NULL);
	}
	return false;
}

ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd;

	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return total;
}

char *read_file_alloc(const char *path, size_t *len_out)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

int read_line(const char *path, char *buf, size_t size)
{
	ssize_t n = read_file(path, buf, size);
	char *nl;

	if (n < 0)
		return (int)n;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

int read_u64(const char *path, uint64_t *val)
{
	char buf[64], *end;
	int err = read_line(path, buf, sizeof(buf));

	if (err)
		return err;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

int read_s64(const char *path, int64_t *val)
{
	char buf[64], *end;
	int err = read_line(path, buf, sizeof(buf));

	if (err)
		return err;
	errno = 0;
	*val = strtoll(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

int write_file(const char *path, const char *data)
{
	size_t len = strlen(data);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int sysfs_bracket_choice(const char *text, char *out, size_t size)
{
	const char *open_b = strchr(text, '['), *close_b;
	size_t len;

	if (!open_b)
		return -ENOENT;
	close_b = strchr(open_b, ']');
	if (!close_b)
		return -EINVAL;
	len = close_b - open_b - 1;
	if (len >= size)
		len = size - 1;
	memcpy(out, open_b + 1, len);
	out[len] = '\0';
	return 0;
}

char *str_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

bool str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

char *sfmt(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	return dst;
}
