/* fslat.c: the "fslat" collector (filesystem): loads fslat.bpf.c and
 * harvests syscall-level file-system latency (TH-04: fsslower without
 * kprobes) into report.measurements.fslat, report.histograms[]
 * ("filesystem.latency" per operation, "filesystem.latency_process" per
 * process, us) and report.outliers[] ("filesystem.slow_calls").
 *
 * File names: the BPF side reads the dentry names of the file and a few
 * parents (bpf_d_path is not allowed on tracepoints); this side puts the
 * mount point of the file's device in front when the walk reached the file
 * system's root. For a slow call it also reads /proc/PID/fd/FD at the next
 * poll (100 ms later) and keeps that full path when it still names the same
 * inode: the dentry names survive the process's exit and fd reuse, the
 * /proc link gives paths deeper than the walk. Knob: {"slow_ms": 10}, the
 * threshold of the slow-call table (fsslower's default). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/fslat.h"
#include "bpf/maputil.h"
#include "bpf/probe_util.h"
#include "bpf/syscount_fs.h"
#include "bpf/variant.h"
#include "lib/cgroupfs.h"
#include "lib/heatmap.h"
#include "lib/hist.h"
#include "lib/util.h"
#include "fslat.skel.h"

#define SLOW_MS_DEFAULT 10.0
#define KEEP_SLOW 100           /* rows of the slow-call table */
#define MAX_SLOW_FILES 256      /* (process, operation, file) groups of slow calls */
#define TOP_PROCS 20
#define TOP_PROC_HISTS 10
#define PATH_LEN 512
/* Rows of processes that exited are moved out of the kernel's map once it
 * is this full, so short-lived processes (a spawn loop makes hundreds a
 * second) do not crowd out the ones still doing I/O. */
#define PRUNE_FROM_ROWS (FS_MAX_PROC_KEYS / 2)
#define PRUNE_EVERY_S 1.0
/* An exited process's row is kept (in user space) when it spent this long
 * in file-system calls or made a slow call; others are only counted. */
#define KEEP_GONE_NS 1000000ull

static const char *const op_names[FS_NR_OPS] = {
	"read", "write", "pread64", "pwrite64", "readv", "writev", "fsync", "fdatasync",
};

/* The syscall numbers of this architecture, as the BPF side needs them. */
static const long op_syscalls[FS_NR_OPS] = {
	SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev,
	SYS_fsync, SYS_fdatasync,
};

#ifndef SYS_close_range
#define SYS_close_range -1
#endif
#ifndef SYS_io_uring_enter
#define SYS_io_uring_enter -1
#endif

static const long fd_change_syscalls[FS_FD_CHANGES] = {
	SYS_close, SYS_close_range, SYS_dup2, SYS_dup3, SYS_execve, SYS_execveat,
	SYS_io_uring_enter,
};

struct slow_row {
	double time_s;          /* since the window opened */
	double wall_s;          /* CLOCK_REALTIME */
	double lat_ms;
	long long ret;
	unsigned pid, tid, op;
	int fd;
	char comm[16];
	char device[32];
	char path[PATH_LEN];
	const char *resolved;   /* "proc_fd", "dentry" or "dentry_partial" */
};

struct slow_file {
	unsigned pid, op;
	char comm[16];
	char path[PATH_LEN];
	uint64_t count;
	double total_ms, max_ms;
};

/* What fslat reads of the BPF object that runs its part: its own, or
 * syscount's when it rides on syscount (fs_part.bpf.h). */
struct fs_object {
	struct bpf_object *obj;
	struct bpf_map *op_hists, *procs, *slow_calls, *counters, *heat;
	__u64 *heat_start_ns;
	uint32_t *paused;
};

