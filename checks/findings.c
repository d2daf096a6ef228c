/* findings.c: the catalogue of every finding id (see findings.h), as one
 * list of per-module tables, and the look-ups over it. */
#include "checks/findings.h"

#include <string.h>

#include "checks/friday.h"
#include "checks/tuesday.h"

const struct finding_def *const finding_tables[] = {
	static_check_findings,
	memory_health_findings,
	disk_health_findings,
	load_findings,
	cpu_rule_findings,
	processes_rule_findings,
	syscalls_rule_findings,
	locks_rule_findings,
	network_rule_findings,
	filesystem_rule_findings,
	dns_rule_findings,
	past_error_findings,
	friday_rule_findings,
	NULL,
};

const struct finding_def *finding_def_find(const char *id)
{
	for (size_t t = 0; finding_tables[t]; t++)
		for (const struct finding_def *d = finding_tables[t]; d->id; d++)
			if (!strcmp(d->id, id))
				return d;
	return NULL;
}

void finding_def_each(void (*fn)(const struct finding_def *def, void *arg), void *arg)
{
	for (size_t t = 0; finding_tables[t]; t++)
		for (const struct finding_def *d = finding_tables[t]; d->id; d++)
			fn(d, arg);
}

static void count_one(const struct finding_def *def, void *arg)
{
	(void)def;
	(*(size_t *)arg)++;
}

size_t finding_def_count(void)
{
	size_t n = 0;

	finding_def_each(count_one, &n);
	return n;
}
