/* compare.c: two report models compared (see compare.h). Verdicts per
 * subsystem, findings by id, figures from a table of paths into the model
 * (utilizations, rates, pressure) plus every histogram's percentiles, disk
 * and per-process figures, and the CPU and off-CPU profiles by shares
 * (lib/folddiff). What one side lacks becomes a note, never a failure:
 * archives of other friday versions compare where both have the data. */
#include "reports/compare.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/folddiff.h"
#include "lib/util.h"
#include "reports/jsonread.h"

#define TOP_FUNCTIONS 20
#define TOP_PATHS 10
#define MOVED_REL 0.10      /* a figure "moved" from 10% relative change ... */
#define PROC_MIN_CPU_PCT 5  /* processes compared from this CPU share */

/* The profile kinds that get a differential flame graph. */
static const char *const diff_kinds[] = { "cpu", "offcpu" };

enum better { NEUTRAL, LOWER, HIGHER };

struct figure_def {
	const char *name;
	const char *path;     /* dotted path into report.json */
	const char *unit;
	enum better better;
	double floor;         /* ... and from this absolute change */
};

static const struct figure_def figure_defs[] = {
	{ "cpu.util_pct", "load.cpu.util_pct", "%", LOWER, 1 },
	{ "cpu.user_pct", "load.cpu.user_pct", "%", LOWER, 1 },
	{ "cpu.sys_pct", "load.cpu.sys_pct", "%", LOWER, 1 },
	{ "cpu.iowait_pct", "load.cpu.iowait_pct", "%", LOWER, 1 },
	{ "cpu.steal_pct", "load.cpu.steal_pct", "%", LOWER, 1 },
	{ "cpu.runnable_avg", "load.runq.procs_running_avg", "threads", LOWER, 1 },
	{ "cpu.pressure_some_pct", "load.pressure.cpu.some.window_pct", "%", LOWER, 1 },
	{ "cpu.load_avg1", "load.loadavg.avg1", "", LOWER, 0.5 },
	{ "cpu.context_switches_per_s", "load.context_switches_per_s", "/s", LOWER, 10 },
	{ "processes.forks_per_s", "load.forks_per_s", "/s", LOWER, 1 },
	{ "memory.available_pct", "load.memory.available_pct", "%", HIGHER, 1 },
	{ "memory.swapin_pages_per_s", "load.memory.swapin_pages_per_s", "/s", LOWER, 1 },
	{ "memory.major_faults_per_s", "load.memory.major_faults_per_s", "/s", LOWER, 1 },
	{ "memory.pressure_some_pct", "load.pressure.memory.some.window_pct", "%", LOWER, 1 },
	{ "disk.pressure_full_pct", "load.pressure.io.full.window_pct", "%", LOWER, 1 },
	{ "network.retrans_per_s", "load.network.tcp.retrans_segs_per_s", "/s", LOWER, 1 },
	{ "syscalls.rate_per_s", "measurements.syscount.total.rate_per_s", "/s", LOWER, 10 },
	{ "syscalls.errors_per_s", "measurements.syscount.total.errors_per_s", "/s", LOWER, 10 },
	{ "processes.execs_per_s", "measurements.proclife.rates.execs_per_s", "/s", LOWER, 1 },
	{ "efficiency.ipc", "efficiency.host.ipc", "", HIGHER, 0.05 },
	{ "efficiency.llc_misses_per_kinstr", "efficiency.host.llc_misses_per_kinstr", "", LOWER,
	  0.1 },
	{ "efficiency.cpu_us_per_syscall", "efficiency.host.cpu_us_per_syscall", "us",
	  LOWER, 0.1 },
	{ "efficiency.context_switches_per_cpu_s",
	  "efficiency.host.context_switches_per_cpu_s", "/s", LOWER, 10 },
	{ NULL },
};

