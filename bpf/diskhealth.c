/* diskhealth.c: the disk health collector (user side of diskhealth.bpf.c).
 * Harvests per-device IOPS, bytes, latency by layer (above the block layer,
 * its queue, the device), sizes, queue depth and errors, and who is behind
 * the I/O (process and blkio cgroup, with that cgroup's throttle limits on
 * the device, read from blkio.throttle.* on v1 or io.max on v2), into
 * report.measurements.diskhealth and report.histograms[]; the slowest
 * requests and syscalls into report.outliers[]. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/collector.h"
#include "bpf/diskhealth.h"
#include "bpf/probe_util.h"
#include "bpf/variant.h"
#include "lib/cgroupfs.h"
#include "lib/heatmap.h"
#include "lib/hist.h"
#include "lib/util.h"
#include "diskhealth.skel.h"

#define DISK_TOP_WHO 20
#define DISK_TOP_OUTLIERS 20

/* The slowest events of one kind, kept while the window runs. */
struct outlier_top {
	struct disk_outlier ev[DISK_TOP_OUTLIERS];
	size_t nr;
	uint64_t seen;
};

struct disk_priv {
	struct diskhealth_bpf *skel;
	struct ring_buffer *rb;
	enum attach_kind kind;
	json_t *missing;
	double start_s, stop_s;
	struct outlier_top top[2];   /* by enum disk_outlier_kind */
};

static void *skel_open(void) { return diskhealth_bpf__open(); }
static struct bpf_object *skel_obj(void *s) { return ((struct diskhealth_bpf *)s)->obj; }
static int skel_load(void *s) { return diskhealth_bpf__load(s); }
static int skel_attach(void *s) { return diskhealth_bpf__attach(s); }
static void skel_destroy(void *s) { diskhealth_bpf__destroy(s); }

/* disklayers is diskhealth with its syscall layer: two programs on every
 * syscall (raw_syscalls), worth their cost in a drill-down, not in the
 * always-on health probes. */
static bool with_syscall_layer(const struct collector *c)
{
	return !strcmp(c->ops->name, "disklayers");
}

static void skel_knobs(void *s, struct collector *c, enum attach_kind kind)
{
	struct diskhealth_bpf *skel = s;

	if (!with_syscall_layer(c)) {
		struct bpf_program *const progs[] = {
			skel->progs.sys_enter_btf, skel->progs.sys_enter_raw,
			skel->progs.sys_exit_btf, skel->progs.sys_exit_raw,
			skel->progs.proc_exit_btf, skel->progs.proc_exit_raw,
		};

		for (size_t i = 0; i < ARRAY_SIZE(progs); i++)
			bpf_program__set_autoload(progs[i], false);
	}

	skel->rodata->targ_tgid = c->opts ? c->opts->pid : 0;
	skel->rodata->targ_cgid = c->opts ? cgroupfs_id(c->opts->cgroup) : 0;
	skel->rodata->use_task_storage = kind == ATTACH_TP_BTF;
	skel->rodata->heat_col_ns = heatmap_col_ns(c->opts ? c->opts->duration_s : 0);
}

static const struct variant_ops disk_variant = {
	skel_open, skel_obj, skel_knobs, skel_load, skel_attach, skel_destroy,
};

static int disk_available(struct report *r, char *why, size_t len)
{
	return probe_require(r, "root", -EPERM, "needs root", why, len);
}

/* Keeps the DISK_TOP_OUTLIERS slowest of each kind: a full table swaps
 * its fastest entry for a slower newcomer. */
static int on_outlier(void *ctx, void *data, size_t size)
{
	struct disk_priv *p = ctx;
	const struct disk_outlier *e = data;
	struct outlier_top *t;
	size_t min = 0;

	if (size < sizeof(*e) || e->kind > DISK_OUTLIER_SYSCALL)
		return 0;
	t = &p->top[e->kind];
	t->seen++;
	if (t->nr < DISK_TOP_OUTLIERS) {
		t->ev[t->nr++] = *e;
		return 0;
	}
	for (size_t i = 1; i < t->nr; i++)
		if (t->ev[i].total_ns < t->ev[min].total_ns)
			min = i;
	if (e->total_ns > t->ev[min].total_ns)
		t->ev[min] = *e;
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
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.outliers), on_outlier, p, NULL);
	p->start_s = now_mono_s();
	return 0;
}

