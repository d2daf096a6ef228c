/* jsonpos.c: a small JSON scanner that records the line and column of each
 * value and key under its JSON Pointer (see jsonpos.h). It trusts nothing:
 * it stops at the first thing that is not JSON and returns NULL, so it is
 * safe on any input (the playbook fuzz target feeds it garbage). */
#include "playbooks/jsonpos.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"

#define MAX_DEPTH 64

struct scan {
	const char *p;
	int line;
	int col;
	json_t *out;
};

static void advance(struct scan *s)
{
	if (*s->p == '\n') {
		s->line++;
		s->col = 1;
	} else if (((unsigned char)*s->p & 0xc0) != 0x80) {
		s->col++;   /* count characters, as jansson does, not UTF-8 bytes */
	}
	s->p++;
}

static void skip_ws(struct scan *s)
{
	while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
		advance(s);
}

static void record(struct scan *s, const char *prefix, const char *pointer, int line, int col)
{
	char *key;

	if (asprintf(&key, "%s%s", prefix, pointer) < 0)
		return;
	json_object_set_new(s->out, key, json_pack("[i,i]", line, col));
	free(key);
}

/* Reads a string at s->p (on its opening quote); appends its raw text, as
 * a JSON Pointer token (~ and / escaped), to tok when tok is not NULL. */
static bool scan_string(struct scan *s, struct strbuf *tok)
{
	advance(s);
	while (*s->p && *s->p != '"') {
		char c = *s->p;

		if (c == '\\') {
			advance(s);
			if (!*s->p)
				return false;
			c = *s->p == 'n' ? '\n' : *s->p == 't' ? '\t' : *s->p;
		}
		if (tok) {
			if (c == '~')
				sb_append(tok, "~0");
			else if (c == '/')
				sb_append(tok, "~1");
			else
				sb_appendn(tok, &c, 1);
		}
		advance(s);
	}
	if (*s->p != '"')
		return false;
	advance(s);
	return true;
}

static bool scan_value(struct scan *s, const char *pointer, int depth);

static bool scan_members(struct scan *s, const char *pointer, int depth)
{
	advance(s);
	skip_ws(s);
	if (*s->p == '}')
		return advance(s), true;
	for (;;) {
		struct strbuf child = { 0 };
		int line = s->line, col = s->col;
		bool ok;

		if (*s->p != '"')
			return false;
		sb_printf(&child, "%s/", pointer);
		if (!scan_string(s, &child)) {
			sb_free(&child);
			return false;
		}
		record(s, "key:", child.buf, line, col);
		skip_ws(s);
		ok = *s->p == ':';
		if (ok) {
			advance(s);
			ok = scan_value(s, child.buf, depth + 1);
		}
		sb_free(&child);
		if (!ok)
			return false;
		skip_ws(s);
		if (*s->p == '}')
			return advance(s), true;
		if (*s->p != ',')
			return false;
		advance(s);
		skip_ws(s);
	}
}

static bool scan_elements(struct scan *s, const char *pointer, int depth)
{
	size_t idx = 0;

	advance(s);
	skip_ws(s);
	if (*s->p == ']')
		return advance(s), true;
	for (;;) {
		char child[1024];

		snprintf(child, sizeof(child), "%s/%zu", pointer, idx++);
		if (!scan_value(s, child, depth + 1))
			return false;
		skip_ws(s);
		if (*s->p == ']')
			return advance(s), true;
		if (*s->p != ',')
			return false;
		advance(s);
	}
}

static bool scan_value(struct scan *s, const char *pointer, int depth)
{
	if (depth > MAX_DEPTH)
		return false;
	skip_ws(s);
	record(s, "", pointer, s->line, s->col);
	switch (*s->p) {
	case '{':
		return scan_members(s, pointer, depth);
	case '[':
		return scan_elements(s, pointer, depth);
	case '"':
		return scan_string(s, NULL);
	case '\0':
		return false;
	default:
		/* A number or a literal: up to the next delimiter. */
		while (*s->p && !strchr(",]} \t\r\n", *s->p))
			advance(s);
		return true;
	}
}

json_t *json_positions(const char *text)
{
	struct scan s = { .p = text, .line = 1, .col = 1, .out = json_object() };

	if (!s.out || !scan_value(&s, "", 0)) {
		json_decref(s.out);
		return NULL;
	}
	return s.out;
}

void json_position_of(json_t *positions, const char *pointer, int *line, int *col)
{
	json_t *pos = json_object_get(positions, pointer);

	*line = (int)json_integer_value(json_array_get(pos, 0));
	*col = (int)json_integer_value(json_array_get(pos, 1));
}