struct fslat_priv {
	struct fslat_bpf *skel;     /* its own object; NULL when it rides */
	struct fs_object o;
	enum attach_kind kind;
	json_t *missing;
	uint64_t cgid;
	double slow_ms;
	struct ring_buffer *rb;
	double mono_to_real_s;      /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	char *mountinfo;            /* /proc/self/mountinfo, read at start */
	bool mountinfo_reread;      /* read again this poll (a mount made since) */
	struct slow_row rows[KEEP_SLOW];
	size_t nr_rows;
	uint64_t slow_seen;         /* slow calls that reached user space */
	struct slow_file files[MAX_SLOW_FILES];
	size_t nr_files;
	uint64_t files_dropped;     /* slow calls whose group did not fit */
	struct collector *c;
	/* Rows of exited processes moved out of the kernel's map. */
	struct fs_proc_key *gone_keys;
	struct fs_proc *gone_vals;
	size_t nr_gone, cap_gone;
	uint64_t pruned_rows;       /* rows of exited processes left out: < 1 ms, no slow call */
	long prune_from;            /* PRUNE_FROM_ROWS, or the knob prune_from_rows */
	double last_prune_s;
	uint64_t heat_col_ns;
};

static void *open_skel(void) { return fslat_bpf__open(); }
static int load_skel(void *s) { return fslat_bpf__load(s); }
static int attach_skel(void *s) { return fslat_bpf__attach(s); }
static void destroy_skel(void *s) { fslat_bpf__destroy(s); }
static struct bpf_object *skel_obj(void *s) { return ((struct fslat_bpf *)s)->obj; }

static double slow_ms_knob(const struct collector *c)
{
	json_t *slow = json_object_get(c->knobs, "slow_ms");

	return json_is_number(slow) && json_number_value(slow) > 0 ? json_number_value(slow) :
	       SLOW_MS_DEFAULT;
}

/* Sets fs_part.bpf.h's read-only knobs in obj before its load, by name:
 * obj is fslat's own or syscount's (the target filter is the includer's). */
void fslat_configure(const struct collector *c, struct bpf_object *obj)
{
	int32_t *op_nr = probe_global(obj, ".rodata", "op_nr", sizeof(int32_t) * FS_NR_OPS);
	int32_t *fd_change = probe_global(obj, ".rodata", "fd_change_nr",
					  sizeof(int32_t) * FS_FD_CHANGES);
	uint64_t *slow_ns = probe_global(obj, ".rodata", "slow_ns", sizeof(uint64_t));
	uint64_t *col_ns = probe_global(obj, ".rodata", "heat_col_ns", sizeof(uint64_t));
	uint32_t *self = probe_global(obj, ".rodata", "self_tgid", sizeof(uint32_t));

	for (int i = 0; op_nr && i < FS_NR_OPS; i++)
		op_nr[i] = (int32_t)op_syscalls[i];
	for (int i = 0; fd_change && i < FS_FD_CHANGES; i++)
		fd_change[i] = (int32_t)fd_change_syscalls[i];
	if (slow_ns)
		*slow_ns = (uint64_t)(slow_ms_knob(c) * 1e6);
	if (col_ns)
		*col_ns = heatmap_col_ns(c->opts->duration_s);
	if (self)
		*self = (uint32_t)getpid();
}

static void knobs(void *s, struct collector *c, enum attach_kind kind)
{
	struct fslat_bpf *skel = s;
	struct fslat_priv *p = c->priv;

	fslat_configure(c, skel->obj);
	skel->rodata->targ_tgid = c->opts->pid;
	skel->rodata->targ_cgid = p->cgid;
}

/* The maps and variables of the object that runs fslat's part. */
static int bind_object(struct fs_object *o, struct bpf_object *obj)
{
	o->obj = obj;
	o->op_hists = bpf_object__find_map_by_name(obj, "op_hists");
	o->procs = bpf_object__find_map_by_name(obj, "fs_procs");
	o->slow_calls = bpf_object__find_map_by_name(obj, "slow_calls");
	o->counters = bpf_object__find_map_by_name(obj, "fs_counters");
	o->heat = bpf_object__find_map_by_name(obj, "heat");
	o->heat_start_ns = probe_global(obj, ".bss", "heat_start_ns", sizeof(__u64));
	o->paused = probe_global(obj, ".bss", "fs_paused", sizeof(uint32_t));
	return o->op_hists && o->procs && o->slow_calls && o->counters && o->heat &&
	       o->heat_start_ns && o->paused ? 0 : -ENOENT;
}

static const struct variant_ops loader = {
	.open = open_skel, .object = skel_obj, .knobs = knobs, .load = load_skel,
	.attach = attach_skel, .destroy = destroy_skel,
};

/* The mount point of a device (kernel dev_t encoding), from mountinfo:
 * "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..."; the mount of the file system's
 * own root is preferred over bind mounts of a subdirectory. */
