/*
 * Index file plaintext: magic, pack count, then per pack its name, its
 * entry count and its entries (format_pack.c) as in its header.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "backup/format.h"

static const uint8_t index_magic[4] = "ANIX";

void
fmt_index_head_enc(uint8_t out[INDEX_HEAD_LEN], uint32_t npacks)
{
	memcpy(out, index_magic, 4);
	le32enc(out + 4, npacks);
}

size_t
fmt_index_pack_enc(uint8_t *out, const uint8_t name[PACK_NAME_LEN],
    const struct blob_entry *e, size_t n)
{
	size_t i;

	memcpy(out, name, PACK_NAME_LEN);
	le32enc(out + PACK_NAME_LEN, (uint32_t)n);
	for (i = 0; i < n; i++)
		fmt_entry_enc(out + PACK_NAME_LEN + 4 + i * ENTRY_LEN, &e[i]);
	return INDEX_PACK_LEN(n);
}

int
fmt_index_dec(const uint8_t *pt, size_t n, index_cb cb, void *arg)
{
	const uint8_t *p = pt, *end = pt + n, *pack;
	struct blob_entry *e = NULL, *ne;
	uint32_t npacks, i, j, cnt, cap = 0;
	uint64_t aend;

	if (n < 8 || memcmp(pt, index_magic, 4) != 0)
		return fail("bad index magic");
	npacks = le32dec(pt + 4);
	p += 8;
	for (i = 0; i < npacks; i++) {
		if ((size_t)(end - p) < PACK_NAME_LEN + 4)
			goto trunc;
		pack = p;
		cnt = le32dec(p + PACK_NAME_LEN);
		p += PACK_NAME_LEN + 4;
		if (cnt == 0 || (size_t)(end - p) / ENTRY_LEN < cnt) {
			fail("index: pack %u: bad entry count %u", i, cnt);
			goto bad;
		}
		if (cnt > cap) {
			if ((ne = realloc(e, (size_t)cnt * sizeof(*e))) == NULL) {
				fail_errno("index");
				goto bad;
			}
			e = ne;
			cap = cnt;
		}
		if (fmt_entries_dec(p, cnt, e, 0, &aend) < 0)
			goto bad;
		p += (size_t)cnt * ENTRY_LEN;
		for (j = 0; j < cnt; j++)
			if (cb(arg, pack, &e[j]) != 0)
				goto bad;
	}
	if (p != end) {
		fail("index: %zu bytes of trailing garbage", (size_t)(end - p));
		goto bad;
	}
	free(e);
	return 0;
trunc:
	fail("index truncated at pack %u", i);
bad:
	free(e);
	return -1;
}
