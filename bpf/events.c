/* events.c: the "events" collector (processes): loads events.bpf.c and
 * drains its ring buffer while the window runs, putting each record on the
 * run's timeline (report.events[]): signals with sender, target and
 * result, exits with a non-zero code or by a signal, OOM kills. Clean
 * exits and signals outside the kept set are counted, not listed; the
 * counts go into report.measurements.events. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "bpf/maputil.h"
#include "bpf/probe_util.h"
#include "bpf/variant.h"
#include "bpf/events.h"
#include "lib/util.h"
#include "events.skel.h"

#define DEFAULT_MAX_EVENTS 2000

/* Signals that stop or end a process by default, or that a person sends
 * to one (SIGUSR1/2, SIGHUP). Left out: SIGCHLD, SIGCONT, SIGURG, SIGWINCH
 * (ignored by default) and the timer and I/O signals SIGALRM, SIGVTALRM,
 * SIGPROF, SIGIO, which profilers and event loops raise hundreds of times
 * a second: counted in by_signal, never listed. */
static const int kept_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1,
	SIGSEGV, SIGUSR2, SIGPIPE, SIGTERM, SIGSTKFLT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU,
	SIGXCPU, SIGXFSZ, SIGPWR, SIGSYS,
};

/* The kernel's TRACE_SIGNAL_* results of signal_generate. */
static const char *const signal_results[] = {
	"delivered", "ignored", "already_pending", "overflow_fail", "lose_info",
};

struct events_priv {
	struct events_bpf *skel;
	struct ring_buffer *rb;
	struct collector *c;
	enum attach_kind kind;
	json_t *missing;            /* tracepoints this kernel lacks */
	uint64_t cgid;              /* --cgroup as a cgroup v2 id, 0: none */
	uint64_t max_events;
	double real_minus_mono_s;   /* wall clock of a monotonic timestamp */
	uint64_t listed[3];         /* events put on the timeline, by ev_kind */
};

static void *open_skel(void) { return events_bpf__open(); }
static int load_skel(void *s) { return events_bpf__load(s); }
static int attach_skel(void *s) { return events_bpf__attach(s); }
static void destroy_skel(void *s) { events_bpf__destroy(s); }
static struct bpf_object *skel_obj(void *s) { return ((struct events_bpf *)s)->obj; }

static void knobs(void *s, struct collector *c, enum attach_kind kind)
{
	struct events_bpf *skel = s;
	struct events_priv *p = c->priv;
	uint64_t mask = 0;

	for (size_t i = 0; i < ARRAY_SIZE(kept_signals); i++)
		mask |= 1ull << kept_signals[i];
	skel->rodata->targ_tgid = c->opts->pid;
	skel->rodata->targ_cgid = p->cgid;
	skel->rodata->sig_mask = mask;
	skel->rodata->max_events = p->max_events;
}

static const struct variant_ops loader = {
	.open = open_skel, .object = skel_obj, .knobs = knobs, .load = load_skel,
	.attach = attach_skel, .destroy = destroy_skel,
};

/* "SIGTERM", or "SIG40" for a real-time signal. */
static void signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "SIG%d", sig);
}

static json_t *task_json(uint32_t pid, uint32_t tid, const char *comm_raw)
{
	char comm[EV_COMM_LEN + 1];

	probe_comm(comm, sizeof(comm), comm_raw, EV_COMM_LEN);
	return json_pack("{s:i, s:i, s:s}", "pid", (int)pid, "tid", (int)tid, "comm", comm);
}

static void add_signal(struct events_priv *p, const struct ev_record *e, double wall, double t)
{
	char name[16], target[EV_COMM_LEN + 1];
	json_t *d;

	signal_name(e->sig, name, sizeof(name));
	probe_comm(target, sizeof(target), e->target_comm, EV_COMM_LEN);
	d = json_pack("{s:s, s:i, s:o, s:o, s:s, s:i}", "signal", name, "signo", e->sig,
		      "sender", task_json(e->pid, e->tid, e->comm),
		      "target", task_json(e->target_pid, e->target_tid, e->target_comm),
		      "result", (unsigned int)e->result < ARRAY_SIZE(signal_results) ?
				signal_results[e->result] : "other",
		      "si_code", e->code);
	report_add_event_at(p->c->report, wall, t, "signal", target, d);
}