static bool mount_point(const char *mountinfo, uint32_t kdev, char *out, size_t len)
{
	unsigned want_major = kdev >> 20, want_minor = kdev & 0xfffff;
	const char *line = mountinfo;
	bool found = false;

	while (line && *line) {
		unsigned maj, min;
		char root[PATH_LEN], mnt[PATH_LEN];

		if (sscanf(line, "%*u %*u %u:%u %511s %511s", &maj, &min, root, mnt) == 4 &&
		    maj == want_major && min == want_minor && (!found || !strcmp(root, "/"))) {
			snprintf(out, len, "%s", mnt);
			found = true;
			if (!strcmp(root, "/"))
				return true;
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return found;
}

/* The file's path from the dentry names: MOUNTPOINT/a/b/c when the walk
 * reached the root and the mount is known, else ".../b/c". */
static const char *dentry_path(struct fslat_priv *p, const struct fs_file *f, char *out,
			       size_t len)
{
	char mnt[PATH_LEN] = "";
	size_t off = 0;
	bool whole = f->at_root && p->mountinfo && mount_point(p->mountinfo, f->dev, mnt,
							       sizeof(mnt));

	if (f->at_root && !whole && !p->mountinfo_reread) {
		/* A file system mounted after the window opened. */
		free(p->mountinfo);
		p->mountinfo = read_file_alloc("/proc/self/mountinfo", NULL);
		p->mountinfo_reread = true;
		whole = p->mountinfo && mount_point(p->mountinfo, f->dev, mnt, sizeof(mnt));
	}

	if (whole)
		off = snprintf(out, len, "%s", strcmp(mnt, "/") ? mnt : "");
	else
		off = snprintf(out, len, "%s", f->at_root ? "" : "...");
	for (int i = f->depth - 1; i >= 0 && i < FS_PATH_DEPTH && off < len; i--) {
		char name[FS_NAME_LEN + 1];

		memcpy(name, f->names[i], FS_NAME_LEN);
		name[FS_NAME_LEN] = '\0';
		off += snprintf(out + off, len - off, "/%s", name);
	}
	if (!f->depth)
		snprintf(out, len, "%s", whole ? mnt : "?");
	return whole ? "dentry" : "dentry_partial";
}

/* /proc/PID/fd/FD when it still names the call's inode. */
static bool proc_fd_path(const struct fs_event *e, char *out, size_t len)
{
	char link[64];
	struct stat st;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/fd/%d", e->pid, e->fd);
	if (stat(link, &st) || st.st_ino != e->file.ino ||
	    major(st.st_dev) != e->file.dev >> 20 || minor(st.st_dev) != (e->file.dev & 0xfffff))
		return false;
	n = readlink(link, out, len - 1);
	if (n <= 0)
		return false;
	out[n] = '\0';
	return true;
}

static void group_slow(struct fslat_priv *p, const struct slow_row *row)
{
	struct slow_file *g = NULL;

	for (size_t i = 0; i < p->nr_files && !g; i++)
		if (p->files[i].pid == row->pid && p->files[i].op == row->op &&
		    !strcmp(p->files[i].path, row->path))
			g = &p->files[i];
	if (!g) {
		if (p->nr_files == MAX_SLOW_FILES) {
			p->files_dropped++;
			return;
		}
		g = &p->files[p->nr_files++];
		g->pid = row->pid;
		g->op = row->op;
		snprintf(g->comm, sizeof(g->comm), "%s", row->comm);
		snprintf(g->path, sizeof(g->path), "%s", row->path);
	}
	g->count++;
	g->total_ms += row->lat_ms;
	if (row->lat_ms > g->max_ms)
		g->max_ms = row->lat_ms;
}

/* Keeps the KEEP_SLOW slowest: a new row replaces the fastest kept. */
static void keep_slow(struct fslat_priv *p, const struct slow_row *row)
{
	size_t min = 0;

	if (p->nr_rows < KEEP_SLOW) {
		p->rows[p->nr_rows++] = *row;
		return;
	}
	for (size_t i = 1; i < KEEP_SLOW; i++)
		if (p->rows[i].lat_ms < p->rows[min].lat_ms)
			min = i;
	if (row->lat_ms > p->rows[min].lat_ms)
		p->rows[min] = *row;
}

static int on_slow(void *ctx, void *data, size_t size)
{
	struct fslat_priv *p = ctx;
	const struct fs_event *e = data;
	struct slow_row row = { 0 };

	if (size < sizeof(*e) || e->op >= FS_NR_OPS)
		return 0;
	p->slow_seen++;
	row.time_s = e->end_ns / 1e9 - p->c->started_s;
	row.wall_s = e->end_ns / 1e9 + p->mono_to_real_s;
	row.lat_ms = e->lat_ns / 1e6;
	row.ret = e->ret;
	row.pid = e->pid;
	row.tid = e->tid;
	row.op = e->op;
	row.fd = e->fd;
	probe_comm(row.comm, sizeof(row.comm), e->comm, sizeof(e->comm));
	probe_comm(row.device, sizeof(row.device), e->file.sb_id, sizeof(e->file.sb_id));
	if (proc_fd_path(e, row.path, sizeof(row.path)))
		row.resolved = "proc_fd";
	else
		row.resolved = dentry_path(p, &e->file, row.path, sizeof(row.path));
	group_slow(p, &row);
	keep_slow(p, &row);
	return 0;
}

static int fslat_available(struct report *r, char *why, size_t len)
{
	if (json_object_get(report_get(r, "capabilities"), "root") &&
	    !report_capability_ok(r, "root")) {
		snprintf(why, len, "needs root (see capabilities.root)");
		return -EPERM;
	}
	return 0;
}

static int fslat_start(struct collector *c, char *why, size_t len)
{
	struct fslat_priv *p = calloc(1, sizeof(*p));
	struct bpf_object *host_obj;
	struct timespec mono, real;
	int err;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->c = c;
	p->slow_ms = slow_ms_knob(c);
	p->prune_from = json_integer_value(json_object_get(c->knobs, "prune_from_rows")) > 0 ?
			json_integer_value(json_object_get(c->knobs, "prune_from_rows")) :
			PRUNE_FROM_ROWS;
	err = probe_cgroup_id(c->opts->cgroup, &p->cgid, why, len);
	if (err)
		return err;
	p->mountinfo = read_file_alloc("/proc/self/mountinfo", NULL);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	p->mono_to_real_s = (real.tv_sec - mono.tv_sec) + (real.tv_nsec - mono.tv_nsec) / 1e9;
	p->heat_col_ns = heatmap_col_ns(c->opts->duration_s);
	p->missing = json_array();
	/* Riding on syscount: its programs already run this part. */
	host_obj = c->host ? syscount_shared_object(c->host, &p->kind) : NULL;
	if (!host_obj) {
		p->skel = variant_open_load(c, &loader, &p->kind, p->missing, why, len);
		if (!p->skel)
			return -ENOENT;
	}
	if (bind_object(&p->o, host_obj ? host_obj : p->skel->obj)) {
		snprintf(why, len, "the BPF object lacks fslat's maps");
		return -ENOENT;
	}
	p->rb = ring_buffer__new(bpf_map__fd(p->o.slow_calls), on_slow, p, NULL);
	if (!p->rb) {
		snprintf(why, len, "ring buffer: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static bool keep_gone(struct fslat_priv *p, const struct fs_proc_key *k,
		      const struct fs_proc *v)
{
	if (p->nr_gone == p->cap_gone) {
		size_t cap = p->cap_gone ? 2 * p->cap_gone : 256;
		struct fs_proc_key *nk = realloc(p->gone_keys, cap * sizeof(*nk));
		struct fs_proc *nv;

		if (!nk)
			return false;
		p->gone_keys = nk;
		nv = realloc(p->gone_vals, cap * sizeof(*nv));
		if (!nv)
			return false;
		p->gone_vals = nv;
		p->cap_gone = cap;
	}
	p->gone_keys[p->nr_gone] = *k;
	p->gone_vals[p->nr_gone++] = *v;
	return true;
}

/* Moves the rows of processes that have exited out of the kernel's map
 * (see PRUNE_FROM_ROWS); the significant ones are kept here. */
static void prune_gone(struct fslat_priv *p)
{
	int fd = bpf_map__fd(p->o.procs);
	struct fs_proc_key *keys;
	struct fs_proc *vals;
	long n;

	if (now_mono_s() - p->last_prune_s < PRUNE_EVERY_S)
		return;
	p->last_prune_s = now_mono_s();
	n = probe_map_dump(fd, sizeof(*keys), sizeof(*vals), FS_MAX_PROC_KEYS, (void **)&keys,
			   (void **)&vals);
	for (long i = 0; n >= p->prune_from && i < n; i++) {
		if (kill(keys[i].tgid, 0) == 0 || errno != ESRCH)
			continue;
		if (vals[i].total_ns < KEEP_GONE_NS && !vals[i].slow)
			p->pruned_rows++;
		else if (!keep_gone(p, &keys[i], &vals[i]))
			continue;
		bpf_map_delete_elem(fd, &keys[i]);
	}
	free(keys);
	free(vals);
}

static int fslat_poll(struct collector *c)
{
	struct fslat_priv *p = c->priv;

	p->mountinfo_reread = false;
	heatmap_open(p->o.heat_start_ns, c);
	prune_gone(p);
	return p->rb ? ring_buffer__poll(p->rb, 0) : 0;
}

static void fslat_stop(struct collector *c)
{
	struct fslat_priv *p = c->priv;

	if (p->skel)
		fslat_bpf__detach(p->skel);
	else
		__atomic_store_n(p->o.paused, 1, __ATOMIC_RELAXED);   /* syscount's run on */
	if (p->rb)
		ring_buffer__poll(p->rb, 0);
}

static double per_s(struct collector *c, double n)
{
	return c->window_s > 0 ? n / c->window_s : 0;
}

/* One process, merged over its (process, operation) rows. */
struct proc_total {
	uint32_t tgid;
	uint64_t count, total_ns, max_ns, slow, bytes;
	int max_row;                /* its row with the slowest call */
	uint64_t slots[HIST_SLOTS];
};

static int proc_cmp(const void *a, const void *b)
{
	const struct proc_total *x = a, *y = b;

	return x->total_ns < y->total_ns ? 1 : x->total_ns > y->total_ns ? -1 : 0;
}

static json_t *op_json(struct collector *c, struct fslat_priv *p, const struct fs_proc *v)
{
	struct hist_stats st;
	char path[PATH_LEN];

	hist_compute((const uint64_t *)v->slots, HIST_SLOTS, v->max_ns / 1000, &st);
	dentry_path(p, &v->max_file, path, sizeof(path));
	return json_pack("{s:I, s:f, s:f, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:{s:s, s:i, s:f}}",
			 "count", (json_int_t)v->count, "rate_per_s", per_s(c, v->count),
			 "total_ms", v->total_ns / 1e6, "bytes", (json_int_t)v->bytes,
			 "errors", (json_int_t)v->errors, "slow", (json_int_t)v->slow,
			 "p50_us", st.p50, "p90_us", st.p90, "p99_us", st.p99,
			 "max_us", v->max_ns / 1e3, "slowest", "file", path, "tid", (int)v->max_tid,
			 "latency_ms", v->max_ns / 1e6);
}

static json_t *proc_json(struct collector *c, struct fslat_priv *p, struct proc_total *t,
			 struct fs_proc_key *keys, struct fs_proc *vals, long n)
{
	const struct fs_proc *best = &vals[t->max_row];
	char cg[512] = "", path[PATH_LEN], comm[16];
	struct hist_stats st;
	json_t *ops = json_object(), *j;

	for (long i = 0; i < n; i++)
		if (keys[i].tgid == t->tgid && keys[i].op < FS_NR_OPS)
			json_object_set_new(ops, op_names[keys[i].op], op_json(c, p, &vals[i]));
	if (best->blkcg_id && cgroupfs_path_by_id("blkio", best->blkcg_id, cg, sizeof(cg)))
		cg[0] = '\0';
	probe_comm(comm, sizeof(comm), best->comm, sizeof(best->comm));
	dentry_path(p, &best->max_file, path, sizeof(path));
	hist_compute(t->slots, HIST_SLOTS, t->max_ns / 1000, &st);
	j = json_pack("{s:i, s:s, s:s, s:I, s:f, s:f, s:f, s:I, s:I, s:f, s:f, s:f, s:o}",
		      "pid", (int)t->tgid, "comm", comm, "blkio_cgroup", cg,
		      "count", (json_int_t)t->count, "rate_per_s", per_s(c, t->count),
		      "time_ms", t->total_ns / 1e6,
		      "time_share", c->window_s > 0 ? t->total_ns / 1e9 / c->window_s : 0,
		      "slow", (json_int_t)t->slow, "bytes", (json_int_t)t->bytes,
		      "p50_us", st.p50, "p99_us", st.p99, "max_us", t->max_ns / 1e3, "ops", ops);
	json_object_set_new(j, "slowest", json_pack("{s:s, s:s, s:i, s:f}", "op",
			    op_names[keys[t->max_row].op], "file", path, "tid", (int)best->max_tid,
			    "latency_ms", t->max_ns / 1e6));
	return j;
}

/* Per-process rows, top TOP_PROCS by time in file-system calls, and the
 * per-process histogram of the first TOP_PROC_HISTS. */
static json_t *per_process(struct collector *c, struct fslat_priv *p, json_t *hist)
{
	struct fs_proc_key *keys;
	struct fs_proc *vals;
	long n = probe_map_dump(bpf_map__fd(p->o.procs), sizeof(*keys), sizeof(*vals),
				FS_MAX_PROC_KEYS, (void **)&keys, (void **)&vals);
	struct proc_total *t;
	size_t nr = 0;
	json_t *arr = json_array();

	if (n < 0)
		n = 0;
	/* The rows moved out of the map join the ones still in it. */
	if (p->nr_gone) {
		struct fs_proc_key *nk = realloc(keys, (n + p->nr_gone) * sizeof(*nk));
		struct fs_proc *nv = nk ? realloc(vals, (n + p->nr_gone) * sizeof(*nv)) : NULL;

		if (nk)
			keys = nk;
		if (nv) {
			vals = nv;
			memcpy(keys + n, p->gone_keys, p->nr_gone * sizeof(*keys));
			memcpy(vals + n, p->gone_vals, p->nr_gone * sizeof(*vals));
			n += p->nr_gone;
		}
	}
	t = calloc(n > 0 ? n : 1, sizeof(*t));

	for (long i = 0; t && i < n; i++) {
		size_t j;

		for (j = 0; j < nr && t[j].tgid != keys[i].tgid; j++)
			;
		if (j == nr) {
			t[j].tgid = keys[i].tgid;
			t[j].max_row = i;
			nr++;
		}
		t[j].count += vals[i].count;
		t[j].total_ns += vals[i].total_ns;
		t[j].slow += vals[i].slow;
		t[j].bytes += vals[i].bytes;
		if (vals[i].max_ns > t[j].max_ns) {
			t[j].max_ns = vals[i].max_ns;
			t[j].max_row = i;
		}
		for (int s = 0; s < HIST_SLOTS; s++)
			t[j].slots[s] += vals[i].slots[s];
	}
	if (t)
		qsort(t, nr, sizeof(*t), proc_cmp);
	for (size_t i = 0; t && i < nr && i < TOP_PROCS; i++) {
		json_t *pj = proc_json(c, p, &t[i], keys, vals, n);
		char key[64];

		if (i < TOP_PROC_HISTS) {
			snprintf(key, sizeof(key), "%s/%u", json_string_value(json_object_get(pj, "comm")),
				 t[i].tgid);
			hist_add_breakdown(hist, "process", key, t[i].slots, HIST_SLOTS,
					   t[i].max_ns / 1000, json_pack("{s:i}", "pid", (int)t[i].tgid));
		}
		json_array_append_new(arr, pj);
	}
	free(t);
	free(keys);
	free(vals);
	return arr;
}

static int row_cmp(const void *a, const void *b)
{
	const struct slow_row *x = a, *y = b;

	return x->lat_ms < y->lat_ms ? 1 : x->lat_ms > y->lat_ms ? -1 : 0;
}

static int file_cmp(const void *a, const void *b)
{
	const struct slow_file *x = a, *y = b;

	return x->total_ms < y->total_ms ? 1 : x->total_ms > y->total_ms ? -1 : 0;
}

static json_t *slow_rows_json(struct fslat_priv *p)
{
	json_t *arr = json_array();

	qsort(p->rows, p->nr_rows, sizeof(p->rows[0]), row_cmp);
	for (size_t i = 0; i < p->nr_rows; i++) {
		const struct slow_row *s = &p->rows[i];
		time_t secs = (time_t)s->wall_s;
		struct tm tm;
		char wall[64];

		gmtime_r(&secs, &tm);
		snprintf(wall, sizeof(wall), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)((s->wall_s - secs) * 1000));
		json_array_append_new(arr, json_pack(
			"{s:f, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:f}",
			"time_s", s->time_s, "wall", wall, "pid", (int)s->pid, "tid", (int)s->tid,
			"comm", s->comm, "op", op_names[s->op], "file", s->path, "resolved", s->resolved,
			"device", s->device, "bytes", (json_int_t)s->ret, "latency_ms", s->lat_ms));
	}
	return arr;
}

static json_t *slow_files_json(struct fslat_priv *p)
{
	json_t *arr = json_array();

	qsort(p->files, p->nr_files, sizeof(p->files[0]), file_cmp);
	for (size_t i = 0; i < p->nr_files; i++) {
		const struct slow_file *f = &p->files[i];

		json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:s, s:I, s:f, s:f}",
			"pid", (int)f->pid, "comm", f->comm, "op", op_names[f->op], "file", f->path,
			"count", (json_int_t)f->count, "total_ms", f->total_ms, "max_ms", f->max_ms));
	}
	return arr;
}

