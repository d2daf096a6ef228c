/* target.bpf.h: the -p / --cgroup filter every collector of this family
 * applies in the kernel. The knobs are const volatile, set before load, so
 * with no target the verifier drops the checks entirely. targ_cgid is the
 * kernfs id (the directory's inode number) of a cgroup in any hierarchy,
 * v1 or v2; a task matches when it is in that cgroup or below it. */
#ifndef FRIDAY_TARGET_BPF_H
#define FRIDAY_TARGET_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#define TARGET_MAX_DEPTH 8
#define TARGET_MAX_SUBSYS 16

const volatile __u32 targ_tgid = 0;
const volatile __u64 targ_cgid = 0;

/* Before 6.13 the parent field was called parent. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

static __always_inline bool kn_under(struct kernfs_node *kn, __u64 id)
{
	for (int i = 0; i < TARGET_MAX_DEPTH && kn; i++) {
		if (BPF_CORE_READ(kn, id) == id)
			return true;
		kn = kn_parent(kn);
	}
	return false;
}

static __always_inline bool task_in_cgroup(struct task_struct *t, __u64 id)
{
	int nr = bpf_core_enum_value(enum cgroup_subsys_id, CGROUP_SUBSYS_COUNT);

	if (kn_under(BPF_CORE_READ(t, cgroups, dfl_cgrp, kn), id))
		return true;
	for (int i = 0; i < TARGET_MAX_SUBSYS && i < nr; i++) {
		struct cgroup_subsys_state *css = BPF_CORE_READ(t, cgroups, subsys[i]);

		if (css && kn_under(BPF_CORE_READ(css, cgroup, kn), id))
			return true;
	}
	return false;
}

/* True when the current task is in the target (or there is none). */
static __always_inline bool target_current(void)
{
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	if (targ_cgid && !task_in_cgroup(bpf_get_current_task_btf(), targ_cgid))
		return false;
	return true;
}

/* The kernfs id of the current task's cgroup in one controller's hierarchy
 * (its v1 cgroup, or the v2 cgroup when the controller is on v2). */
static __always_inline __u64 task_css_cgid(struct task_struct *t, int subsys_id)
{
	return BPF_CORE_READ(t, cgroups, subsys[subsys_id], cgroup, kn, id);
}

#endif
