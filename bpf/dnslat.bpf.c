// SPDX-License-Identifier: GPL-2.0
/* dnslat.bpf.c: name-lookup latency through the C library (TH-05's
 * gethostlatency question): a uprobe at getaddrinfo, gethostbyname and
 * gethostbyname2 keeps the start time and the name by thread; the
 * uretprobe records the latency in a histogram host-wide and per process,
 * and sends a lookup slower than slow_ns (with the name) to user space.
 * The first argument of all three is the name; the attach cookie says
 * which function fired. Attached by path: every process using that libc. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "dnslat.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_tgid = 0;          /* 0: every process */
const volatile __u64 targ_cgid = 0;          /* cgroup v2 id, 0: every cgroup */
const volatile __u64 slow_ns = 100000000ull;
const volatile __u64 max_events = 1000;

__u64 sent = 0;

struct inflight {
	__u64 start_ns;
	__u32 func;
	char host[DNS_HOST_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DNS_MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight SEC(".maps");

/* An inflight record is too big for the BPF stack: built here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct inflight);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DNS_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct dns_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist_host SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DNS_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 128 * 1024);
} slow SEC(".maps");

static const struct dns_proc zero_proc;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

SEC("uprobe")
int BPF_KPROBE(lookup_enter, const char *name)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = id, zero = 0;
	struct inflight *f;

	if (targ_tgid && (id >> 32) != targ_tgid)
		return 0;
	if (targ_cgid && bpf_get_current_cgroup_id() != targ_cgid)
		return 0;
	f = bpf_map_lookup_elem(&scratch, &zero);
	if (!f)
		return 0;
	f->start_ns = bpf_ktime_get_ns();
	f->func = bpf_get_attach_cookie(ctx);
	f->host[0] = '\0';
	if (name)
		bpf_probe_read_user_str(f->host, sizeof(f->host), name);
	if (bpf_map_update_elem(&inflight, &tid, f, BPF_ANY))
		count(DNS_LOST_INFLIGHT_FULL);
	return 0;
}

static __always_inline struct dns_proc *proc_entry(__u32 tgid)
{
	struct dns_proc *e = bpf_map_lookup_elem(&procs, &tgid);

	if (e)
		return e;
	if (bpf_map_update_elem(&procs, &tgid, &zero_proc, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&procs, &tgid)) {
		count(DNS_LOST_PROC_FULL);
		return NULL;
	}
	e = bpf_map_lookup_elem(&procs, &tgid);
	if (e)
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline void send_slow(struct inflight *f, __u64 lat_ns, __u64 id, bool failed)
{
	struct dns_slow *s;

	if (__sync_fetch_and_add(&sent, 1) >= max_events) {
		count(DNS_LOST_CAP);
		return;
	}
	s = bpf_ringbuf_reserve(&slow, sizeof(*s), 0);
	if (!s) {
		count(DNS_LOST_RINGBUF);
		return;
	}
	s->start_ns = f->start_ns;
	s->lat_ns = lat_ns;
	s->pid = id >> 32;
	s->tid = id;
	s->func = f->func;
	s->failed = failed;
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	__builtin_memcpy(s->host, f->host, sizeof(s->host));
	bpf_ringbuf_submit(s, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(lookup_return, long ret)
{
	__u64 id = bpf_get_current_pid_tgid(), lat_ns;
	__u32 tid = id, slot;
	struct inflight *f = bpf_map_lookup_elem(&inflight, &tid);
	struct dns_proc *e;
	bool failed;
	__u64 *v;

	if (!f)
		return 0;
	lat_ns = bpf_ktime_get_ns() - f->start_ns;
	/* getaddrinfo returns 0 on success, the gethostbyname* a pointer. */
	failed = f->func == DNS_GETADDRINFO ? (int)ret != 0 : ret == 0;
	count(DNS_LOOKUPS);
	slot = hist_slot(lat_ns / 1000);
	v = bpf_map_lookup_elem(&hist_host, &slot);
	if (v)
		(*v)++;
	e = proc_entry(id >> 32);
	if (e) {
		__sync_fetch_and_add(&e->count, 1);
		__sync_fetch_and_add(&e->total_ns, lat_ns);
		if (failed)
			__sync_fetch_and_add(&e->failed, 1);
		if (lat_ns > e->max_ns) {
			e->max_ns = lat_ns;
			__builtin_memcpy(e->max_host, f->host, sizeof(e->max_host));
		}
		if (slot < HIST_SLOTS)
			__sync_fetch_and_add(&e->slots[slot], 1);
	}
	if (lat_ns >= slow_ns) {
		count(DNS_SLOW);
		if (e)
			__sync_fetch_and_add(&e->slow, 1);
		send_slow(f, lat_ns, id, failed);
	}
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}
