/* fs_part.bpf.h: fslat's kernel side (TH-04 without kprobes: fsslower
 * from raw_syscalls sys_enter/sys_exit), included by fslat.bpf.c, whose
 * programs run it alone, and by syscount.bpf.c, whose programs run it
 * beside syscount's own work when both collectors are in one step: two
 * probes on one tracepoint cost every syscall of the host an indirect
 * call each, where a tracepoint with one probe calls it directly
 * (docs/performance.md). At entry of read, write, pread64, pwrite64,
 * readv, writev, fsync and fdatasync the fd is looked up in the task's
 * file table (task->files->fdt->fd[fd]); only regular files of real file
 * systems are timed (S_ISREG, and not proc, sysfs, tracefs and the other
 * pseudo file systems, whose "files" block on events, not on storage). At
 * exit the time goes into a log2 histogram per operation and per
 * (process, operation); calls at or above slow_ns go to user space
 * through a ring buffer with the file's dentry names (bpf_d_path is not
 * allowed on tracepoints, so the names are read from d_name up a few
 * parents; fslat.c adds the mount point). The entry state lives in the
 * thread's slot (tid_slot.bpf.h, member fs of struct tid_state), beside
 * the memo of its last fds. The includer defines struct tid_state with a
 * struct fs_call fs, defines TID_SLOT_MEMO and includes target.bpf.h and
 * tid_slot.bpf.h first. */
#ifndef FRIDAY_FS_PART_BPF_H
#define FRIDAY_FS_PART_BPF_H

#include "bits.bpf.h"
#include "heat.bpf.h"
#include "fslat.h"

#define S_IFMT 00170000
#define S_IFREG 0100000

/* The syscall numbers of enum fs_op on this architecture, set by fslat.c
 * from <sys/syscall.h> (-1: the architecture lacks it). */
const volatile __s32 op_nr[FS_NR_OPS] = { -1, -1, -1, -1, -1, -1, -1, -1 };
const volatile __u64 slow_ns = 10000000;   /* fsslower's default: 10 ms */
const volatile __u32 self_tgid = 0;        /* friday itself */
/* The heat map's column width (its start: heat.bpf.h). */
const volatile __u64 heat_col_ns = 1000000000;
/* The syscall numbers of FS_FD_CHANGES, set by fslat.c (-1: none). */
const volatile __s32 fd_change_nr[FS_FD_CHANGES] = { -1, -1, -1, -1, -1, -1, -1 };
/* Moves on at the entry of any of them, anywhere on the host. */
__u64 fd_table_gen = 0;
/* Set by fslat.c when it stops while its programs run on (they are
 * syscount's): from then on the part does nothing. */
__u32 fs_paused = 0;


struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FS_NR_OPS * HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} op_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FS_MAX_PROC_KEYS);
	__type(key, struct fs_proc_key);
	__type(value, struct fs_proc);
} fs_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} slow_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FS_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} fs_counters SEC(".maps");

/* Time column x latency slot (us, log2): calls completed. */
HEAT_MAP(heat);

/* A zeroed row to create entries from (too big for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fs_proc);
} zero_row SEC(".maps");

static __always_inline void fs_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&fs_counters, &idx);

	if (v)
		(*v)++;
}

static __always_inline int op_of(long id)
{
	for (int i = 0; i < FS_NR_OPS; i++)
		if (op_nr[i] >= 0 && op_nr[i] == id)
			return i;
	return -1;
}

/* Pseudo file systems whose regular files are not storage: a read there
 * waits for an event (trace_pipe, a timerfd, an eventfd), not for I/O. */
