/* profile.c: the CPU profile collector, user side: opens a sampling perf
 * event on every online CPU (hardware cycles when the PMU answers, else
 * cpu-clock), attaches profile.bpf.c to each, snapshots processes as they
 * are first seen, unwinds the copied stacks of the processes selected for
 * DWARF unwinding as they arrive (bpf/unwind_feed.c), and at the end folds
 * the kernel-side counts beside them into a CPU flame graph profile
 * (report.profiles[], kind "cpu", unit "samples"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/perf_event.h>

#include "bpf/collector.h"
#include "bpf/stack_common.h"
#include "bpf/stacks.h"
#include "bpf/unwind_feed.h"
#include "lib/util.h"
#include "profile.skel.h"

#define MAX_CPUS 4096
#define DEFAULT_FREQ_HZ 99
#define TOP_LEAVES 20

struct profile_state {
	struct profile_bpf *skel;
	struct bpf_link **links;
	int *pmu_fds;
	int nr_cpus;
	struct ring_buffer *rb;
	struct symbolizer *sym;
	struct stack_target target;
	struct fold_table table;   /* unwound stacks as they come, then the counts */
	struct stack_fold_ctx fc;
	struct unwind_feed feed;
	const char *event;         /* "cycles" or "cpu-clock" */
	char event_why[160];       /* why not cycles */
	int freq_hz;
};

