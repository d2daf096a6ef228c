/* rules_probe.c: helpers shared by the Tuesday rules (see rules_probe.h). */
#include "checks/rules_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/judge.h"

json_t *rule_measurement(struct report *r, const char *collector, const char *subsystem)
{
	json_t *m = judge_measurements(r, collector), *h;

	if (m)
		return m;
	h = report_set_health(r, subsystem, VERDICT_UNKNOWN, "not measured: collector %s: %s",
			      collector, judge_missing_reason(r, collector));
	report_health_add_next_step(h, "friday caps: see what this host supports, and why not");
	return NULL;
}

double jpath_num(json_t *obj, const char *path)
{
	char key[64];
	const char *dot;

	while (obj && (dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		obj = json_object_get(obj, key);
		path = dot + 1;
	}
	return obj ? json_number_value(json_object_get(obj, path)) : 0;
}

const char *jpath_str(json_t *obj, const char *path)
{
	char key[64];
	const char *dot;

	while (obj && (dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		obj = json_object_get(obj, key);
		path = dot + 1;
	}
	return obj ? json_string_value(json_object_get(obj, path)) : NULL;
}

json_t *rule_evidence(const struct threshold *th, double figure, const char *unit,
		      const char *collector)
{
	return json_pack("{s:f, s:s, s:f, s:s, s:s, s:s}", "figure", figure, "unit", unit,
			 "threshold", th->value, "threshold_name", th->name,
			 "threshold_source", th->source, "collector", collector);
}
