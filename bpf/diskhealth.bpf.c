// SPDX-License-Identifier: GPL-2.0
/* diskhealth.bpf.c: block I/O per device, split into the time before the
 * device (request allocated -> issued: the block layer's queue and
 * scheduler) and in the device (issued -> completed), with IOPS, sizes,
 * queue depth and errors, and who is behind it: the process that submitted
 * the request and the blkio cgroup of its bio. A cgroup throttle holds bios
 * before a request exists, so that wait shows up neither here nor in the
 * device: diskhealth.c reads the throttle settings, fslat the syscall time,
 * and the disk rule puts the three together. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "diskhealth.h"

char LICENSE[] SEC("license") = "GPL";

__u64 lost_events = 0;

#include "target.bpf.h"

#define REQ_OP_BITS_MASK 0xff

/* A request in flight, by its address. */
struct inflight {
	__u64 issue_ns;
	__u64 queue_ns;
	__u64 blkcg_id;
	__u32 tgid;
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
	f.tgid = bpf_get_current_pid_tgid() >> 32;
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

static __always_inline int on_complete(struct request *rq, int error)
{
	static const struct disk_dev_stats zero;
	__u64 key = (__u64)rq, dev_ns;
	struct inflight *f = bpf_map_lookup_elem(&inflight, &key);
	struct disk_dev_key dk;
	struct disk_dev_stats *s;
	__s64 *d;

	/* Issued before the window opened, or filtered out: not ours. */
	if (!f)
		return 0;
	dk.dev = rq_dev(rq);
	dk.op = rq_op(rq);
	dev_ns = bpf_ktime_get_ns() - f->issue_ns;
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
	bpf_map_delete_elem(&inflight, &key);
	return 0;
}

#define VARIANTS(tp, name, proto, call)						\
	SEC("tp_btf/" #tp) int BPF_PROG(name##_btf, proto) { return call; }	\
	SEC("raw_tp/" #tp) int BPF_PROG(name##_raw, proto) { return call; }
#define ARGS(...) __VA_ARGS__

VARIANTS(block_rq_issue, rq_issue, ARGS(struct request *rq), on_issue(rq))
VARIANTS(block_rq_complete, rq_complete, ARGS(struct request *rq, int error, unsigned int nr_bytes),
	 on_complete(rq, error))