static int disk_poll(struct collector *c)
{
	struct disk_priv *p = c->priv;

	heatmap_open(&p->skel->bss->heat_start_ns, c);
	return p->rb ? ring_buffer__poll(p->rb, 0) : 0;
}

static void disk_stop(struct collector *c)
{
	struct disk_priv *p = c->priv;

	diskhealth_bpf__detach(p->skel);
	p->stop_s = now_mono_s();
	if (p->rb)
		ring_buffer__poll(p->rb, 0);
}

/* The whole disk of a partition's dev_t (requests are counted per disk;
 * a file system on vda1 names vda1); the dev_t itself otherwise. */
static uint32_t whole_disk(uint32_t dev)
{
	char path[96], text[32];
	unsigned int maj, min;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev", dev >> 20, dev & 0xfffff);
	if (access(path, F_OK) || read_file(path, text, sizeof(text)) <= 0 ||
	    sscanf(text, "%u:%u", &maj, &min) != 2)
		return dev;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", dev >> 20, dev & 0xfffff);
	return access(path, F_OK) ? dev : (maj << 20) | min;
}

/* "MAJ:MIN" and the kernel's name for a dev_t (major << 20 | minor). */
static void dev_name(uint32_t dev, char *majmin, size_t mlen, char *name, size_t nlen)
{
	char path[64], text[512], *p;

	dev = whole_disk(dev);
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
	"disk.syscall_latency",
};
static const char *const hist_units[DISK_NR_HISTS] = { "us", "us", "bytes", "requests", "us" };

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

static uint64_t who_requests(const void *v)
{
	const struct disk_who *w = v;

	return w->reads + w->writes;
}

/* Processes behind the I/O, and per (cgroup, device) totals with limits. */
static void who_harvest(struct disk_priv *p, json_t *m, double window_s)
{
	struct probe_top t;
	long n = probe_top_read(&t, bpf_map__fd(p->skel->maps.who), sizeof(struct disk_who_key),
				sizeof(struct disk_who), DISK_MAX_WHO, who_requests);
	json_t *procs = json_array(), *cgs = json_object();

	for (long i = 0; i < n; i++) {
		const struct disk_who *v = t.order[i];
		const struct disk_who_key *k = probe_top_key(&t, i);
		uint64_t nr = v->reads + v->writes;
		char majmin[32], name[64], cg[512], ckey[600];
		json_t *c;

		dev_name(k->dev, majmin, sizeof(majmin), name, sizeof(name));
		if (cgroupfs_path_by_id("blkio", k->blkcg_id, cg, sizeof(cg)))
			snprintf(cg, sizeof(cg), "%s", "");
		if (i < DISK_TOP_WHO)
			json_array_append_new(procs, json_pack(
				"{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:f, s:f}",
				"pid", (int)k->tgid, "comm", v->comm, "device", name, "cgroup", cg,
				"reads", (json_int_t)v->reads, "writes", (json_int_t)v->writes,
				"bytes", (json_int_t)v->bytes,
				"device_ms_avg", nr ? v->device_ns / 1e6 / nr : 0.0,
				"queue_ms_avg", nr ? v->queue_ns / 1e6 / nr : 0.0));
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
			json_object_get(c, "reads")) + (json_int_t)v->reads));
		json_object_set_new(c, "writes", json_integer(json_integer_value(
			json_object_get(c, "writes")) + (json_int_t)v->writes));
		json_object_set_new(c, "bytes", json_integer(json_integer_value(
			json_object_get(c, "bytes")) + (json_int_t)v->bytes));
	}
	probe_top_free(&t);
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

static double jget(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* One layer split: syscall time less the block layer's queue and the
 * device's time for an average request of that kind on that device. The
 * requests of one syscall are taken to run side by side, so a syscall
 * waits for about one request's queue and device time. */
static json_t *layer_json(double nr_syscalls, double syscall_ns, json_t *op)
{
	double sys_ms = nr_syscalls ? syscall_ns / 1e6 / nr_syscalls : 0;
	double queue_ms = jget(op, "queue_ms_avg"), device_ms = jget(op, "device_ms_avg");
	double above_ms = sys_ms - queue_ms - device_ms;

	if (above_ms < 0)
		above_ms = 0;
	return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "syscalls", nr_syscalls,
			 "syscall_ms_avg", sys_ms, "requests", jget(op, "count"),
			 "queue_ms_avg", queue_ms, "device_ms_avg", device_ms,
			 "above_block_ms_avg", above_ms,
			 "above_block_pct", sys_ms > 0 ? above_ms / sys_ms * 100 : 0.0);
}

