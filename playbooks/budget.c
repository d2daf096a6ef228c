/* budget.c: the overhead budget of a collect window (see budget.h). The
 * cost of a collector is what the kernel ran of its BPF programs plus the
 * CPU time friday spent polling it; friday's cost is its whole CPU time
 * (every thread) plus the BPF run time of all its programs. A check acts
 * on the costliest collector only, one step at a time, so a short spike
 * costs at most a factor of BUDGET_SAMPLE_FACTOR in detail. */
#include "playbooks/budget.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bpf/probe_util.h"
#include "lib/util.h"

#define KNOB_NAME "budget_sample_every"

uint64_t budget_tool_cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

uint64_t budget_bpf_run_ns(struct bpf_object *obj, uint64_t *runs)
{
	struct bpf_program *prog;
	uint64_t run_ns = 0;

	if (runs)
		*runs = 0;
	if (!obj)
		return 0;
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		memset(&info, 0, sizeof(info));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
			run_ns += info.run_time_ns;
			if (runs)
				*runs += info.run_cnt;
		}
	}
	return run_ns;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool stats_held_on_elsewhere(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int on = 0;

	if (f) {
		if (fscanf(f, "%d", &on) != 1)
			on = 0;
		fclose(f);
	}
	return on == 1;
}

/* The stats' on time up to now, the current period included, from an
 * origin of its own: only differences count. Stats that never worked
 * count as on throughout, as their zeros need no scaling. */
static uint64_t stats_on_ns(const struct budget_stats *s, uint64_t now)
{
	if (!s->works)
		return now;
	return s->on_ns + (s->on_since_ns ? now - s->on_since_ns : 0);
}

static void stats_switch(struct budget_stats *s, bool on, uint64_t now)
{
	uint64_t t0;

	if (!s->works || s->held_on || on == (s->on_since_ns != 0))
		return;
	t0 = thread_cpu_ns();
	s->nr_switches++;
	if (!on) {
		close(s->fd);
		s->off_cpu_ns = thread_cpu_ns() - t0;
		s->fd = -1;
		/* Someone else (the sysctl, another tool) keeps them on: the
		 * current on period goes on to the end. */
		if (stats_held_on_elsewhere()) {
			s->held_on = true;
			return;
		}
		s->on_ns += now - s->on_since_ns;
		s->on_since_ns = 0;
		return;
	}
	s->fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	s->on_cpu_ns = thread_cpu_ns() - t0;
	if (s->fd >= 0)
		s->on_since_ns = now;
}

/* Whether the next interval switches the stats off after a while or keeps
 * them on: whichever costs less, from the last interval's run rate and
 * what the last switches cost (half as much again to switch back, so a
 * rate near the line does not flip the mode every interval). */
static void stats_plan(struct budget *b, uint64_t now)
{
	struct budget_stats *s = b->stats;
	double on_ns = b->runs_per_s * BUDGET_INTERVAL_S * BUDGET_STATS_NS_PER_RUN;
	double switch_ns = s->on_cpu_ns && s->off_cpu_ns ? (double)(s->on_cpu_ns + s->off_cpu_ns) :
			   BUDGET_STATS_SWITCH_NS;

	if (s->sampling && on_ns < switch_ns / 2)
		s->sampling = false;
	else if (!s->sampling && on_ns > switch_ns)
		s->sampling = true;
	/* Stats still on from a whole interval start their on period anew,
	 * so it lasts BUDGET_STATS_ON_S like any other and not a sliver,
	 * whose few runs, scaled up a thousand times, would be noise. */
	if (s->on_since_ns) {
		s->on_ns += now - s->on_since_ns;
		s->on_since_ns = now;
	}
	stats_switch(s, true, now);
}

