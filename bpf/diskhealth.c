/* diskhealth.c: the disk health collector (user side of diskhealth.bpf.c).
 * Harvests per-device IOPS, bytes, latency before and in the device, sizes,
 * queue depth and errors, and who is behind the I/O (process and blkio
 * cgroup, with that cgroup's throttle limits on the device, read from
 * blkio.throttle.* on v1 or io.max on v2), into
 * report.measurements.diskhealth and report.histograms[]. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/collector.h"
#include "bpf/diskhealth.h"
#include "bpf/variant.h"
#include "lib/cgroupfs.h"
#include "lib/hist.h"
#include "lib/util.h"
#include "diskhealth.skel.h"

#define DISK_TOP_WHO 20

struct disk_priv {
	struct diskhealth_bpf *skel;
	enum attach_kind kind;
	json_t *missing;
	double start_s, stop_s;
};

static void *skel_open(void) { return diskhealth_bpf__open(); }
static struct bpf_object *skel_obj(void *s) { return ((struct diskhealth_bpf *)s)->obj; }
static int skel_load(void *s) { return diskhealth_bpf__load(s); }
static int skel_attach(void *s) { return diskhealth_bpf__attach(s); }
static void skel_destroy(void *s) { diskhealth_bpf__destroy(s); }

static void skel_knobs(void *s, struct collector *c, enum attach_kind kind)
{
	struct diskhealth_bpf *skel = s;

	skel->rodata->targ_tgid = c->opts ? c->opts->pid : 0;
	skel->rodata->targ_cgid = c->opts ? cgroupfs_id(c->opts->cgroup) : 0;
}

static const struct variant_ops disk_variant = {
	skel_open, skel_obj, skel_knobs, skel_load, skel_attach, skel_destroy,
};

static int disk_available(struct report *r, char *why, size_t len)
{
	if (!report_capability_ok(r, "root") && json_object_get(report_get(r, "capabilities"), "root")) {
		snprintf(why, len, "needs root");
		return -EPERM;
	}
	return 0;
}

static int disk_start(struct collector *c, char *why, size_t len)
{
	struct disk_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->missing = json_array();
	p->skel = variant_open_load(c, &disk_variant, &p->kind, p->missing, why, len);
	if (!p->skel)
		return -ENOTSUP;
	p->start_s = now_mono_s();
	return 0;
}

static void disk_stop(struct collector *c)
{
	struct disk_priv *p = c->priv;

	diskhealth_bpf__detach(p->skel);
	p->stop_s = now_mono_s();
}

/* "MAJ:MIN" and the kernel's name for a dev_t (major << 20 | minor). */
static void dev_name(uint32_t dev, char *majmin, size_t mlen, char *name, size_t nlen)
{
	char path[64], text[512], *p;

	snprintf(majmin, mlen, "%u:%u", dev >> 20, dev & 0xfffff);
	snprintf(name, nlen, "%s", majmin);
	snprintf(path, sizeof(path), "/sys/dev/block/%s/uevent", majmin);
	if (read_file(path, text, sizeof(text)) > 0 && (p = strstr(text, "DEVNAME="))) {
		p += strlen("DEVNAME=");
		p[strcspn(p, "\n")] = '\0';
		snprintf(name, nlen, "%s", p);
	}
}

static const char *const op_names[DISK_NR_OPS] = { "read", "write", "other" };

/* One device object in measurements, created on first use. */
static json_t *dev_obj(json_t *devices, uint32_t dev)
{
	char majmin[32], name[64];
	json_t *d;

	dev_name(dev, majmin, sizeof(majmin), name, sizeof(name));
	if ((d = json_object_get(devices, name)))
		return d;
	d = json_pack("{s:s, s:s, s:{}}", "name", name, "dev", majmin, "ops");
	json_object_set_new(devices, name, d);
	return d;
}