/* Adds a syscall row's count and time to acc[key][op] = [count, ns]. */
static void layer_add(json_t *acc, const char *key, const char *op, const struct disk_sysio *v)
{
	json_t *k = json_object_get(acc, key), *pair;

	if (!k) {
		k = json_object();
		json_object_set_new(acc, key, k);
	}
	if (!(pair = json_object_get(k, op))) {
		pair = json_pack("[f, f]", 0.0, 0.0);
		json_object_set_new(k, op, pair);
	}
	json_array_set_new(pair, 0, json_real(json_real_value(json_array_get(pair, 0)) + v->count));
	json_array_set_new(pair, 1, json_real(json_real_value(json_array_get(pair, 1)) + v->total_ns));
}

/* The (cgroup, device) entry of measurements.cgroups, made when only the
 * syscall layer saw that cgroup on that device. */
static json_t *cgroup_entry(json_t *cgs, const char *cg, const char *name, const char *majmin)
{
	json_t *c;
	size_t i;

	json_array_foreach(cgs, i, c)
		if (!strcmp(json_string_value(json_object_get(c, "cgroup")), cg) &&
		    !strcmp(json_string_value(json_object_get(c, "device")), name))
			return c;
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:f, s:f}", "cgroup", cg, "device", name,
		      "dev", majmin, "reads", (json_int_t)0, "writes", (json_int_t)0,
		      "bytes", (json_int_t)0, "limits", throttle_json(cg, majmin),
		      "read_iops", 0.0, "write_iops", 0.0);
	json_array_append_new(cgs, c);
	return c;
}

static uint64_t sysio_total_ns(const void *v) { return ((const struct disk_sysio *)v)->total_ns; }

/* The syscall layer: the processes that waited for block I/O in read and
 * write syscalls, and the split by layer per device and per (cgroup,
 * device) in devices.NAME.layers and cgroups[].layers. */
/* {read|write: layer} from acc[op] = [count, ns] and the device's ops. */
static json_t *layers_json(json_t *acc, json_t *device)
{
	json_t *layers = json_object(), *pair;
	const char *op;

	json_object_foreach(acc, op, pair)
		json_object_set_new(layers, op, layer_json(json_real_value(json_array_get(pair, 0)),
			json_real_value(json_array_get(pair, 1)),
			json_object_get(json_object_get(device, "ops"), op)));
	return layers;
}

static void sysio_harvest(struct disk_priv *p, json_t *m, json_t *devices)
{
	struct probe_top t;
	long n = probe_top_read(&t, bpf_map__fd(p->skel->maps.sysio), sizeof(struct disk_sysio_key),
				sizeof(struct disk_sysio), DISK_MAX_SYSIO, sysio_total_ns);
	json_t *procs = json_array(), *by_dev = json_object(), *by_cg = json_object();
	json_t *cgs = json_object_get(m, "cgroups"), *ops, *c;
	const char *key;
	size_t i, nr_listed = 0;

	for (long r = 0; r < n; r++) {
		const struct disk_sysio *v = t.order[r];
		const struct disk_sysio_key *k = probe_top_key(&t, r);
		char majmin[32], name[64], cg[512], ckey[600];

		if (k->op >= DISK_OP_OTHER)   /* read and write syscalls only */
			continue;
		dev_name(k->dev, majmin, sizeof(majmin), name, sizeof(name));
		if (cgroupfs_path_by_id("blkio", k->blkcg_id, cg, sizeof(cg)))
			snprintf(cg, sizeof(cg), "%s", "");
		if (nr_listed++ < DISK_TOP_WHO)
			json_array_append_new(procs, json_pack(
				"{s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:f}",
				"pid", (int)k->tgid, "comm", v->comm, "device", name, "cgroup", cg,
				"op", op_names[k->op], "syscalls", (json_int_t)v->count,
				"bytes", (json_int_t)v->bytes,
				"syscall_ms_avg", v->count ? v->total_ns / 1e6 / v->count : 0.0,
				"syscall_ms_max", v->max_ns / 1e6));
		layer_add(by_dev, name, op_names[k->op], v);
		if (!cg[0] || !strcmp(cg, "/"))
			continue;
		cgroup_entry(cgs, cg, name, majmin);
		snprintf(ckey, sizeof(ckey), "%s %s", cg, name);
		layer_add(by_cg, ckey, op_names[k->op], v);
	}
	probe_top_free(&t);
	/* A device no request completed on in the window has nothing to split. */
	json_object_foreach(by_dev, key, ops)
		if (json_object_get(devices, key))
			json_object_set_new(json_object_get(devices, key), "layers",
					    layers_json(ops, json_object_get(devices, key)));
	json_array_foreach(cgs, i, c) {
		char ckey[600];

		snprintf(ckey, sizeof(ckey), "%s %s", json_string_value(json_object_get(c, "cgroup")),
			 json_string_value(json_object_get(c, "device")));
		json_object_set_new(c, "layers", layers_json(json_object_get(by_cg, ckey),
			json_object_get(devices, json_string_value(json_object_get(c, "device")))));
	}
	json_decref(by_dev);
	json_decref(by_cg);
	json_object_set_new(m, "syscalls", procs);
}

