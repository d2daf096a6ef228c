/* render.c: the writer table, the in-memory file list, and manifest.json,
 * which lists every file with its size and sha256, every step with its
 * status and time, what was redacted (counts) and what was cut to fit.
 * Rendering works on a redacted copy of the model and its blobs, so no
 * writer ever sees a value that redaction would replace. */
#include "reports/writers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/sha256.h"
#include "reports/redact.h"

/* Kept back from the free space: the file system's own needs. */
#define FREE_SPACE_RESERVE_BYTES (4u << 20)
/* What the manifest and the tar headers add, per file, at most. */
#define MANIFEST_BYTES_PER_FILE 1536u

const struct writer report_writers[] = {
	{ "report.json", write_report_json },
	{ "summary.txt", write_summary_txt },
	{ "report.html", write_report_html },
	{ "profiles/*.svg, *.pb.gz", write_profiles },
	{ "histograms/*.json", write_raw_series },
	{ NULL, NULL },
};

int out_files_add(struct out_files *o, const char *name, char *data, size_t len)
{
	struct out_file *nv = realloc(o->v, (o->n + 1) * sizeof(*nv));

	if (!nv) {
		free(data);
		return -ENOMEM;
	}
	o->v = nv;
	nv[o->n].name = strdup(name);
	nv[o->n].data = data;
	nv[o->n].len = len;
	o->n++;
	return 0;
}

const struct out_file *out_files_find(const struct out_files *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->v[i].name, name))
			return &o->v[i];
	return NULL;
}

void out_files_free(struct out_files *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].name);
		free(o->v[i].data);
	}
	free(o->v);
	free(o->top);
	o->v = NULL;
	o->n = 0;
	o->top = NULL;
}

static json_t *manifest_steps(struct report *r)
{
	json_t *out = json_array(), *stage, *step;
	size_t i, j;

	json_array_foreach(report_get(r, "stages"), i, stage)
		json_array_foreach(json_object_get(stage, "steps"), j, step)
			json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:O, s:O}",
				"stage", json_object_get(stage, "id"), "step", json_object_get(step, "id"),
				"status", json_object_get(step, "status"),
				"reason", json_object_get(step, "reason"),
				"elapsed_s", json_object_get(step, "elapsed_s")));
	return out;
}

static int write_manifest(struct report *r, struct redactor *rd, struct out_files *out)
{
	json_t *m = json_object(), *files = json_array(), *red;
	char hex[65], *text;
	size_t len;

	for (size_t i = 0; i < out->n; i++) {
		sha256_hex(out->v[i].data, out->v[i].len, hex);
		json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "path", out->v[i].name,
						       "size", (json_int_t)out->v[i].len, "sha256", hex));
	}
	json_object_set_new(m, "schema", json_string("friday.manifest/1"));
	json_object_set(m, "tool", json_object_get(r->doc, "tool"));
	json_object_set(m, "run", json_object_get(r->doc, "run"));
	json_object_set_new(m, "files", files);
	json_object_set_new(m, "steps", manifest_steps(r));
	json_object_set_new(m, "redaction", redactor_summary(rd));
	json_object_set(m, "cut", json_object_get(report_get(r, "run"), "cut"));
	/* r is already the redacted copy; this pass only guards the paths,
	 * and must not count the same values twice. */
	rd->counting = false;
	red = redact_json(rd, m);
	rd->counting = true;
	json_decref(m);
	text = json_dumps(red, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(red);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	return out_files_add(out, "manifest.json", text, len);
}

/* ---- redaction of the model and the blobs ---- */

static void add_own_names(struct redactor *rd, struct report *r)
{
	const char *h = json_string_value(json_object_get(report_get(r, "host"), "hostname"));
	char name[256] = "", shortname[256];

	if (gethostname(name, sizeof(name) - 1) == 0)
		redactor_add_own_name(rd, name);
	if (h)
		redactor_add_own_name(rd, h);
	/* the FQDN's first label names the host too */
	for (const char *n = h ? h : name; n && *n; n = NULL) {
		snprintf(shortname, sizeof(shortname), "%s", n);
		if (strchr(shortname, '.')) {
			*strchr(shortname, '.') = '\0';
			redactor_add_own_name(rd, shortname);
		}
	}
}

static bool is_gzip(const char *data, size_t len)
{
	return len >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b;
}