void budget_stats_start(struct budget_stats *s, struct report *r)
{
	uint64_t now = now_mono_ns();
	char why[256];

	memset(s, 0, sizeof(*s));
	s->fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	s->works = s->fd >= 0;
	s->on_since_ns = s->works ? now : 0;
	if (s->works)
		snprintf(why, sizeof(why), "on for the collect window (BPF_ENABLE_STATS), but "
			 "while friday's programs run so often that the stats' two clock reads per "
			 "run cost more than switching them, only %.0f ms of every %.0f ms, and run "
			 "times and counts are scaled from that share (bpf_stats_share)",
			 BUDGET_STATS_ON_S * 1e3, BUDGET_INTERVAL_S * 1e3);
	else
		snprintf(why, sizeof(why), "%s", strerror(errno));
	json_object_set_new(report_get(r, "overhead"), "bpf_stats",
			    json_pack("{s:b, s:s}", "enabled", s->works, "reason", why));
}

void budget_stats_stop(struct budget_stats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* The budget_sample_every variable of a loaded object, in its .bss as
 * mapped into friday (libbpf maps it shared with the kernel on load), or
 * NULL when the collector has no such knob. */
static uint32_t *find_knob(struct bpf_object *obj)
{
	return probe_global(obj, ".bss", KNOB_NAME, sizeof(uint32_t));
}

static struct bpf_object *object_of(struct collector *c)
{
	return c->ops && c->ops->object ? c->ops->object(c) : NULL;
}

static json_t *budget_section(struct report *r, const struct budget *b)
{
	json_t *ov = report_get(r, "overhead"), *sec = json_object_get(ov, "budget");

	if (!sec) {
		sec = json_pack("{s:f, s:i, s:f, s:s, s:b, s:[], s:[]}", "max_overhead_pct",
				b->max_pct, "cpus", b->nr_cpus, "interval_s", BUDGET_INTERVAL_S,
				"measures", "friday's CPU time (all threads) plus the BPF run "
				"time of its programs, as a share of all CPUs", "held", 1,
				"windows", "actions");
		json_object_set_new(ov, "budget", sec);
	}
	return sec;
}

int budget_init(struct budget *b, const struct run_opts *opts, const char *step,
		struct collector *cs, size_t n, struct report *r, struct budget_stats *stats)
{
	uint64_t now;

	memset(b, 0, sizeof(*b));
	b->stats = stats;
	b->max_pct = opts && opts->max_overhead_pct > 0 ? opts->max_overhead_pct :
		     DEFAULT_MAX_OVERHEAD_PCT;
	b->nr_cpus = probe_nr_cpus();
	b->step = step ? step : "collect";
	b->n = n;
	b->e = calloc(n ? n : 1, sizeof(*b->e));
	if (!b->e)
		return -ENOMEM;
	now = now_mono_ns();
	for (size_t i = 0; i < n; i++) {
		b->e[i].sample_every = 1;
		b->e[i].knob = find_knob(object_of(&cs[i]));
		b->e[i].bpf_ns_seen = budget_bpf_run_ns(object_of(&cs[i]), &b->e[i].runs_seen);
		/* The stats were on from before its start until now. */
		if (cs[i].ops && cs[i].started_s > 0 && now > cs[i].started_s * 1e9)
			b->e[i].wall_ns = b->e[i].on_ns = now - (uint64_t)(cs[i].started_s * 1e9);
		b->e[i].ns_est = (double)b->e[i].bpf_ns_seen;
		b->e[i].runs_est = (double)b->e[i].runs_seen;
	}
	budget_section(r, b);
	b->t0_ns = b->last_ns = now;
	/* The first interval's on period starts now, whatever the start-up
	 * took: a check soon after would otherwise scale a sliver of it. */
	if (stats->on_since_ns) {
		stats->on_ns += now - stats->on_since_ns;
		stats->on_since_ns = now;
	}
	b->stats_on_last = stats_on_ns(stats, now);
	b->tool_ns_t0 = b->tool_ns_last = budget_tool_cpu_ns();
	return 0;
}

void budget_poll(struct budget *b, struct collector *cs, size_t i)
{
	uint64_t t0;

	if (!cs[i].ops || cs[i].stopped || !cs[i].ops->poll)
		return;
	t0 = thread_cpu_ns();
	cs[i].ops->poll(&cs[i]);
	b->e[i].poll_ns += thread_cpu_ns() - t0;
}

static double pct_of_host(const struct budget *b, uint64_t cost_ns, uint64_t wall_ns)
{
	return wall_ns ? 100.0 * (double)cost_ns / ((double)wall_ns * b->nr_cpus) : 0;
}

static void note_action(struct budget *b, struct report *r, struct collector *c,
			const char *action, double cost_pct, double mine_pct)
{
	json_t *budget = json_object_get(report_get(r, "overhead"), "budget");
	json_t *actions = json_object_get(budget, "actions");

	json_array_append_new(actions, json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:f}",
		"step", b->step, "collector", c->ops->name, "action", action,
		"at_s", (now_mono_ns() - b->t0_ns) / 1e9, "cost_pct", cost_pct,
		"collector_cost_pct", mine_pct, "budget_pct", b->max_pct));
	log_info("overhead budget: friday cost %.2f%% of %d CPUs (budget %.2f%%): %s %s "
		 "(%.2f%%)", cost_pct, b->nr_cpus, b->max_pct, c->ops->name, action, mine_pct);
}

