/* fuzz_playbook.c: the libFuzzer target for the playbook parser: any bytes
 * go through playbook_parse (jansson, the position scanner, validation)
 * and through the position scanner on its own, which must never crash,
 * read out of bounds or leak. `make fuzz` builds and runs it (FUZZ_SECONDS,
 * default 600) on the playbooks as the seed corpus. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "playbooks/jsonpos.h"
#include "playbooks/playbook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[1024];
	json_t *pb, *pos;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	pb = playbook_parse(text, "fuzz.json", err, sizeof(err));
	/* An accepted playbook is whole; a refused one says where. */
	if (!pb && strncmp(err, "fuzz.json:", 10))
		abort();
	json_decref(pb);
	pos = json_positions(text);
	json_decref(pos);
	free(text);
	return 0;
}