/* The value at a dotted path, or NULL. */
static json_t *jpath(json_t *obj, const char *path)
{
	char key[64];
	const char *dot;

	while (obj && (dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		obj = json_object_get(obj, key);
		path = dot + 1;
	}
	return obj ? json_object_get(obj, path) : NULL;
}

/* ---- the two sides ---- */

static json_t *first_profile(json_t *doc, const char *kind)
{
	return jfind(json_object_get(doc, "profiles"), "kind", kind);
}

const struct report_blob *diff_side_blob(const struct diff_side *s, const char *name)
{
	for (size_t i = 0; name && i < s->nr_blobs; i++)
		if (!strcmp(s->blobs[i].name, name))
			return &s->blobs[i];
	return NULL;
}

static int side_add_blob(struct diff_side *s, const char *name, char *data, size_t len)
{
	struct report_blob *v = realloc(s->blobs, (s->nr_blobs + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->blobs = v;
	v[s->nr_blobs].name = strdup(name);
	v[s->nr_blobs].data = data;
	v[s->nr_blobs].len = len;
	if (!v[s->nr_blobs].name)
		return -ENOMEM;
	s->nr_blobs++;
	return 0;
}

int diff_side_load(const char *archive, struct diff_side *s, char *err, size_t err_len)
{
	char *text = NULL;
	json_error_t jerr;
	size_t len;
	int ret;

	memset(s, 0, sizeof(*s));
	if (access(archive, R_OK) != 0) {
		ret = -errno;
		snprintf(err, err_len, "cannot read %s: %s", archive, strerror(errno));
		return ret;
	}
	ret = archive_read_member(archive, "report.json", &text, &len, err, err_len);
	if (ret)
		return ret;
	s->doc = json_loadb(text, len, 0, &jerr);
	free(text);
	if (!json_is_object(s->doc)) {
		snprintf(err, err_len, "%s: report.json is damaged: %s (line %d)", archive,
			 s->doc ? "not an object" : jerr.text, s->doc ? 0 : jerr.line);
		json_decref(s->doc);
		s->doc = NULL;
		return -EINVAL;
	}
	s->label = strdup(archive);
	for (size_t k = 0; k < ARRAY_SIZE(diff_kinds); k++) {
		const char *name = jstr(first_profile(s->doc, diff_kinds[k]), "folded", NULL);
		char why[512];

		if (!name || archive_read_member(archive, name, &text, &len, why, sizeof(why)))
			continue;   /* the diff notes the missing profile */
		if (side_add_blob(s, name, text, len)) {
			free(text);
			snprintf(err, err_len, "out of memory");
			diff_side_free(s);
			return -ENOMEM;
		}
	}
	return 0;
}

void diff_side_from_report(struct report *r, const char *label, struct diff_side *s)
{
	memset(s, 0, sizeof(*s));
	s->label = strdup(label);
	s->doc = r->doc;
	s->blobs = r->blobs;
	s->nr_blobs = r->nr_blobs;
	s->borrowed = true;
}

void diff_side_free(struct diff_side *s)
{
	free(s->label);
	if (!s->borrowed) {
		json_decref(s->doc);
		for (size_t i = 0; i < s->nr_blobs; i++) {
			free(s->blobs[i].name);
			free(s->blobs[i].data);
		}
		free(s->blobs);
	}
	memset(s, 0, sizeof(*s));
}

/* ---- notes: versions, hosts, missing sections ---- */

static void note(json_t *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(json_t *notes, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(notes, json_string(buf));
}

static json_t *side_summary(const struct diff_side *s)
{
	json_t *run = json_object_get(s->doc, "run"), *host = json_object_get(s->doc, "host");

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "archive", s->label,
			 "schema", jstr(s->doc, "schema", "none"),
			 "version", jstr(json_object_get(s->doc, "tool"), "version", "unknown"),
			 "host", jstr(host, "hostname", "?"), "started", jstr(run, "started", "?"),
			 "target", jstr(run, "target", "whole host"),
			 "duration_s", json_real(json_number_value(json_object_get(run, "duration_s"))));
}

/* A section of the contract that one side lacks or holds empty. */
static bool section_missing(json_t *doc, const char *key)
{
	json_t *v = json_object_get(doc, key);

	return !v || (json_is_array(v) && !json_array_size(v)) ||
	       (json_is_object(v) && !json_object_size(v));
}

static void notes_on_sides(json_t *notes, const struct diff_side *b, const struct diff_side *a)
{
	static const struct {
		const char *key, *what;
	} sections[] = {
		{ "health", "verdicts" }, { "findings", "findings" },
		{ "load", "load snapshot (Monday's figures)" }, { "histograms", "latency histograms" },
		{ "profiles", "profiles (flame graphs)" }, { "measurements", "collector measurements" },
	};
	const char *sv_b = jstr(json_object_get(b->doc, "tool"), "version", "unknown");
	const char *sv_a = jstr(json_object_get(a->doc, "tool"), "version", "unknown");
	const struct diff_side *sides[2] = { b, a };

	if (strcmp(jstr(b->doc, "schema", "none"), jstr(a->doc, "schema", "none")))
		note(notes, "different report schemas (before %s, after %s): compared where both "
		     "hold the same fields", jstr(b->doc, "schema", "none"), jstr(a->doc, "schema", "none"));
	if (strcmp(sv_b, sv_a))
		note(notes, "written by different friday versions (before %s, after %s): a figure "
		     "one of them lacks is listed as missing", sv_b, sv_a);
	if (strcmp(jstr(json_object_get(b->doc, "host"), "hostname", "?"),
		   jstr(json_object_get(a->doc, "host"), "hostname", "?")))
		note(notes, "two hosts (%s and %s): differences may be the hosts', not a change",
		     jstr(json_object_get(b->doc, "host"), "hostname", "?"),
		     jstr(json_object_get(a->doc, "host"), "hostname", "?"));
	if (strcmp(jstr(json_object_get(b->doc, "run"), "target", "whole host"),
		   jstr(json_object_get(a->doc, "run"), "target", "whole host")))
		note(notes, "different targets (before: %s; after: %s)",
		     jstr(json_object_get(b->doc, "run"), "target", "whole host"),
		     jstr(json_object_get(a->doc, "run"), "target", "whole host"));
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		bool mb = section_missing(sides[0]->doc, sections[i].key);
		bool ma = section_missing(sides[1]->doc, sections[i].key);

		if (mb && ma)
			note(notes, "neither archive has %s: not compared", sections[i].what);
		else if (mb || ma)
			note(notes, "%s has no %s: not compared", mb ? "before" : "after",
			     sections[i].what);
	}
}

/* ---- verdicts ---- */

static json_t *verdict_of(json_t *doc, const char *subsystem)
{
	return jfind(json_object_get(doc, "health"), "subsystem", subsystem);
}

static const char *verdict_change(int vb, int va)
{
	if (vb == va)
		return "same";
	if (vb <= VERDICT_UNKNOWN)
		return "now measured";
	if (va <= VERDICT_UNKNOWN)
		return "no longer measured";
	return va > vb ? "worse" : "better";
}

static json_t *compare_verdicts(json_t *b, json_t *a)
{
	json_t *out = json_array();

	for (size_t i = 0; i < report_nr_subsystems; i++) {
		const char *sub = report_subsystems[i];
		json_t *hb = verdict_of(b, sub), *ha = verdict_of(a, sub);
		const char *vb = hb ? jstr(hb, "verdict", "unknown") : "absent";
		const char *va = ha ? jstr(ha, "verdict", "unknown") : "absent";
		int rb = hb ? verdict_from_name(vb) : -1, ra = ha ? verdict_from_name(va) : -1;

		if (!hb && !ha)
			continue;
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "subsystem", sub,
			"before", vb, "after", va, "change", verdict_change(rb, ra), "changed", rb != ra,
			"evidence", json_deep_copy(json_array_get(json_object_get(ha ? ha : hb,
								"evidence"), 0)) ?: json_null()));
	}
	return out;
}

