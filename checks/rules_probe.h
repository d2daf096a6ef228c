/* rules_probe.h: what the Tuesday rules (rules_cpu.c, rules_processes.c,
 * rules_syscalls.c, rules_locks.c, rules_filesystem.c) share: finding a collector's results in
 * report.measurements (or saying why the verdict is unknown), reading
 * numbers out of them, and thresholds as data with their sources. */
#ifndef FRIDAY_RULES_PROBE_H
#define FRIDAY_RULES_PROBE_H

#include <jansson.h>

#include "reports/report.h"

struct threshold {
	const char *name;      /* e.g. "runq_p99_warn_us" */
	double value;
	const char *source;    /* METHODOLOGY id, or "measured on SCENARIO" */
};

/* The collector's measurements, or NULL after setting the subsystem's
 * verdict to unknown with the reason the collector gave (or did not run). */
json_t *rule_measurement(struct report *r, const char *collector, const char *subsystem);

/* A number or string at a dotted path ("latency_us.p99"); 0 or NULL when
 * absent (judge.h's jnum and jstr read one key). */
double jpath_num(json_t *obj, const char *path);
const char *jpath_str(json_t *obj, const char *path);

/* The evidence object every Tuesday finding carries: the figure, the
 * threshold it crossed and their sources. Returns a new object. */
json_t *rule_evidence(const struct threshold *th, double figure, const char *unit,
		      const char *collector);

#endif
