/* jsonpos.h: where each value of a JSON text sits (line and column), so a
 * semantic error in a playbook can name the line of the offending value the
 * way jansson names the line of a syntax error. jansson keeps no positions
 * for values once parsed; this re-scans the text jansson already accepted. */
#ifndef FRIDAY_JSONPOS_H
#define FRIDAY_JSONPOS_H

#include <jansson.h>

/* Returns an object mapping the JSON Pointer of every value ("" for the
 * root, "/stages/0/id", ...) to [line, column] (both from 1), and
 * "key:" + pointer to the position of the member's key. NULL when the text
 * is not valid JSON. */
json_t *json_positions(const char *text);

/* Looks up a pointer; line and col are 0 when it is not known. */
void json_position_of(json_t *positions, const char *pointer, int *line, int *col);

#endif