/* ---- findings, grouped by id ---- */

static json_t *findings_by_id(json_t *doc)
{
	json_t *by = json_object(), *f, *g;
	size_t i;

	json_array_foreach(json_object_get(doc, "findings"), i, f) {
		const char *id = jstr(f, "id", NULL);

		if (!id)
			continue;
		g = json_object_get(by, id);
		if (!g) {
			g = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "id", id,
				      "subsystem", jstr(f, "subsystem", "?"), "severity",
				      jstr(f, "severity", "info"), "title", jstr(f, "title", ""),
				      "detail", jstr(f, "detail", ""), "count", 0);
			json_object_set_new(by, id, g);
		}
		if (severity_from_name(jstr(f, "severity", "info")) >
		    severity_from_name(jstr(g, "severity", "info")))
			json_object_set_new(g, "severity", json_string(jstr(f, "severity", "info")));
		json_object_set_new(g, "count", json_integer(json_integer_value(json_object_get(g, "count")) + 1));
	}
	return by;
}

static json_t *compare_findings(json_t *b, json_t *a)
{
	json_t *fb = findings_by_id(b), *fa = findings_by_id(a), *g, *other;
	json_t *out = json_pack("{s:[], s:[], s:[]}", "appeared", "gone", "severity_changed");
	const char *id;

	json_object_foreach(fa, id, g) {
		other = json_object_get(fb, id);
		if (!other)
			json_array_append(json_object_get(out, "appeared"), g);
		else if (strcmp(jstr(g, "severity", ""), jstr(other, "severity", "")))
			json_array_append_new(json_object_get(out, "severity_changed"),
				json_pack("{s:s, s:s, s:s, s:s}", "id", id, "title", jstr(g, "title", ""),
					  "before", jstr(other, "severity", ""), "after", jstr(g, "severity", "")));
	}
	json_object_foreach(fb, id, g)
		if (!json_object_get(fa, id))
			json_array_append(json_object_get(out, "gone"), g);
	json_decref(fb);
	json_decref(fa);
	return out;
}

