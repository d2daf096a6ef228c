/* jsonread.h: reading report.json and diff documents in reports/, and
 * playbooks' lists. A document may come from another friday version or
 * miss a section, so every read says what to use when a field is absent.
 * One copy here, not one per reader, so every reader reads the same way. */
#ifndef FRIDAY_JSONREAD_H
#define FRIDAY_JSONREAD_H

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

/* obj[key] as a string; dflt when obj or the key is absent, or not a string. */
static inline const char *jstr(json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : dflt;
}

/* obj[key] as a number; 0 when absent or not a number. */
static inline double jnum(json_t *obj, const char *key)
{
	return json_number_value(json_object_get(obj, key));
}

/* The first object of array whose key is the string value, or NULL: the
 * model keeps lists of objects named by a key (health by "subsystem",
 * stages by "id", profiles by "kind", histograms and disks by "name"). */
static inline json_t *jfind(json_t *array, const char *key, const char *value)
{
	json_t *e;
	size_t i;

	json_array_foreach(array, i, e)
		if (!strcmp(jstr(e, key, ""), value))
			return e;
	return NULL;
}

/* Whether array holds the string value (false when it is no array). */
static inline bool jcontains(json_t *array, const char *value)
{
	json_t *e;
	size_t i;

	json_array_foreach(array, i, e)
		if (json_is_string(e) && !strcmp(json_string_value(e), value))
			return true;
	return false;
}

#endif
