/* collectors.c: the table of every BPF collector friday has. Adding a
 * collector is one file pair in bpf/ and one row here. */
#include <string.h>

#include "bpf/collector.h"

extern const struct collector_ops profile_collector;
extern const struct collector_ops offcpu_collector;
extern const struct collector_ops memhealth_collector;
extern const struct collector_ops diskhealth_collector;
extern const struct collector_ops disklayers_collector;
extern const struct collector_ops runqlat_collector;
extern const struct collector_ops proclife_collector;
extern const struct collector_ops syscount_collector;
extern const struct collector_ops futexwait_collector;
extern const struct collector_ops waste_collector;
extern const struct collector_ops efficiency_collector;
extern const struct collector_ops nethealth_collector;
extern const struct collector_ops fslat_collector;
extern const struct collector_ops events_collector;
extern const struct collector_ops dnslat_collector;

const struct collector_ops *const collector_table[] = {
	&profile_collector,
	&offcpu_collector,
	&memhealth_collector,
	&diskhealth_collector,
	&disklayers_collector,
	&runqlat_collector,
	&proclife_collector,
	&syscount_collector,
	&futexwait_collector,
	&waste_collector,
	&efficiency_collector,
	&nethealth_collector,
	&fslat_collector,
	&events_collector,
	&dnslat_collector,

	NULL,
};

double collector_knob(const struct collector *c, const char *name, double def)
{
	json_t *v = json_object_get(c->knobs, name);

	if (json_is_boolean(v))
		return json_is_true(v);
	return json_is_number(v) ? json_number_value(v) : def;
}

const struct collector_knob *collector_knob_find(const struct collector_ops *ops,
						 const char *name)
{
	for (const struct collector_knob *k = ops->knobs; k && k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

const struct collector_ops *collector_find(const char *name)
{
	for (size_t i = 0; collector_table[i]; i++)
		if (!strcmp(collector_table[i]->name, name))
			return collector_table[i];
	return NULL;
}