static __always_inline bool pseudo_fs(unsigned long magic)
{
	switch (magic) {
	case 0x9fa0:            /* proc */
	case 0x62656572:        /* sysfs */
	case 0x74726163:        /* tracefs */
	case 0x64626720:        /* debugfs */
	case 0x27e0eb:          /* cgroup */
	case 0x63677270:        /* cgroup2 */
	case 0x73636673:        /* securityfs */
	case 0xcafe4a11:        /* bpf */
	case 0x62656570:        /* configfs */
	case 0x6165676c:        /* pstore */
	case 0xde5e81e4:        /* efivarfs */
	case 0xf97cff8c:        /* selinuxfs */
	case 0x65735543:        /* fusectl */
	case 0x42494e4d:        /* binfmt_misc */
	case 0x09041934:        /* anon inodes: eventfd, timerfd, epoll, ... */
	case 0x50494446:        /* pidfs */
	case 0x6e736673:        /* nsfs */
		return true;
	}
	return false;
}

/* The open file behind fd in the current task, or NULL. */
static __always_inline struct file *fd_file(long fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds, *f = NULL;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The same on tp_btf, where the task's pointers are typed and read
 * without a helper call (this runs on every read and write of the host). */
static __always_inline struct file *fd_file_btf(long fd)
{
	struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
	struct file *f = NULL;

	if (fd < 0 || !fdt || fd >= fdt->max_fds)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
	return f;
}

static __always_inline bool storage_file(struct file *f)
{
	struct inode *ino = BPF_CORE_READ(f, f_inode);

	if (!ino || (BPF_CORE_READ(ino, i_mode) & S_IFMT) != S_IFREG)
		return false;
	return !pseudo_fs(BPF_CORE_READ(ino, i_sb, s_magic));
}

/* The file's identity and dentry names, from the file up to FS_PATH_DEPTH
 * levels, stopping at the file system's root. */
static __always_inline void fill_file(struct fs_file *out, struct file *f)
{
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	struct super_block *sb = BPF_CORE_READ(ino, i_sb);
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry), *parent;

	out->ino = BPF_CORE_READ(ino, i_ino);
	out->dev = BPF_CORE_READ(sb, s_dev);
	out->at_root = 0;
	out->depth = 0;
	BPF_CORE_READ_STR_INTO(&out->sb_id, sb, s_id);
	for (int i = 0; i < FS_PATH_DEPTH; i++) {
		parent = BPF_CORE_READ(d, d_parent);
		if (!parent || parent == d) {
			out->at_root = 1;
			return;
		}
		bpf_probe_read_kernel_str(out->names[i], FS_NAME_LEN, BPF_CORE_READ(d, d_name.name));
		out->depth = i + 1;
		d = parent;
	}
	out->at_root = BPF_CORE_READ(d, d_parent) == d;
}

static __always_inline bool fs_wanted(void)
{
	if (fs_paused)
		return false;
	if (self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return false;
	return target_current();
}

static __always_inline bool fd_change(long id)
{
	for (int i = 0; i < FS_FD_CHANGES; i++)
		if (fd_change_nr[i] >= 0 && fd_change_nr[i] == id)
			return true;
	return false;
}

/* The file of storage behind fd, or NULL: from the thread's memo when it
 * still holds, else from the file table (and the memo updated). */
static __always_inline struct file *storage_fd(__u32 tid, long fd, bool btf)
{
	struct tid_slot *s = tid_slot_of(tid);
	__u64 gen = fd_table_gen;
	struct tid_memo *m;
	struct file *f;
	__u32 k;

	if (!s)
		return NULL;
	m = &s->memo;
	if (m->tid == tid && m->gen == gen)
		for (k = 0; k < FS_MEMO_FDS; k++)
			if (m->fd[k] == fd)
				return (struct file *)m->file[k];
	f = btf ? fd_file_btf(fd) : fd_file(fd);
	if (f && !storage_file(f))
		f = NULL;
	if (m->tid != tid || m->gen != gen) {
		m->tid = tid;
		m->gen = gen;
		for (k = 0; k < FS_MEMO_FDS; k++)
			m->fd[k] = -1;
	}
	k = m->next % FS_MEMO_FDS;
	m->next = k + 1;
	m->fd[k] = fd;
	m->file[k] = (__u64)f;
	return f;
}

/* Any other syscall: one that may change an fd's file moves the memos'
 * generation on (a lost race between CPUs still moves it). */
static __always_inline void fs_on_other(long id)
{
	if (fd_change(id))
		fd_table_gen++;
}

/* At the entry of a file-system syscall (op_of(id) >= 0): a call on a
 * file of storage claims the thread's slot and is timed. */
static __always_inline void fs_on_enter(long id, long fd, bool btf)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	int op = op_of(id);
	struct tid_state *st;
	struct file *f;

	if (op < 0 || !fs_wanted())
		return;
	f = storage_fd(tid, fd, btf);
	if (!f)
		return;
	st = tid_state_claim(tid);
	if (!st)
		return;
	st->fs.ts = bpf_ktime_get_ns();
	st->fs.file = (__u64)f;
	st->fs.fd = fd;
	st->fs.op = op;
}

