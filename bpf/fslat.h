/* fslat.h: what fslat.bpf.c and fslat.c share: file-system latency at the
 * syscall level (read, write, pread64, pwrite64, readv, writev, fsync,
 * fdatasync on regular files), per operation and per process, and the
 * calls slower than a threshold with the file they were on. */
#ifndef FRIDAY_FSLAT_H
#define FRIDAY_FSLAT_H

#include "hist_slots.h"

enum fs_op {
	FS_READ, FS_WRITE, FS_PREAD64, FS_PWRITE64, FS_READV, FS_WRITEV,
	FS_FSYNC, FS_FDATASYNC, FS_NR_OPS,
};

/* Syscalls that can change which file an open fd number stands for:
 * close, close_range, dup2, dup3, execve, execveat (close-on-exec) and
 * io_uring_enter (its close ops). */
#define FS_FD_CHANGES 7

/* A file-system call in progress, from its entry (fs_part.bpf.h). */
struct fs_call {
	__u64 ts;              /* 0: this call is not timed */
	__u64 file;            /* struct file *, held by the syscall until exit */
	__s32 fd;
	__u32 op;
};

/* A thread's last fds in file-system calls and what they were: a read of a
 * socket, pipe or device would otherwise look the fd up in the file table
 * at every call (five dependent loads; 120 ns here). It holds while no
 * syscall that can change an fd's file has entered since (fd_table_gen):
 * a new fd never takes a number in use. Blind spot: io_uring's SQPOLL
 * thread closes without a syscall. */
#define FS_MEMO_FDS 2           /* dd, cp, a proxy: one fd in, one out */

struct tid_memo {
	__u32 tid;
	__u32 next;            /* the entry the next fd takes */
	__u64 gen;
	__s64 fd[FS_MEMO_FDS];
	__u64 file[FS_MEMO_FDS]; /* struct file *, 0: not a file of storage */
};

#define FS_MAX_PROC_KEYS 4096   /* (process, operation) rows */
#define FS_PATH_DEPTH 4         /* dentry names read: the file and 3 parents */
#define FS_NAME_LEN 48          /* bytes kept of each name */

/* Where a call's file is: the dentry names from the file up (names[0] is
 * the file), the super block's device and id, and whether the walk
 * reached the file system's root (then the names are the whole path
 * inside that file system). */
struct fs_file {
	__u64 ino;
	__u32 dev;             /* st_dev of the super block (kernel encoding) */
	__u16 depth;           /* names filled */
	__u16 at_root;
	char sb_id[32];        /* the super block's s_id: "loop3", "vda", "tmpfs" */
	char names[FS_PATH_DEPTH][FS_NAME_LEN];
};

struct fs_proc_key {
	__u32 tgid;
	__u32 op;
};

/* Per (process, operation): time in calls that completed in the window. */
struct fs_proc {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u64 bytes;           /* returned by the calls that succeeded */
	__u64 slow;            /* calls at or above the slow threshold */
	__u64 errors;
	__u64 blkcg_id;        /* its blkio (v1) / io (v2) cgroup's kernfs id */
	__u32 max_tid;         /* the thread of the slowest call */
	__u32 pad;
	char comm[16];
	__u64 slots[HIST_SLOTS];   /* latency in us, log2 */
	struct fs_file max_file;   /* the file of the slowest call */
};

/* One call at or above the threshold, through the ring buffer. */
struct fs_event {
	__u64 end_ns;          /* CLOCK_MONOTONIC (bpf_ktime_get_ns) at exit */
	__u64 lat_ns;
	__s64 ret;             /* bytes, or -errno */
	__u32 pid, tid;
	__u32 op;
	__s32 fd;
	char comm[16];
	struct fs_file file;
};

enum fs_counter {
	FS_EVENTS,             /* calls on regular files measured */
	FS_SLOW_EVENTS,        /* of those, at or above the threshold */
	FS_LOST_RINGBUF,       /* slow calls whose event could not be reserved */
	FS_LOST_PROC_FULL,     /* per-process map full */
	FS_NR_COUNTERS,
};

#endif
