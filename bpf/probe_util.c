/* probe_util.c: the collectors' shared user-side helpers (see probe_util.h). */
#include "bpf/probe_util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "lib/util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const char *const variant_caps[NR_VARIANTS] = { "tp_btf", "raw_tp", "tracepoint" };
static const char *const variant_suffix[NR_VARIANTS] = { "_btf", "_raw", "_tp" };

const char *variant_name(enum attach_variant v)
{
	return (unsigned)v < NR_VARIANTS ? variant_caps[v] : "none";
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void set_autoload(struct bpf_object *obj, enum attach_variant v)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		bool has_variant = false;

		for (int i = 0; i < NR_VARIANTS; i++)
			has_variant |= ends_with(name, variant_suffix[i]);
		if (has_variant)
			bpf_program__set_autoload(prog, ends_with(name, variant_suffix[v]));
	}
}

/* A capability rules a variant out only when it was probed and failed. */
static bool ruled_out(struct report *r, enum attach_variant v)
{
	json_t *caps = report_get(r, "capabilities");

	return json_object_get(caps, variant_caps[v]) && !report_capability_ok(r, variant_caps[v]);
}

/* libbpf's own messages during a trial that may fail go to -v output. */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];

	if (level == LIBBPF_DEBUG || verbose_level < 2)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_debug("libbpf: %s", str_trim(line));
	return 0;
}

static void append(char *why, size_t len, const char *fmt, ...)
{
	size_t off = strlen(why);
	va_list ap;

	if (off + 2 >= len)
		return;
	if (off)
		off += snprintf(why + off, len - off, "; ");
	va_start(ap, fmt);
	vsnprintf(why + off, len - off, fmt, ap);
	va_end(ap);
}

int variant_load(struct collector *c, const struct variant_loader *l, unsigned mask,
		 void **skel, enum attach_variant *used, char *why, size_t why_len)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	int err = -ENOENT;

	why[0] = '\0';
	*skel = NULL;
	for (int v = 0; v < NR_VARIANTS; v++) {
		void *s;

		if (!(mask & (1u << v)))
			continue;
		if (ruled_out(c->report, v)) {
			append(why, why_len, "%s: not supported here (capabilities)", variant_caps[v]);
			continue;
		}
		s = l->open();
		if (!s) {
			err = errno ? -errno : -ENOMEM;
			append(why, why_len, "%s: open failed: %s", variant_caps[v], strerror(-err));
			continue;
		}
		set_autoload(l->object(s), v);
		err = l->configure ? l->configure(s, c, v) : 0;
		if (!err)
			err = l->load(s);
		if (!err) {
			*skel = s;
			*used = v;
			libbpf_set_print(old);
			return 0;
		}
		append(why, why_len, "%s: load failed: %s", variant_caps[v], strerror(-err));
		l->destroy(s);
	}
	libbpf_set_print(old);
	return err < 0 ? err : -ENOENT;
}

int probe_cgroup_id(const char *path, uint64_t *id, char *why, size_t why_len)
{
	struct statfs fs;
	struct stat st;

	*id = 0;
	if (!path || !*path)
		return 0;
	if (statfs(path, &fs) || stat(path, &st)) {
		snprintf(why, why_len, "--cgroup %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(why, why_len, "--cgroup %s is not on cgroup v2: BPF filters by cgroup v2 id "
			 "(try the same group under /sys/fs/cgroup/unified)", path);
		return -EINVAL;
	}
	*id = st.st_ino;
	return 0;
}

int probe_nr_cpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}

uint64_t percpu_sum_u64(const uint64_t *vals, int nr_cpus)
{
	uint64_t sum = 0;

	for (int i = 0; i < nr_cpus; i++)
		sum += vals[i];
	return sum;
}

uint64_t percpu_array_sum(int map_fd, uint32_t key, int nr_cpus)
{
	uint64_t *vals = calloc(nr_cpus, sizeof(*vals)), sum = 0;

	if (vals && !bpf_map_lookup_elem(map_fd, &key, vals))
		sum = percpu_sum_u64(vals, nr_cpus);
	free(vals);
	return sum;
}