static void devs_harvest(struct disk_priv *p, json_t *devices, double window_s)
{
	int fd = bpf_map__fd(p->skel->maps.devs);
	struct disk_dev_key key, next, *prev = NULL;
	struct disk_dev_stats s;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		json_t *d, *ops, *totals;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &s) || key.op >= DISK_NR_OPS)
			continue;
		d = dev_obj(devices, key.dev);
		ops = json_object_get(d, "ops");
		json_object_set_new(ops, op_names[key.op], json_pack(
			"{s:I, s:I, s:f, s:f, s:f, s:f, s:I}",
			"count", (json_int_t)s.count, "bytes", (json_int_t)s.bytes,
			"iops", window_s > 0 ? s.count / window_s : 0.0,
			"device_ms_avg", s.count ? s.device_ns / 1e6 / s.count : 0.0,
			"queue_ms_avg", s.count ? s.queue_ns / 1e6 / s.count : 0.0,
			"device_ms_max", s.max_device_ns / 1e6, "errors", (json_int_t)s.errors));
		/* Totals over all ops: IOPS, errors, and the average number of
		 * requests queued or in the device (Little's law: the time
		 * they spent there over the window, like iostat's aqu-sz). */
		if (!(totals = json_object_get(d, "total"))) {
			totals = json_pack("{s:I, s:I, s:f, s:f, s:f}", "count", (json_int_t)0,
					   "errors", (json_int_t)0, "iops", 0.0,
					   "busy_ns", 0.0, "avg_queue_size", 0.0);
			json_object_set_new(d, "total", totals);
		}
		json_object_set_new(totals, "count", json_integer(
			json_integer_value(json_object_get(totals, "count")) + (json_int_t)s.count));
		json_object_set_new(totals, "errors", json_integer(
			json_integer_value(json_object_get(totals, "errors")) + (json_int_t)s.errors));
		json_object_set_new(totals, "iops", json_real(
			json_real_value(json_object_get(totals, "iops")) +
			(window_s > 0 ? s.count / window_s : 0)));
		json_object_set_new(totals, "avg_queue_size", json_real(
			json_real_value(json_object_get(totals, "avg_queue_size")) +
			(window_s > 0 ? (s.device_ns + s.queue_ns) / 1e9 / window_s : 0)));
		json_object_del(totals, "busy_ns");
	}
}

static const char *const hist_names[DISK_NR_HISTS] = {
	"disk.device_latency", "disk.queue_latency", "disk.io_size", "disk.queue_depth",
};
static const char *const hist_units[DISK_NR_HISTS] = { "us", "us", "bytes", "requests" };

/* One histogram per kind over all devices, with a per-device breakdown;
 * p50/p99 per device also go into the device's measurements. */
static void hists_harvest(struct disk_priv *p, struct report *r, json_t *devices)
{
	int fd = bpf_map__fd(p->skel->maps.hists);

	for (uint32_t h = 0; h < DISK_NR_HISTS; h++) {
		struct disk_hist_key key, next, *prev = NULL;
		uint64_t all[HIST_SLOTS] = { 0 };
		json_t *per = json_array(), *hist, *e;
		struct disk_slots s;
		size_t i;

		while (!bpf_map_get_next_key(fd, prev, &next)) {
			char majmin[32], name[64];
			struct hist_stats st;

			key = next;
			prev = &key;
			if (key.hist != h || bpf_map_lookup_elem(fd, &key, &s))
				continue;
			for (size_t k = 0; k < HIST_SLOTS; k++)
				all[k] += s.slots[k];
			dev_name(key.dev, majmin, sizeof(majmin), name, sizeof(name));
			json_array_append_new(per, json_pack("{s:s, s:o}", "key", name, "slots",
				json_pack("[]")));
			e = json_array_get(per, json_array_size(per) - 1);
			for (size_t k = 0; k < HIST_SLOTS; k++)
				json_array_append_new(json_object_get(e, "slots"),
						      json_integer((json_int_t)s.slots[k]));
			hist_compute((const uint64_t *)s.slots, HIST_SLOTS, 0, &st);
			json_object_set_new(dev_obj(devices, key.dev), hist_names[h] + 5,
					    json_pack("{s:s, s:f, s:f, s:f, s:f}", "unit", hist_units[h],
						      "p50", st.p50, "p90", st.p90, "p99", st.p99,
						      "max", st.max));
		}
		hist = hist_json(hist_names[h], hist_units[h], "diskhealth", all, HIST_SLOTS, 0);
		json_array_foreach(per, i, e) {
			uint64_t slots[HIST_SLOTS];
			json_t *v;
			size_t k;

			json_array_foreach(json_object_get(e, "slots"), k, v)
				slots[k] = (uint64_t)json_integer_value(v);
			hist_add_breakdown(hist, "device", json_string_value(json_object_get(e, "key")),
					   slots, HIST_SLOTS, 0, NULL);
		}
		json_decref(per);
		if (json_integer_value(json_object_get(hist, "count")))
			hist_append(report_get(r, "histograms"), hist);
		else
			json_decref(hist);
	}
}

