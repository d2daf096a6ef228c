// SPDX-License-Identifier: GPL-2.0
/* diskhealth.bpf.c: block I/O per device, split by layer: the time the
 * caller waited in its read or write syscall (entry -> exit, for syscalls
 * that submitted block I/O), the block layer's queue (request allocated ->
 * issued: scheduler, tags) and the device (issued -> completed), with IOPS,
 * sizes, queue depth and errors, and who is behind it: the process that
 * issued the request and the blkio cgroup of its bio. A cgroup throttle
 * holds bios before a request exists, and a page-cache miss or a file
 * system lock delays the caller before any bio: that time shows only in
 * the syscall, so diskhealth.c takes syscall minus queue minus device as
 * the time above the block layer. Slow requests and syscalls go to user
 * space one by one through a ring buffer (biosnoop-style outliers). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "heat.bpf.h"
#include "diskhealth.h"

char LICENSE[] SEC("license") = "GPL";

__u64 lost_events = 0;

/* Requests and syscalls at least this slow are sent as outliers. */
const volatile __u64 outlier_min_ns = 1000000;
/* The device-time heat map's column width (its start: heat.bpf.h). */
const volatile __u64 heat_col_ns = 1000000000;

/* Requests per time column and log2 device time (us): biolatency over
 * the window. */
HEAT_MAP(heat);

/* A read or write syscall in progress (see task_ts.bpf.h). */
struct task_state {
	__u64 enter_ns;
	__u64 io_bytes;       /* the task's read_bytes or write_bytes at entry */
	__s32 fd;
	__u32 op;
};

#include "target.bpf.h"
#include "task_ts.bpf.h"

/* Syscall numbers of the read and write families and the O_DIRECT flag,
 * per architecture (the syscall tracepoints give the number only). */
#if defined(__TARGET_ARCH_arm64)
#define NR_READ 63
#define NR_WRITE 64
#define NR_READV 65
#define NR_WRITEV 66
#define NR_PREAD64 67
#define NR_PWRITE64 68
#define NR_PREADV 69
#define NR_PWRITEV 70
#define NR_PREADV2 286
#define NR_PWRITEV2 287
#define DISK_O_DIRECT 0200000
#else
#define NR_READ 0
#define NR_WRITE 1
#define NR_PREAD64 17
#define NR_PWRITE64 18
#define NR_READV 19
#define NR_WRITEV 20
#define NR_PREADV 295
#define NR_PWRITEV 296
#define NR_PREADV2 327
#define NR_PWRITEV2 328
#define DISK_O_DIRECT 040000
#endif
#define DISK_S_IFMT 00170000
#define DISK_S_IFBLK 0060000

#define REQ_OP_BITS_MASK 0xff

/* A request in flight, by its address. */
struct inflight {
	__u64 issue_ns;
	__u64 queue_ns;
	__u64 blkcg_id;
	__u64 sector;
	__u32 tgid;
	__u32 tid;
	__u32 bytes;
	char comm[DISK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DISK_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct inflight);
} inflight SEC(".maps");

