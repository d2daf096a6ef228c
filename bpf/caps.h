/* caps.h: what this host supports, found by trial: each capability is
 * tried for real (a tiny BPF program loaded and attached, a file read, a
 * mount), never guessed. Results go into report.capabilities, and the
 * collectors read them to pick variants or say why they cannot run. */
#ifndef FRIDAY_CAPS_H
#define FRIDAY_CAPS_H

#include <stdbool.h>
#include <stddef.h>

#include "reports/report.h"

struct capability {
	const char *name;      /* key in report.capabilities, e.g. "tp_btf" */
	const char *summary;   /* what it is, for `friday caps` */
	/* Tries it; true when it works, else why says what failed and why. */
	bool (*probe)(char *why, size_t why_len);
};

/* The table of capabilities, NULL-name terminated, in probe order. */
extern const struct capability capability_table[];

/* Probes every capability into the report. Returns how many work. */
int caps_probe_all(struct report *r);

#endif
