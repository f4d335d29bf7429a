/*
 * libFuzzer target: snapshot records (the clear header), snapshot body
 * plaintexts, and chunk list plaintexts, all from the same input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backup/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap_head h;
	struct snapshot s;
	uint8_t *body;
	size_t n;
	uint32_t cnt;

	snap_outer_parse(data, size, &h);
	list_parse(data, size, &cnt);
	if (snap_body_parse(data, size, &s) == 0) {
		/* what parses builds back to the same bytes */
		if (snap_body_build(&s, &body, &n) == 0) {
			if (n != size || memcmp(body, data, n) != 0)
				abort();
			free(body);
		}
		snapshot_free(&s);
	}
	return 0;
}