/* ---- figures ---- */

static json_t *figure(const char *name, const char *unit, enum better better, double floor,
		      json_t *vb, json_t *va)
{
	static const char *const better_names[] = { NULL, "lower", "higher" };
	json_t *f = json_pack("{s:s, s:s}", "name", name, "unit", unit);
	double b = json_number_value(vb), a = json_number_value(va), big;
	bool moved;

	json_object_set_new(f, "before", json_is_number(vb) ? json_real(b) : json_null());
	json_object_set_new(f, "after", json_is_number(va) ? json_real(a) : json_null());
	json_object_set_new(f, "better", better_names[better] ? json_string(better_names[better]) :
			    json_null());
	if (!json_is_number(vb) || !json_is_number(va)) {
		json_object_set_new(f, "moved", json_false());
		json_object_set_new(f, "direction", json_string(json_is_number(vb) ?
					"only before" : "only after"));
		return f;
	}
	big = fmax(fabs(a), fabs(b));
	moved = fabs(a - b) >= floor && big > 0 && fabs(a - b) / big >= MOVED_REL;
	json_object_set_new(f, "change", json_real(a - b));
	json_object_set_new(f, "change_pct", b != 0 ? json_real(100 * (a - b) / fabs(b)) : json_null());
	json_object_set_new(f, "moved", json_boolean(moved));
	json_object_set_new(f, "direction", json_string(!moved ? "same" : better == NEUTRAL ?
		(a > b ? "up" : "down") : ((a < b) == (better == LOWER)) ? "better" : "worse"));
	return f;
}

static void add_figure(json_t *out, const char *name, const char *unit, enum better better,
		       double floor, json_t *vb, json_t *va)
{
	if (!json_is_number(vb) && !json_is_number(va))
		return;
	json_array_append_new(out, figure(name, unit, better, floor, vb, va));
}

static json_t *first_histogram(json_t *doc, const char *name)
{
	return jfind(json_object_get(doc, "histograms"), "name", name);
}

/* Every histogram's p50, p99 and count, the first of each name (the
 * whole-host one; drill-downs repeat names). Latencies: lower is better. */
