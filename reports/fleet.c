/* fleet.c: `friday show` over several archives (see fleet.h). Each
 * archive's report.json is read back with the archive reader; the summary
 * is built as JSON first (what --json prints), and the text view is only
 * a rendering of it, so both always say the same. Hosts are counted, not
 * findings: a finding id raised three times on one host counts once. */
#include "reports/fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/strbuf.h"
#include "reports/jsonread.h"
#include "reports/writers.h"

static const char *file_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* report.json of one archive, or NULL with the reason in err. */
static json_t *read_report_doc(const char *archive, char *err, size_t err_len)
{
	char *text = NULL;
	json_error_t jerr;
	json_t *doc;
	size_t len;

	/* The reader's own message for a missing file is libarchive's, which
	 * does not say why; the system's does. */
	if (access(archive, R_OK) != 0) {
		snprintf(err, err_len, "cannot read %s: %s", archive, strerror(errno));
		return NULL;
	}
	if (archive_read_member(archive, "report.json", &text, &len, err, err_len))
		return NULL;
	doc = json_loadb(text, len, 0, &jerr);
	free(text);
	if (!doc) {
		snprintf(err, err_len, "%s: report.json is damaged: %s (line %d)", archive, jerr.text,
			 jerr.line);
		return NULL;
	}
	if (!json_is_object(doc) || strcmp(jstr(doc, "schema", ""), REPORT_SCHEMA)) {
		snprintf(err, err_len, "%s: report.json is not a friday report (schema \"%s\", not %s)",
			 archive, json_is_object(doc) ? jstr(doc, "schema", "") : "", REPORT_SCHEMA);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* The first finding of the highest severity, as summary.txt orders them. */
static json_t *top_finding(json_t *doc)
{
	json_t *f, *best = NULL;
	int best_sev = -1;
	size_t i;

	json_array_foreach(json_object_get(doc, "findings"), i, f) {
		int sev = severity_from_name(jstr(f, "severity", ""));

		if (sev > best_sev) {
			best = f;
			best_sev = sev;
		}
	}
	if (!best)
		return json_null();
	return json_pack("{s:s, s:s, s:s, s:s}", "id", jstr(best, "id", "?"),
			 "severity", jstr(best, "severity", "info"), "title", jstr(best, "title", ""),
			 "subsystem", jstr(best, "subsystem", ""));
}

static json_t *host_verdicts(json_t *doc)
{
	json_t *out = json_object(), *h;
	size_t i;

	json_array_foreach(json_object_get(doc, "health"), i, h)
		json_object_set_new(out, jstr(h, "subsystem", "?"),
				    json_string(jstr(h, "verdict", "unknown")));
	return out;
}

/* The distinct finding ids of one host, in report order. */
static json_t *host_finding_ids(json_t *doc)
{
	json_t *ids = json_array(), *seen = json_object(), *f;
	size_t i;

	json_array_foreach(json_object_get(doc, "findings"), i, f) {
		const char *id = jstr(f, "id", "?");

		if (json_object_get(seen, id))
			continue;
		json_object_set_new(seen, id, json_true());
		json_array_append_new(ids, json_string(id));
	}
	json_decref(seen);
	return ids;
}

static json_t *host_record(const char *archive, json_t *doc, const char *error)
{
	json_t *run = json_object_get(doc, "run"), *rec;

	rec = json_pack("{s:s, s:s}", "archive", archive, "file", file_name(archive));
	if (!doc) {
		json_object_set_new(rec, "ok", json_false());
		json_object_set_new(rec, "error", json_string(error && *error ? error : "unreadable"));
		return rec;
	}
	json_object_set_new(rec, "ok", json_true());
	json_object_set_new(rec, "host", json_string(jstr(json_object_get(doc, "host"), "hostname", "?")));
	json_object_set_new(rec, "kernel", json_string(jstr(json_object_get(doc, "host"), "kernel", "?")));
	json_object_set_new(rec, "playbook", json_string(jstr(run, "playbook", "?")));
	json_object_set_new(rec, "started", json_string(jstr(run, "started", "?")));
	json_object_set_new(rec, "duration_s", json_real(json_number_value(json_object_get(run, "duration_s"))));
	json_object_set_new(rec, "target", json_string(jstr(run, "target", "whole host")));
	json_object_set_new(rec, "partial", json_boolean(json_is_true(json_object_get(run, "partial"))));
	json_object_set_new(rec, "verdicts", host_verdicts(doc));
	json_object_set_new(rec, "nr_findings", json_integer(json_array_size(json_object_get(doc, "findings"))));
	json_object_set_new(rec, "top_finding", top_finding(doc));
	json_object_set_new(rec, "findings", host_finding_ids(doc));
	return rec;
}

static size_t count_value(json_t *hosts, const char *key, const char *value)
{
	size_t i, n = 0;
	json_t *h;

	json_array_foreach(hosts, i, h)
		if (!strcmp(jstr(h, key, ""), value))
			n++;
	return n;
}

/* A host is named by its host name; when two archives carry the same host
 * name (two runs on one machine, or clones), the file name goes beside it,
 * and the full path when even that repeats. An unreadable archive is
 * named by its file. */
static void label_hosts(json_t *hosts)
{
	char label[1024];
	json_t *h;
	size_t i;

	json_array_foreach(hosts, i, h) {
		const char *host = jstr(h, "host", NULL);

		if (!host)
			snprintf(label, sizeof(label), "%s", jstr(h, "file", "?"));
		else if (count_value(hosts, "host", host) == 1)
			snprintf(label, sizeof(label), "%s", host);
		else if (count_value(hosts, "file", jstr(h, "file", "")) == 1)
			snprintf(label, sizeof(label), "%s (%s)", host, jstr(h, "file", "?"));
		else
			snprintf(label, sizeof(label), "%s (%s)", host, jstr(h, "archive", "?"));
		json_object_set_new(h, "label", json_string(label));
	}
}

/* Finding id -> { id, title, subsystem, severity (the worst seen),
 * hosts[] (labels) }, in the order the ids are first met. */
static json_t *group_findings(json_t *hosts, json_t *const *docs)
{
	json_t *by_id = json_object(), *h, *f;
	size_t i, j;

	json_array_foreach(hosts, i, h) {
		if (!docs[i])
			continue;
		json_array_foreach(json_object_get(docs[i], "findings"), j, f) {
			const char *id = jstr(f, "id", "?");
			json_t *g = json_object_get(by_id, id), *last;

			if (!g) {
				g = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "id", id,
					      "title", jstr(f, "title", ""), "subsystem",
					      jstr(f, "subsystem", ""), "severity",
					      jstr(f, "severity", "info"), "hosts");
				json_object_set_new(by_id, id, g);
			}
			if (severity_from_name(jstr(f, "severity", "")) >
			    severity_from_name(jstr(g, "severity", "")))
				json_object_set_new(g, "severity", json_string(jstr(f, "severity", "info")));
			last = json_array_get(json_object_get(g, "hosts"),
					      json_array_size(json_object_get(g, "hosts")) - 1);
			if (!last || strcmp(json_string_value(last), jstr(h, "label", "")))
				json_array_append_new(json_object_get(g, "hosts"),
						      json_string(jstr(h, "label", "?")));
		}
	}
	return by_id;
}

static int by_hosts_then_severity(const void *a, const void *b)
{
	json_t *ga = *(json_t *const *)a, *gb = *(json_t *const *)b;
	size_t na = json_array_size(json_object_get(ga, "hosts"));
	size_t nb = json_array_size(json_object_get(gb, "hosts"));
	int sa = severity_from_name(jstr(ga, "severity", "")), sb = severity_from_name(jstr(gb, "severity", ""));

	if (na != nb)
		return na > nb ? -1 : 1;
	if (sa != sb)
		return sa > sb ? -1 : 1;
	return strcmp(jstr(ga, "id", ""), jstr(gb, "id", ""));
}

/* The readable hosts whose label is not in have[]. */
static json_t *hosts_without(json_t *hosts, json_t *have)
{
	json_t *out = json_array(), *h, *l;
	size_t i, j;

	json_array_foreach(hosts, i, h) {
		bool found = false;

		if (!json_is_true(json_object_get(h, "ok")))
			continue;
		json_array_foreach(have, j, l)
			found |= !strcmp(json_string_value(l), jstr(h, "label", ""));
		if (!found)
			json_array_append_new(out, json_string(jstr(h, "label", "?")));
	}
	return out;
}

/* Splits the groups into shared[] (two hosts or more, with how many of
 * how many and the hosts that lack it) and unique[] (one host). */
static void split_findings(json_t *summary, json_t *hosts, json_t *by_id, size_t nr_read)
{
	json_t *shared = json_array(), *unique = json_array(), *g, **sorted;
	size_t n = json_object_size(by_id), k = 0;
	const char *id;

	sorted = calloc(n ? n : 1, sizeof(*sorted));
	if (!sorted)
		n = 0;
	json_object_foreach(by_id, id, g)
		if (k < n)
			sorted[k++] = g;
	qsort(sorted, k, sizeof(*sorted), by_hosts_then_severity);
	for (size_t i = 0; i < k; i++) {
		json_t *g_hosts = json_object_get(sorted[i], "hosts");
		json_t *rec = json_deep_copy(sorted[i]);

		if (json_array_size(g_hosts) >= 2) {
			json_object_set_new(rec, "nr_hosts", json_integer(json_array_size(g_hosts)));
			json_object_set_new(rec, "of", json_integer(nr_read));
			json_object_set_new(rec, "missing_on", hosts_without(hosts, g_hosts));
			json_array_append_new(shared, rec);
		} else {
			json_object_set(rec, "host", json_array_get(g_hosts, 0));
			json_object_del(rec, "hosts");
			json_array_append_new(unique, rec);
		}
	}
	free(sorted);
	json_object_set_new(summary, "shared", shared);
	json_object_set_new(summary, "unique", unique);
}

/* Verdict groups in the order a reader wants them: the worst first; a
 * subsystem a host did not measure at all is "none". */
static const char *const verdict_order[] = { "implicated", "suspect", "exonerated", "unknown", "none" };

/* Subsystems whose verdict is not the same on every readable host, with
 * the hosts under each verdict. */
static json_t *verdicts_that_differ(json_t *hosts)
{
	json_t *out = json_array(), *h;
	size_t i;

	for (size_t s = 0; s < report_nr_subsystems; s++) {
		const char *sub = report_subsystems[s];
		json_t *groups = json_object(), *ordered = json_object();

		json_array_foreach(hosts, i, h) {
			const char *v;
			json_t *list;

			if (!json_is_true(json_object_get(h, "ok")))
				continue;
			v = jstr(json_object_get(h, "verdicts"), sub, "none");
			list = json_object_get(groups, v);
			if (!list)
				json_object_set_new(groups, v, list = json_array());
			json_array_append_new(list, json_string(jstr(h, "label", "?")));
		}
		for (size_t v = 0; v < sizeof(verdict_order) / sizeof(*verdict_order); v++)
			if (json_object_get(groups, verdict_order[v]))
				json_object_set(ordered, verdict_order[v],
						json_object_get(groups, verdict_order[v]));
		if (json_object_size(groups) > 1)
			json_array_append_new(out, json_pack("{s:s, s:O}", "subsystem", sub,
							     "verdicts", ordered));
		json_decref(ordered);
		json_decref(groups);
	}
	return out;
}

json_t *fleet_summarize_docs(const char *const *archives, json_t *const *docs,
			     const char *const *errors, size_t nr)
{
	json_t *summary = json_object(), *hosts = json_array(), *by_id;
	size_t nr_read = 0;

	if (!summary || !hosts) {
		json_decref(summary);
		json_decref(hosts);
		return NULL;
	}
	for (size_t i = 0; i < nr; i++) {
		json_array_append_new(hosts, host_record(archives[i], docs[i], errors ? errors[i] : NULL));
		nr_read += docs[i] != NULL;
	}
	label_hosts(hosts);
	json_object_set_new(summary, "schema", json_string(FLEET_SCHEMA));
	json_object_set_new(summary, "nr_archives", json_integer(nr));
	json_object_set_new(summary, "nr_read", json_integer(nr_read));
	json_object_set_new(summary, "hosts", hosts);
	by_id = group_findings(hosts, docs);
	split_findings(summary, hosts, by_id, nr_read);
	json_decref(by_id);
	json_object_set_new(summary, "verdicts_differ", verdicts_that_differ(hosts));
	return summary;
}

json_t *fleet_summarize(const char *const *archives, size_t nr)
{
	json_t **docs = calloc(nr ? nr : 1, sizeof(*docs)), *summary = NULL;
	char **errors = calloc(nr ? nr : 1, sizeof(*errors));
	char err[1024];

	if (!docs || !errors)
		goto out;
	for (size_t i = 0; i < nr; i++) {
		err[0] = '\0';
		docs[i] = read_report_doc(archives[i], err, sizeof(err));
		if (!docs[i])
			errors[i] = strdup(err);
	}
	summary = fleet_summarize_docs(archives, docs, (const char *const *)errors, nr);
out:
	for (size_t i = 0; docs && errors && i < nr; i++) {
		json_decref(docs[i]);
		free(errors[i]);
	}
	free(docs);
	free(errors);
	return summary;
}

size_t fleet_nr_unreadable(json_t *summary)
{
	return (size_t)(json_integer_value(json_object_get(summary, "nr_archives")) -
			json_integer_value(json_object_get(summary, "nr_read")));
}
