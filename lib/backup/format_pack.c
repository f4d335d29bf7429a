/*
 * Blob entries and the pack they describe: segments, then the sealed
 * header (magic, count, entries), then the trailer (the sealed header's
 * length and a magic) so that a pack is read from its end.
 */
#include <stdlib.h>
#include <string.h>

#include "backup/chunker.h"
#include "error.h"
#include "backup/format.h"

static const uint8_t header_magic[4] = "ANPH", trailer_magic[4] = "ANP1";

void
fmt_entry_enc(uint8_t *p, const struct blob_entry *e)
{
	p[0] = e->kind;
	p[1] = e->flags;
	le32enc(p + 2, e->raw_len);
	le32enc(p + 6, e->first ? e->seg_sealed : 0);
	memcpy(p + 10, e->id, BLOB_ID_LEN);
}

/* Check the segment of entries V[0..n) and fill in its raw length. */
static int
seg_close(struct blob_entry *v, size_t n)
{
	uint64_t raw = 0;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		v[i].member_off = (uint32_t)raw;
		raw += v[i].raw_len;
	}
	if (raw > SEG_MAX)
		return fail("segment of %llu bytes", (unsigned long long)raw);
	if (v[0].kind == KIND_LIST && n != 1)
		return fail("chunk list shares a segment");
	if (v[0].flags & FLAG_ZSTD) {
		if (v[0].seg_sealed <= SEAL_OVERHEAD ||
		    v[0].seg_sealed - SEAL_OVERHEAD >= raw)
			return fail("bad compressed segment length %u",
			    v[0].seg_sealed);
	} else if (v[0].seg_sealed != raw + SEAL_OVERHEAD) {
		return fail("bad raw segment length %u", v[0].seg_sealed);
	}
	for (i = 0; i < n; i++) {
		v[i].seg_raw = (uint32_t)raw;
		v[i].seg_sealed = v[0].seg_sealed;
		v[i].seg_off = v[0].seg_off;
	}
	return 0;
}

int
fmt_entries_dec(const uint8_t *p, uint32_t count, struct blob_entry *v,
    uint64_t area_end, uint64_t *end)
{
	struct blob_entry *e;
	uint64_t off = 0;
	size_t start = 0;
	uint32_t i, max, sealed;

	for (i = 0; i < count; i++, p += ENTRY_LEN) {
		e = &v[i];
		e->kind = p[0];
		e->flags = p[1];
		e->raw_len = le32dec(p + 2);
		sealed = le32dec(p + 6);
		memcpy(e->id, p + 10, BLOB_ID_LEN);
		if (e->kind != KIND_DATA && e->kind != KIND_LIST)
			return fail("entry %u: bad blob kind 0x%02x", i, e->kind);
		if (e->flags & ~FLAG_ZSTD)
			return fail("entry %u: bad flags 0x%02x", i, e->flags);
		max = e->kind == KIND_DATA ? CHUNK_MAX : LIST_MAX_RAW;
		if (e->raw_len == 0 || e->raw_len > max)
			return fail("entry %u: bad blob length %u", i, e->raw_len);
		e->first = sealed != 0;
		if (i == 0 && !e->first)
			return fail("entry 0 does not start a segment");
		if (e->first) {
			if (seg_close(v + start, i - start) < 0)
				return -1;
			start = i;
			e->seg_off = (uint32_t)off;
			e->seg_sealed = sealed;
			off += sealed;
			if (off > UINT32_MAX ||
			    (area_end != 0 && off > area_end))
				return fail("entry %u: segment runs past the "
				    "blob area", i);
		} else if (e->flags != v[start].flags ||
		    e->kind != KIND_DATA || v[start].kind != KIND_DATA) {
			return fail("entry %u: does not fit its segment", i);
		}
	}
	if (seg_close(v + start, count - start) < 0)
		return -1;
	if (area_end != 0 && off != area_end)
		return fail("segments end at %llu, the blob area at %llu",
		    (unsigned long long)off, (unsigned long long)area_end);
	*end = off;
	return 0;
}

size_t
fmt_pack_header_enc(uint8_t *out, const struct blob_entry *e, size_t n)
{
	size_t i;

	memcpy(out, header_magic, 4);
	le32enc(out + 4, (uint32_t)n);
	for (i = 0; i < n; i++)
		fmt_entry_enc(out + 8 + i * ENTRY_LEN, &e[i]);
	return PACK_HEADER_LEN(n);
}

int
fmt_pack_header_dec(const uint8_t *pt, size_t n, uint64_t hdr_off,
    struct blob_entry **v, size_t *cnt)
{
	struct blob_entry *e;
	uint64_t end;
	uint32_t count;

	*v = NULL;
	*cnt = 0;
	if (n < 8 || memcmp(pt, header_magic, 4) != 0)
		return fail("bad pack header magic");
	count = le32dec(pt + 4);
	if (count == 0 || (uint64_t)count * ENTRY_LEN != n - 8)
		return fail("pack header: %u entries in %zu bytes", count, n);
	if (hdr_off == 0)
		return fail("pack header: empty blob area");
	if ((e = calloc(count, sizeof(*e))) == NULL)
		return fail_errno("pack header");
	if (fmt_entries_dec(pt + 8, count, e, hdr_off, &end) < 0) {
		free(e);
		return -1;
	}
	*v = e;
	*cnt = count;
	return 0;
}

void
fmt_pack_trailer_enc(uint8_t out[PACK_TRAILER], uint32_t hdr_len)
{
	le32enc(out, hdr_len);
	memcpy(out + 4, trailer_magic, 4);
}

int
fmt_pack_trailer_dec(const uint8_t tail[PACK_TRAILER], uint64_t pack_size,
    uint32_t *hdr_len, uint64_t *hdr_off)
{
	if (memcmp(tail + 4, trailer_magic, 4) != 0)
		return fail("bad pack trailer");
	*hdr_len = le32dec(tail);
	if (*hdr_len < SEAL_OVERHEAD + 8 ||
	    (uint64_t)*hdr_len + PACK_TRAILER > pack_size)
		return fail("bad pack header length %u", *hdr_len);
	*hdr_off = pack_size - PACK_TRAILER - *hdr_len;
	return 0;
}
