// SPDX-License-Identifier: GPL-2.0
/* fslat.bpf.c: file-system latency at the syscall level (TH-04 without
 * kprobes), when fslat runs without syscount in its step: fs_part.bpf.h
 * on a pair of raw_syscalls programs of its own. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "fslat.h"

char LICENSE[] SEC("license") = "GPL";

__u64 lost_events = 0;

struct tid_state {
	struct fs_call fs;
};

#define TID_SLOT_MEMO 1
#include "target.bpf.h"
#include "tid_slot.bpf.h"
#include "fs_part.bpf.h"

static __always_inline void fs_exit(long ret)
{
	struct tid_state call;

	if (tid_state_take((__u32)bpf_get_current_pid_tgid(), &call))
		fs_on_exit(&call.fs, ret);
}

/* raw_syscalls: sys_enter(regs, id), sys_exit(regs, ret); the arguments
 * are the user registers of the call. */
SEC("tp_btf/sys_enter")
int BPF_PROG(enter_btf, struct pt_regs *regs, long id)
{
	if (op_of(id) >= 0)
		fs_on_enter(id, PT_REGS_PARM1_SYSCALL(regs), true);
	else
		fs_on_other(id);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(exit_btf, struct pt_regs *regs, long ret)
{
	fs_exit(ret);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(enter_raw, struct pt_regs *regs, long id)
{
	if (op_of(id) >= 0)
		fs_on_enter(id, PT_REGS_PARM1_CORE_SYSCALL(regs), false);
	else
		fs_on_other(id);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(exit_raw, struct pt_regs *regs, long ret)
{
	fs_exit(ret);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	if (op_of(ctx->id) >= 0)
		fs_on_enter(ctx->id, ctx->args[0], false);
	else
		fs_on_other(ctx->id);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	fs_exit(ctx->ret);
	return 0;
}