/* exit_code as wait(2) status: the code in bits 8-15, else the signal in
 * bits 0-6 and a core dump in bit 7. */
static void add_exit(struct events_priv *p, const struct ev_record *e, double wall, double t)
{
	int sig = e->code & 0x7f;
	char comm[EV_COMM_LEN + 1], name[16];
	json_t *d;

	probe_comm(comm, sizeof(comm), e->comm, EV_COMM_LEN);
	d = json_pack("{s:i, s:i, s:f, s:i}", "pid", (int)e->pid, "tid", (int)e->tid,
		      "lifetime_s", e->lifetime_ns / 1e9, "wait_status", e->code);
	if (sig) {
		signal_name(sig, name, sizeof(name));
		json_object_set_new(d, "signal", json_string(name));
		json_object_set_new(d, "core_dumped", json_boolean(e->code & 0x80));
	} else {
		json_object_set_new(d, "exit_code", json_integer((e->code >> 8) & 0xff));
	}
	report_add_event_at(p->c->report, wall, t, "exit", comm, d);
}

static void add_oom(struct events_priv *p, const struct ev_record *e, double wall, double t)
{
	char comm[EV_COMM_LEN + 1];

	probe_comm(comm, sizeof(comm), e->comm, EV_COMM_LEN);
	report_add_event_at(p->c->report, wall, t, "oom_kill", comm,
			    json_pack("{s:i, s:s, s:I}", "pid", (int)e->pid, "comm", comm,
				      "total_vm_kb", (json_int_t)e->total_vm_pages * 4));
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct events_priv *p = ctx;
	const struct ev_record *e = data;
	double mono = e->time_ns / 1e9, wall, t;

	if (size < sizeof(*e) || e->kind > EV_OOM_KILL)
		return 0;
	wall = mono + p->real_minus_mono_s;
	t = p->c->started_s > 0 ? mono - p->c->started_s : 0;
	if (t < 0)     /* between attach and the window's first poll */
		t = 0;
	p->listed[e->kind]++;
	if (e->kind == EV_SIGNAL)
		add_signal(p, e, wall, t);
	else if (e->kind == EV_EXIT)
		add_exit(p, e, wall, t);
	else
		add_oom(p, e, wall, t);
	return 0;
}

static int events_available(struct report *r, char *why, size_t len)
{
	if (json_object_get(report_get(r, "capabilities"), "root") &&
	    !report_capability_ok(r, "root")) {
		snprintf(why, len, "needs root (see capabilities.root)");
		return -EPERM;
	}
	if (json_object_get(report_get(r, "capabilities"), "ringbuf") &&
	    !report_capability_ok(r, "ringbuf")) {
		snprintf(why, len, "needs BPF ring buffers (see capabilities.ringbuf)");
		return -ENOTSUP;
	}
	return 0;
}

