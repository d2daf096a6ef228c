/* util.h: small building blocks shared by every part of friday: clocks,
 * reading small /proc and /sys files, logging, string helpers. */
#ifndef FRIDAY_UTIL_H
#define FRIDAY_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

extern int verbose_level;
/* Set by SIGINT/SIGTERM (to the signal number), or to SIGALRM by the
 * playbook engine's watchdog when a run passes -d and its grace; long
 * loops poll it and wind down. */
extern volatile sig_atomic_t friday_stop_requested;
/* Why the run was asked to stop, in words; "" when it was not. */
const char *friday_stop_reason(void);

/* Called before (true) and after (false) each log line, so a progress
 * line drawn in place can step aside; NULL when nothing is drawn. */
extern void (*log_hook)(bool before);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t now_mono_ns(void);
double now_mono_s(void);
double now_real_s(void);
/* Sleeps until the monotonic deadline or a stop request, whichever first;
 * returns false when stopped early. */
bool sleep_until_ns(uint64_t deadline_ns);

/* Reads a whole small file into buf (NUL-terminated, trailing newline kept).
 * Returns bytes read or -errno. */
ssize_t read_file(const char *path, char *buf, size_t size);
/* Reads a whole file of any size into a malloc'd buffer; NULL on error. */
char *read_file_alloc(const char *path, size_t *len_out);
/* First line of a file without its newline; -errno on failure. */
int read_line(const char *path, char *buf, size_t size);
int read_u64(const char *path, uint64_t *val);
int read_s64(const char *path, int64_t *val);
int write_file(const char *path, const char *data);
bool path_exists(const char *path);

/* The value between '[' and ']' of a sysfs choice file, e.g. "[always] madvise never". */
int sysfs_bracket_choice(const char *text, char *out, size_t size);

char *str_trim(char *s);
bool str_starts(const char *s, const char *prefix);
/* snprintf that never overflows and always terminates; returns dst. */
char *sfmt(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