/* The slow-call table as report.outliers[] draws it. */
static void add_outliers(struct report *r, json_t *rows, double slow_ms)
{
	json_t *all = json_object_get(r->doc, "outliers");
	char title[96];

	if (!all) {
		all = json_array();
		json_object_set_new(r->doc, "outliers", all);
	}
	snprintf(title, sizeof(title), "File-system calls slower than %g ms (fslat)", slow_ms);
	json_array_append_new(all, json_pack("{s:s, s:s, s:[s,s,s,s,s,s,s,s,s], s:o}",
		"name", "filesystem.slow_calls", "title", title, "columns", "wall", "pid", "tid",
		"comm", "op", "file", "device", "bytes", "latency_ms", "rows", json_deep_copy(rows)));
}

static json_t *per_op(struct collector *c, struct fslat_priv *p, json_t *hist,
		      uint64_t *host_slots)
{
	int hfd = bpf_map__fd(p->o.op_hists);
	json_t *ops = json_object();

	for (uint32_t op = 0; op < FS_NR_OPS; op++) {
		uint64_t slots[HIST_SLOTS];
		struct hist_stats st;

		maputil_percpu_hist(hfd, op, slots);
		hist_compute(slots, HIST_SLOTS, 0, &st);
		if (!st.count)
			continue;
		for (int s = 0; s < HIST_SLOTS; s++)
			host_slots[s] += slots[s];
		hist_add_breakdown(hist, "op", op_names[op], slots, HIST_SLOTS, 0, NULL);
		json_object_set_new(ops, op_names[op], json_pack(
			"{s:I, s:f, s:f, s:f, s:f, s:f}", "count", (json_int_t)st.count,
			"rate_per_s", per_s(c, st.count), "p50_us", st.p50, "p90_us", st.p90,
			"p99_us", st.p99, "max_us", st.max));
	}
	return ops;
}

