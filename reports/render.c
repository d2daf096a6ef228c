/* render.c: the writer table, the in-memory file list, and manifest.json,
 * which lists every file with its size and sha256 and every step with its
 * status and time. */
#include "reports/writers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sha256.h"

const struct writer report_writers[] = {
	{ "report.json", write_report_json },
	{ "summary.txt", write_summary_txt },
	{ "report.html", write_report_html },
	{ "profiles/*.svg, *.pb.gz", write_profiles },
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
	o->v = NULL;
	o->n = 0;
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

static int write_manifest(struct report *r, struct out_files *out)
{
	json_t *m = json_object(), *files = json_array();
	char hex[65], *text;

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
	text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(m);
	if (!text)
		return -ENOMEM;
	return out_files_add(out, "manifest.json", text, strlen(text));
}

int report_render(struct report *r, struct out_files *out)
{
	int err;

	for (size_t i = 0; report_writers[i].name; i++) {
		err = report_writers[i].write(r, out);
		if (err)
			return err;
	}
	for (size_t i = 0; i < r->nr_blobs; i++) {
		char *copy = malloc(r->blobs[i].len + 1);

		if (!copy)
			return -ENOMEM;
		memcpy(copy, r->blobs[i].data, r->blobs[i].len);
		err = out_files_add(out, r->blobs[i].name, copy, r->blobs[i].len);
		if (err)
			return err;
	}
	return write_manifest(r, out);
}

int write_report_json(struct report *r, struct out_files *out)
{
	char *text = json_dumps(r->doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (!text)
		return -ENOMEM;
	return out_files_add(out, "report.json", text, strlen(text));
}
