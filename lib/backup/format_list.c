/* Chunk list blob plaintext: count, then count x (blob id, length). */
#include <string.h>

#include "backup/chunker.h"
#include "error.h"
#include "backup/format.h"

void
fmt_list_entry_enc(uint8_t *list, uint32_t i, const uint8_t id[BLOB_ID_LEN],
    uint32_t len)
{
	uint8_t *e = list + LIST_LEN(i);

	memcpy(e, id, BLOB_ID_LEN);
	le32enc(e + BLOB_ID_LEN, len);
}

size_t
fmt_list_head_enc(uint8_t *list, uint32_t count)
{
	le32enc(list, count);
	return LIST_LEN(count);
}

int
fmt_list_dec(const uint8_t *pt, size_t n, uint32_t *count)
{
	uint32_t i;

	if (n < 4)
		return fail("list truncated");
	*count = le32dec(pt);
	if (*count == 0 || *count > LIST_MAX_ENTRIES ||
	    (size_t)*count * LISTENT_LEN != n - 4)
		return fail("list: %u entries in %zu bytes", *count, n);
	for (i = 0; i < *count; i++) {
		uint32_t len = le32dec(pt + 4 + (size_t)i * LISTENT_LEN + BLOB_ID_LEN);
		if (len == 0 || len > CHUNK_MAX)
			return fail("list: entry %u: bad length %u", i, len);
	}
	return 0;
}

void
fmt_list_entry_dec(const uint8_t *pt, uint32_t i, const uint8_t **id,
    uint32_t *len)
{
	*id = pt + LIST_LEN(i);
	*len = le32dec(*id + BLOB_ID_LEN);
}
