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
	NULL,
};

const struct collector_ops *collector_find(const char *name)
{
	for (size_t i = 0; collector_table[i]; i++)
		if (!strcmp(collector_table[i]->name, name))
			return collector_table[i];
	return NULL;
}
