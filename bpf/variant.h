/* variant.h: picking how a collector attaches, before load. A collector's
 * BPF object carries the same handler in up to three variants, named by a
 * suffix: NAME_btf (SEC "tp_btf/..."), NAME_raw (SEC "raw_tp/...") and
 * NAME_tp (SEC "tracepoint/..."). Programs without a suffix always load.
 * The preferred kind comes from report capabilities ("tp_btf", "raw_tp",
 * "tracepoint"); when a capability is not recorded, it is tried, and a
 * load failure falls back to the next kind. */
#ifndef FRIDAY_VARIANT_H
#define FRIDAY_VARIANT_H

#include <bpf/libbpf.h>
#include <stdbool.h>

#include "reports/report.h"

enum attach_kind { ATTACH_TP_BTF, ATTACH_RAW_TP, ATTACH_TRACEPOINT, ATTACH_NR_KINDS };

const char *attach_kind_name(enum attach_kind kind);
/* False when the report says this kind does not work on this host; true
 * when it works or was never probed (then the load is the trial). */
bool attach_kind_usable(struct report *r, enum attach_kind kind);
/* Sets autoload on every suffixed program: on for kind, off for the
 * others. Returns how many programs of that kind the object has. */
int variant_select(struct bpf_object *obj, enum attach_kind kind);
/* Turns off one program by name (a probe this kernel lacks); true if found. */
bool variant_disable(struct bpf_object *obj, const char *prog_name);

struct collector;

/* How a collector opens, configures, loads and frees its skeleton, so
 * one loop can try each attach kind in order. */
struct variant_ops {
	void *(*open)(void);
	struct bpf_object *(*object)(void *skel);
	/* Sets the read-only knobs; may disable probes this kernel lacks. */
	void (*knobs)(void *skel, struct collector *c, enum attach_kind kind);
	int (*load)(void *skel);
	int (*attach)(void *skel);
	void (*destroy)(void *skel);
};

/* Opens, loads and attaches the skeleton with the first kind that works
 * (tp_btf, raw_tp, tracepoint), skipping kinds the report says are broken
 * and kinds the object has no programs for. Programs whose tracepoint this
 * kernel lacks are turned off and their tracepoints appended to missing
 * (a JSON array, may be NULL). Returns the skeleton, or NULL with why
 * saying what each kind failed with. */
void *variant_open_load(struct collector *c, const struct variant_ops *ops,
			enum attach_kind *kind_out, json_t *missing, char *why, size_t why_len);
/* True when this kernel has the tracepoint a program's section names. */
bool variant_tracepoint_exists(const char *section);

#endif
