/* past_errors.c: Monday's past-error scan (METHODOLOGY 4.5, ERR-01..13).
 * "dmesg is always worth checking": every kernel log record still in the
 * buffer is matched against one pattern table; each pattern that hit
 * becomes one finding with the count, the first and last time, one example
 * line, and what the pattern could extract (OOM victims and their memory
 * cgroup, hung tasks, devices, ports). Only kernel-facility records count,
 * so nothing user space writes to /dev/kmsg can fake an error. An error
 * last seen over an hour ago is history: its severity drops one level. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks/kmsg.h"
#include "checks/past_errors.h"
#include "checks/static_impl.h"
#include "lib/util.h"

#define RECENT_US (3600ULL * 1000000)   /* [heur]: older errors are history */
#define MAX_EXTRACTED 10

typedef void (*extract_fn)(const char *msg, json_t *extracted);

struct err_pattern {
	const char *err_id;       /* METHODOLOGY id */
	const char *finding;      /* finding id; several rows may share one */
	enum severity sev;
	const char *all[3];       /* substrings that must all occur */
	extract_fn extract;       /* may be NULL */
	bool counts;              /* false: only enriches the finding's evidence */
};

/* Adds name to the object of counts in extracted[key], keeping at most
 * MAX_EXTRACTED distinct names. */
static void extracted_count(json_t *extracted, const char *key, const char *name)
{
	json_t *obj = json_object_get(extracted, key);
	json_int_t n;

	if (!obj) {
		obj = json_object();
		json_object_set_new(extracted, key, obj);
	}
	n = json_integer_value(json_object_get(obj, name));
	if (n || json_object_size(obj) < MAX_EXTRACTED)
		json_object_set_new(obj, name, json_integer(n + 1));
}

/* "Out of memory: Killed process 1234 (java) total-vm:..." */
static void extract_oom_victim(const char *msg, json_t *extracted)
{
	const char *p = strstr(msg, "Killed process ");
	char name[64];
	int pid;

	if (p && sscanf(p, "Killed process %d (%63[^)])", &pid, name) == 2)
		extracted_count(extracted, "victims", name);
}

/* "swapoff invoked oom-killer: gfp_mask=..., order=0, oom_score_adj=0" */
static void extract_oom_invoker(const char *msg, json_t *extracted)
{
	char name[64];

	if (sscanf(msg, "%63s invoked oom-killer", name) == 1 && strstr(msg, " invoked oom-killer"))
		extracted_count(extracted, "invokers", name);
}

/* "Memory cgroup stats for /a/b:" printed with every memcg OOM */
static void extract_memcg_stats(const char *msg, json_t *extracted)
{
	char memcg[256];

	if (sscanf(msg, "Memory cgroup stats for %255[^:]", memcg) == 1)
		extracted_count(extracted, "memcgs", memcg);
}

/* "oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=/a,task_memcg=/a/b,task=x,pid=1,uid=0" */
static void extract_oom_memcg(const char *msg, json_t *extracted)
{
	const char *p = strstr(msg, "task_memcg=");
	const char *c = strstr(msg, "constraint=");
	char memcg[256], constraint[64];

	if (p && sscanf(p, "task_memcg=%255[^,]", memcg) == 1)
		extracted_count(extracted, "memcgs", memcg);
	if (c && sscanf(c, "constraint=%63[^,]", constraint) == 1)
		extracted_count(extracted, "constraints", constraint);
}

/* "INFO: task kworker/0:1:123 blocked for more than 120 seconds." */
static void extract_hung_task(const char *msg, json_t *extracted)
{
	const char *p = strstr(msg, "INFO: task ");
	char task[96], *colon;

	if (!p || sscanf(p, "INFO: task %95[^ ]", task) != 1)
		return;
	colon = strrchr(task, ':');  /* the pid follows the last colon */
	if (colon)
		*colon = '\0';
	extracted_count(extracted, "tasks", task);
}

