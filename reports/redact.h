/* redact.h: redaction of the archive, on by default. Before any writer
 * runs, report_render passes the report model and every blob through one
 * redactor, so report.json, report.html, summary.txt, folded stacks and
 * every other artifact are written from redacted text only.
 *
 * Secrets (always, unless --no-redact): values of password=, token=, key=,
 * secret=... in command lines and environments, URL credentials
 * (scheme://user:pass@), bearer tokens, AWS access key ids and prefixed API
 * tokens (ghp_, glpat-, xoxb-, JWTs). They become REDACT_MARKER.
 * Hosts (--redact hosts): the host's own names, DNS names, IPv4, IPv6 and
 * MAC addresses. Each distinct value gets one placeholder (host-1, ipv4-1,
 * ...) used in every file, so a reader can still follow one address.
 * The manifest records counts per kind, never values. */
#ifndef FRIDAY_REDACT_H
#define FRIDAY_REDACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define REDACT_MARKER "[REDACTED]"

enum redact_kind {
	REDACT_SECRET_VALUE,      /* --password=x, TOKEN=x, "secret": "x" */
	REDACT_URL_CREDENTIALS,   /* scheme://user:pass@host */
	REDACT_BEARER_TOKEN,      /* Authorization: Bearer x */
	REDACT_AWS_ACCESS_KEY,    /* AKIA... */
	REDACT_API_TOKEN,         /* ghp_..., glpat-..., xoxb-..., JWT */
	REDACT_HOSTNAME,
	REDACT_IPV4,
	REDACT_IPV6,
	REDACT_MAC,
	REDACT_NR_KINDS
};

struct redact_entry {
	char *value;              /* lower-cased original */
	char *placeholder;
};

struct redactor {
	bool secrets;             /* redact secrets (default) */
	bool hosts;               /* also hostnames and addresses */
	bool counting;            /* count what is replaced (off for copies) */
	size_t counts[REDACT_NR_KINDS];
	size_t next_id[REDACT_NR_KINDS];
	struct redact_entry *map; /* value -> placeholder, for hosts mode */
	size_t nr_map;
	char *own_names[4];       /* the host's own names (hostname, FQDN) */
	size_t nr_own_names;
};

void redactor_init(struct redactor *rd, bool secrets, bool hosts);
void redactor_free(struct redactor *rd);
/* The host's own name: replaced wherever it stands as a word. */
void redactor_add_own_name(struct redactor *rd, const char *name);
const char *redact_kind_name(enum redact_kind kind);

/* Returns a malloc'd, NUL-terminated redacted copy of text[0..len). */
char *redact_text(struct redactor *rd, const char *text, size_t len, size_t *out_len);
/* Returns a new reference: a redacted deep copy of v. Object keys are
 * redacted too (hosts mode), a string under a key that names a secret is
 * replaced whole, and the argument after "--password" in an array too. */
json_t *redact_json(struct redactor *rd, json_t *v);
/* {"enabled": bool, "modes": [...], "counts": {kind: n}}: no values. */
json_t *redactor_summary(const struct redactor *rd);
/* True when an identifier (an option or variable name) names a secret:
 * DB_PASSWORD, --api-key, accessToken, ... */
bool redact_key_is_secret(const char *key, size_t len);

#endif
