/* nethealth.h: what nethealth.bpf.c and nethealth.c share: TCP
 * retransmits, resets, connection latency and lifetimes per peer and
 * process, and packet drops by the kernel's drop reason. */
#ifndef FRIDAY_NETHEALTH_H
#define FRIDAY_NETHEALTH_H

#include "hist_slots.h"

#define NET_COMM_LEN 16
#define NET_MAX_CONNS 16384      /* sockets followed at once */
#define NET_MAX_PEERS 4096       /* (remote, port, direction, process) rows */
#define NET_MAX_PROCS 1024       /* processes with a connect-latency histogram */
#define NET_MAX_REASONS 512      /* drop reasons counted; larger ones share the last */
#define NET_RINGBUF_BYTES (512 * 1024)

/* How a connection was opened, as far as friday saw it. */
enum net_dir {
	NET_DIR_ACTIVE,       /* connect() from this host */
	NET_DIR_PASSIVE,      /* accepted by a listener on this host */
	NET_DIR_UNKNOWN,      /* opened before the window */
};

/* Indexes of the per-CPU counters array. */
enum net_counter {
	NET_RETRANS_EVENTS,   /* tcp_retransmit_skb calls */
	NET_RETRANS_SEGS,     /* segments those calls carried (as RetransSegs counts) */
	NET_SYN_RETRANS,      /* of them, in SYN_SENT or SYN_RECV */
	NET_RESETS_SENT,
	NET_RESETS_RECEIVED,
	NET_CONNECTS,         /* SYN_SENT -> ESTABLISHED */
	NET_CONNECT_FAILS,    /* SYN_SENT -> CLOSE */
	NET_ACCEPTS,          /* SYN_RECV -> ESTABLISHED */
	NET_CLOSES,           /* established connections that closed */
	NET_DROPS,            /* kfree_skb with a drop reason */
	NET_LOST_CONNS_FULL,  /* socket map full */
	NET_LOST_PEERS_FULL,  /* peer map full */
	NET_LOST_PROCS_FULL,  /* process map full */
	NET_LOST_RINGBUF,     /* ring-buffer reserve failed */
	NET_NR_COUNTERS,
};

/* Latency histograms over the whole host. */
enum net_hist {
	NET_HIST_CONNECT,     /* SYN_SENT -> ESTABLISHED, microseconds */
	NET_HIST_LIFETIME,    /* ESTABLISHED -> CLOSE, microseconds */
	NET_NR_HISTS,
};

/* A remote end as this host sees it: for connections it opened, the
 * remote address and port; for connections it accepted, the remote
 * address and the local (service) port. */
struct net_peer_key {
	__u8 addr[16];        /* IPv4 in the first 4 bytes */
	__u16 family;         /* AF_INET or AF_INET6 */
	__u16 port;           /* host byte order */
	__u32 dir;            /* enum net_dir */
	__u32 tgid;           /* the process behind it, 0 when unknown */
};

struct net_peer {
	char comm[NET_COMM_LEN];
	__u64 connects;
	__u64 connect_fails;
	__u64 accepts;
	__u64 closes;
	__u64 retrans_segs;
	__u64 retrans_events;
	__u64 syn_retrans;
	__u64 resets_sent;
	__u64 resets_received;
	__u64 segs_out;       /* segments sent by its closed connections */
	__u64 closed_retrans; /* tcp_sock.total_retrans of those */
	__u64 bytes_acked;    /* tcp_sock.bytes_acked: sent and acknowledged */
	__u64 bytes_received;
	__u64 lifetime_us;    /* sum over closed connections */
	__u64 connect_us;     /* sum over connects */
	__u64 connect_us_max;
};

/* A socket followed through the window (the conns map, by address). */
struct net_conn {
	__u64 syn_ns;          /* entered SYN_SENT; 0 for other directions */
	__u64 est_ns;          /* entered ESTABLISHED; 0 when not seen */
	__u32 tgid;
	__u32 dir;             /* enum net_dir */
	__u32 base_segs_out;   /* tcp_sock.segs_out when first seen (or established) */
	__u32 base_retrans;    /* tcp_sock.total_retrans then */
	__u32 last_segs_out;   /* both again at its last retransmit; 0: none */
	__u32 last_retrans;
	__u32 target;          /* counts under -p / --cgroup */
	__u64 ino;             /* its socket's inode, read at a retransmit: names the
				* holder of a socket friday did not see opened */
	__u16 lport, rport;    /* ports when first seen: a closing socket may have lost them */
	char comm[NET_COMM_LEN];
	struct net_peer_key key;   /* its peer row, fixed when first seen */
};

struct net_proc {
	char comm[NET_COMM_LEN];
	__u64 count;
	__u64 sum_us;
	__u64 max_us;
	__u64 slots[HIST_SLOTS];   /* connect latency, microseconds, log2 */
};

struct net_reason {
	__u64 count;
	__u64 location;       /* kernel address of the last drop of this reason */
};

enum net_event_kind { NET_EV_CONNECT, NET_EV_CLOSE };

/* One record per connect and per close, for the outlier tables. */
struct net_event {
	__u64 time_ns;        /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 connect_us;     /* SYN_SENT -> ESTABLISHED (or -> CLOSE when failed) */
	__u64 lifetime_us;    /* ESTABLISHED -> CLOSE */
	__u64 bytes_acked;
	__u64 bytes_received;
	__u32 total_retrans;
	__u32 segs_out;
	__u32 kind;           /* enum net_event_kind */
	__u32 dir;
	__u32 pid;
	__u32 failed;         /* connect ended in CLOSE */
	__u16 family;
	__u16 lport;
	__u16 rport;
	__u16 pad;
	__u8 laddr[16];
	__u8 raddr[16];
	char comm[NET_COMM_LEN];
};

#endif
