/* stack_common.c: what the stack collectors share (see stack_common.h). */
#include "bpf/stack_common.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <jansson.h>
#include <linux/magic.h>

#include "bpf/collector.h"
#include "bpf/stacks.h"
#include "bpf/unwind_feed.h"
#include "lib/strbuf.h"
#include "lib/util.h"

static struct symbolizer *shared_sym;
static int shared_refs;

struct symbolizer *stack_symbolizer_get(void)
{
	if (!shared_sym)
		shared_sym = symbolizer_new();
	if (shared_sym)
		shared_refs++;
	return shared_sym;
}

void stack_symbolizer_put(struct symbolizer *s)
{
	if (!s || s != shared_sym || --shared_refs > 0)
		return;
	symbolizer_free(shared_sym);
	shared_sym = NULL;
}

/* cgroup v2 level: how many directories below the cgroup2 mount root. */
static int cgroup2_level(const char *path, uint32_t *level)
{
	char buf[PATH_MAX], *slash;
	struct statfs sfs;
	struct stat st, parent;

	if (!realpath(path, buf))
		return -errno;
	*level = 0;
	while ((slash = strrchr(buf, '/')) && slash != buf) {
		if (stat(buf, &st))
			return -errno;
		*slash = '\0';
		if (statfs(buf, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC ||
		    stat(buf, &parent) || parent.st_dev != st.st_dev)
			return 0;
		(*level)++;
	}
	return 0;
}

int stack_target_init(struct stack_target *t, const struct run_opts *o, char *why, size_t len)
{
	struct statfs sfs;
	struct stat st;
	int err;

	memset(t, 0, sizeof(*t));
	snprintf(t->desc, sizeof(t->desc), "whole host");
	if (o && o->pid > 0) {
		t->tgid = (uint32_t)o->pid;
		snprintf(t->desc, sizeof(t->desc), "pid %d", o->pid);
	}
	if (!o || !o->cgroup)
		return 0;
	t->cgroup_path = o->cgroup;
	if (statfs(o->cgroup, &sfs) || stat(o->cgroup, &st)) {
		snprintf(why, len, "--cgroup %s: %s", o->cgroup, strerror(errno));
		return -errno;
	}
	if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
		if ((err = cgroup2_level(o->cgroup, &t->cg_level))) {
			snprintf(why, len, "--cgroup %s: %s", o->cgroup, strerror(-err));
			return err;
		}
		/* On cgroup2 the directory's inode number is the cgroup id. */
		t->cgid = st.st_ino;
		snprintf(t->desc, sizeof(t->desc), "cgroup v2 %s (id %llu, level %u)", o->cgroup,
			 (unsigned long long)t->cgid, t->cg_level);
	} else {
		t->use_tgids = true;
		snprintf(t->desc, sizeof(t->desc), "cgroup v1 %s (its processes)", o->cgroup);
	}
	return 0;
}

static void add_procs_of(const char *dir, int fd, int depth)
{
	char path[PATH_MAX], line[32];
	struct dirent *de;
	FILE *f;
	DIR *d;
	__u8 one = 1;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((f = fopen(path, "r"))) {
		while (fgets(line, sizeof(line), f)) {
			__u32 tgid = (__u32)strtoul(line, NULL, 10);

			if (tgid)
				bpf_map_update_elem(fd, &tgid, &one, BPF_ANY);
		}
		fclose(f);
	}
	if (depth > 16 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			add_procs_of(path, fd, depth + 1);
		}
	closedir(d);
}

void stack_target_refresh(const struct stack_target *t, int tgid_map_fd)
{
	if (t->use_tgids && tgid_map_fd >= 0)
		add_procs_of(t->cgroup_path, tgid_map_fd, 0);
}

int stack_collector_available(struct report *r, char *why, size_t len)
{
	if (!report_capability_ok(r, "root") && geteuid() != 0) {
		snprintf(why, len, "needs root (or CAP_BPF and CAP_PERFMON)");
		return -EPERM;
	}
	return 0;
}

