/*
 * libFuzzer target: catalogue plaintexts (backup/catalog.h).  Whatever
 * parses must build back to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backup/catalog.h"
#include "bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cat_iter it;
	struct cat_entry e;
	struct cat_buf b;
	int r;

	if (cat_open(&it, data, size) < 0)
		return 0;
	if (cat_begin(&b, le64dec(data + 4)) < 0)
		abort();
	while ((r = cat_next(&it, &e)) == 1) {
		if (e.off != b.end || cat_append(&b, &e) < 0)
			abort();
	}
	if (r == 0 && (b.len != size || memcmp(b.p, data, size) != 0))
		abort();
	cat_buf_free(&b);
	return 0;
}
