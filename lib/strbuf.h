/* strbuf.h: a growable string for writers that render text in memory. */
#ifndef FRIDAY_STRBUF_H
#define FRIDAY_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len, cap;
	bool oom;        /* set once an allocation failed; later appends are no-ops */
};

void sb_append(struct strbuf *sb, const char *s);
void sb_appendn(struct strbuf *sb, const char *s, size_t n);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with &, <, >, " and ' escaped for HTML. */
void sb_html(struct strbuf *sb, const char *s);
/* Appends JSON text s for inside <script type="application/json">: each
 * '<' as \u003c, so a "</script>" in the data cannot close the element. */
void sb_script_json(struct strbuf *sb, const char *s);
/* Appends text word-wrapped to width columns, each line after the first
 * starting with indent spaces. */
void sb_wrap(struct strbuf *sb, const char *text, int width, int first_col, int indent);
/* Hands the buffer over (NUL-terminated), leaving sb empty; NULL on OOM. */
char *sb_take(struct strbuf *sb, size_t *len);
void sb_free(struct strbuf *sb);

#endif
