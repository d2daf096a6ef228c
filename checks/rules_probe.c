/* rules_probe.c: helpers shared by the Tuesday rules (see rules_probe.h). */
#include "checks/rules_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *rule_measurement(struct report *r, const char *collector, const char *subsystem)
{
	json_t *m = json_object_get(report_get(r, "measurements"), collector);
	json_t *fate = json_object_get(report_get(r, "collectors"), collector);
	const char *status = jstr(fate, "status"), *reason = jstr(fate, "reason");
	json_t *h;

	if (m && status && !strcmp(status, "ok"))
		return m;
	if (!fate)
		h = report_set_health(r, subsystem, VERDICT_UNKNOWN, "collector %s did not run in "
				      "this playbook (or the Tuesday collect step was skipped)",
				      collector);
	else
		h = report_set_health(r, subsystem, VERDICT_UNKNOWN, "collector %s %s: %s",
				      collector, status ? status : "failed",
				      reason && *reason ? reason : "no reason given");
	report_health_add_next_step(h, "friday caps: see what this host supports, and why not");
	return NULL;
}

double jnum(json_t *obj, const char *path)
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

const char *jstr(json_t *obj, const char *path)
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