/* How many times fewer events the costliest collector must keep for
 * friday to fit: its cost over what the budget leaves it once the others are paid
 * (at least a quarter of the budget), rounded up to a power of
 * BUDGET_SAMPLE_FACTOR, so a collector ten times over is cut at once. */
static uint32_t step_down_factor(const struct budget *b, double cost_pct, double mine_pct)
{
	double room = b->max_pct - (cost_pct - mine_pct), need;
	uint32_t f = BUDGET_SAMPLE_FACTOR;

	if (room < b->max_pct / 4)
		room = b->max_pct / 4;
	need = mine_pct / room;
	while (f < BUDGET_MAX_SAMPLE_EVERY && f < need)
		f *= BUDGET_SAMPLE_FACTOR;
	return f;
}

/* Samples collector i down, or stops it when it cannot go lower. */
static void act_on(struct budget *b, struct collector *cs, size_t i, struct report *r,
		   double cost_pct, double mine_pct)
{
	struct budget_entry *e = &b->e[i];
	char what[128];   /* the longest: "stopped after S s with HOST, whose ..." */

	if (e->knob && e->sample_every < BUDGET_MAX_SAMPLE_EVERY) {
		uint32_t f = step_down_factor(b, cost_pct, mine_pct);

		if (e->sample_every == 1)
			e->sampled_at_s = (now_mono_ns() - b->t0_ns) / 1e9;
		e->sample_every = e->sample_every * f < BUDGET_MAX_SAMPLE_EVERY ?
				  e->sample_every * f : BUDGET_MAX_SAMPLE_EVERY;
		__atomic_store_n(e->knob, e->sample_every, __ATOMIC_RELAXED);
		snprintf(what, sizeof(what), "sampled 1 in %u", e->sample_every);
		note_action(b, r, &cs[i], what, cost_pct, mine_pct);
		return;
	}
	/* A stop loses the rest of the window: only for a collector that was
	 * the costliest in two checks, not for one spike (a first symbolization). */
	if (++e->strikes < 2) {
		note_action(b, r, &cs[i], "over the budget once (stopped if again)", cost_pct,
			    mine_pct);
		return;
	}
	cs[i].window_s = now_mono_s() - cs[i].started_s;
	cs[i].ops->stop(&cs[i]);
	cs[i].stopped = true;
	e->stopped_at_s = (now_mono_ns() - b->t0_ns) / 1e9;
	snprintf(what, sizeof(what), "stopped after %.1f s", e->stopped_at_s);
	note_action(b, r, &cs[i], what, cost_pct, mine_pct);
	/* Its rider ran in its programs, and stopped with them (syscount_fs.h). */
	if (cs[i].rider && cs[i].rider->stopped) {
		size_t j = (size_t)(cs[i].rider - cs);

		b->e[j].stopped_at_s = e->stopped_at_s;
		snprintf(what, sizeof(what), "stopped after %.1f s with %s, whose programs it "
			 "rides on", e->stopped_at_s, cs[i].ops->name);
		note_action(b, r, cs[i].rider, what, cost_pct, 0);
	}
}

