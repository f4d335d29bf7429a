/*
 * libFuzzer target: pack trailers and pack header plaintexts.  The first
 * 4 bytes give the blob area's length, the rest is the header plaintext;
 * the last 8 bytes are also read as a trailer of a pack of SIZE bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "backup/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blob_entry *e;
	uint64_t hoff;
	uint32_t hlen;
	size_t n, i, sum = 0;

	if (size >= PACK_TRAILER)
		fmt_pack_trailer_dec(data + size - PACK_TRAILER, size, &hlen, &hoff);
	if (size < 4)
		return 0;
	if (fmt_pack_header_dec(data + 4, size - 4, le32dec(data), &e, &n) == 0) {
		for (i = 0; i < n; i++) {
			/* every member lies inside its segment, inside the area */
			if ((uint64_t)e[i].member_off + e[i].raw_len > e[i].seg_raw ||
			    (uint64_t)e[i].seg_off + e[i].seg_sealed > le32dec(data))
				abort();
			sum += e[i].raw_len;
		}
		free(e);
	}
	return (int)(sum & 0);
}
