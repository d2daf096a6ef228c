/* waste.h: what waste.bpf.c and waste.c share: counts of work that may be
 * unnecessary (F-07): opens per (process, file, errno), failing syscalls
 * per (process, syscall, errno), polls that return 0 (timed out, nothing
 * ready) per (process, syscall), and children per parent that exit within
 * a few milliseconds of their fork. */
#ifndef FRIDAY_WASTE_H
#define FRIDAY_WASTE_H

#define WS_FNAME 96             /* file name bytes kept, NUL included */
#define WS_MAX_OPENS 8192
#define WS_MAX_ERRORS 8192
#define WS_MAX_POLLS 4096
#define WS_MAX_PARENTS 4096
#define WS_MAX_CHILDREN 16384
#define WS_NR_POLL_IDS 8

struct ws_open_key {
	__u32 tgid;
	__s32 err;              /* 0 when the open succeeded, else the errno */
	char fname[WS_FNAME];
};

struct ws_err_key {
	__u32 tgid;
	__u32 id;               /* syscall number */
	__s32 err;
	__u32 pad;
};

struct ws_poll_key {
	__u32 tgid;
	__u32 id;
};

struct ws_count {
	__u64 count;
	__u64 zero;             /* polls: calls that returned 0 */
	char comm[16];
};

struct ws_child {
	__u64 fork_ns;
	__u32 ptgid;
	__u32 pad;
	char pcomm[16];
};

struct ws_parent {
	__u64 exits;            /* children that exited */
	__u64 short_lived;      /* ... within short_ns of their fork */
	__u64 lifetime_ns;      /* sum over the short-lived ones */
	char comm[16];
	char child_comm[16];    /* the last short-lived child */
};

enum ws_counter {
	WS_LOST_OPENS,
	WS_LOST_ERRORS,
	WS_LOST_POLLS,
	WS_LOST_CHILDREN,
	WS_NR_COUNTERS,
};

#endif