static int open_sampler(int cpu, int freq_hz, bool hardware)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = hardware ? PERF_TYPE_HARDWARE : PERF_TYPE_SOFTWARE,
		.config = hardware ? PERF_COUNT_HW_CPU_CYCLES : PERF_COUNT_SW_CPU_CLOCK,
		.freq = 1,
		.sample_freq = (__u64)freq_hz,
	};

	return (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Cycles first: where a PMU exists it samples time spent with interrupts
 * off too; a VM or this test machine has none, so cpu-clock it is. */
static int open_samplers(struct profile_state *st, const int *cpus, char *why, size_t len)
{
	bool hardware = true;
	int fd = open_sampler(cpus[0], st->freq_hz, true);

	if (fd < 0) {
		snprintf(st->event_why, sizeof(st->event_why),
			 "hardware cycles unavailable (%s): sampling cpu-clock", strerror(errno));
		hardware = false;
	}
	st->event = hardware ? "cycles" : "cpu-clock";
	for (int i = 0; i < st->nr_cpus; i++) {
		if (i > 0 || !hardware)
			fd = open_sampler(cpus[i], st->freq_hz, hardware);
		if (fd < 0) {
			snprintf(why, len, "perf_event_open(%s, cpu %d): %s", st->event, cpus[i],
				 strerror(errno));
			return -errno;
		}
		st->pmu_fds[i] = fd;
		st->links[i] = bpf_program__attach_perf_event(st->skel->progs.do_sample, fd);
		if (!st->links[i]) {
			snprintf(why, len, "attach to perf event on cpu %d: %s", cpus[i],
				 strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int start(struct collector *c, char *why, size_t len)
{
	struct profile_state *st = calloc(1, sizeof(*st));
	int cpus[MAX_CPUS], err;

	if (!st)
		return -ENOMEM;
	c->priv = st;
	st->freq_hz = c->opts && c->opts->freq_hz > 0 ? c->opts->freq_hz : DEFAULT_FREQ_HZ;
	if ((err = stack_target_init(&st->target, c->opts, why, len)))
		return err;
	st->nr_cpus = online_cpus(cpus, MAX_CPUS);
	if (st->nr_cpus <= 0) {
		snprintf(why, len, "cannot read the online CPUs");
		return -ENOENT;
	}
	st->links = calloc((size_t)st->nr_cpus, sizeof(*st->links));
	st->pmu_fds = malloc((size_t)st->nr_cpus * sizeof(*st->pmu_fds));
	st->sym = stack_symbolizer_get();
	st->skel = profile_bpf__open();
	if (!st->links || !st->pmu_fds || !st->sym || !st->skel) {
		snprintf(why, len, "cannot open the BPF object: %s", strerror(errno));
		return -ENOMEM;
	}
	memset(st->pmu_fds, -1, (size_t)st->nr_cpus * sizeof(*st->pmu_fds));
	st->fc = (struct stack_fold_ctx){ .sym = st->sym, .exact_leaf = true, .table = &st->table };
	unwind_feed_init(&st->feed, c->opts, st->sym, &st->fc);
	st->skel->rodata->unwind_mode = (__u32)st->feed.mode;
	st->skel->rodata->unwind_stack_bytes = st->feed.stack_bytes;
	unwind_feed_size_maps(&st->feed, st->skel->maps.unwind_rb, st->skel->maps.unwind_scratch);
	st->skel->rodata->targ_tgid = st->target.tgid;
	st->skel->rodata->targ_cgid = st->target.cgid;
	st->skel->rodata->targ_cg_level = st->target.cg_level;
	st->skel->rodata->targ_use_tgids = st->target.use_tgids;
	if ((err = profile_bpf__load(st->skel))) {
		snprintf(why, len, "BPF load failed: %s", strerror(-err));
		return err;
	}
	st->rb = stack_events_start(st->skel->obj, &st->target, &st->feed, why, len, &err);
	if (err)
		return err;
	if ((err = open_samplers(st, cpus, why, len)))
		return err;
	/* exec re-announces a process; without tp_btf it is just not re-read. */
	st->skel->links.on_exec = bpf_program__attach(st->skel->progs.on_exec);
	return 0;
}

static int poll_events(struct collector *c)
{
	struct profile_state *st = c->priv;

	return stack_events_poll(st->skel->obj, &st->target, st->rb, &st->feed);
}

static void stop(struct collector *c)
{
	struct profile_state *st = c->priv;

	for (int i = 0; st && i < st->nr_cpus; i++) {
		bpf_link__destroy(st->links[i]);
		st->links[i] = NULL;
		if (st->pmu_fds[i] >= 0)
			close(st->pmu_fds[i]);
		st->pmu_fds[i] = -1;
	}
	if (st && st->skel) {
		bpf_link__destroy(st->skel->links.on_exec);
		st->skel->links.on_exec = NULL;
		/* Announcements that arrived after the last poll. */
		ring_buffer__consume(st->rb);
	}
}

static int fold_counts(struct profile_state *st, struct stack_fold_ctx *fc, uint64_t *nr_samples)
{
	int counts_fd = bpf_map__fd(st->skel->maps.counts), err = 0;
	struct profile_key key, next;
	void *prev = NULL;
	__u64 count;

	*nr_samples = 0;
	while (!err && bpf_map_get_next_key(counts_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(counts_fd, &key, &count))
			continue;
		/* A process missed by the announcements: read it now if it lives. */
		if (!symbolizer_proc_name(st->sym, (pid_t)key.tgid))
			symbolizer_snapshot(st->sym, (pid_t)key.tgid, false);
		err = stack_fold(fc, &(struct stack_sample){ .tgid = key.tgid, .comm = key.comm,
				 .kstack_id = key.kstack_id, .ustack_id = key.ustack_id, .value = count });
		*nr_samples += count;
	}
	return err;
}

static json_t *unwind_report(struct profile_state *st, double window_s)
{
	struct profile_bpf__bss *b = st->skel->bss;
	struct unwind_bpf_counts bc = { b->unwind_records, b->unwind_bytes, b->unwind_lost,
					b->unwind_short_reads, b->unwind_unreadable };

	return unwind_feed_report(&st->feed, &bc, window_s);
}

static int harvest(struct collector *c, struct report *r)
{
	struct profile_state *st = c->priv;
	struct fold_table *table = &st->table;
	struct stack_fold_ctx *fc = &st->fc;
	uint64_t nr_samples, lost;
	double t0 = now_mono_s(), took_s;
	json_t *unwound;
	char *folded;
	size_t len;
	json_t *p;
	int err;

	err = fold_counts(st, fc, &nr_samples);
	folded = err ? NULL : fold_render(table, &len);
	if (!folded)
		return err ? err : -ENOMEM;
	took_s = now_mono_s() - t0;
	lost = st->skel->bss->lost_stacks + st->skel->bss->lost_counts + st->skel->bss->lost_procs +
	       st->skel->bss->unwind_lost;
	c->lost_events = lost;
	unwound = unwind_report(st, c->window_s);
	p = report_add_profile(r, "cpu", "cpu", "samples", (unsigned long long)table->total,
			       folded, len);
	if (p) {
		json_object_set_new(p, "cut_user_stacks", json_integer((json_int_t)fc->nr_cut_stacks));
		json_object_set(p, "unwind", unwound);
		json_object_update_new(p, json_pack("{s:s, s:s, s:i, s:f, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:o}",
			"title", "CPU flame graph (on-CPU samples)",
			"event", st->event, "frequency_hz", st->freq_hz, "window_s", c->window_s,
			"target", st->target.desc,
			"idle_samples", (json_int_t)st->skel->bss->idle_samples,
			"distinct_stacks", (json_int_t)table->nr_stacks,
			"lost_stacks", (json_int_t)st->skel->bss->lost_stacks,
			"lost_counts", (json_int_t)st->skel->bss->lost_counts,
			"missing_stacks", (json_int_t)fc->nr_missing_stacks,
			"symbolize_s", took_s,
			"top_leaves", stack_top_leaves(table, TOP_LEAVES)));
		if (st->event_why[0])
			json_object_set_new(p, "event_reason", json_string(st->event_why));
	}
	json_object_set_new(report_get(r, "overhead"), "profile",
			    json_pack("{s:I, s:f, s:o}", "lost_events", (json_int_t)lost,
				      "symbolize_s", took_s, "unwind", unwind_overhead(unwound)));
	json_decref(unwound);
	return p ? 0 : -ENOMEM;
}

static void destroy(struct collector *c)
{
	struct profile_state *st = c->priv;

	if (!st)
		return;
	stop(c);
	ring_buffer__free(st->rb);
	unwind_feed_free(&st->feed);
	fold_free(&st->table);
	profile_bpf__destroy(st->skel);
	stack_symbolizer_put(st->sym);
	free(st->links);
	free(st->pmu_fds);
	free(st);
	c->priv = NULL;
}

/* For report.overhead.collectors: the BPF run time of its programs. */
static struct bpf_object *object(struct collector *c)
{
	struct profile_state *st = c->priv;

	return st && st->skel ? st->skel->obj : NULL;
}

const struct collector_ops profile_collector = {
	.name = "profile",
	.mem_mib = 48,   /* preallocated stack maps; symbols of every process */
	.subsystem = "cpu",
	.summary = "CPU flame graph: stacks sampled on every CPU at -F Hz (W-01)",
	.available = stack_collector_available,
	.start = start,
	.poll = poll_events,
	.stop = stop,
	.harvest = harvest,
	.destroy = destroy,
	.object = object,
};
