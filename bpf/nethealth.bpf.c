// SPDX-License-Identifier: GPL-2.0
/* nethealth.bpf.c: TCP health in the kernel: retransmitted segments
 * (tcp:tcp_retransmit_skb), resets sent and received (tcp:tcp_send_reset,
 * tcp:tcp_receive_reset), connection latency SYN_SENT -> ESTABLISHED and
 * lifetimes with bytes ESTABLISHED -> CLOSE (sock:inet_sock_set_state),
 * each per remote end and, where the socket was opened in the window by
 * connect(), per process; and packet drops by the kernel's drop reason
 * (skb:kfree_skb). Retransmits and resets mostly happen in softirq or
 * timer context, where the current task is whoever was interrupted, so
 * the process comes from the socket's own record, made at connect(). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "nethealth.h"

char LICENSE[] SEC("license") = "GPL";

#include "target.bpf.h"

#define AF_INET 2
#define AF_INET6 10

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_MAX_CONNS);
	__type(key, __u64);
	__type(value, struct net_conn);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_MAX_PEERS);
	__type(key, struct net_peer_key);
	__type(value, struct net_peer);
} peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct net_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NET_MAX_REASONS);
	__type(key, __u32);
	__type(value, struct net_reason);
} reasons SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NET_NR_HISTS * HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NET_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NET_RINGBUF_BYTES);
} events SEC(".maps");

/* The ephemeral port range (net.ipv4.ip_local_port_range, set before
 * load): the end of a connection whose port is in it is the client's. */
const volatile __u16 ephemeral_lo = 32768;
const volatile __u16 ephemeral_hi = 60999;

/* Non-zero when -p or --cgroup is set: sockets count only when the target
 * opened them (connect) or closed them (close) in the window. */
static __always_inline bool filtering(void)
{
	return targ_tgid || targ_cgid;
}

static __always_inline void count(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	if (v)
		*v += n;
}

static __always_inline void hist_add(__u32 which, __u64 val)
{
	__u32 key = which * HIST_SLOTS + hist_slot(val);
	__u64 *v = bpf_map_lookup_elem(&hists, &key);

	if (v)
		*v += 1;
}

static __always_inline struct tcp_sock *tcp_sk_of(const struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

static __always_inline bool ephemeral(__u16 port)
{
	return port >= ephemeral_lo && port <= ephemeral_hi;
}

/* The remote end of a socket, as a peer key (see nethealth.h). A socket
 * whose direction is unknown is keyed by its service port: the one of the
 * two outside the ephemeral range, else the lower. */
static __always_inline void peer_key(const struct sock *sk, __u32 dir, __u32 tgid,
				     struct net_peer_key *k)
{
	__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));

	__builtin_memset(k, 0, sizeof(*k));
	k->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (k->family == AF_INET6) {
		BPF_CORE_READ_INTO(&k->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		__be32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(k->addr, &a, sizeof(a));
	}
	k->dir = dir;
	k->tgid = dir == NET_DIR_ACTIVE ? tgid : 0;
	if (dir == NET_DIR_ACTIVE)
		k->port = rport;
	else if (dir == NET_DIR_PASSIVE)
		k->port = lport;
	else if (ephemeral(lport) != ephemeral(rport))
		k->port = ephemeral(lport) ? rport : lport;
	else
		k->port = lport < rport ? lport : rport;
}

static __always_inline struct net_peer *peer_get(struct net_peer_key *k, const char *comm)
{
	static const struct net_peer zero;
	struct net_peer *p = bpf_map_lookup_elem(&peers, k);

	if (p)
		return p;
	if (bpf_map_update_elem(&peers, k, &zero, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&peers, k)) {
		count(NET_LOST_PEERS_FULL, 1);
		return NULL;
	}
	p = bpf_map_lookup_elem(&peers, k);
	if (p && comm)
		__builtin_memcpy(p->comm, comm, sizeof(p->comm));
	return p;
}

static __always_inline struct net_peer *conn_peer(struct net_conn *c)
{
	return peer_get(&c->key, c->dir == NET_DIR_ACTIVE ? c->comm : NULL);
}

