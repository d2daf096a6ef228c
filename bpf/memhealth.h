/* memhealth.h: what memhealth.bpf.c and memhealth.c share. */
#ifndef FRIDAY_MEMHEALTH_H
#define FRIDAY_MEMHEALTH_H

#define MEM_COMM_LEN 16
#define MEM_MAX_PIDS 8192

/* Histograms, one row each in the hists array (log2 of microseconds). */
enum mem_hist { MEM_HIST_DIRECT_RECLAIM, MEM_HIST_MEMCG_RECLAIM, MEM_HIST_COMPACTION,
		MEM_HIST_SWAPIN, MEM_NR_HISTS };

/* Per process (tgid), aggregated in the kernel. */
struct mem_proc {
	char comm[MEM_COMM_LEN];
	__u64 memcg_id;             /* kernfs id of its memory cgroup */
	__u64 direct_reclaim_ns;
	__u64 direct_reclaim_nr;
	__u64 memcg_reclaim_ns;
	__u64 memcg_reclaim_nr;
	__u64 compact_ns;
	__u64 compact_nr;
	__u64 major_faults;
	__u64 faults;               /* user page faults (exceptions:page_fault_user) */
	__u64 reclaim_max_ns;       /* the longest single reclaim, direct or cgroup */
	__u64 swapin_ns;            /* fault start -> its swap entry replaced by a page */
	__u64 swapin_nr;
	__u64 swapin_max_ns;
};

/* An OOM kill, sent through the ring buffer. */
struct mem_oom {
	__u64 time_ns;
	__u64 memcg_id;
	__u64 total_vm_pages;
	__u64 rss_pages;
	__u32 pid;
	char comm[MEM_COMM_LEN];
};

#endif
