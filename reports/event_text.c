/* event_text.c: one sentence for an event of report.events[], shared by
 * summary.txt and report.html, so both tell the timeline the same way
 * (who sent which signal to whom, how a process ended, which name took
 * long to resolve). Unknown kinds fall back to "kind: process". */
#include <stdio.h>
#include <string.h>

#include "reports/writers.h"

static const char *dstr(json_t *d, const char *key)
{
	const char *s = json_string_value(json_object_get(d, key));

	return s ? s : "?";
}

static int dint(json_t *d, const char *key)
{
	return (int)json_number_value(json_object_get(d, key));
}

static void signal_text(json_t *d, char *buf, size_t len)
{
	json_t *from = json_object_get(d, "sender"), *to = json_object_get(d, "target");

	snprintf(buf, len, "%s (pid %d) sent %s to %s (pid %d): %s", dstr(from, "comm"),
		 dint(from, "pid"), dstr(d, "signal"), dstr(to, "comm"), dint(to, "pid"),
		 dstr(d, "result"));
}

static void exit_text(const char *proc, json_t *d, char *buf, size_t len)
{
	double life = json_number_value(json_object_get(d, "lifetime_s"));

	if (json_object_get(d, "signal"))
		snprintf(buf, len, "%s (pid %d) killed by %s%s after %.1f s", proc, dint(d, "pid"),
			 dstr(d, "signal"), json_is_true(json_object_get(d, "core_dumped")) ?
			 " (core dumped)" : "", life);
	else
		snprintf(buf, len, "%s (pid %d) exited with code %d after %.1f s", proc,
			 dint(d, "pid"), dint(d, "exit_code"), life);
}

void report_event_text(json_t *e, char *buf, size_t len)
{
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *proc = json_string_value(json_object_get(e, "process"));
	json_t *d = json_object_get(e, "detail");

	kind = kind ? kind : "event";
	proc = proc ? proc : "?";
	if (!strcmp(kind, "signal"))
		signal_text(d, buf, len);
	else if (!strcmp(kind, "exit"))
		exit_text(proc, d, buf, len);
	else if (!strcmp(kind, "oom_kill"))
		snprintf(buf, len, "OOM killer killed %s (pid %d, %.0f MiB virtual)", proc,
			 dint(d, "pid"), json_number_value(json_object_get(d, "total_vm_kb")) / 1024);
	else if (!strcmp(kind, "slow_lookup"))
		snprintf(buf, len, "%s (pid %d) waited %.0f ms for %s(\"%s\")%s", proc, dint(d, "pid"),
			 json_number_value(json_object_get(d, "latency_ms")), dstr(d, "function"),
			 dstr(d, "host"), json_is_true(json_object_get(d, "failed")) ? ": failed" : "");
	else
		snprintf(buf, len, "%s: %s", kind, proc);
}

/* "HH:MM:SS.mmm" of time_iso, else the raw seconds. */
void report_event_clock(json_t *e, char *buf, size_t len)
{
	const char *iso = json_string_value(json_object_get(e, "time_iso"));
	const char *t = iso ? strchr(iso, 'T') : NULL;

	if (t && strlen(t) >= 13)
		snprintf(buf, len, "%.12s", t + 1);
	else
		snprintf(buf, len, "%.3f", json_number_value(json_object_get(e, "time")));
}