static __always_inline void conn_ports(const struct sock *sk, struct net_conn *c)
{
	c->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	c->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* The socket's record, made now for a socket opened before the window
 * (direction and process unknown). */
static __always_inline struct net_conn *conn_get(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct net_conn *c = bpf_map_lookup_elem(&conns, &key), fresh = {};

	if (c)
		return c;
	fresh.dir = NET_DIR_UNKNOWN;
	fresh.target = !filtering();
	fresh.base_segs_out = BPF_CORE_READ(tcp_sk_of(sk), segs_out);
	fresh.base_retrans = BPF_CORE_READ(tcp_sk_of(sk), total_retrans);
	conn_ports(sk, &fresh);
	peer_key(sk, NET_DIR_UNKNOWN, 0, &fresh.key);
	if (bpf_map_update_elem(&conns, &key, &fresh, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&conns, &key)) {
		count(NET_LOST_CONNS_FULL, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&conns, &key);
}

static __always_inline void fill_addrs(const struct sock *sk, struct net_conn *c,
				       struct net_event *e)
{
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (!e->lport)
		e->lport = c->lport;
	if (!e->rport)
		e->rport = c->rport;
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		__be32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__be32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(e->laddr, &l, sizeof(l));
		__builtin_memcpy(e->raddr, &r, sizeof(r));
	}
}

static __always_inline struct net_event *event_new(const struct sock *sk, struct net_conn *c,
						   __u32 kind, __u64 now)
{
	struct net_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(NET_LOST_RINGBUF, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->time_ns = now;
	e->kind = kind;
	e->dir = c->dir;
	e->pid = c->tgid;
	__builtin_memcpy(e->comm, c->comm, sizeof(e->comm));
	fill_addrs(sk, c, e);
	return e;
}

static __always_inline void on_connect_start(const struct sock *sk, __u64 now)
{
	__u64 key = (__u64)sk;
	struct net_conn c = {};

	c.syn_ns = now;
	c.dir = NET_DIR_ACTIVE;
	c.tgid = bpf_get_current_pid_tgid() >> 32;
	c.target = target_current();
	bpf_get_current_comm(c.comm, sizeof(c.comm));
	conn_ports(sk, &c);
	peer_key(sk, NET_DIR_ACTIVE, c.tgid, &c.key);
	if (bpf_map_update_elem(&conns, &key, &c, BPF_ANY))
		count(NET_LOST_CONNS_FULL, 1);
}

static __always_inline void proc_connect(struct net_conn *c, __u64 lat_us)
{
	static const struct net_proc zero;
	struct net_proc *p = bpf_map_lookup_elem(&procs, &c->tgid);
	__u32 s = hist_slot(lat_us);

	if (!p) {
		if (bpf_map_update_elem(&procs, &c->tgid, &zero, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&procs, &c->tgid)) {
			count(NET_LOST_PROCS_FULL, 1);
			return;
		}
		p = bpf_map_lookup_elem(&procs, &c->tgid);
		if (!p)
			return;
		__builtin_memcpy(p->comm, c->comm, sizeof(p->comm));
	}
	__sync_fetch_and_add(&p->count, 1);
	__sync_fetch_and_add(&p->sum_us, lat_us);
	if (lat_us > p->max_us)
		p->max_us = lat_us;
	if (s < HIST_SLOTS)
		__sync_fetch_and_add(&p->slots[s], 1);
}

static __always_inline void on_connected(const struct sock *sk, struct net_conn *c, __u64 now)
{
	__u64 lat_us = (now - c->syn_ns) / 1000;
	struct net_peer *p;
	struct net_event *e;

	c->est_ns = now;
	c->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	/* A connect begun before the window (first seen at a SYN
	 * retransmit) has no start to measure from. */
	if (!c->target || !c->syn_ns)
		return;
	c->base_segs_out = BPF_CORE_READ(tcp_sk_of(sk), segs_out);
	c->base_retrans = BPF_CORE_READ(tcp_sk_of(sk), total_retrans);
	count(NET_CONNECTS, 1);
	hist_add(NET_HIST_CONNECT, lat_us);
	proc_connect(c, lat_us);
	if ((p = conn_peer(c))) {
		__sync_fetch_and_add(&p->connects, 1);
		__sync_fetch_and_add(&p->connect_us, lat_us);
		if (lat_us > p->connect_us_max)
			p->connect_us_max = lat_us;
	}
	if ((e = event_new(sk, c, NET_EV_CONNECT, now))) {
		e->connect_us = lat_us;
		bpf_ringbuf_submit(e, 0);
	}
}

static __always_inline void on_accepted(const struct sock *sk, __u64 now)
{
	__u64 key = (__u64)sk;
	struct net_conn c = {};
	struct net_peer *p;

	c.est_ns = now;
	c.dir = NET_DIR_PASSIVE;
	c.target = !filtering();
	conn_ports(sk, &c);
	peer_key(sk, NET_DIR_PASSIVE, 0, &c.key);
	if (bpf_map_update_elem(&conns, &key, &c, BPF_ANY)) {
		count(NET_LOST_CONNS_FULL, 1);
		return;
	}
	if (!c.target)
		return;
	count(NET_ACCEPTS, 1);
	if ((p = conn_peer(&c)))
		__sync_fetch_and_add(&p->accepts, 1);
}

/* close() or shutdown() from the process: learn who holds a socket it did
 * not connect itself (accepted, or opened before the window). */
static __always_inline void on_closing(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct net_conn *c = bpf_map_lookup_elem(&conns, &key);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!c || c->tgid || !tgid)
		return;
	c->tgid = tgid;
	bpf_get_current_comm(c->comm, sizeof(c->comm));
	if (filtering())
		c->target = target_current();
}

static __always_inline void on_closed(const struct sock *sk, int oldstate, __u64 now)
{
	__u64 key = (__u64)sk;
	struct net_conn *c = bpf_map_lookup_elem(&conns, &key);
	struct tcp_sock *tp = tcp_sk_of(sk);
	struct net_peer *p;
	struct net_event *e;
	__u64 life_us, acked, rcvd;
	__u32 segs, retrans;

	if (!c)
		return;
	if (!c->target)
		goto out;
	if (oldstate == TCP_SYN_SENT) {
		count(NET_CONNECT_FAILS, 1);
		if ((p = conn_peer(c)))
			__sync_fetch_and_add(&p->connect_fails, 1);
		if ((e = event_new(sk, c, NET_EV_CLOSE, now))) {
			e->failed = 1;
			e->connect_us = (now - c->syn_ns) / 1000;
			bpf_ringbuf_submit(e, 0);
		}
		goto out;
	}
	if (!c->est_ns && c->dir != NET_DIR_UNKNOWN)
		goto out;
	life_us = c->est_ns ? (now - c->est_ns) / 1000 : 0;
	acked = BPF_CORE_READ(tp, bytes_acked);
	rcvd = BPF_CORE_READ(tp, bytes_received);
	segs = BPF_CORE_READ(tp, segs_out) - c->base_segs_out;
	retrans = BPF_CORE_READ(tp, total_retrans) - c->base_retrans;
	count(NET_CLOSES, 1);
	if (c->est_ns)
		hist_add(NET_HIST_LIFETIME, life_us);
	if ((p = conn_peer(c))) {
		__sync_fetch_and_add(&p->closes, 1);
		__sync_fetch_and_add(&p->lifetime_us, life_us);
		__sync_fetch_and_add(&p->bytes_acked, acked);
		__sync_fetch_and_add(&p->bytes_received, rcvd);
		__sync_fetch_and_add(&p->segs_out, segs);
		__sync_fetch_and_add(&p->closed_retrans, retrans);
	}
	if ((e = event_new(sk, c, NET_EV_CLOSE, now))) {
		e->lifetime_us = life_us;
		e->connect_us = c->syn_ns && c->est_ns ? (c->est_ns - c->syn_ns) / 1000 : 0;
		e->bytes_acked = acked;
		e->bytes_received = rcvd;
		e->segs_out = segs;
		e->total_retrans = retrans;
		bpf_ringbuf_submit(e, 0);
	}
out:
	bpf_map_delete_elem(&conns, &key);
}

static __always_inline int on_state(const struct sock *sk, int oldstate, int newstate)
{
	__u64 now = bpf_ktime_get_ns(), key = (__u64)sk;
	struct net_conn *c;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	switch (newstate) {
	case TCP_SYN_SENT:
		on_connect_start(sk, now);
		break;
	case TCP_ESTABLISHED:
		if (oldstate == TCP_SYN_RECV)
			on_accepted(sk, now);
		else if (oldstate == TCP_SYN_SENT && (c = bpf_map_lookup_elem(&conns, &key)))
			on_connected(sk, c, now);
		break;
	case TCP_FIN_WAIT1:
	case TCP_LAST_ACK:
		on_closing(sk);
		break;
	case TCP_CLOSE:
		on_closed(sk, oldstate, now);
		break;
	}
	return 0;
}

/* tcp_skb_pcount(): the segments one retransmitted skb carries, which is
 * what the kernel adds to RetransSegs. */
static __always_inline __u32 skb_segs(const struct sk_buff *skb)
{
	struct tcp_skb_cb *cb = (struct tcp_skb_cb *)&skb->cb[0];
	__u16 segs = BPF_CORE_READ(cb, tcp_gso_segs);

	return segs ? segs : 1;
}

static __always_inline int on_retransmit(const struct sock *sk, const struct sk_buff *skb)
{
	int state = BPF_CORE_READ(sk, __sk_common.skc_state);
	__u32 segs = skb_segs(skb);
	struct net_conn *c = conn_get(sk);
	struct net_peer *p;
	bool syn = state == TCP_SYN_SENT || state == TCP_SYN_RECV;

	if (!c || !c->target)
		return 0;
	/* For connections still open at the end: their ratio so far, and
	 * who holds them (an accepted socket has one once accept() ran). */
	if (!c->ino)
		c->ino = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	c->last_segs_out = BPF_CORE_READ(tcp_sk_of(sk), segs_out);
	c->last_retrans = BPF_CORE_READ(tcp_sk_of(sk), total_retrans);
	count(NET_RETRANS_EVENTS, 1);
	count(NET_RETRANS_SEGS, segs);
	if (syn)
		count(NET_SYN_RETRANS, 1);
	if ((p = conn_peer(c))) {
		__sync_fetch_and_add(&p->retrans_events, 1);
		__sync_fetch_and_add(&p->retrans_segs, segs);
		if (syn)
			__sync_fetch_and_add(&p->syn_retrans, 1);
	}
	return 0;
}

/* A reset for a packet that found no socket (a closed port): the remote
 * end is the packet's source, the port its destination on this host. */
static __always_inline void reset_key_from_skb(const struct sk_buff *skb, struct net_peer_key *k)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header), th = BPF_CORE_READ(skb, transport_header);
	__u8 ver = 0;
	__u16 dport = 0;

	__builtin_memset(k, 0, sizeof(*k));
	k->dir = NET_DIR_PASSIVE;
	bpf_probe_read_kernel(&ver, 1, head + nh);
	bpf_probe_read_kernel(&dport, 2, head + th + 2);
	k->port = bpf_ntohs(dport);
	if ((ver >> 4) == 6) {
		k->family = AF_INET6;
		bpf_probe_read_kernel(&k->addr, 16, head + nh + 8);
	} else {
		k->family = AF_INET;
		bpf_probe_read_kernel(&k->addr, 4, head + nh + 12);
	}
}

