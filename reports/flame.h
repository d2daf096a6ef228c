/* flame.h: the compact frame table of a folded profile, for report.html
 * (see flame.c). */
#ifndef FRIDAY_FLAME_H
#define FRIDAY_FLAME_H

#include <stddef.h>

#include "lib/strbuf.h"

/* Appends {"names":[...],"n":[...],"d":[...],"v":[...]} to sb: node 0 is
 * the root "all"; nodes in pre-order. 0 or -ENOMEM. */
int flame_table_json(const char *folded, size_t len, struct strbuf *sb, size_t *nr_nodes);

#endif
