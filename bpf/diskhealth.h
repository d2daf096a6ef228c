/* diskhealth.h: what diskhealth.bpf.c and diskhealth.c share. */
#ifndef FRIDAY_DISKHEALTH_H
#define FRIDAY_DISKHEALTH_H

#include "hist_slots.h"

#define DISK_COMM_LEN 16
#define DISK_MAX_INFLIGHT 16384
#define DISK_MAX_DEVS 256
#define DISK_MAX_WHO 4096
#define DISK_MAX_SYSIO 4096

enum disk_op { DISK_OP_READ, DISK_OP_WRITE, DISK_OP_OTHER, DISK_NR_OPS };

/* Histograms kept per device (log2 slots). */
enum disk_hist {
	DISK_HIST_DEVICE,     /* issue -> complete, microseconds */
	DISK_HIST_QUEUE,      /* request allocated -> issue, microseconds */
	DISK_HIST_SIZE,       /* bytes */
	DISK_HIST_DEPTH,      /* requests in the device, sampled at each issue */
	DISK_HIST_SYSCALL,    /* read/write syscalls that did block I/O, entry -> exit, us */
	DISK_NR_HISTS
};

struct disk_hist_key {
	__u32 dev;
	__u32 hist;
};

struct disk_slots {
	__u64 slots[HIST_SLOTS];
};

struct disk_dev_key {
	__u32 dev;
	__u32 op;
};

struct disk_dev_stats {
	__u64 count;
	__u64 bytes;
	__u64 device_ns;      /* sum of issue -> complete */
	__u64 queue_ns;       /* sum of allocated -> issue */
	__u64 max_device_ns;
	__u64 errors;
};

/* Who is behind the I/O: the submitting process and its blkio cgroup. */
struct disk_who_key {
	__u32 dev;
	__u32 tgid;
	__u64 blkcg_id;
};

struct disk_who {
	char comm[DISK_COMM_LEN];
	__u64 reads;
	__u64 writes;
	__u64 bytes;
	__u64 device_ns;
	__u64 queue_ns;
};

/* Read and write syscalls that submitted block I/O, by device, process and
 * the process's blkio cgroup: the time the caller waited, all layers
 * together (above the block layer, its queue, the device). */
struct disk_sysio_key {
	__u32 dev;
	__u32 tgid;
	__u64 blkcg_id;
	__u32 op;             /* DISK_OP_READ or DISK_OP_WRITE */
	__u32 pad;
};

struct disk_sysio {
	char comm[DISK_COMM_LEN];
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u64 bytes;          /* block I/O bytes the syscalls submitted */
};

/* One slow request or syscall, through the ring buffer (biosnoop-style). */
enum disk_outlier_kind { DISK_OUTLIER_REQUEST, DISK_OUTLIER_SYSCALL };

struct disk_outlier {
	__u64 time_ns;        /* completion, CLOCK_MONOTONIC */
	__u64 sector;         /* requests only */
	__u64 blkcg_id;
	__u64 total_ns;       /* request: queue + device; syscall: entry -> exit */
	__u64 queue_ns;       /* requests only */
	__u64 device_ns;      /* requests only */
	__u32 kind;
	__u32 dev;
	__u32 tgid;
	__u32 tid;
	__u32 bytes;
	__u32 op;
	char comm[DISK_COMM_LEN];
};

#endif
