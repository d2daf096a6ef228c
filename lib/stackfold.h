/* stackfold.h: folded stacks (the FlameGraph format, "root;...;leaf N"),
 * aggregated by their text: two kernel-side stacks that name the same
 * frames become one line. Also the parser the writers use to read a folded
 * profile back. */
#ifndef FRIDAY_STACKFOLD_H
#define FRIDAY_STACKFOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/u64map.h"

struct fold_entry {
	char *stack;
	size_t len;
	uint64_t value;
	struct fold_entry *next;   /* same hash */
};

struct fold_table {
	struct u64map by_hash;     /* (hash, 0) -> first fold_entry */
	size_t nr_stacks;
	uint64_t total;
};

/* Adds value to the stack's line; 0 or -ENOMEM. */
int fold_add(struct fold_table *t, const char *stack, size_t len, uint64_t value);
/* The whole table as text, lines sorted by stack; malloc'd, NUL-ended. */
char *fold_render(struct fold_table *t, size_t *len);
void fold_free(struct fold_table *t);

/* Appends frames to a folded stack being built, keeping the format
 * parseable: control characters become '_'. With one_frame (a process
 * name), ';' does too; else text may hold several frames joined by ';'. */
struct strbuf;
void fold_append_frame(struct strbuf *sb, const char *text, bool one_frame);

/* Parses one folded line (no newline): the stack is line[0..*stack_len),
 * the count after the last space. false on a malformed line. */
bool fold_parse_line(const char *line, size_t len, size_t *stack_len, uint64_t *value);

#endif
