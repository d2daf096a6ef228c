/* variant.c: attach-kind selection for collectors (see variant.h). */
#include "bpf/variant.h"

#include <string.h>

static const char *const kind_caps[ATTACH_NR_KINDS] = { "tp_btf", "raw_tp", "tracepoint" };
static const char *const kind_suffix[ATTACH_NR_KINDS] = { "_btf", "_raw", "_tp" };

const char *attach_kind_name(enum attach_kind kind)
{
	return kind < ATTACH_NR_KINDS ? kind_caps[kind] : "?";
}

bool attach_kind_usable(struct report *r, enum attach_kind kind)
{
	json_t *cap = json_object_get(report_get(r, "capabilities"), kind_caps[kind]);

	return !cap || json_is_true(json_object_get(cap, "ok"));
}

/* The variant kind of a program from its name's suffix, or -1. */
static int prog_kind(const char *name)
{
	size_t n = strlen(name);

	for (int k = 0; k < ATTACH_NR_KINDS; k++) {
		size_t s = strlen(kind_suffix[k]);

		if (n > s && !strcmp(name + n - s, kind_suffix[k]))
			return k;
	}
	return -1;
}

int variant_select(struct bpf_object *obj, enum attach_kind kind)
{
	struct bpf_program *prog;
	int nr = 0;

	bpf_object__for_each_program(prog, obj) {
		int k = prog_kind(bpf_program__name(prog));

		if (k < 0)
			continue;
		bpf_program__set_autoload(prog, k == (int)kind);
		nr += k == (int)kind;
	}
	return nr;
}

bool variant_disable(struct bpf_object *obj, const char *prog_name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, prog_name);

	if (!prog)
		return false;
	bpf_program__set_autoload(prog, false);
	return true;
}

#include <bpf/btf.h>
#include <stdio.h>

#include "bpf/collector.h"
#include "lib/util.h"

bool variant_tracepoint_exists(const char *section)
{
	static struct btf *vmlinux;
	const char *slash = strchr(section, '/');
	char name[256];

	if (!slash)
		return true;
	if (str_starts(section, "tp_btf/") || str_starts(section, "raw_tp/") ||
	    str_starts(section, "raw_tracepoint/")) {
		if (!vmlinux)
			vmlinux = btf__load_vmlinux_btf();
		if (!vmlinux)   /* no BTF: let the load itself decide */
			return true;
		snprintf(name, sizeof(name), "btf_trace_%s", slash + 1);
		return btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) >= 0;
	}
	if (str_starts(section, "tracepoint/") || str_starts(section, "tp/")) {
		snprintf(name, sizeof(name), "/sys/kernel/tracing/events/%s", slash + 1);
		if (path_exists(name))
			return true;
		snprintf(name, sizeof(name), "/sys/kernel/debug/tracing/events/%s", slash + 1);
		return path_exists(name);
	}
	return true;
}

/* Turns off the chosen programs whose tracepoint is missing here. */
static void drop_missing(struct bpf_object *obj, json_t *missing)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		const char *sec = bpf_program__section_name(prog);

		if (!bpf_program__autoload(prog) || variant_tracepoint_exists(sec))
			continue;
		bpf_program__set_autoload(prog, false);
		if (missing)
			json_array_append_new(missing, json_string(strchr(sec, '/') + 1));
	}
}

static void *try_kind(struct collector *c, const struct variant_ops *ops, enum attach_kind kind,
		      json_t *missing, char *err, size_t err_len)
{
	void *skel = ops->open();
	int ret;

	if (!skel) {
		snprintf(err, err_len, "open failed");
		return NULL;
	}
	if (variant_select(ops->object(skel), kind) == 0) {
		snprintf(err, err_len, "no programs of this kind");
		ops->destroy(skel);
		return NULL;
	}
	json_array_clear(missing);
	drop_missing(ops->object(skel), missing);
	if (ops->knobs)
		ops->knobs(skel, c, kind);
	ret = ops->load(skel);
	if (!ret)
		ret = ops->attach(skel);
	if (ret) {
		snprintf(err, err_len, "%s", strerror(ret < 0 ? -ret : ret));
		ops->destroy(skel);
		return NULL;
	}
	return skel;
}

void *variant_open_load(struct collector *c, const struct variant_ops *ops,
			enum attach_kind *kind_out, json_t *missing, char *why, size_t why_len)
{
	size_t off = 0;

	why[0] = '\0';
	for (int k = 0; k < ATTACH_NR_KINDS; k++) {
		char err[128] = "";
		void *skel;

		if (!attach_kind_usable(c->report, k)) {
			off += snprintf(why + off, off < why_len ? why_len - off : 0,
					"%s%s: not supported here", off ? "; " : "",
					attach_kind_name(k));
			continue;
		}
		skel = try_kind(c, ops, k, missing, err, sizeof(err));
		if (skel) {
			*kind_out = k;
			return skel;
		}
		if (off < why_len)
			off += snprintf(why + off, why_len - off, "%s%s: %s", off ? "; " : "",
					attach_kind_name(k), err);
	}
	return NULL;
}