/* Appends an outlier table, replacing one of the same name: a drill-down
 * that runs diskhealth again reports its own, later window. */
static void outliers_put(json_t *outs, json_t *table)
{
	const char *name = json_string_value(json_object_get(table, "name"));
	json_t *o;
	size_t i;

	json_array_foreach(outs, i, o)
		if (!strcmp(json_string_value(json_object_get(o, "name")), name)) {
			json_array_set_new(outs, i, table);
			return;
		}
	json_array_append_new(outs, table);
}

static int cmp_outlier(const void *a, const void *b)
{
	return probe_cmp_desc(((const struct disk_outlier *)a)->total_ns,
			      ((const struct disk_outlier *)b)->total_ns);
}

/* The slowest requests (biosnoop's columns) and syscalls (with the time
 * above the block layer, from the device's average request) as
 * report.outliers[] tables, slowest first. */
static void outliers_harvest(struct disk_priv *p, struct report *r, json_t *m, json_t *devices)
{
	json_t *outs = json_object_get(r->doc, "outliers");

	if (!outs) {
		outs = json_array();
		json_object_set_new(r->doc, "outliers", outs);
	}
	for (int kind = DISK_OUTLIER_REQUEST; kind <= DISK_OUTLIER_SYSCALL; kind++) {
		struct outlier_top *t = &p->top[kind];
		bool rq = kind == DISK_OUTLIER_REQUEST;
		json_t *rows = json_array();

		qsort(t->ev, t->nr, sizeof(t->ev[0]), cmp_outlier);
		for (size_t i = 0; i < t->nr; i++) {
			const struct disk_outlier *e = &t->ev[i];
			char majmin[32], name[64], cg[512];
			json_t *op;
			double above;

			dev_name(e->dev, majmin, sizeof(majmin), name, sizeof(name));
			if (cgroupfs_path_by_id("blkio", e->blkcg_id, cg, sizeof(cg)))
				snprintf(cg, sizeof(cg), "%s", "");
			if (rq) {
				json_array_append_new(rows, json_pack(
					"[f, s, i, i, s, s, I, I, f, f, f, s]", e->time_ns / 1e9 - p->start_s,
					e->comm, (int)e->tgid, (int)e->tid, name, op_names[e->op % DISK_NR_OPS],
					(json_int_t)e->sector, (json_int_t)e->bytes, e->queue_ns / 1e6,
					e->device_ns / 1e6, e->total_ns / 1e6, cg));
				continue;
			}
			op = json_object_get(json_object_get(json_object_get(devices, name), "ops"),
					     op_names[e->op % DISK_NR_OPS]);
			above = e->total_ns / 1e6 - jget(op, "queue_ms_avg") - jget(op, "device_ms_avg");
			json_array_append_new(rows, json_pack(
				"[f, s, i, i, s, s, I, f, f, f, f, s]", e->time_ns / 1e9 - p->start_s,
				e->comm, (int)e->tgid, (int)e->tid, name, op_names[e->op % DISK_NR_OPS],
				(json_int_t)e->bytes, e->total_ns / 1e6, above > 0 ? above : 0.0,
				jget(op, "queue_ms_avg"), jget(op, "device_ms_avg"), cg));
		}
		json_object_set_new(m, rq ? "slow_requests_seen" : "slow_syscalls_seen",
				    json_integer((json_int_t)t->seen));
		if (!t->nr) {
			json_decref(rows);
			continue;
		}
		outliers_put(outs, rq ? json_pack(
			"{s:s, s:s, s:[s,s,s,s,s,s,s,s,s,s,s,s], s:o}", "name", "disk.slow_requests",
			"title", "Slowest block I/O requests (biosnoop-style; queue = allocated to "
			"issued, device = issued to completed)",
			"columns", "time_s", "process", "pid", "tid", "device", "op", "sector", "bytes",
			"queue_ms", "device_ms", "total_ms", "cgroup", "rows", rows) : json_pack(
			"{s:s, s:s, s:[s,s,s,s,s,s,s,s,s,s,s,s], s:o}", "name", "disk.slow_syscalls",
			"title", "Slowest read/write syscalls that waited for block I/O, by layer "
			"(above the block layer = syscall less the device's average queue and "
			"device time)",
			"columns", "time_s", "process", "pid", "tid", "device", "op", "bytes",
			"syscall_ms", "above_block_ms", "queue_ms_avg", "device_ms_avg", "cgroup",
			"rows", rows));
	}
	json_object_set_new(m, "outlier_threshold_ms",
			    json_real(p->skel->rodata->outlier_min_ns / 1e6));
}