static void histogram_figures(json_t *out, json_t *b, json_t *a)
{
	static const char *const pcts[] = { "p50", "p99" };
	json_t *docs[2] = { b, a }, *seen = json_object(), *h;
	size_t i;

	for (int k = 0; k < 2; k++)
		json_array_foreach(json_object_get(docs[k], "histograms"), i, h) {
			const char *name = jstr(h, "name", NULL), *unit = jstr(h, "unit", "");
			json_t *hb, *ha;
			bool latency = !strcmp(unit, "us") || !strcmp(unit, "ns") || !strcmp(unit, "ms");
			char fname[160];

			if (!name || json_object_get(seen, name))
				continue;
			json_object_set_new(seen, name, json_true());
			hb = first_histogram(b, name);
			ha = first_histogram(a, name);
			for (size_t p = 0; p < ARRAY_SIZE(pcts); p++) {
				snprintf(fname, sizeof(fname), "%s.%s", name, pcts[p]);
				add_figure(out, fname, unit, latency ? LOWER : NEUTRAL, 1,
					   json_object_get(hb, pcts[p]), json_object_get(ha, pcts[p]));
			}
		}
	json_decref(seen);
}

static json_t *disk_named(json_t *doc, const char *name)
{
	return jfind(jpath(doc, "load.disks"), "name", name);
}

static void disk_figures(json_t *out, json_t *b, json_t *a)
{
	static const struct {
		const char *key, *unit;
		double floor;
	} keys[] = { { "util_pct", "%", 1 }, { "iops", "/s", 1 }, { "await_ms", "ms", 0.1 },
		     { "aqu_sz", "requests", 0.1 } };
	json_t *docs[2] = { b, a }, *d;
	size_t i;

	for (int k = 0; k < 2; k++)
		json_array_foreach(jpath(docs[k], "load.disks"), i, d) {
			const char *name = jstr(d, "name", "?");
			char fname[160];

			if (k == 1 && disk_named(b, name))
				continue;
			for (size_t j = 0; j < ARRAY_SIZE(keys); j++) {
				snprintf(fname, sizeof(fname), "disk.%s.%s", name, keys[j].key);
				add_figure(out, fname, keys[j].unit, LOWER, keys[j].floor,
					   json_object_get(disk_named(b, name), keys[j].key),
					   json_object_get(disk_named(a, name), keys[j].key));
			}
		}
}

/* CPU % per process name (the load snapshot's top processes, summed by
 * name), for names at PROC_MIN_CPU_PCT or more on either side. */
static json_t *cpu_by_comm(json_t *doc)
{
	json_t *by = json_object(), *p;
	size_t i;

	json_array_foreach(jpath(doc, "load.top_processes"), i, p) {
		const char *comm = jstr(p, "comm", "?");
		double v = json_number_value(json_object_get(by, comm));

		json_object_set_new(by, comm, json_real(v + json_number_value(json_object_get(p, "cpu_pct"))));
	}
	return by;
}

static void process_figures(json_t *out, json_t *b, json_t *a)
{
	json_t *cb = cpu_by_comm(b), *ca = cpu_by_comm(a), *v, *sides[2] = { cb, ca };
	json_t *zero = json_real(0);
	const char *comm;
	char fname[160];

	for (int k = 0; k < 2; k++)
		json_object_foreach(sides[k], comm, v) {
			json_t *vb = json_object_get(cb, comm), *va = json_object_get(ca, comm);

			if ((k == 1 && vb) || fmax(json_number_value(vb), json_number_value(va)) <
			    PROC_MIN_CPU_PCT)
				continue;
			snprintf(fname, sizeof(fname), "process.%s.cpu_pct", comm);
			/* not among one side's busiest processes: counted as 0 */
			add_figure(out, fname, "%", LOWER, 1, vb ? vb : zero, va ? va : zero);
		}
	json_decref(zero);
	json_decref(cb);
	json_decref(ca);
}

