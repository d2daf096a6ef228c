/* strbuf.c: a growable string (see strbuf.h). */
#include "lib/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool sb_grow(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1, cap = sb->cap ? sb->cap : 256;
	char *nb;

	if (sb->oom)
		return false;
	if (need <= sb->cap)
		return true;
	while (cap < need)
		cap *= 2;
	nb = realloc(sb->buf, cap);
	if (!nb) {
		sb->oom = true;
		return false;
	}
	sb->buf = nb;
	sb->cap = cap;
	return true;
}

void sb_appendn(struct strbuf *sb, const char *s, size_t n)
{
	if (!sb_grow(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_append(struct strbuf *sb, const char *s)
{
	if (s)
		sb_appendn(sb, s, strlen(s));
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sb_grow(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += n;
}

void sb_html(struct strbuf *sb, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': sb_append(sb, "&amp;"); break;
		case '<': sb_append(sb, "&lt;"); break;
		case '>': sb_append(sb, "&gt;"); break;
		case '"': sb_append(sb, "&quot;"); break;
		case '\'': sb_append(sb, "&#39;"); break;
		default: sb_appendn(sb, s, 1);
		}
	}
}

void sb_script_json(struct strbuf *sb, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '<')
			sb_append(sb, "\\u003c");
		else
			sb_appendn(sb, p, 1);
	}
}

void sb_wrap(struct strbuf *sb, const char *text, int width, int first_col, int indent)
{
	const char *p = text ? text : "";
	bool have_word = false;   /* a word already stands on this line */
	int col = first_col;

	for (;;) {
		const char *word;
		int wlen;

		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		if (!*p)
			break;
		word = p;
		while (*p && *p != ' ' && *p != '\n' && *p != '\t')
			p++;
		wlen = (int)(p - word);
		if (have_word && col + 1 + wlen > width) {
			sb_printf(sb, "\n%*s", indent, "");
			col = indent;
			have_word = false;
		}
		if (have_word) {
			sb_append(sb, " ");
			col++;
		}
		/* A word longer than the line is cut, so no line passes width. */
		while (wlen > width - col && width - col > 0) {
			sb_appendn(sb, word, width - col);
			word += width - col;
			wlen -= width - col;
			sb_printf(sb, "\n%*s", indent, "");
			col = indent;
		}
		sb_appendn(sb, word, wlen);
		col += wlen;
		have_word = true;
	}
}

char *sb_take(struct strbuf *sb, size_t *len)
{
	char *out;

	if (sb->oom) {
		sb_free(sb);
		return NULL;
	}
	if (!sb->buf) {
		/* Nothing was appended: hand over an empty string, terminated. */
		if (!sb_grow(sb, 0))
			return NULL;
		sb->buf[0] = '\0';
	}
	out = sb->buf;
	if (len)
		*len = sb->len;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return out;
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->oom = false;
}
