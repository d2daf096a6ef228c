/* profile.bpf.c: CPU profile, kernel side. A perf event on every online
 * CPU (cycles where the PMU exists, else cpu-clock) at -F Hz runs this
 * program; it counts samples by (process, thread name, kernel stack, user
 * stack) in a hash map, so nothing per sample crosses to user space, except
 * for processes selected for DWARF unwinding: their samples go out with
 * the user registers and stack (unwind.bpf.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "stacks.bpf.h"
#include "unwind.bpf.h"

char LICENSE[] SEC("license") = "GPL";

__u64 idle_samples = 0;     /* samples of the idle task, kept out of the graph */
__u64 kept_samples = 0;

/* Kernel and user stacks in separate maps: user stacks walked through code
 * without frame pointers are many and noisy, and must not push the
 * kernel's few stable stacks out by hash collisions. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 8192);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, STACK_MAX_DEPTH * sizeof(__u64));
} kstacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 32768);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, USTACK_MAX_DEPTH * sizeof(__u64));
} ustacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct profile_key);
	__type(value, __u64);
} counts SEC(".maps");

SEC("perf_event")
int do_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, pid = (__u32)id;
	struct task_struct *task = bpf_get_current_task_btf();
	bool in_kernel = PT_REGS_IP(&ctx->regs) >> 63;
	struct profile_key key;

	if (pid == 0) {
		__sync_fetch_and_add(&idle_samples, 1);
		return 0;
	}
	if (!target_match(tgid))
		return 0;
	__builtin_memset(&key, 0, sizeof(key));
	key.tgid = tgid;
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	key.kstack_id = in_kernel ? stack_id(ctx, &kstacks, 0) : STACK_ID_NONE;
	key.ustack_id = STACK_ID_NONE;
	if (!(task->flags & PF_KTHREAD_FLAG)) {
		__u32 want = unwind_want(tgid);

		if (want && unwind_emit(tgid, pid, key.kstack_id, 0, 0, 1, want)) {
			__sync_fetch_and_add(&kept_samples, 1);
			note_tgid(tgid);
			return 0;
		}
		if (!want)
			unwind_note_fp_depth(ctx, tgid);
		key.ustack_id = stack_id(ctx, &ustacks, BPF_F_USER_STACK);
	}
	add_count(&counts, &key, 1);
	__sync_fetch_and_add(&kept_samples, 1);
	note_tgid(tgid);
	return 0;
}

/* After exec the mappings change: forget the process so that its next
 * sample announces it again and user space takes a fresh snapshot. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	bpf_map_delete_elem(&seen_tgids, &tgid);
	return 0;
}