/* report.heatmaps[] "disk.latency_heatmap": requests per time column and
 * log2 time in the device, all devices. */
static void heatmap_harvest(struct disk_priv *p, struct report *r, double window_s)
{
	static uint64_t counts[HEAT_COLS * HIST_SLOTS];
	json_t *h;

	if (heatmap_read(bpf_map__fd(p->skel->maps.heat), counts))
		return;
	h = heatmap_json("disk.latency_heatmap", "Block I/O time in the device over time "
			 "(diskhealth, all devices; the last column also holds later requests)",
			 "us", counts, p->skel->rodata->heat_col_ns, window_s);
	if (h)
		heatmap_append(r->doc, h, "diskhealth");
}

static int disk_harvest(struct collector *c, struct report *r)
{
	struct disk_priv *p = c->priv;
	double window_s = p->stop_s - p->start_s;
	json_t *m, *devices = json_object();

	c->lost_events = p->skel->bss->lost_events;
	devs_harvest(p, devices, window_s);
	hists_harvest(p, r, devices);
	m = json_pack("{s:s, s:f, s:O, s:o, s:I, s:b}", "attach", attach_kind_name(p->kind),
		      "window_s", window_s, "missing_probes", p->missing, "devices", devices,
		      "lost_events", (json_int_t)c->lost_events,
		      "syscall_layer", with_syscall_layer(c));
	who_harvest(p, m, window_s);
	sysio_harvest(p, m, devices);
	outliers_harvest(p, r, m, devices);
	heatmap_harvest(p, r, window_s);
	json_object_set_new(report_get(r, "measurements"), "diskhealth", m);
	return 0;
}

static void disk_destroy(struct collector *c)
{
	struct disk_priv *p = c->priv;

	if (!p)
		return;
	ring_buffer__free(p->rb);
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
	.summary = "Block I/O per device and cgroup: latency in the block layer's queue and "
		   "in the device, IOPS, sizes, queue depth, errors, who is behind it, "
		   "slowest requests",
	.available = disk_available,
	.start = disk_start,
	.poll = disk_poll,
	.stop = disk_stop,
	.harvest = disk_harvest,
	.destroy = disk_destroy,
	.object = disk_object,
};

/* The same probe with the syscall layer: the split above the block layer,
 * the slowest syscalls, the origin of a delay (Thursday's disk drill-down).
 * Its figures go to measurements.diskhealth like the health probe's. */
const struct collector_ops disklayers_collector = {
	.name = "disklayers",
	.subsystem = "disk",
	.summary = "diskhealth plus the syscall layer: block I/O time above the block layer "
		   "(throttles, page-cache misses), queue and device, per device, cgroup and "
		   "process; slowest syscalls",
	.available = disk_available,
	.start = disk_start,
	.poll = disk_poll,
	.stop = disk_stop,
	.harvest = disk_harvest,
	.destroy = disk_destroy,
	.object = disk_object,
};