/* Requests issued and not completed, per device. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DISK_MAX_DEVS);
	__type(key, __u32);
	__type(value, __s64);
} depth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DISK_MAX_DEVS * DISK_NR_HISTS);
	__type(key, struct disk_hist_key);
	__type(value, struct disk_slots);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DISK_MAX_DEVS * DISK_NR_OPS);
	__type(key, struct disk_dev_key);
	__type(value, struct disk_dev_stats);
} devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DISK_MAX_WHO);
	__type(key, struct disk_who_key);
	__type(value, struct disk_who);
} who SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DISK_MAX_SYSIO);
	__type(key, struct disk_sysio_key);
	__type(value, struct disk_sysio);
} sysio SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} outliers SEC(".maps");

/* Looks a key up, inserting a zeroed value first; counts a full map. */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	if (bpf_map_update_elem(map, key, zero, BPF_NOEXIST) && !bpf_map_lookup_elem(map, key)) {
		__sync_fetch_and_add(&lost_events, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

static __always_inline void hist_add(__u32 dev, __u32 which, __u64 val)
{
	static const struct disk_slots zero;
	struct disk_hist_key key = { .dev = dev, .hist = which };
	struct disk_slots *h = lookup_or_init(&hists, &key, &zero);
	__u32 s = hist_slot(val);

	if (h && s < HIST_SLOTS)
		__sync_fetch_and_add(&h->slots[s], 1);
}

static __always_inline __u32 rq_dev(struct request *rq)
{
	struct gendisk *disk = BPF_CORE_READ(rq, q, disk);

	return ((__u32)BPF_CORE_READ(disk, major) << 20) | (__u32)BPF_CORE_READ(disk, first_minor);
}

static __always_inline __u32 rq_op(struct request *rq)
{
	__u32 op = BPF_CORE_READ(rq, cmd_flags) & REQ_OP_BITS_MASK;

	return op == 0 ? DISK_OP_READ : op == 1 ? DISK_OP_WRITE : DISK_OP_OTHER;
}

static __always_inline __u64 rq_blkcg(struct request *rq)
{
	return BPF_CORE_READ(rq, bio, bi_blkg, blkcg, css.cgroup, kn, id);
}

static __always_inline int on_issue(struct request *rq)
{
	__u64 key = (__u64)rq, now = bpf_ktime_get_ns(), start;
	struct inflight f = {};
	__u32 dev = rq_dev(rq);
	__s64 zero = 0, *d;

	if (!target_current())
		return 0;
	f.issue_ns = now;
	start = BPF_CORE_READ(rq, start_time_ns);
	f.queue_ns = start && start < now ? now - start : 0;
	f.blkcg_id = rq_blkcg(rq);
	f.sector = BPF_CORE_READ(rq, __sector);
	f.tgid = bpf_get_current_pid_tgid() >> 32;
	f.tid = (__u32)bpf_get_current_pid_tgid();
	f.bytes = BPF_CORE_READ(rq, __data_len);
	bpf_get_current_comm(f.comm, sizeof(f.comm));
	if (bpf_map_update_elem(&inflight, &key, &f, BPF_ANY)) {
		__sync_fetch_and_add(&lost_events, 1);
		return 0;
	}
	if ((d = lookup_or_init(&depth, &dev, &zero)))
		hist_add(dev, DISK_HIST_DEPTH, __sync_fetch_and_add(d, 1) + 1);
	return 0;
}

static __always_inline void account_who(__u32 dev, struct inflight *f, __u32 op, __u64 dev_ns)
{
	static const struct disk_who zero;
	struct disk_who_key k = { .dev = dev, .tgid = f->tgid, .blkcg_id = f->blkcg_id };
	struct disk_who *w = lookup_or_init(&who, &k, &zero);

	if (!w)
		return;
	if (!w->comm[0])
		__builtin_memcpy(w->comm, f->comm, sizeof(w->comm));
	if (op == DISK_OP_READ)
		__sync_fetch_and_add(&w->reads, 1);
	else if (op == DISK_OP_WRITE)
		__sync_fetch_and_add(&w->writes, 1);
	__sync_fetch_and_add(&w->bytes, f->bytes);
	__sync_fetch_and_add(&w->device_ns, dev_ns);
	__sync_fetch_and_add(&w->queue_ns, f->queue_ns);
}

static __always_inline void request_outlier(struct inflight *f, __u32 dev, __u32 op, __u64 dev_ns)
{
	struct disk_outlier *e;

	if (f->queue_ns + dev_ns < outlier_min_ns)
		return;
	if (!(e = bpf_ringbuf_reserve(&outliers, sizeof(*e), 0))) {
		__sync_fetch_and_add(&lost_events, 1);
		return;
	}
	e->time_ns = bpf_ktime_get_ns();
	e->sector = f->sector;
	e->blkcg_id = f->blkcg_id;
	e->total_ns = f->queue_ns + dev_ns;
	e->queue_ns = f->queue_ns;
	e->device_ns = dev_ns;
	e->kind = DISK_OUTLIER_REQUEST;
	e->dev = dev;
	e->tgid = f->tgid;
	e->tid = f->tid;
	e->bytes = f->bytes;
	e->op = op;
	__builtin_memcpy(e->comm, f->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int on_complete(struct request *rq, int error)
{
	static const struct disk_dev_stats zero;
	__u64 key = (__u64)rq, dev_ns, now_ns;
	struct inflight *f = bpf_map_lookup_elem(&inflight, &key);
	struct disk_dev_key dk;
	struct disk_dev_stats *s;
	__s64 *d;

	/* Issued before the window opened, or filtered out: not ours. */
	if (!f)
		return 0;
	dk.dev = rq_dev(rq);
	dk.op = rq_op(rq);
	now_ns = bpf_ktime_get_ns();
	dev_ns = now_ns - f->issue_ns;
	heat_add(&heat, heat_col_ns, now_ns, dev_ns / 1000, 1);
	if ((d = bpf_map_lookup_elem(&depth, &dk.dev)))
		__sync_fetch_and_add(d, -1);
	if ((s = lookup_or_init(&devs, &dk, &zero))) {
		__sync_fetch_and_add(&s->count, 1);
		__sync_fetch_and_add(&s->bytes, f->bytes);
		__sync_fetch_and_add(&s->device_ns, dev_ns);
		__sync_fetch_and_add(&s->queue_ns, f->queue_ns);
		if (dev_ns > s->max_device_ns)
			s->max_device_ns = dev_ns;
		if (error)
			__sync_fetch_and_add(&s->errors, 1);
	}
	hist_add(dk.dev, DISK_HIST_DEVICE, dev_ns / 1000);
	hist_add(dk.dev, DISK_HIST_QUEUE, f->queue_ns / 1000);
	hist_add(dk.dev, DISK_HIST_SIZE, f->bytes);
	account_who(dk.dev, f, dk.op, dev_ns);
	request_outlier(f, dk.dev, dk.op, dev_ns);
	bpf_map_delete_elem(&inflight, &key);
	return 0;
}

/* ---- the syscall layer ------------------------------------------------------ */

static __always_inline __u32 syscall_op(long id)
{
	switch (id) {
	case NR_READ: case NR_PREAD64: case NR_READV: case NR_PREADV: case NR_PREADV2:
		return DISK_OP_READ;
	case NR_WRITE: case NR_PWRITE64: case NR_WRITEV: case NR_PWRITEV: case NR_PWRITEV2:
		return DISK_OP_WRITE;
	}
	return DISK_OP_OTHER;
}

/* Bytes of block I/O the task has submitted (reads) or written to storage
 * (writes): submit_bio and direct writes count them in task->ioac. */
static __always_inline __u64 task_io_bytes(struct task_struct *t, __u32 op)
{
	return op == DISK_OP_READ ? BPF_CORE_READ(t, ioac.read_bytes) :
				    BPF_CORE_READ(t, ioac.write_bytes);
}

static __always_inline int sys_enter(struct pt_regs *regs, long id)
{
	__u32 op = syscall_op(id);
	struct task_state *st;
	__u64 io_bytes;

	if (op == DISK_OP_OTHER)
		return 0;
	/* A task that never did block I/O this way (dd from /dev/zero, a
	 * pipe, a socket) costs one read here and no state: only tasks that
	 * did are timed, from their next such syscall on. */
	io_bytes = task_io_bytes((struct task_struct *)bpf_get_current_task(), op);
	if (!io_bytes || !target_current() || !(st = task_state_get(true)))
		return 0;
	st->enter_ns = bpf_ktime_get_ns();
	st->io_bytes = io_bytes;
	st->fd = (__s32)PT_REGS_PARM1_CORE_SYSCALL(regs);
	st->op = op;
	return 0;
}

/* The file behind fd: its block device (the file system's, or the device
 * itself for a block special file), and whether it was opened O_DIRECT. */
static __always_inline __u32 fd_dev(struct task_struct *t, __s32 fd, bool *direct)
{
	struct file **fds = BPF_CORE_READ(t, files, fdt, fd);
	struct file *f = NULL;
	struct inode *ino;

	if (fd < 0 || fd >= (__s32)BPF_CORE_READ(t, files, fdt, max_fds) ||
	    bpf_core_read(&f, sizeof(f), &fds[fd]) || !f)
		return 0;
	*direct = BPF_CORE_READ(f, f_flags) & DISK_O_DIRECT;
	ino = BPF_CORE_READ(f, f_inode);
	if ((BPF_CORE_READ(ino, i_mode) & DISK_S_IFMT) == DISK_S_IFBLK)
		return BPF_CORE_READ(ino, i_rdev);
	return BPF_CORE_READ(ino, i_sb, s_dev);
}

static __always_inline void syscall_outlier(struct disk_sysio_key *k, __u64 lat_ns, __u64 bytes)
{
	struct disk_outlier *e;

	if (lat_ns < outlier_min_ns)
		return;
	if (!(e = bpf_ringbuf_reserve(&outliers, sizeof(*e), 0))) {
		__sync_fetch_and_add(&lost_events, 1);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->time_ns = bpf_ktime_get_ns();
	e->blkcg_id = k->blkcg_id;
	e->total_ns = lat_ns;
	e->kind = DISK_OUTLIER_SYSCALL;
	e->dev = k->dev;
	e->tgid = k->tgid;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->bytes = bytes;
	e->op = k->op;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int sys_exit(void)
{
	static const struct disk_sysio zero;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct task_state *st = task_state_get(false);
	struct disk_sysio_key k = {};
	struct disk_sysio *s;
	__u64 lat_ns, bytes;
	bool direct = false;

	if (!st || !st->enter_ns)
		return 0;
	lat_ns = bpf_ktime_get_ns() - st->enter_ns;
	st->enter_ns = 0;
	bytes = task_io_bytes(t, st->op) - st->io_bytes;
	/* No block I/O in this syscall (a page-cache hit, a pipe...). */
	if (!bytes)
		return 0;
	k.dev = fd_dev(t, st->fd, &direct);
	/* A buffered write only dirties pages: it waits for no device. */
	if (!k.dev || (st->op == DISK_OP_WRITE && !direct))
		return 0;
	k.tgid = bpf_get_current_pid_tgid() >> 32;
	k.blkcg_id = task_css_cgid(t, bpf_core_enum_value(enum cgroup_subsys_id, io_cgrp_id));
	k.op = st->op;
	if (!(s = lookup_or_init(&sysio, &k, &zero)))
		return 0;
	if (!s->comm[0])
		bpf_get_current_comm(s->comm, sizeof(s->comm));
	__sync_fetch_and_add(&s->count, 1);
	__sync_fetch_and_add(&s->total_ns, lat_ns);
	__sync_fetch_and_add(&s->bytes, bytes);
	if (lat_ns > s->max_ns)
		s->max_ns = lat_ns;
	hist_add(k.dev, DISK_HIST_SYSCALL, lat_ns / 1000);
	syscall_outlier(&k, lat_ns, bytes);
	return 0;
}

#define VARIANTS(tp, name, proto, call)						\
	SEC("tp_btf/" #tp) int BPF_PROG(name##_btf, proto) { return call; }	\
	SEC("raw_tp/" #tp) int BPF_PROG(name##_raw, proto) { return call; }
#define ARGS(...) __VA_ARGS__

VARIANTS(block_rq_issue, rq_issue, ARGS(struct request *rq), on_issue(rq))
VARIANTS(block_rq_complete, rq_complete, ARGS(struct request *rq, int error, unsigned int nr_bytes),
	 on_complete(rq, error))
VARIANTS(sys_enter, sys_enter, ARGS(struct pt_regs *regs, long id), sys_enter(regs, id))
VARIANTS(sys_exit, sys_exit, ARGS(struct pt_regs *regs, long ret), sys_exit())
VARIANTS(sched_process_exit, proc_exit, ARGS(struct task_struct *p), (task_state_exit(), 0))
