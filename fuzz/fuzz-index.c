/* libFuzzer target: index file plaintexts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "backup/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
entry(void *arg, const uint8_t pack[PACK_NAME_LEN], const struct blob_entry *e)
{
	size_t *n = arg;

	(void)pack;
	if ((uint64_t)e->member_off + e->raw_len > e->seg_raw)
		abort();
	(*n)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;

	fmt_index_dec(data, size, entry, &n);
	return 0;
}
