/* rules_fixture.h: what the rule unit tests share: a report loaded from a
 * recorded run (tests/fixtures/tuesday/NAME.json: host, collectors,
 * measurements and histograms of a real run, cut down), and the first
 * finding of an id. Include after testutil.h. */
#ifndef FRIDAY_RULES_FIXTURE_H
#define FRIDAY_RULES_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "reports/report.h"

static inline struct report *load_fixture(const char *name)
{
	char path[512];
	json_error_t err;
	json_t *fx, *v;
	const char *key;
	struct report *r = report_new();

	snprintf(path, sizeof(path), "%s/tuesday/%s.json", FIXTURES, name);
	fx = json_load_file(path, 0, &err);
	if (!fx)
		fail_msg("%s:%d: %s", path, err.line, err.text);
	json_object_foreach(fx, key, v)
		json_object_set(r->doc, key, v);
	json_decref(fx);
	return r;
}

static inline json_t *finding(struct report *r, const char *id)
{
	json_t *f;
	size_t i;

	json_array_foreach(report_get(r, "findings"), i, f)
		if (!strcmp(json_string_value(json_object_get(f, "id")), id))
			return f;
	return NULL;
}

#endif