/* "I/O error, dev sda, sector 123 ..." or "Buffer I/O error on dev sdb1, ..." */
static void extract_device(const char *msg, json_t *extracted)
{
	const char *p = strstr(msg, "dev ");
	const char *d = strstr(msg, "(device ");
	char dev[64];

	if (d && sscanf(d, "(device %63[^)])", dev) == 1)
		extracted_count(extracted, "devices", dev);
	else if (p && sscanf(p, "dev %63[^, ]", dev) == 1)
		extracted_count(extracted, "devices", dev);
}

/* "TCP: request_sock_TCP: Possible SYN flooding on port 8080. Dropping ..." */
static void extract_port(const char *msg, json_t *extracted)
{
	const char *p = strstr(msg, "on port ");
	char port[32];

	if (p && sscanf(p, "on port %31[^. ]", port) == 1)
		extracted_count(extracted, "ports", port);
}

/* "BUG: soft lockup - CPU#3 stuck for 22s! [stress:1234]" */
static void extract_lockup_task(const char *msg, json_t *extracted)
{
	const char *p = strstr(msg, "! [");
	char task[96], *colon;

	if (!p || sscanf(p, "! [%95[^]]", task) != 1)
		return;
	colon = strrchr(task, ':');
	if (colon)
		*colon = '\0';
	extracted_count(extracted, "tasks", task);
}

/* First match wins, so specific rows come before general ones. */
static const struct err_pattern err_patterns[] = {
	{ "ERR-01", "memory.oom_kill_logged", SEV_CRITICAL, { "Killed process " }, extract_oom_victim, true },
	{ "ERR-01", "memory.oom_kill_logged", SEV_CRITICAL, { "oom-kill:", "task_memcg=" }, extract_oom_memcg, false },
	{ "ERR-01", "memory.oom_no_victim_logged", SEV_WARNING, { "Out of memory and no killable processes" },
	  NULL, true },
	{ "ERR-01", "memory.oom_kill_logged", SEV_CRITICAL, { " invoked oom-killer" }, extract_oom_invoker, false },
	{ "ERR-01", "memory.oom_kill_logged", SEV_CRITICAL, { "Memory cgroup stats for " }, extract_memcg_stats,
	  false },
	{ "ERR-02", "processes.hung_task", SEV_CRITICAL, { "INFO: task ", " blocked for more than " },
	  extract_hung_task, true },
	{ "ERR-03", "cpu.soft_lockup", SEV_CRITICAL, { "BUG: soft lockup" }, extract_lockup_task, true },
	{ "ERR-03", "cpu.soft_lockup", SEV_CRITICAL, { "hard LOCKUP" }, NULL, true },
	{ "ERR-04", "cpu.rcu_stall", SEV_CRITICAL, { "rcu", "detected stall" }, NULL, true },
	{ "ERR-04", "cpu.rcu_stall", SEV_CRITICAL, { "rcu", "detected expedited stall" }, NULL, true },
	{ "ERR-05", "cpu.machine_check", SEV_CRITICAL, { "Machine check events logged" }, NULL, true },
	{ "ERR-05", "cpu.machine_check", SEV_CRITICAL, { "[Hardware Error]" }, NULL, true },
	{ "ERR-06", "memory.edac_logged", SEV_CRITICAL, { "EDAC ", " UE " }, NULL, true },
	{ "ERR-06", "memory.edac_logged", SEV_WARNING, { "EDAC ", " CE " }, NULL, true },
	{ "ERR-07", "disk.io_errors_logged", SEV_CRITICAL, { "I/O error, dev " }, extract_device, true },
	{ "ERR-07", "disk.io_errors_logged", SEV_CRITICAL, { "Buffer I/O error on dev" }, extract_device, true },
	{ "ERR-07", "disk.io_errors_logged", SEV_CRITICAL, { "failed command: ", "FPDMA" }, NULL, true },
	{ "ERR-08", "filesystem.errors", SEV_CRITICAL, { "EXT4-fs error" }, extract_device, true },
	{ "ERR-08", "filesystem.errors", SEV_CRITICAL, { "XFS (", "Corruption" }, NULL, true },
	{ "ERR-08", "filesystem.errors", SEV_CRITICAL, { "metadata I/O error" }, NULL, true },
	{ "ERR-08", "filesystem.errors", SEV_CRITICAL, { "BTRFS error" }, NULL, true },
	{ "ERR-09", "network.syn_flooding", SEV_WARNING, { "Possible SYN flooding on port" }, extract_port, true },
	{ "ERR-09", "network.conntrack_full", SEV_CRITICAL, { "nf_conntrack: table full" }, NULL, true },
	{ "ERR-09", "network.link_down", SEV_WARNING, { "NIC Link is Down" }, NULL, true },
	{ "ERR-10", "cpu.thermal_throttle_logged", SEV_WARNING, { "temperature above threshold", "throttled" },
	  NULL, true },
	{ "ERR-11", "cpu.clocksource_unstable", SEV_WARNING, { "Marking clocksource", "as unstable" }, NULL, true },
	{ "ERR-11", "cpu.clocksource_unstable", SEV_WARNING, { "Switched to clocksource hpet" }, NULL, true },
	{ "ERR-11", "cpu.clocksource_unstable", SEV_WARNING, { "Switched to clocksource acpi_pm" }, NULL, true },
	{ "ERR-12", "memory.allocation_failure", SEV_WARNING, { "page allocation failure: order:" }, NULL, true },
	{ "ERR-13", "cpu.kernel_oops", SEV_CRITICAL, { "Oops: " }, NULL, true },
	{ "ERR-13", "cpu.kernel_oops", SEV_CRITICAL, { "kernel BUG at " }, NULL, true },
	{ "ERR-13", "cpu.kernel_oops", SEV_CRITICAL, { "BUG: unable to handle" }, NULL, true },
	{ "ERR-13", "cpu.kernel_oops", SEV_CRITICAL, { "general protection fault" }, NULL, true },
	{ "ERR-13", "cpu.kernel_warning", SEV_WARNING, { "WARNING: CPU: " }, NULL, true },
};