static int events_start(struct collector *c, char *why, size_t len)
{
	struct events_priv *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->c = c;
	p->max_events = (uint64_t)collector_knob(c, "max_events", DEFAULT_MAX_EVENTS);
	err = probe_cgroup_id(c->opts->cgroup, &p->cgid, why, len);
	if (err)
		return err;
	p->missing = json_array();
	p->real_minus_mono_s = now_real_s() - now_mono_s();
	p->skel = variant_open_load(c, &loader, &p->kind, p->missing, why, len);
	if (!p->skel)
		return -ENOENT;
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.records), on_record, p, NULL);
	if (!p->rb) {
		snprintf(why, len, "ring buffer: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int events_poll(struct collector *c)
{
	struct events_priv *p = c->priv;

	return ring_buffer__poll(p->rb, 0);
}

static void events_stop(struct collector *c)
{
	struct events_priv *p = c->priv;

	events_bpf__detach(p->skel);
	ring_buffer__consume(p->rb);
}

static json_t *by_signal(struct events_priv *p)
{
	int fd = bpf_map__fd(p->skel->maps.by_signal);
	json_t *o = json_object();

	for (int sig = 1; sig < EV_NR_SIGNALS; sig++) {
		uint64_t n = maputil_percpu_u64(fd, sig);
		char name[16];

		if (!n)
			continue;
		signal_name(sig, name, sizeof(name));
		json_object_set_new(o, name, json_integer((json_int_t)n));
	}
	return o;
}

static json_t *kept_names(void)
{
	json_t *arr = json_array();
	char name[16];

	for (size_t i = 0; i < ARRAY_SIZE(kept_signals); i++) {
		signal_name(kept_signals[i], name, sizeof(name));
		json_array_append_new(arr, json_string(name));
	}
	return arr;
}

static int events_harvest(struct collector *c, struct report *r)
{
	struct events_priv *p = c->priv;
	int fd = bpf_map__fd(p->skel->maps.counters);
	uint64_t n[EV_NR_COUNTERS];
	json_t *m;

	for (uint32_t i = 0; i < EV_NR_COUNTERS; i++)
		n[i] = maputil_percpu_u64(fd, i);
	c->lost_events = n[EV_DROPPED_CAP] + n[EV_DROPPED_RINGBUF];
	m = json_pack("{s:s, s:f, s:O, s:I, s:{s:I, s:I, s:I, s:o, s:o}, "
		      "s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I, s:I}, s:{s:i, s:s}}",
		      "attach", attach_kind_name(p->kind), "window_s", c->window_s,
		      "missing_probes", p->missing, "lost_events", (json_int_t)c->lost_events,
		      "signals", "generated", (json_int_t)n[EV_SIGNALS],
		      "kept", (json_int_t)n[EV_SIGNALS_KEPT], "listed", (json_int_t)p->listed[EV_SIGNAL],
		      "by_signal", by_signal(p), "kept_signals", kept_names(),
		      "exits", "total", (json_int_t)n[EV_EXITS], "clean", (json_int_t)n[EV_EXITS_CLEAN],
		      "abnormal", (json_int_t)(n[EV_EXITS] - n[EV_EXITS_CLEAN]),
		      "listed", (json_int_t)p->listed[EV_EXIT],
		      "oom_kills", "total", (json_int_t)n[EV_OOM_KILLS],
		      "listed", (json_int_t)p->listed[EV_OOM_KILL],
		      "dropped", "over_max_events", (json_int_t)n[EV_DROPPED_CAP],
		      "ring_buffer_full", (json_int_t)n[EV_DROPPED_RINGBUF],
		      "max_events", (json_int_t)p->max_events,
		      "filter", "pid", (int)c->opts->pid, "cgroup",
		      c->opts->cgroup ? c->opts->cgroup : "");
	json_object_set_new(report_get(r, "measurements"), "events", m);
	return 0;
}

static void events_destroy(struct collector *c)
{
	struct events_priv *p = c->priv;

	if (!p)
		return;
	ring_buffer__free(p->rb);
	events_bpf__destroy(p->skel);
	json_decref(p->missing);
	free(p);
	c->priv = NULL;
}

static struct bpf_object *events_object(struct collector *c)
{
	struct events_priv *p = c->priv;

	return p && p->skel ? p->skel->obj : NULL;
}

static const struct collector_knob events_knobs[] = {
	{ "max_events", KNOB_INTEGER, 1, 1000000, "records sent in the window at most" },
	{ NULL, KNOB_FLAG, 0, 0, NULL },
};

const struct collector_ops events_collector = {
	.name = "events",
	.subsystem = "processes",
	.summary = "signals (sender, target, result), abnormal exits with their codes, OOM kills, "
		   "on the run's timeline (TH-09)",
	.available = events_available,
	.start = events_start,
	.poll = events_poll,
	.stop = events_stop,
	.harvest = events_harvest,
	.destroy = events_destroy,
	.object = events_object,
	.knobs = events_knobs,
};