/* Measures the interval since the last check; returns friday's cost in
 * it as a share of the host, and the costliest running collector. An
 * interval too short to judge (judged false) counts in the totals only. */
static double measure(struct budget *b, struct collector *cs, bool judged, size_t *top_out,
		      uint64_t *top_ns_out)
{
	uint64_t now = now_mono_ns(), tool = budget_tool_cpu_ns(), cost, top_ns = 0;
	uint64_t wall = now - b->last_ns, on = stats_on_ns(b->stats, now) - b->stats_on_last;
	/* what the stats saw in their share of the interval, for all of it */
	double scale = on ? (double)wall / (double)on : 0;
	size_t top = b->n;
	uint64_t runs_total = 0;
	double pct;

	cost = tool - b->tool_ns_last;
	for (size_t i = 0; i < b->n; i++) {
		uint64_t bpf_ns, mine, seen_ns, runs;

		if (!cs[i].ops || cs[i].stopped)
			continue;
		bpf_ns = budget_bpf_run_ns(object_of(&cs[i]), &runs);
		runs_total += runs - b->e[i].runs_seen;
		b->e[i].runs_est += (double)(runs - b->e[i].runs_seen) * scale;
		b->e[i].runs_seen = runs;
		seen_ns = (uint64_t)((double)(bpf_ns - b->e[i].bpf_ns_seen) * scale);
		b->e[i].ns_est += (double)seen_ns;
		mine = seen_ns + b->e[i].poll_ns;
		b->bpf_ns_total += seen_ns;
		cost += seen_ns;
		b->e[i].wall_ns += wall;
		b->e[i].on_ns += on;
		b->e[i].cost_ns += mine;
		b->e[i].bpf_ns_seen = bpf_ns;
		b->e[i].poll_ns = 0;
		if (mine > top_ns) {
			top_ns = mine;
			top = i;
		}
	}
	pct = pct_of_host(b, cost, wall);
	if (judged) {
		b->nr_intervals++;
		if (pct > b->peak_pct)
			b->peak_pct = pct;
		if (pct > b->max_pct)
			b->nr_over++;
	}
	b->runs_per_s = wall ? (double)runs_total * scale * 1e9 / (double)wall : 0;
	b->last_ns = now;
	b->stats_on_last += on;
	b->tool_ns_last = tool;
	*top_out = top;
	*top_ns_out = wall ? top_ns * 1000000000ull / wall : 0;   /* ns per second */
	return pct;
}

uint64_t budget_stats_off_ns(const struct budget *b)
{
	if (!b->stats->on_since_ns || b->stats->held_on || !b->stats->sampling)
		return UINT64_MAX;
	return b->stats->on_since_ns + (uint64_t)(BUDGET_STATS_ON_S * 1e9);
}

void budget_check(struct budget *b, struct collector *cs, struct report *r)
{
	uint64_t top_ns_per_s;
	size_t top;
	double pct;

	uint64_t now = now_mono_ns();

	if (now >= budget_stats_off_ns(b))
		stats_switch(b->stats, false, now);
	if (now - b->last_ns < (uint64_t)(BUDGET_INTERVAL_S * 1e9))
		return;
	pct = measure(b, cs, true, &top, &top_ns_per_s);
	stats_plan(b, now_mono_ns());
	if (pct > b->max_pct && top < b->n)
		act_on(b, cs, top, r, pct, pct_of_host(b, top_ns_per_s, 1000000000ull));
}