struct err_hits {
	const char *finding;
	const char *err_id;
	enum severity sev;       /* the worst matching row's */
	long count;
	uint64_t first_us, last_us;
	char example[512];
	json_t *extracted;
};

struct scan {
	struct err_hits hits[ARRAY_SIZE(err_patterns)];
	size_t nr_hits;
	uint64_t first_seq, last_ts_us;
	long nr_kernel;
	bool seen_any;
};

static bool pattern_matches(const struct err_pattern *p, const char *msg)
{
	for (size_t i = 0; i < ARRAY_SIZE(p->all) && p->all[i]; i++)
		if (!strstr(msg, p->all[i]))
			return false;
	return true;
}

static struct err_hits *hits_for(struct scan *s, const struct err_pattern *p)
{
	for (size_t i = 0; i < s->nr_hits; i++)
		if (!strcmp(s->hits[i].finding, p->finding))
			return &s->hits[i];
	s->hits[s->nr_hits] = (struct err_hits){ .finding = p->finding, .err_id = p->err_id,
						  .sev = p->sev, .extracted = json_object() };
	return &s->hits[s->nr_hits++];
}

static void scan_record(const struct kmsg_record *rec, void *arg)
{
	struct scan *s = arg;
	char msg[1024];
	size_t n = rec->msg_len < sizeof(msg) - 1 ? rec->msg_len : sizeof(msg) - 1;

	if (!s->seen_any) {
		s->seen_any = true;
		s->first_seq = rec->seq;
	}
	if (rec->facility != 0)
		return;  /* user space wrote it: not the kernel's word */
	s->nr_kernel++;
	s->last_ts_us = rec->ts_us;
	memcpy(msg, rec->msg, n);
	msg[n] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(err_patterns); i++) {
		const struct err_pattern *p = &err_patterns[i];
		struct err_hits *h;

		if (!pattern_matches(p, msg))
			continue;
		h = hits_for(s, p);
		if (p->extract)
			p->extract(msg, h->extracted);
		if (p->counts) {
			if (!h->count++)
				h->first_us = rec->ts_us;
			h->last_us = rec->ts_us;
			h->sev = p->sev > h->sev ? p->sev : h->sev;
			snprintf(h->example, sizeof(h->example), "[%llu.%06llu] %.480s",
				 (unsigned long long)(rec->ts_us / 1000000),
				 (unsigned long long)(rec->ts_us % 1000000), msg);
		}
		break;
	}
}