/* A cgroup's throttle limits on one device: v1 blkio.throttle.*_device
 * files ("MAJ:MIN value"), or v2 io.max ("MAJ:MIN rbps=.. wiops=.."). */
static json_t *throttle_json(const char *cg, const char *majmin)
{
	static const char *const v1_files[] = {
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
	};
	static const char *const keys[] = { "read_iops", "write_iops", "read_bps", "write_bps" };
	static const char *const v2_keys[] = { "riops=", "wiops=", "rbps=", "wbps=" };
	json_t *lim = json_object();
	char text[4096], *line;
	size_t mlen = strlen(majmin);

	for (size_t i = 0; i < ARRAY_SIZE(v1_files); i++) {
		if (cgroupfs_read("blkio", cg, v1_files[i], text, sizeof(text)))
			continue;
		json_object_set_new(lim, "source", json_string("blkio.throttle (cgroup v1)"));
		for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
			if (!strncmp(line, majmin, mlen) && line[mlen] == ' ')
				json_object_set_new(lim, keys[i], json_integer(
					(json_int_t)strtoull(line + mlen + 1, NULL, 10)));
	}
	if (!cgroupfs_read("io", cg, "io.max", text, sizeof(text)))
		for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
			if (strncmp(line, majmin, mlen) || line[mlen] != ' ')
				continue;
			json_object_set_new(lim, "source", json_string("io.max (cgroup v2)"));
			for (size_t i = 0; i < ARRAY_SIZE(v2_keys); i++) {
				char *v = strstr(line, v2_keys[i]);

				if (v && strncmp(v + strlen(v2_keys[i]), "max", 3))
					json_object_set_new(lim, keys[i], json_integer(
						(json_int_t)strtoull(v + strlen(v2_keys[i]), NULL, 10)));
			}
		}
	return lim;
}

struct who_row {
	struct disk_who_key k;
	struct disk_who v;
};

static int cmp_who(const void *a, const void *b)
{
	const struct disk_who *x = &((const struct who_row *)a)->v, *y = &((const struct who_row *)b)->v;
	uint64_t nx = x->reads + x->writes, ny = y->reads + y->writes;

	return nx < ny ? 1 : nx > ny ? -1 : 0;
}