void budget_close(struct budget *b, struct collector *cs)
{
	uint64_t top_ns_per_s;
	size_t top;

	/* the last, partial interval counts in the totals, but is not acted
	 * on, nor judged when it is a sliver */
	measure(b, cs, now_mono_ns() - b->last_ns >= 50000000ull, &top, &top_ns_per_s);
	b->t_end_ns = now_mono_ns();
	b->tool_ns_end = budget_tool_cpu_ns();
	for (size_t i = 0; i < b->n; i++) {
		cs[i].bpf_ns_est = b->e[i].ns_est;
		cs[i].bpf_runs_est = b->e[i].runs_est;
		cs[i].stats_share = b->e[i].wall_ns ? (double)b->e[i].on_ns / b->e[i].wall_ns : 1;
	}
}

/* "; over the 2% overhead budget: syscount sampled 1 in 16 from 1.0 s,
 * offcpu stopped after 5.0 s" appended to the step's reason. */
static void say_what_was_done(const struct budget *b, struct collector *cs, char *reason,
			      size_t len)
{
	size_t off = strlen(reason);
	bool first = true;

	for (size_t i = 0; i < b->n && off < len; i++) {
		const struct budget_entry *e = &b->e[i];

		if (!cs[i].ops || (e->sample_every == 1 && e->stopped_at_s == 0))
			continue;
		off += snprintf(reason + off, len - off, "%s%s", first ? "; over the overhead "
				"budget: " : ", ", cs[i].ops->name);
		first = false;
		if (off < len && e->sample_every > 1)
			off += snprintf(reason + off, len - off, " sampled 1 in %u from %.1f s",
					e->sample_every, e->sampled_at_s);
		if (off < len && e->stopped_at_s > 0)
			off += snprintf(reason + off, len - off, "%s stopped after %.1f s",
					e->sample_every > 1 ? " and" : "", e->stopped_at_s);
	}
}

void budget_finish(struct budget *b, struct collector *cs, struct report *r, char *reason,
		   size_t reason_len)
{
	json_t *sec = budget_section(r, b);
	uint64_t wall = b->t_end_ns - b->t0_ns;
	uint64_t cost = b->tool_ns_end - b->tool_ns_t0 + b->bpf_ns_total;
	double pct = pct_of_host(b, cost, wall);
	/* a window shorter than one check is too short to judge by */
	bool held = pct <= b->max_pct || wall < (uint64_t)(BUDGET_INTERVAL_S * 1e9);

	json_array_append_new(json_object_get(sec, "windows"), json_pack(
		"{s:s, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:b, s:i}", "step", b->step,
		"window_s", wall / 1e9, "tool_cpu_s", (b->tool_ns_end - b->tool_ns_t0) / 1e9,
		"bpf_run_s", b->bpf_ns_total / 1e9, "cost_pct", pct, "peak_interval_pct",
		b->peak_pct, "intervals", b->nr_intervals, "over_intervals", b->nr_over,
		"held", held, "bpf_stats_switches", b->stats->nr_switches));
	if (!held)
		json_object_set_new(sec, "held", json_false());
	for (size_t i = 0; i < b->n; i++) {
		json_t *rec;

		if (!cs[i].ops)
			continue;
		rec = json_object_get(report_get(r, "collectors"), cs[i].ops->name);
		json_object_set_new(rec, "cost_pct", json_real(pct_of_host(b, b->e[i].cost_ns, wall)));
		if (b->e[i].sample_every > 1)
			json_object_set_new(rec, "sample_every", json_integer(b->e[i].sample_every));
		if (b->e[i].stopped_at_s > 0)
			json_object_set_new(rec, "stopped_early_s", json_real(b->e[i].stopped_at_s));
	}
	if (reason)
		say_what_was_done(b, cs, reason, reason_len);
	free(b->e);
	b->e = NULL;
}
