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

	fmt_snap_head_dec(data, size, &h);
	fmt_list_dec(data, size, &cnt);
	if (fmt_snap_body_dec(data, size, &s) == 0) {
		/* what parses builds back to the same bytes */
		if (fmt_snap_body_enc(&s, &body, &n) == 0) {
			if (n != size || memcmp(body, data, n) != 0)
				abort();
			free(body);
		}
		snapshot_free(&s);
	}
	return 0;
}
