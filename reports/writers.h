/* writers.h: turning the report model into files. Each writer is a row in
 * a table and renders into memory; the archive writer then packs those
 * buffers with a manifest into one .tar.gz, written to a temporary name and
 * renamed, so an archive is whole or absent. Writers never measure. */
#ifndef FRIDAY_WRITERS_H
#define FRIDAY_WRITERS_H

#include <stddef.h>

#include "reports/report.h"

struct out_file {
	char *name;     /* path inside the archive's top folder */
	char *data;
	size_t len;
};

struct out_files {
	struct out_file *v;
	size_t n;
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
struct strbuf;
/* The profiles' section of report.html. */
void html_profiles(struct strbuf *sb, struct report *r);

/* Renders every writer's file, the report's blobs, and manifest.json. */
int report_render(struct report *r, struct out_files *out);

/* Writes the files into a .tar.gz under one top folder named after the
 * archive; temporary name, fsync, rename. 0 or -errno with err filled. */
int archive_write(const struct out_files *files, const char *archive_path,
		  char *err, size_t err_len);

/* Reads one member of an archive whose path ends with "/NAME" (or is
 * NAME). 0 with a malloc'd NUL-terminated buffer, or -errno with err. */
int archive_read_member(const char *archive_path, const char *name, char **data,
			size_t *len, char *err, size_t err_len);

/* The default archive name: ./friday-HOST-YYYYmmddTHHMMSS.tar.gz */
void archive_default_name(char *buf, size_t len);

#endif
