/* writers.h: turning the report model into files. Each writer is a row in
 * a table and renders into memory; the archive writer then packs those
 * buffers with a manifest into one .tar.gz, written to a temporary name and
 * renamed, so an archive is whole or absent. Writers never measure. */
#ifndef FRIDAY_WRITERS_H
#define FRIDAY_WRITERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/report.h"

struct out_file {
	char *name;     /* path inside the archive's top folder */
	char *data;
	size_t len;
};

struct out_files {
	struct out_file *v;
	size_t n;
	char *top;      /* the archive's top folder, or NULL: named after the archive */
};

/* Takes ownership of data. */
int out_files_add(struct out_files *o, const char *name, char *data, size_t len);
const struct out_file *out_files_find(const struct out_files *o, const char *name);
void out_files_free(struct out_files *o);

struct writer {
	const char *name;   /* the file it writes, e.g. "report.json" */
	int (*write)(struct report *r, struct out_files *out);
};

/* The table of writers, in writing order, NULL-name terminated. */
extern const struct writer report_writers[];

int write_report_json(struct report *r, struct out_files *out);
int write_summary_txt(struct report *r, struct out_files *out);
int write_report_html(struct report *r, struct out_files *out);
/* Each profile's SVG flame graph and pprof (reports/profile_writer.c). */
int write_profiles(struct report *r, struct out_files *out);
/* One sentence for an event of report.events[] (reports/event_text.c), and
 * its wall-clock time as HH:MM:SS.mmm (UTC). */
void report_event_text(json_t *e, char *buf, size_t len);
void report_event_clock(json_t *e, char *buf, size_t len);
struct strbuf;
/* The start of an offline page, up to the text of its <title>: charset,
 * the Content-Security-Policy that forbids every request, no referrer, the
 * viewport. report.html and diff.html both start so, so one policy holds
 * for both (reports/html.c). */
void html_page_start(struct strbuf *sb);
/* A figure as both pages print it: no decimals when whole or 100 and more,
 * else three significant digits. */
void html_number(struct strbuf *sb, double d);

/* How the archive is rendered: redaction and size limits (friday run's
 * --no-redact, --redact hosts, --max-archive-mb, and the free space of the
 * target directory). */
struct render_opts {
	bool redact_secrets;       /* default on */
	bool redact_hosts;         /* --redact hosts */
	uint64_t max_bytes;        /* the size cap; 0 for none */
	int64_t free_bytes;        /* free space at the target; < 0 when unknown */
	char err[512];             /* why rendering failed */
};

#define RENDER_DEFAULT_MAX_MB 200

/* Renders every writer's file, the report's blobs, and manifest.json, from
 * a redacted copy of the model; artifacts that do not fit are cut, the
 * biggest first, and listed in run.cut and the manifest. The model itself
 * is not changed. */
int report_render_opts(struct report *r, struct render_opts *ro, struct out_files *out);
/* The same with the defaults: secrets redacted, 200 MiB cap. */
int report_render(struct report *r, struct out_files *out);
/* The raw histograms and heat maps as JSON files beside the page. */
int write_raw_series(struct report *r, struct out_files *out);

/* Writes the files into a .tar.gz under one top folder named after the
 * archive; temporary name, fsync, rename. 0 or -errno with err filled. */
int archive_write(const struct out_files *files, const char *archive_path,
		  char *err, size_t err_len);

/* Reads one member of an archive whose path ends with "/NAME" (or is
 * NAME). 0 with a malloc'd NUL-terminated buffer, or -errno with err. */
int archive_read_member(const char *archive_path, const char *name, char **data,
			size_t *len, char *err, size_t err_len);

/* Writes each file into the directory dir (made when missing; files may
 * not name subfolders). 0 or -errno with err filled. */
int out_files_write_dir(const struct out_files *files, const char *dir, char *err,
			size_t err_len);
/* Writes one file whole: temporary name, then rename. */
int write_file_atomic(const char *path, const char *data, size_t len, char *err,
		      size_t err_len);

/* The default archive name: ./friday-HOST-YYYYmmddTHHMMSS.tar.gz */
void archive_default_name(char *buf, size_t len);
/* The archive's top folder: its file name without .tar.gz or .tgz. */
void archive_top_folder(const char *archive_path, char *out, size_t len);
/* Bytes free to an unprivileged writer in the directory that will hold
 * the archive (statvfs), or -errno. */
int64_t archive_free_bytes(const char *archive_path);

#endif
