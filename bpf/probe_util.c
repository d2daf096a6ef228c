/* probe_util.c: the collectors' shared user-side helpers (see probe_util.h). */
#include "bpf/probe_util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "lib/util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

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

int probe_require(struct report *r, const char *cap, int err, const char *what,
		  char *why, size_t why_len)
{
	if (!json_object_get(report_get(r, "capabilities"), cap) || report_capability_ok(r, cap))
		return 0;
	snprintf(why, why_len, "%s", what);
	return err;
}

int probe_require_root(struct report *r, char *why, size_t why_len)
{
	return probe_require(r, "root", -EPERM, "needs root (see capabilities.root)", why, why_len);
}

int probe_start(struct collector *c, const struct variant_ops *ops, struct probe_load *ld,
		void **skel, char *why, size_t why_len)
{
	int err = probe_cgroup_id(c->opts ? c->opts->cgroup : NULL, &ld->cgid, why, why_len);

	if (err)
		return err;
	ld->missing = json_array();
	*skel = variant_open_load(c, ops, &ld->kind, ld->missing, why, why_len);
	return *skel ? 0 : -ENOENT;
}

int probe_nr_cpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
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

/* qsort_r's context: the figure to order by. */
struct top_rank {
	uint64_t (*rank)(const void *val);
};

/* Larger first; on a tie, the earlier in the map first (pointers into
 * one vals array), so the order does not depend on the sort's stability. */
static int top_cmp(const void *a, const void *b, void *ctx)
{
	const struct top_rank *r = ctx;
	const char *x = *(const void *const *)a, *y = *(const void *const *)b;
	int by_rank = probe_cmp_desc(r->rank(x), r->rank(y));

	return by_rank ? by_rank : x < y ? -1 : x > y;
}

long probe_top_read(struct probe_top *t, int map_fd, size_t key_size, size_t val_size,
		    uint32_t max_entries, uint64_t (*rank)(const void *val))
{
	struct top_rank r = { rank };
	long n = probe_map_dump(map_fd, key_size, val_size, max_entries, &t->keys, &t->vals);

	t->nr = n > 0 ? n : 0;
	t->key_size = key_size;
	t->val_size = val_size;
	t->order = t->nr ? calloc(t->nr, sizeof(*t->order)) : NULL;
	if (!t->order)
		return 0;
	for (long i = 0; i < t->nr; i++)
		t->order[i] = (const char *)t->vals + i * val_size;
	qsort_r(t->order, t->nr, sizeof(*t->order), top_cmp, &r);
	return t->nr;
}

const void *probe_top_key(const struct probe_top *t, long i)
{
	size_t idx = ((const char *)t->order[i] - (const char *)t->vals) / t->val_size;

	return (const char *)t->keys + idx * t->key_size;
}

void probe_top_free(struct probe_top *t)
{
	free(t->order);
	free(t->keys);
	free(t->vals);
	t->order = NULL;
	t->keys = t->vals = NULL;
}

static bool picked_already(const long *idx, int k, long i)
{
	for (int j = 0; j < k; j++)
		if (idx[j] == i)
			return true;
	return false;
}

int probe_top_of_tgid(const void *keys, size_t key_size, const void *vals, size_t val_size,
		      long n, uint32_t tgid, uint64_t (*rank)(const void *val), long *idx,
		      int k)
{
	int found;

	for (found = 0; found < k; found++) {
		long best = -1;
		uint64_t best_rank = 0;

		for (long i = 0; i < n; i++) {
			uint32_t row_tgid;
			uint64_t r;

			memcpy(&row_tgid, (const char *)keys + i * key_size, sizeof(row_tgid));
			if (row_tgid != tgid || picked_already(idx, found, i))
				continue;
			r = rank((const char *)vals + i * val_size);
			if (best < 0 || r > best_rank) {
				best = i;
				best_rank = r;
			}
		}
		if (best < 0)
			break;
		idx[found] = best;
	}
	return found;
}

void probe_record_overhead(struct collector *c, struct bpf_object *obj)
{
	json_t *all = json_object_get(report_get(c->report, "overhead"), "collectors"), *mine;
	struct bpf_program *prog;
	uint64_t run_ns = 0, run_cnt = 0;
	int nr_progs = 0;

	if (!all) {
		all = json_object();
		json_object_set_new(report_get(c->report, "overhead"), "collectors", all);
	}
	if (!obj)
		return;
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
	/* where the stats were on for a share of the window, the budget's
	 * estimate of the whole */
	if (c->stats_share > 0 && c->stats_share < 1) {
		run_ns = (uint64_t)c->bpf_ns_est;
		run_cnt = (uint64_t)c->bpf_runs_est;
	}
	json_object_set_new(mine, "bpf_stats_share",
			    json_real(c->stats_share > 0 ? c->stats_share : 1));
	json_object_set_new(mine, "programs", json_integer(nr_progs));
	json_object_set_new(mine, "bpf_run_time_ns", json_integer((json_int_t)run_ns));
	json_object_set_new(mine, "bpf_run_count", json_integer((json_int_t)run_cnt));
	json_object_set_new(mine, "bpf_ns_per_run",
			    json_real(run_cnt ? (double)run_ns / (double)run_cnt : 0));
	json_object_set_new(mine, "bpf_cpu_share",
			    json_real(c->window_s > 0 ? run_ns / 1e9 / c->window_s : 0));
}

void *probe_global(struct bpf_object *obj, const char *sec, const char *name, size_t size)
{
	struct bpf_map *map = obj ? bpf_object__find_map_by_name(obj, sec) : NULL;
	struct btf *btf = obj ? bpf_object__btf(obj) : NULL;
	const struct btf_var_secinfo *vars;
	const struct btf_type *datasec;
	size_t sec_size = 0;
	char *base;
	int id;

	if (!map || !btf)
		return NULL;
	id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
	base = (char *)bpf_map__initial_value(map, &sec_size);
	if (id < 0 || !base)
		return NULL;
	datasec = btf__type_by_id(btf, (__u32)id);
	vars = btf_var_secinfos(datasec);
	for (unsigned short i = 0; i < btf_vlen(datasec); i++) {
		const struct btf_type *var = btf__type_by_id(btf, vars[i].type);

		if (var && !strcmp(btf__name_by_offset(btf, var->name_off), name) &&
		    vars[i].size >= size && vars[i].offset + size <= sec_size)
			return base + vars[i].offset;
	}
	return NULL;
}

void probe_comm(char *dst, size_t len, const char *src, size_t src_len)
{
	size_t i;

	for (i = 0; i + 1 < len && i < src_len && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}