struct ring_buffer *stack_events_start(struct bpf_object *obj, const struct stack_target *t,
				       struct unwind_feed *feed, char *why, size_t len, int *err)
{
	struct ring_buffer *rb;

	stack_target_refresh(t, bpf_object__find_map_fd_by_name(obj, "targ_tgids"));
	feed->fc->kstacks_fd = bpf_object__find_map_fd_by_name(obj, "kstacks");
	feed->fc->ustacks_fd = bpf_object__find_map_fd_by_name(obj, "ustacks");
	rb = ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "proc_events"),
			      unwind_feed_on_proc, feed, NULL);
	if (!rb) {
		*err = -errno;
		snprintf(why, len, "ring buffer: %s", strerror(errno));
		return NULL;
	}
	*err = unwind_feed_start(feed, rb, bpf_object__find_map_fd_by_name(obj, "unwind_rb"),
				 bpf_object__find_map_fd_by_name(obj, "unwind_tgids"),
				 bpf_object__find_map_fd_by_name(obj, "unwind_fp_depths"), t);
	if (*err)
		snprintf(why, len, "unwinding ring buffer: %s", strerror(-*err));
	return rb;
}

int stack_events_poll(struct bpf_object *obj, const struct stack_target *t,
		      struct ring_buffer *rb, struct unwind_feed *feed)
{
	int n;

	stack_target_refresh(t, bpf_object__find_map_fd_by_name(obj, "targ_tgids"));
	n = ring_buffer__consume(rb);
	/* After the announcements: a process judged by its binary is not
	 * judged again by its walks. */
	unwind_feed_poll(feed);
	return n;
}

int online_cpus(int *cpus, int max)
{
	char buf[1024], *p, *tok;
	int n = 0;

	if (read_line("/sys/devices/system/cpu/online", buf, sizeof(buf)))
		return -errno;
	for (p = buf; (tok = strsep(&p, ","));) {
		int lo, hi;

		if (sscanf(tok, "%d-%d", &lo, &hi) != 2) {
			if (sscanf(tok, "%d", &lo) != 1)
				continue;
			hi = lo;
		}
		for (int c = lo; c <= hi && n < max; c++)
			cpus[n++] = c;
	}
	return n;
}

int stack_on_proc_event(void *ctx, void *data, size_t size)
{
	const struct stack_proc_event *e = data;

	if (size >= sizeof(*e) && !e->exited)
		symbolizer_snapshot(ctx, (pid_t)e->tgid, true);
	return 0;
}

static const char *missing_stack_frame(int32_t id, bool kernel)
{
	if (id == STACK_ID_UNWIND_LOST)
		return "[user-stack-lost:ring-buffer-full]";
	if (id == STACK_ID_UNWOUND)
		return "[user-stack-lost:copy-not-unwound]";
	if (id == -EEXIST)
		return kernel ? "[kernel-stack-lost:stack-map-collision]" :
				"[user-stack-lost:stack-map-collision]";
	if (id == -ENOMEM)
		return kernel ? "[kernel-stack-lost:stack-map-full]" : "[user-stack-lost:stack-map-full]";
	return kernel ? "[kernel-stack-lost:unwalkable]" : "[user-stack-lost:unwalkable]";
}

/* Appends frames root first from ips (leaf first). */
static void append_ips(struct stack_fold_ctx *fc, struct strbuf *sb, uint32_t tgid,
		       const uint64_t *ips, int depth, bool kernel)
{
	for (int i = depth - 1; i >= 0; i--) {
		bool is_return = !(fc->exact_leaf && i == 0);
		const char *text = kernel ? symbolize_kernel(fc->sym, ips[i], is_return) :
					    symbolize_user(fc->sym, (pid_t)tgid, ips[i], is_return);

		if (text)
			fold_append_frame(sb, text, false);
	}
}