/* Off-CPU time by class (locks, disk, sleep...) as shares of blocked time. */
static void offcpu_class_figures(json_t *out, json_t *b, json_t *a)
{
	json_t *pb = first_profile(b, "offcpu"), *pa = first_profile(a, "offcpu"), *v;
	json_t *cls = json_object_get(pa ? pa : pb, "classes_us");
	const char *name;
	char fname[160];

	json_object_foreach(cls, name, v) {
		double tb = json_number_value(json_object_get(pb, "total"));
		double ta = json_number_value(json_object_get(pa, "total"));
		json_t *cb = json_object_get(json_object_get(pb, "classes_us"), name);
		json_t *ca = json_object_get(json_object_get(pa, "classes_us"), name);
		json_t *sb = cb && tb > 0 ? json_real(100 * json_number_value(cb) / tb) : NULL;
		json_t *sa = ca && ta > 0 ? json_real(100 * json_number_value(ca) / ta) : NULL;

		snprintf(fname, sizeof(fname), "offcpu.%s_share_pct", name);
		add_figure(out, fname, "%", NEUTRAL, 1, sb, sa);
		json_decref(sb);
		json_decref(sa);
	}
}

static json_t *compare_figures(json_t *b, json_t *a)
{
	json_t *out = json_array();

	for (const struct figure_def *d = figure_defs; d->name; d++)
		add_figure(out, d->name, d->unit, d->better, d->floor, jpath(b, d->path),
			   jpath(a, d->path));
	histogram_figures(out, b, a);
	disk_figures(out, b, a);
	process_figures(out, b, a);
	offcpu_class_figures(out, b, a);
	return out;
}

/* ---- profiles ---- */

static json_t *shares_json(const struct fold_share *v, size_t n, size_t max, bool with_self)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n && i < max; i++) {
		json_t *o = json_pack("{s:s, s:f, s:f, s:f}", "name", v[i].name,
				      "before_pct", v[i].before_pct, "after_pct", v[i].after_pct,
				      "change_pts", v[i].after_pct - v[i].before_pct);

		if (with_self) {
			json_object_set_new(o, "self_before_pct", json_real(v[i].self_before_pct));
			json_object_set_new(o, "self_after_pct", json_real(v[i].self_after_pct));
		}
		json_object_set_new(o, "vanished", json_boolean(v[i].after_pct == 0));
		json_object_set_new(o, "new", json_boolean(v[i].before_pct == 0));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *paths_json(const struct fold_path *v, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n && i < TOP_PATHS; i++)
		json_array_append_new(arr, json_pack("{s:s, s:f}", "stack", v[i].stack, "pct", v[i].pct));
	return arr;
}

static json_t *compare_profile(const struct diff_side *b, const struct diff_side *a,
			       const char *kind, json_t *notes, struct out_files *out,
			       const char *prefix)
{
	json_t *pb = first_profile(b->doc, kind), *pa = first_profile(a->doc, kind), *o;
	const struct report_blob *fb = diff_side_blob(b, jstr(pb, "folded", NULL));
	const struct report_blob *fa = diff_side_blob(a, jstr(pa, "folded", NULL));
	struct fold_diff d;
	char path[256];

	if (!fb || !fa) {
		if (pb || pa)
			note(notes, "no %s flame graph diff: %s has no %s folded profile", kind,
			     !fb ? "before" : "after", kind);
		return NULL;
	}
	if (fold_diff_compute(fb->data, fb->len, fa->data, fa->len, &d))
		return NULL;
	snprintf(path, sizeof(path), "%s%s.diff.folded", prefix ? prefix : "", kind);
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s}", "kind", kind,
		      "unit", jstr(pa, "unit", "samples"), "before_folded", fb->name,
		      "after_folded", fa->name, "before_total", (json_int_t)d.before_total,
		      "after_total", (json_int_t)d.after_total, "diff_folded", path,
		      "shares", "percent of each profile's own total");
	json_object_set_new(o, "functions", shares_json(d.fns, d.nr_fns, TOP_FUNCTIONS, true));
	json_object_set_new(o, "processes", shares_json(d.procs, d.nr_procs, TOP_FUNCTIONS, false));
	json_object_set_new(o, "vanished_paths", paths_json(d.vanished, d.nr_vanished));
	json_object_set_new(o, "new_paths", paths_json(d.appeared, d.nr_appeared));
	json_object_set_new(o, "nr_vanished_paths", json_integer((json_int_t)d.nr_vanished));
	json_object_set_new(o, "nr_new_paths", json_integer((json_int_t)d.nr_appeared));
	if (out) {
		out_files_add(out, path, d.folded, d.folded_len);
		d.folded = NULL;   /* taken, or freed on failure */
	}
	fold_diff_free(&d);
	return o;
}