/* report.heatmaps[] "filesystem.latency_heatmap": calls per time column
 * and log2 latency slot (us). */
static void add_heatmap(struct collector *c, struct fslat_priv *p, struct report *r)
{
	static uint64_t counts[HEAT_COLS * HIST_SLOTS];
	json_t *h;

	if (heatmap_read(bpf_map__fd(p->o.heat), counts))
		return;
	h = heatmap_json("filesystem.latency_heatmap",
			 "File-system call latency over time (fslat; the last column also holds "
			 "later calls)", "us", counts, p->heat_col_ns, c->window_s);
	if (h)
		heatmap_append(r->doc, h, "fslat");
}

static void add_hist(struct report *r, const char *name, const uint64_t *slots, json_t *parts)
{
	json_t *h = hist_json(name, "us", "fslat", slots, HIST_SLOTS, 0);

	json_object_set(h, "per_key", json_object_get(parts, "per_key"));
	hist_append(report_get(r, "histograms"), h);
}

static int fslat_harvest(struct collector *c, struct report *r)
{
	struct fslat_priv *p = c->priv;
	int cfd = bpf_map__fd(p->o.counters);
	uint64_t host_slots[HIST_SLOTS] = { 0 };
	json_t *by_op = json_object(), *by_proc = json_object(), *ops, *procs, *rows, *m;
	uint64_t events = maputil_percpu_u64(cfd, FS_EVENTS);
	uint64_t slow = maputil_percpu_u64(cfd, FS_SLOW_EVENTS);
	uint64_t lost_rb = maputil_percpu_u64(cfd, FS_LOST_RINGBUF);
	uint64_t lost_proc = maputil_percpu_u64(cfd, FS_LOST_PROC_FULL);

	ops = per_op(c, p, by_op, host_slots);
	procs = per_process(c, p, by_proc);
	rows = slow_rows_json(p);
	/* riding, a full slot table counts in syscount's lost events */
	c->lost_events = (p->skel ? p->skel->bss->lost_events : 0) + lost_rb + lost_proc;
	m = json_pack("{s:s, s:s, s:f, s:f, s:s, s:I, s:f, s:o, s:o, s:I, s:{s:i, s:s}}",
		      "attach", attach_kind_name(p->kind), "programs", p->skel ? "fslat's own" :
		      "syscount's (one pair of programs on raw_syscalls for both)",
		      "window_s", c->window_s,
		      "slow_ms", p->slow_ms, "file_names", "dentry names (file and up to 3 parents) "
		      "read in BPF, with the mount point; /proc/PID/fd/FD when still open on the "
		      "same inode", "calls", (json_int_t)events, "calls_per_s", per_s(c, events),
		      "ops", ops, "processes", procs, "lost_events", (json_int_t)c->lost_events,
		      "filter", "pid", (int)c->opts->pid, "cgroup",
		      c->opts->cgroup ? c->opts->cgroup : "");
	json_object_set_new(m, "slow_calls", json_pack(
		"{s:f, s:I, s:I, s:I, s:I, s:o, s:o, s:I}", "threshold_ms", p->slow_ms,
		"count", (json_int_t)slow, "seen", (json_int_t)p->slow_seen,
		"lost", (json_int_t)lost_rb, "kept", (json_int_t)p->nr_rows, "rows", rows,
		"by_file", slow_files_json(p), "by_file_dropped", (json_int_t)p->files_dropped));
	json_object_set(m, "missing_probes", p->missing);
	json_object_set_new(m, "exited_rows_left_out", json_integer((json_int_t)p->pruned_rows));
	json_object_set_new(report_get(r, "measurements"), "fslat", m);
	add_hist(r, "filesystem.latency", host_slots, by_op);
	add_hist(r, "filesystem.latency_process", host_slots, by_proc);
	add_outliers(r, rows, p->slow_ms);
	add_heatmap(c, p, r);
	json_decref(by_op);
	json_decref(by_proc);
	return 0;
}