/* The text inside a gzip blob (pprof), to look for what redaction takes. */
static char *gunzip(const char *data, size_t len, size_t *out_len)
{
	z_stream zs = { 0 };
	size_t cap = len * 4 + 4096, n = 0;
	char *buf = malloc(cap), *nb;
	int rc = Z_OK;

	if (!buf || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		free(buf);
		return NULL;
	}
	zs.next_in = (unsigned char *)data;
	zs.avail_in = (unsigned)len;
	while (rc == Z_OK) {
		if (n == cap) {
			nb = realloc(buf, cap *= 2);
			if (!nb)
				break;
			buf = nb;
		}
		zs.next_out = (unsigned char *)buf + n;
		zs.avail_out = (unsigned)(cap - n);
		rc = inflate(&zs, Z_NO_FLUSH);
		n = cap - zs.avail_out;
	}
	inflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		return NULL;
	}
	*out_len = n;
	return buf;
}

/* Binary blobs cannot be rewritten in place (lengths are encoded inside);
 * one that holds something redaction would replace is left out. */
static bool binary_blob_is_clean(struct redactor *rd, const struct report_blob *b)
{
	size_t tlen = b->len, rlen;
	char *text = is_gzip(b->data, b->len) ? gunzip(b->data, b->len, &tlen) : NULL;
	const char *scan = text ? text : b->data;
	struct redactor probe = *rd;
	size_t before[REDACT_NR_KINDS];
	char *red;
	bool clean = true;

	if (is_gzip(b->data, b->len) && !text)
		return false;
	memcpy(before, rd->counts, sizeof(before));
	probe.counting = true;
	red = redact_text(&probe, scan, tlen, &rlen);
	for (int k = 0; k < REDACT_NR_KINDS; k++)
		clean &= probe.counts[k] == before[k];
	/* probe shares the placeholder map; keep what it learned */
	rd->map = probe.map;
	rd->nr_map = probe.nr_map;
	memcpy(rd->next_id, probe.next_id, sizeof(rd->next_id));
	free(red);
	free(text);
	return clean;
}

static void add_cut(struct report *red, const char *path, size_t bytes, const char *reason)
{
	json_t *run = report_get(red, "run"), *cut = json_object_get(run, "cut");

	if (!cut) {
		cut = json_array();
		json_object_set_new(run, "cut", cut);
	}
	json_array_append_new(cut, json_pack("{s:s, s:I, s:s}", "path", path,
					     "bytes", (json_int_t)bytes, "reason", reason));
}

static void drop_blob(struct report *red, size_t i)
{
	free(red->blobs[i].name);
	free(red->blobs[i].data);
	memmove(&red->blobs[i], &red->blobs[i + 1], (red->nr_blobs - i - 1) * sizeof(red->blobs[0]));
	red->nr_blobs--;
}

static bool is_binary(const struct report_blob *b)
{
	return is_gzip(b->data, b->len) || memchr(b->data, '\0', b->len);
}

/* The redacted copy: the model through redact_json, each text blob
 * through redact_text. */
static int redact_copy(struct report *r, struct redactor *rd, struct report *red)
{
	memset(red, 0, sizeof(*red));
	red->doc = redact_json(rd, r->doc);
	red->blobs = calloc(r->nr_blobs + 1, sizeof(*red->blobs));
	if (!red->doc || !red->blobs)
		return -ENOMEM;
	for (size_t i = 0; i < r->nr_blobs; i++) {
		const struct report_blob *b = &r->blobs[i];
		struct report_blob *o = &red->blobs[red->nr_blobs];
		size_t nlen;

		if (is_binary(b) && !binary_blob_is_clean(rd, b)) {
			add_cut(red, b->name, b->len, "held text that redaction replaces, inside "
				"a binary format that cannot be rewritten");
			continue;
		}
		o->name = redact_text(rd, b->name, strlen(b->name), &nlen);
		if (is_binary(b)) {
			o->data = malloc(b->len + 1);
			if (o->data)
				memcpy(o->data, b->data, b->len);
			o->len = b->len;
		} else {
			o->data = redact_text(rd, b->data, b->len, &o->len);
		}
		if (!o->name || !o->data)
			return -ENOMEM;
		red->nr_blobs++;
	}
	return 0;
}

static void free_copy(struct report *red)
{
	json_decref(red->doc);
	for (size_t i = 0; i < red->nr_blobs; i++) {
		free(red->blobs[i].name);
		free(red->blobs[i].data);
	}
	free(red->blobs);
}

/* ---- size ---- */

static int render_files(struct report *red, struct out_files *out)
{
	int err;

	for (size_t i = 0; report_writers[i].name; i++) {
		err = report_writers[i].write(red, out);
		if (err)
			return err;
	}
	for (size_t i = 0; i < red->nr_blobs; i++) {
		char *copy = malloc(red->blobs[i].len + 1);

		if (!copy)
			return -ENOMEM;
		memcpy(copy, red->blobs[i].data, red->blobs[i].len);
		copy[red->blobs[i].len] = '\0';
		err = out_files_add(out, red->blobs[i].name, copy, red->blobs[i].len);
		if (err)
			return err;
	}
	return 0;
}