/* Appends a stack's frames root first (the map holds them leaf first). */
static void append_stack(struct stack_fold_ctx *fc, struct strbuf *sb, uint32_t tgid,
			 int32_t id, bool kernel)
{
	uint64_t ips[STACK_MAX_DEPTH] = { 0 };
	int depth = 0;

	if (id == STACK_ID_NONE)
		return;
	if (id < 0 || bpf_map_lookup_elem(kernel ? fc->kstacks_fd : fc->ustacks_fd, &id, ips)) {
		fc->nr_missing_stacks++;
		fold_append_frame(sb, missing_stack_frame(id < 0 ? id : -ENOENT, kernel), false);
		return;
	}
	while (depth < STACK_MAX_DEPTH && ips[depth])
		depth++;
	/* A frame-pointer walk through code built without frame pointers
	 * goes astray after the leaf: keep the frames up to the first one
	 * outside every executable mapping, and say the rest was cut. */
	for (int i = 1; !kernel && i < depth; i++)
		if (!symbolizer_addr_mapped(fc->sym, (pid_t)tgid, ips[i])) {
			depth = i;
			fc->nr_cut_stacks++;
			fold_append_frame(sb, "[unwind-stopped]", false);
			break;
		}
	append_ips(fc, sb, tgid, ips, depth, kernel);
}

int stack_fold(struct stack_fold_ctx *fc, const struct stack_sample *ss)
{
	const char *name = symbolizer_proc_name(fc->sym, (pid_t)ss->tgid);
	char comm_z[STACK_COMM_LEN + 1];
	struct strbuf sb = { 0 };
	int err;

	/* The process by its main thread's name, captured while it lived;
	 * the thread's own comm when it was never seen alive. */
	snprintf(comm_z, sizeof(comm_z), "%.*s", STACK_COMM_LEN, ss->comm);
	fold_append_frame(&sb, name ? name : comm_z, true);
	if (ss->after_name)
		fold_append_frame(&sb, ss->after_name, true);
	if (ss->uips) {
		/* A DWARF walk cut short says so at its root, as a frame-pointer
		 * walk that left the mappings does. */
		if (ss->utruncated) {
			fc->nr_truncated_stacks++;
			fold_append_frame(&sb, "[unwind-truncated]", false);
		}
		append_ips(fc, &sb, ss->tgid, ss->uips, ss->nr_uips, false);
	} else {
		append_stack(fc, &sb, ss->tgid, ss->ustack_id, false);
	}
	append_stack(fc, &sb, ss->tgid, ss->kstack_id, true);
	if (ss->leaf)
		fold_append_frame(&sb, ss->leaf, true);
	if (sb.oom) {
		sb_free(&sb);
		return -ENOMEM;
	}
	err = fold_add(fc->table, sb.buf, sb.len, ss->value);
	sb_free(&sb);
	return err;
}

struct leaf_sum {
	char *name;
	uint64_t value;
};

static int leaf_cmp(const void *a, const void *b)
{
	const struct leaf_sum *x = a, *y = b;

	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return strcmp(x->name, y->name);
}

json_t *stack_top_leaves(struct fold_table *t, size_t n)
{
	struct fold_table leaves = { 0 };
	struct leaf_sum *v;
	json_t *out = json_array();
	size_t nr = 0;

	for (size_t i = 0; i < t->by_hash.cap; i++)
		for (struct fold_entry *e = t->by_hash.slots[i].val; e; e = e->next) {
			const char *leaf = strrchr(e->stack, ';');

			leaf = leaf ? leaf + 1 : e->stack;
			fold_add(&leaves, leaf, strlen(leaf), e->value);
		}
	v = calloc(leaves.nr_stacks ? leaves.nr_stacks : 1, sizeof(*v));
	for (size_t i = 0; v && i < leaves.by_hash.cap; i++)
		for (struct fold_entry *e = leaves.by_hash.slots[i].val; e; e = e->next)
			v[nr++] = (struct leaf_sum){ e->stack, e->value };
	if (v)
		qsort(v, nr, sizeof(*v), leaf_cmp);
	for (size_t i = 0; v && i < nr && i < n; i++)
		json_array_append_new(out, json_pack("{s:s, s:I, s:f}", "function", v[i].name,
			"value", (json_int_t)v[i].value, "pct",
			t->total ? 100.0 * v[i].value / t->total : 0.0));
	free(v);
	fold_free(&leaves);
	return out;
}