static __always_inline int on_send_reset(const struct sock *sk, const struct sk_buff *skb)
{
	struct net_peer_key k;
	struct net_peer *p;
	struct net_conn *c;

	if (sk) {
		__u64 key = (__u64)sk;

		c = bpf_map_lookup_elem(&conns, &key);
		if (c && !c->target)
			return 0;
		if (!c && filtering())
			return 0;
		if (c) {
			p = conn_peer(c);
		} else {
			peer_key(sk, NET_DIR_UNKNOWN, 0, &k);
			p = peer_get(&k, NULL);
		}
	} else {
		if (filtering() || !skb)
			return 0;
		reset_key_from_skb(skb, &k);
		p = peer_get(&k, NULL);
	}
	count(NET_RESETS_SENT, 1);
	if (p)
		__sync_fetch_and_add(&p->resets_sent, 1);
	return 0;
}

static __always_inline int on_receive_reset(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct net_conn *c = bpf_map_lookup_elem(&conns, &key);
	struct net_peer_key k;
	struct net_peer *p;

	if ((c && !c->target) || (!c && filtering()))
		return 0;
	count(NET_RESETS_RECEIVED, 1);
	if (c) {
		p = conn_peer(c);
	} else {
		peer_key(sk, NET_DIR_UNKNOWN, 0, &k);
		p = peer_get(&k, NULL);
	}
	if (p)
		__sync_fetch_and_add(&p->resets_received, 1);
	return 0;
}