static uint64_t files_bytes(const struct out_files *out)
{
	uint64_t total = 0;

	for (size_t i = 0; i < out->n; i++)
		total += out->v[i].len + MANIFEST_BYTES_PER_FILE;
	return total + MANIFEST_BYTES_PER_FILE;
}

static size_t biggest_blob(const struct report *red)
{
	size_t best = 0;

	for (size_t i = 1; i < red->nr_blobs; i++)
		if (red->blobs[i].len > red->blobs[best].len)
			best = i;
	return best;
}

/* The budget: the cap, or the free space when that is smaller. */
static uint64_t budget_bytes(const struct render_opts *ro, const char **why)
{
	uint64_t limit = ro->max_bytes ? ro->max_bytes : UINT64_MAX;

	*why = "over the archive size cap (--max-archive-mb)";
	if (ro->free_bytes >= 0) {
		uint64_t room = (uint64_t)ro->free_bytes > FREE_SPACE_RESERVE_BYTES ?
				(uint64_t)ro->free_bytes - FREE_SPACE_RESERVE_BYTES : 0;

		if (room < limit) {
			limit = room;
			*why = "more than the free space left in the target directory";
		}
	}
	return limit;
}

/* Renders; while the files exceed the budget, cuts the biggest artifact
 * and renders again, so the page and the summary say what was cut. The
 * report's own files are never cut: when they alone do not fit the free
 * space, rendering fails with the reason. */
static int render_within_budget(struct report *red, struct render_opts *ro, struct out_files *out)
{
	const char *why;
	uint64_t limit = budget_bytes(ro, &why), total;
	int err;

	for (;;) {
		err = render_files(red, out);
		if (err)
			return err;
		total = files_bytes(out);
		if (total <= limit)
			return 0;
		if (red->nr_blobs == 0) {
			if (ro->free_bytes >= 0 && total > (uint64_t)ro->free_bytes) {
				snprintf(ro->err, sizeof(ro->err), "the report needs %llu KiB but only "
					 "%lld KiB are free where the archive goes; free some space "
					 "or choose another place with -o",
					 (unsigned long long)(total >> 10), (long long)(ro->free_bytes >> 10));
				return -ENOSPC;
			}
			/* Over the cap with nothing left to cut: the report itself
			 * is written whole, and says so (rendered again with the note). */
			if (json_object_get(report_get(red, "run"), "over_cap"))
				return 0;
			json_object_set_new(report_get(red, "run"), "over_cap", json_sprintf(
				"the report's own files (%.1f MiB) are over the %.1f MiB cap; "
				"they are written whole", total / 1048576.0, limit / 1048576.0));
			out_files_free(out);
			continue;
		}
		size_t b = biggest_blob(red);

		add_cut(red, red->blobs[b].name, red->blobs[b].len, why);
		drop_blob(red, b);
		out_files_free(out);
	}
}

int report_render_opts(struct report *r, struct render_opts *ro, struct out_files *out)
{
	struct redactor rd;
	struct report red;
	int err;

	redactor_init(&rd, ro->redact_secrets, ro->redact_hosts);
	if (ro->redact_hosts)
		add_own_names(&rd, r);
	err = redact_copy(r, &rd, &red);
	if (!err) {
		json_object_set_new(report_get(&red, "run"), "redaction", redactor_summary(&rd));
		err = render_within_budget(&red, ro, out);
	}
	if (!err) {
		json_object_set_new(report_get(&red, "run"), "redaction", redactor_summary(&rd));
		err = write_manifest(&red, &rd, out);
	}
	if (!err && ro->redact_hosts) {
		const char *archive = json_string_value(json_object_get(report_get(r, "run"), "archive"));
		char top[1024];

		if (archive) {
			archive_top_folder(archive, top, sizeof(top));
			rd.counting = false;
			out->top = redact_text(&rd, top, strlen(top), NULL);
		}
	}
	free_copy(&red);
	redactor_free(&rd);
	return err;
}

int report_render(struct report *r, struct out_files *out)
{
	struct render_opts ro = {
		.redact_secrets = true,
		.max_bytes = (uint64_t)RENDER_DEFAULT_MAX_MB << 20,
		.free_bytes = -1,
	};

	return report_render_opts(r, &ro, out);
}

int write_report_json(struct report *r, struct out_files *out)
{
	char *text = json_dumps(r->doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (!text)
		return -ENOMEM;
	return out_files_add(out, "report.json", text, strlen(text));
}