static void fslat_destroy(struct collector *c)
{
	struct fslat_priv *p = c->priv;

	if (p) {
		ring_buffer__free(p->rb);
		fslat_bpf__destroy(p->skel);
		free(p->gone_keys);
		free(p->gone_vals);
		json_decref(p->missing);
		free(p->mountinfo);
	}
	free(p);
	c->priv = NULL;
}

static struct bpf_object *fslat_object(struct collector *c)
{
	struct fslat_priv *p = c->priv;

	/* riding, its programs are syscount's and their run time is there */
	return p && p->skel ? p->skel->obj : NULL;
}

static const struct collector_knob fslat_knobs[] = {
	{ "slow_ms", KNOB_NUMBER, 0.001, 60000, "the slow-call threshold" },
	{ "prune_from_rows", KNOB_INTEGER, 1, 1000000,
	  "(process, operation) rows at which exited processes' rows are folded away" },
	{ NULL, KNOB_FLAG, 0, 0, NULL },
};

const struct collector_ops fslat_collector = {
	.name = "fslat",
	.subsystem = "filesystem",
	.summary = "read, write and fsync latency on regular files per operation and process, "
		   "slow calls with file names (TH-04)",
	.available = fslat_available,
	.start = fslat_start,
	.poll = fslat_poll,
	.stop = fslat_stop,
	.harvest = fslat_harvest,
	.destroy = fslat_destroy,
	.object = fslat_object,
	.rides_on = "syscount",
	.knobs = fslat_knobs,
};