static __always_inline int on_drop(__u64 location, __u32 reason)
{
	__u32 idx = reason < NET_MAX_REASONS ? reason : NET_MAX_REASONS - 1;
	struct net_reason *r = bpf_map_lookup_elem(&reasons, &idx);

	count(NET_DROPS, 1);
	if (r) {
		__sync_fetch_and_add(&r->count, 1);
		r->location = location;
	}
	return 0;
}

/* Kernels before 5.17 have no drop reason: every drop counts under 0. */
static __always_inline __u32 drop_reason_arg(__u64 arg)
{
	return bpf_core_type_exists(enum skb_drop_reason) ? (__u32)arg : 0;
}

#define VARIANTS(tp, name, proto, call)						\
	SEC("tp_btf/" #tp) int BPF_PROG(name##_btf, proto) { return call; }	\
	SEC("raw_tp/" #tp) int BPF_PROG(name##_raw, proto) { return call; }
#define ARGS(...) __VA_ARGS__

VARIANTS(inet_sock_set_state, set_state, ARGS(const struct sock *sk, int oldstate, int newstate),
	 on_state(sk, oldstate, newstate))
VARIANTS(tcp_retransmit_skb, retransmit, ARGS(const struct sock *sk, const struct sk_buff *skb),
	 on_retransmit(sk, skb))
VARIANTS(tcp_send_reset, send_reset, ARGS(const struct sock *sk, const struct sk_buff *skb),
	 on_send_reset(sk, skb))
VARIANTS(tcp_receive_reset, receive_reset, ARGS(const struct sock *sk), on_receive_reset(sk))
VARIANTS(kfree_skb, kfree_skb, ARGS(struct sk_buff *skb, void *location, __u64 reason),
	 on_drop((__u64)location, drop_reason_arg(reason)))

/* Classic tracepoints: the same handlers, from the trace records. */
SEC("tracepoint/sock/inet_sock_set_state")
int set_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	return ctx->protocol == IPPROTO_TCP ?
	       on_state(ctx->skaddr, ctx->oldstate, ctx->newstate) : 0;
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int retransmit_tp(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	return on_retransmit(ctx->skaddr, ctx->skbaddr);
}

SEC("tracepoint/tcp/tcp_send_reset")
int send_reset_tp(struct trace_event_raw_tcp_send_reset *ctx)
{
	return on_send_reset(ctx->skaddr, ctx->skbaddr);
}

SEC("tracepoint/tcp/tcp_receive_reset")
int receive_reset_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	return on_receive_reset(ctx->skaddr);
}

SEC("tracepoint/skb/kfree_skb")
int kfree_skb_tp(struct trace_event_raw_kfree_skb *ctx)
{
	__u32 reason = 0;

	if (bpf_core_field_exists(ctx->reason))
		reason = BPF_CORE_READ(ctx, reason);
	return on_drop((__u64)ctx->location, reason);
}
