/* dnslat.h: what dnslat.bpf.c and dnslat.c share: name lookups through
 * the C library (getaddrinfo, gethostbyname, gethostbyname2), timed from
 * the call to its return (gethostlatency without kprobes: uprobes). */
#ifndef FRIDAY_DNSLAT_H
#define FRIDAY_DNSLAT_H

#include "hist_slots.h"

#define DNS_HOST_LEN 96
#define DNS_COMM_LEN 16
#define DNS_MAX_PROCS 1024
#define DNS_MAX_INFLIGHT 8192

/* The attach cookie of each probe: which function it is on. */
enum dns_func {
	DNS_GETADDRINFO,
	DNS_GETHOSTBYNAME,
	DNS_GETHOSTBYNAME2,
	DNS_NR_FUNCS,
};

/* Per process (tgid). */
struct dns_proc {
	__u64 count;
	__u64 failed;           /* getaddrinfo != 0, gethostbyname NULL */
	__u64 slow;             /* above slow_ns */
	__u64 total_ns;
	__u64 max_ns;
	char comm[DNS_COMM_LEN];
	char max_host[DNS_HOST_LEN];   /* the name of its slowest lookup */
	__u64 slots[HIST_SLOTS];       /* latency in us, log2 */
};

/* A lookup slower than slow_ns, sent through the ring buffer. */
struct dns_slow {
	__u64 start_ns;         /* CLOCK_MONOTONIC, when the call began */
	__u64 lat_ns;
	__u32 pid, tid;
	__u32 func;
	__s32 failed;
	char comm[DNS_COMM_LEN];
	char host[DNS_HOST_LEN];
};

enum dns_counter {
	DNS_LOOKUPS,
	DNS_SLOW,
	DNS_LOST_INFLIGHT_FULL,  /* too many calls in flight */
	DNS_LOST_PROC_FULL,
	DNS_LOST_RINGBUF,        /* slow lookups not sent */
	DNS_LOST_CAP,            /* slow lookups over max_events: counted, not sent */
	DNS_NR_COUNTERS,
};

#endif