json_t *diff_compare(const struct diff_side *before, const struct diff_side *after,
		     struct out_files *out, const char *prefix)
{
	json_t *d = json_object(), *notes = json_array(), *profiles = json_array();
	json_t *b = before->doc, *a = after->doc;

	json_object_set_new(d, "schema", json_string(DIFF_SCHEMA));
	json_object_set_new(d, "tool", json_pack("{s:s, s:s}", "name", "friday", "version",
						 FRIDAY_VERSION));
	json_object_set_new(d, "before", side_summary(before));
	json_object_set_new(d, "after", side_summary(after));
	notes_on_sides(notes, before, after);
	json_object_set_new(d, "verdicts", compare_verdicts(b, a));
	json_object_set_new(d, "findings", compare_findings(b, a));
	json_object_set_new(d, "figures", compare_figures(b, a));
	for (size_t k = 0; k < ARRAY_SIZE(diff_kinds); k++) {
		json_t *p = compare_profile(before, after, diff_kinds[k], notes, out, prefix);

		if (p)
			json_array_append_new(profiles, p);
	}
	json_object_set_new(d, "profiles", profiles);
	json_object_set_new(d, "notes", notes);
	return d;
}

int diff_render_files(json_t *diff, const struct diff_side *before,
		      const struct diff_side *after, struct out_files *out, const char *prefix)
{
	static const char *const names[] = { "diff.json", "diff.txt", "diff.html" };
	char path[256];
	int err = 0;

	for (size_t k = 0; k < ARRAY_SIZE(names) && !err; k++) {
		size_t len = 0;
		char *text = k == 0 ? json_dumps(diff, JSON_INDENT(2) | JSON_PRESERVE_ORDER) :
			     k == 1 ? diff_render_text(diff, &len) :
			     diff_render_html(diff, before, after, &len);

		if (!text)
			return -ENOMEM;
		if (k == 0)
			len = strlen(text);
		snprintf(path, sizeof(path), "%s%s", prefix ? prefix : "", names[k]);
		err = out_files_add(out, path, text, len);
	}
	return err;
}

/* The diff's files as report blobs under diff/, so the archive holds them
 * beside report.json. */
static int files_to_blobs(struct report *r, struct out_files *files)
{
	int err = 0;

	for (size_t i = 0; i < files->n && !err; i++) {
		err = report_add_blob_owned(r, files->v[i].name, files->v[i].data, files->v[i].len);
		files->v[i].data = NULL;
	}
	return err;
}

int report_attach_baseline(struct report *r, const struct diff_side *baseline)
{
	struct out_files files = { 0 };
	struct diff_side now;
	json_t *diff;
	int err;

	diff_side_from_report(r, "this run", &now);
	diff = diff_compare(baseline, &now, &files, "diff/");
	err = diff ? diff_render_files(diff, baseline, &now, &files, "diff/") : -ENOMEM;
	diff_side_free(&now);
	if (!err) {
		json_object_set_new(diff, "html", json_string("diff/diff.html"));
		json_object_set_new(diff, "text", json_string("diff/diff.txt"));
		err = files_to_blobs(r, &files);
	}
	if (!err)
		json_object_set(r->doc, "baseline", diff);
	json_decref(diff);
	out_files_free(&files);
	return err;
}