/* Processes behind the I/O, and per (cgroup, device) totals with limits. */
static void who_harvest(struct disk_priv *p, json_t *m, double window_s)
{
	int fd = bpf_map__fd(p->skel->maps.who);
	struct disk_who_key key, next, *prev = NULL;
	struct who_row *rows = NULL;
	size_t n = 0, cap = 0;
	json_t *procs = json_array(), *cgs = json_object();

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (n == cap) {
			struct who_row *nr = realloc(rows, (cap = cap ? cap * 2 : 64) * sizeof(*rows));

			if (!nr)
				break;
			rows = nr;
		}
		rows[n].k = key;
		if (!bpf_map_lookup_elem(fd, &key, &rows[n].v))
			n++;
	}
	if (n)
		qsort(rows, n, sizeof(*rows), cmp_who);
	for (size_t i = 0; i < n; i++) {
		const struct who_row *w = &rows[i];
		uint64_t nr = w->v.reads + w->v.writes;
		char majmin[32], name[64], cg[512], ckey[600];
		json_t *c;

		dev_name(w->k.dev, majmin, sizeof(majmin), name, sizeof(name));
		if (cgroupfs_path_by_id("blkio", w->k.blkcg_id, cg, sizeof(cg)))
			snprintf(cg, sizeof(cg), "%s", "");
		if (i < DISK_TOP_WHO)
			json_array_append_new(procs, json_pack(
				"{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:f, s:f}",
				"pid", (int)w->k.tgid, "comm", w->v.comm, "device", name, "cgroup", cg,
				"reads", (json_int_t)w->v.reads, "writes", (json_int_t)w->v.writes,
				"bytes", (json_int_t)w->v.bytes,
				"device_ms_avg", nr ? w->v.device_ns / 1e6 / nr : 0.0,
				"queue_ms_avg", nr ? w->v.queue_ns / 1e6 / nr : 0.0));
		/* The root cgroup cannot be throttled: nothing to compare. */
		if (!cg[0] || !strcmp(cg, "/"))
			continue;
		snprintf(ckey, sizeof(ckey), "%s %s", cg, name);
		if (!(c = json_object_get(cgs, ckey))) {
			c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o}", "cgroup", cg,
				      "device", name, "dev", majmin, "reads", (json_int_t)0,
				      "writes", (json_int_t)0, "bytes", (json_int_t)0,
				      "limits", throttle_json(cg, majmin));
			json_object_set_new(cgs, ckey, c);
		}
		json_object_set_new(c, "reads", json_integer(json_integer_value(
			json_object_get(c, "reads")) + (json_int_t)w->v.reads));
		json_object_set_new(c, "writes", json_integer(json_integer_value(
			json_object_get(c, "writes")) + (json_int_t)w->v.writes));
		json_object_set_new(c, "bytes", json_integer(json_integer_value(
			json_object_get(c, "bytes")) + (json_int_t)w->v.bytes));
	}
	free(rows);
	/* Rates over the window, next to the limits they compare with. */
	{
		const char *k;
		json_t *c, *arr = json_array();

		json_object_foreach(cgs, k, c) {
			json_object_set_new(c, "read_iops", json_real(window_s > 0 ?
				json_integer_value(json_object_get(c, "reads")) / window_s : 0));
			json_object_set_new(c, "write_iops", json_real(window_s > 0 ?
				json_integer_value(json_object_get(c, "writes")) / window_s : 0));
			json_array_append(arr, c);
		}
		json_decref(cgs);
		json_object_set_new(m, "cgroups", arr);
	}
	json_object_set_new(m, "processes", procs);
}

static int disk_harvest(struct collector *c, struct report *r)
{
	struct disk_priv *p = c->priv;
	double window_s = p->stop_s - p->start_s;
	json_t *m, *devices = json_object();

	c->lost_events = p->skel->bss->lost_events;
	devs_harvest(p, devices, window_s);
	hists_harvest(p, r, devices);
	m = json_pack("{s:s, s:f, s:O, s:o, s:I}", "attach", attach_kind_name(p->kind),
		      "window_s", window_s, "missing_probes", p->missing, "devices", devices,
		      "lost_events", (json_int_t)c->lost_events);
	who_harvest(p, m, window_s);
	json_object_set_new(report_get(r, "measurements"), "diskhealth", m);
	return 0;
}

static void disk_destroy(struct collector *c)
{
	struct disk_priv *p = c->priv;

	if (!p)
		return;
	if (p->skel)
		diskhealth_bpf__destroy(p->skel);
	json_decref(p->missing);
	free(p);
	c->priv = NULL;
}

static struct bpf_object *disk_object(struct collector *c)
{
	struct disk_priv *p = c->priv;

	return p && p->skel ? p->skel->obj : NULL;
}

const struct collector_ops diskhealth_collector = {
	.name = "diskhealth",
	.subsystem = "disk",
	.summary = "Block I/O per device: latency before and in the device, IOPS, sizes, "
		   "queue depth, errors, processes and cgroups behind it",
	.available = disk_available,
	.start = disk_start,
	.stop = disk_stop,
	.harvest = disk_harvest,
	.destroy = disk_destroy,
	.object = disk_object,
};