static enum severity recency_severity(enum severity sev, uint64_t last_us, uint64_t now_us)
{
	if (now_us > last_us && now_us - last_us > RECENT_US && sev > SEV_INFO)
		return sev - 1;
	return sev;
}

/* The wall-clock time, ISO 8601 UTC, of a log timestamp; "" when unknown. */
static void wall_time(const struct log_clock *clk, uint64_t ts_us, char *out, size_t len)
{
	time_t t;
	struct tm tm;

	out[0] = '\0';
	if (clk->wall_now_s <= 0 || clk->now_us < ts_us)
		return;
	t = (time_t)(clk->wall_now_s - (double)(clk->now_us - ts_us) / 1e6);
	if (gmtime_r(&t, &tm))
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void report_hits(struct report *r, struct err_hits *h, const struct log_clock *clk)
{
	double ago_s = clk->now_us > h->last_us ? (clk->now_us - h->last_us) / 1e6 : 0;
	enum severity sev = recency_severity(h->sev, h->last_us, clk->now_us);
	char first[32], last[32];

	wall_time(clk, h->first_us, first, sizeof(first));
	wall_time(clk, h->last_us, last, sizeof(last));
	report_add_finding(r, h->finding, sev,
		json_pack("{s:s, s:i, s:f, s:f, s:f, s:s, s:s, s:s, s:O, s:b}", "methodology", h->err_id,
			  "count", (int)h->count, "first_s", h->first_us / 1e6, "last_s", h->last_us / 1e6,
			  "last_ago_s", ago_s, "first_time", first, "last_time", last,
			  "example", h->example, "extracted", h->extracted, "recent", sev == h->sev),
		"The kernel logged this %ld time(s), from %.0f s to %.0f s after boot (last %.0f "
		"min ago%s%s): %s", h->count, h->first_us / 1e6, h->last_us / 1e6, ago_s / 60,
		last[0] ? ", at " : "", last, h->example);
}

int past_errors_scan(struct report *r, const char *kmsg_path, const struct log_clock *clock, char *reason,
		     size_t len)
{
	struct log_clock clk = clock ? *clock : (struct log_clock){ 0 };
	struct scan *s = calloc(1, sizeof(*s));
	long nr_malformed = 0, nr;
	int nr_findings = 0;

	if (!s)
		return -ENOMEM;
	nr = kmsg_read_all(kmsg_path, scan_record, s, &nr_malformed);
	if (nr < 0) {
		snprintf(reason, len, "cannot read %s: %s%s", kmsg_path, strerror((int)-nr),
			 nr == -EPERM || nr == -EACCES ? " (kernel.dmesg_restrict=1 needs CAP_SYSLOG)" : "");
		free(s);
		return (int)nr;
	}
	for (size_t i = 0; i < s->nr_hits; i++) {
		if (s->hits[i].count) {
			if (!clk.now_us)
				clk.now_us = s->last_ts_us;
			report_hits(r, &s->hits[i], &clk);
			nr_findings++;
		}
		json_decref(s->hits[i].extracted);
	}
	snprintf(reason, len, "%ld records from sequence %llu scanned (%ld from the kernel, %ld malformed), "
		 "%d pattern(s) hit", nr, (unsigned long long)s->first_seq, s->nr_kernel, nr_malformed,
		 nr_findings);
	free(s);
	return nr_findings;
}

CHECK_FN(check_kernel_log)
{
	struct log_clock clk = { 0 };
	char path[PATH_MAX];
	struct timespec ts;

	/* The kernel log's clock is local_clock(): monotonic since boot. For a
	 * fixture tree "now" is its last record, and wall-clock times unknown. */
	if ((!ctx->root || !ctx->root[0]) && !clock_gettime(CLOCK_MONOTONIC, &ts)) {
		clk.now_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
		clk.wall_now_s = now_real_s();
	}
	if (past_errors_scan(ctx->report, check_path(ctx, "/dev/kmsg", path, sizeof(path)), &clk,
			     reason, len) < 0)
		return CHECK_NOT_APPLICABLE;
	return CHECK_RAN;
}
