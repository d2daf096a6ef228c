/* flame.h: the compact frame table of a folded profile, for report.html
 * (see flame.c). */
#ifndef FRIDAY_FLAME_H
#define FRIDAY_FLAME_H

#include <stddef.h>

#include "lib/strbuf.h"

/* Appends {"names":[...],"n":[...],"d":[...],"v":[...]} to sb: node 0 is
 * the root "all"; nodes in pre-order. 0 or -ENOMEM. */
int flame_table_json(const char *folded, size_t len, struct strbuf *sb, size_t *nr_nodes);

/* The differential table of two profiles: the merged call tree of both,
 * "v" the mean of each node's share of BEFORE's and of AFTER's total (in
 * parts per million), and also "b" and "a", the two shares, so the page
 * colours a frame by its change: red for more, blue for less. A path only
 * BEFORE holds keeps half its old width: vanished work stays visible. */
int flame_diff_table_json(const char *before, size_t before_len, const char *after,
			  size_t after_len, struct strbuf *sb, size_t *nr_nodes);

#endif
