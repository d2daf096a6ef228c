/* judge.h: small readers the health rules share to pick figures out of
 * report.measurements without repeating jansson boilerplate. Missing
 * values read as 0 or "", so a rule can always say what it saw. */
#ifndef FRIDAY_JUDGE_H
#define FRIDAY_JUDGE_H

#include <jansson.h>

#include "reports/report.h"

static inline double jnum(json_t *obj, const char *key)
{
	return json_number_value(json_object_get(obj, key));
}

static inline const char *jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* measurements.NAME, or NULL when the collector did not run. */
static inline json_t *judge_measurements(struct report *r, const char *collector)
{
	return json_object_get(report_get(r, "measurements"), collector);
}

/* Why a collector has no measurements, from report.collectors. */
static inline const char *judge_missing_reason(struct report *r, const char *collector)
{
	json_t *c = json_object_get(report_get(r, "collectors"), collector);

	if (!c)
		return "the collector was not run by this playbook";
	return *jstr(c, "reason") ? jstr(c, "reason") : jstr(c, "status");
}

#endif