static __always_inline struct fs_proc *proc_row(__u32 tgid, __u32 op)
{
	struct fs_proc_key key = { .tgid = tgid, .op = op };
	struct fs_proc *e = bpf_map_lookup_elem(&fs_procs, &key), *zero;
	struct task_struct *t;
	__u32 z = 0;

	if (e)
		return e;
	zero = bpf_map_lookup_elem(&zero_row, &z);
	if (!zero)
		return NULL;
	t = (struct task_struct *)bpf_get_current_task();
	BPF_CORE_READ_STR_INTO(&zero->comm, t, group_leader, comm);
	zero->blkcg_id = task_css_cgid(t, bpf_core_enum_value(enum cgroup_subsys_id, io_cgrp_id));
	if (bpf_map_update_elem(&fs_procs, &key, zero, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&fs_procs, &key)) {
		fs_count(FS_LOST_PROC_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&fs_procs, &key);
}

static __always_inline void emit_slow(const struct fs_call *st, __u64 now, __u64 delta, long ret)
{
	struct fs_event *ev = bpf_ringbuf_reserve(&slow_calls, sizeof(*ev), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!ev) {
		fs_count(FS_LOST_RINGBUF);
		return;
	}
	ev->end_ns = now;
	ev->lat_ns = delta;
	ev->ret = ret;
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	ev->op = st->op;
	ev->fd = st->fd;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	fill_file(&ev->file, (struct file *)st->file);
	bpf_ringbuf_submit(ev, 0);
}

/* At the exit of a call its entry timed (st, taken from the thread's
 * slot): the histograms, the process's row and a slow call's event. */
static __always_inline void fs_on_exit(const struct fs_call *st, long ret)
{
	__u64 now, delta, id = bpf_get_current_pid_tgid();
	__u32 slot, key, op;
	struct fs_proc *e;
	__u64 *h;

	if (!st->ts)
		return;
	now = bpf_ktime_get_ns();
	delta = now - st->ts;
	op = st->op;
	if (op >= FS_NR_OPS)
		return;
	fs_count(FS_EVENTS);
	slot = hist_slot(delta / 1000);
	key = op * HIST_SLOTS + slot;
	h = bpf_map_lookup_elem(&op_hists, &key);
	if (h)
		(*h)++;
	heat_add(&heat, heat_col_ns, now, delta / 1000, 1);
	e = proc_row(id >> 32, op);
	if (e) {
		__sync_fetch_and_add(&e->count, 1);
		__sync_fetch_and_add(&e->total_ns, delta);
		if (ret >= 0)
			__sync_fetch_and_add(&e->bytes, ret);
		else
			__sync_fetch_and_add(&e->errors, 1);
		if (slot < HIST_SLOTS)
			__sync_fetch_and_add(&e->slots[slot], 1);
		/* A new maximum is rare (log n times in n calls): then the
		 * file's names are worth reading. */
		if (delta > e->max_ns) {
			e->max_ns = delta;
			e->max_tid = (__u32)id;
			fill_file(&e->max_file, (struct file *)st->file);
		}
	}
	if (delta < slow_ns)
		return;
	fs_count(FS_SLOW_EVENTS);
	if (e)
		__sync_fetch_and_add(&e->slow, 1);
	emit_slow(st, now, delta, ret);
}


#endif