static long dump_batch(int fd, size_t key_size, size_t val_size, uint32_t max_entries,
		       char *keys, char *vals)
{
	uint64_t in_batch = 0, out_batch = 0;   /* hash batches want 4+ bytes */
	void *in = NULL;
	long n = 0;

	for (;;) {
		__u32 count = max_entries - n;
		int err;

		if (count == 0)
			return n;
		err = bpf_map_lookup_batch(fd, in, &out_batch, keys + n * key_size,
					   vals + n * val_size, &count, NULL);
		if (err && errno != ENOENT)
			return -errno;
		n += count;
		if (err)   /* ENOENT: that was the last batch */
			return n;
		in_batch = out_batch;
		in = &in_batch;
	}
}

static long dump_one_by_one(int fd, size_t key_size, size_t val_size, uint32_t max_entries,
			    char *keys, char *vals)
{
	long n = 0;
	void *prev = NULL;

	while (n < (long)max_entries &&
	       !bpf_map_get_next_key(fd, prev, keys + n * key_size)) {
		prev = keys + n * key_size;
		/* An entry deleted in between is skipped, not an error. */
		if (!bpf_map_lookup_elem(fd, prev, vals + n * val_size))
			n++;
		else if (n > 0)
			prev = keys + (n - 1) * key_size;
		else
			prev = NULL;
	}
	return n;
}

long probe_map_dump(int map_fd, size_t key_size, size_t val_size, uint32_t max_entries,
		    void **keys, void **vals)
{
	char *k = calloc(max_entries ? max_entries : 1, key_size);
	char *v = calloc(max_entries ? max_entries : 1, val_size);
	long n;

	*keys = k;
	*vals = v;
	if (!k || !v)
		return -ENOMEM;
	n = dump_batch(map_fd, key_size, val_size, max_entries, k, v);
	if (n < 0)
		n = dump_one_by_one(map_fd, key_size, val_size, max_entries, k, v);
	return n;
}

void probe_record_overhead(struct collector *c, struct bpf_object *obj,
			   enum attach_variant used)
{
	json_t *all = json_object_get(report_get(c->report, "overhead"), "collectors"), *mine;
	struct bpf_program *prog;
	uint64_t run_ns = 0, run_cnt = 0;
	int nr_progs = 0;

	if (!all) {
		all = json_object();
		json_object_set_new(report_get(c->report, "overhead"), "collectors", all);
	}
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		run_ns += info.run_time_ns;
		run_cnt += info.run_cnt;
		nr_progs++;
	}
	mine = json_object_get(all, c->ops->name);
	if (!mine) {
		mine = json_object();
		json_object_set_new(all, c->ops->name, mine);
	}
	json_object_set_new(mine, "variant", json_string(variant_name(used)));
	json_object_set_new(mine, "programs", json_integer(nr_progs));
	json_object_set_new(mine, "bpf_run_time_ns", json_integer((json_int_t)run_ns));
	json_object_set_new(mine, "bpf_run_count", json_integer((json_int_t)run_cnt));
	json_object_set_new(mine, "bpf_ns_per_run",
			    json_real(run_cnt ? (double)run_ns / (double)run_cnt : 0));
	json_object_set_new(mine, "bpf_cpu_share",
			    json_real(c->window_s > 0 ? run_ns / 1e9 / c->window_s : 0));
}

void probe_comm(char *dst, size_t len, const char *src, size_t src_len)
{
	size_t i;

	for (i = 0; i + 1 < len && i < src_len && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

bool probe_tracepoint_exists(const char *category, const char *name)
{
	char path[256], tname[128];
	struct btf *btf = btf__load_vmlinux_btf();
	bool found = false;

	if (btf) {
		snprintf(tname, sizeof(tname), "btf_trace_%s", name);
		found = btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF) > 0;
		btf__free(btf);
		if (found)
			return true;
	}
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s", category, name);
	if (path_exists(path))
		return true;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s/%s", category, name);
	return path_exists(path);
}
