/* Encoders and parsers of the stored formats (docs/FORMAT.md). */
#include <stdlib.h>
#include <string.h>

#include "chunker.h"
#include "error.h"
#include "format.h"

static const uint8_t config_magic[8] = "ANEMREPO";

void
entry_put(uint8_t *p, const struct blob_entry *e)
{
	p[0] = e->kind;
	p[1] = e->flags;
	put32(p + 2, e->raw_len);
	put32(p + 6, e->sealed_len);
	memcpy(p + 10, e->id, BLOB_ID_LEN);
}

int
entry_get(const uint8_t *p, struct blob_entry *e)
{
	uint32_t max;

	e->kind = p[0];
	e->flags = p[1];
	e->raw_len = get32(p + 2);
	e->sealed_len = get32(p + 6);
	memcpy(e->id, p + 10, BLOB_ID_LEN);
	e->off = 0;
	if (e->kind != KIND_DATA && e->kind != KIND_LIST)
		return fail("bad blob kind 0x%02x", e->kind);
	if (e->flags & ~FLAG_ZSTD)
		return fail("bad blob flags 0x%02x", e->flags);
	max = e->kind == KIND_DATA ? CHUNK_MAX : LIST_MAX_RAW;
	if (e->raw_len == 0 || e->raw_len > max)
		return fail("bad blob length %u", e->raw_len);
	if (e->flags & FLAG_ZSTD) {
		if (e->sealed_len <= SEAL_OVERHEAD ||
		    e->sealed_len - SEAL_OVERHEAD >= e->raw_len)
			return fail("bad compressed blob length %u", e->sealed_len);
	} else if (e->sealed_len != e->raw_len + SEAL_OVERHEAD) {
		return fail("bad raw blob length %u", e->sealed_len);
	}
	return 0;
}

void
config_put(uint8_t out[CONFIG_LEN], const struct repo_config *c)
{
	memcpy(out, config_magic, 8);
	put32(out + 8, c->version);
	memcpy(out + 12, c->repo_id, REPO_ID_LEN);
	memcpy(out + 28, c->check, 32);
}

int
config_parse(const uint8_t *b, size_t n, struct repo_config *c)
{
	if (n < 8 || memcmp(b, config_magic, 8) != 0)
		return fail("not an anemone repository config");
	if (n < 12)
		return fail("config truncated");
	c->version = get32(b + 8);
	if (c->version != REPO_VERSION)
		return fail("repository format version %u (this anemone "
		    "reads version %u)", c->version, REPO_VERSION);
	if (n != CONFIG_LEN)
		return fail("config is %zu bytes, want %d", n, CONFIG_LEN);
	memcpy(c->repo_id, b + 12, REPO_ID_LEN);
	memcpy(c->check, b + 28, 32);
	return 0;
}

int
pack_trailer_parse(const uint8_t tail[PACK_TRAILER], uint64_t pack_size,
    uint32_t *hdr_len, uint64_t *hdr_off)
{
	if (memcmp(tail + 4, "ANP1", 4) != 0)
		return fail("bad pack trailer");
	*hdr_len = get32(tail);
	if (*hdr_len < SEAL_OVERHEAD + 8 ||
	    (uint64_t)*hdr_len + PACK_TRAILER > pack_size)
		return fail("bad pack header length %u", *hdr_len);
	*hdr_off = pack_size - PACK_TRAILER - *hdr_len;
	return 0;
}

int
pack_header_parse(const uint8_t *pt, size_t n, uint64_t hdr_off,
    struct blob_entry **v, size_t *cnt)
{
	struct blob_entry *e;
	uint64_t off = 0;
	uint32_t count, i;

	*v = NULL;
	*cnt = 0;
	if (n < 8 || memcmp(pt, "ANPH", 4) != 0)
		return fail("bad pack header magic");
	count = get32(pt + 4);
	if (count == 0 || (uint64_t)count * ENTRY_LEN != n - 8)
		return fail("pack header: %u entries in %zu bytes", count, n);
	if ((e = calloc(count, sizeof(*e))) == NULL)
		return fail_errno("pack header");
	for (i = 0; i < count; i++) {
		if (entry_get(pt + 8 + (size_t)i * ENTRY_LEN, &e[i]) < 0)
			goto bad;
		e[i].off = (uint32_t)off;
		off += e[i].sealed_len;
		if (off > hdr_off || off > UINT32_MAX) {
			fail("pack header: blob %u runs past the blob area", i);
			goto bad;
		}
	}
	if (off != hdr_off) {
		fail("pack header: blobs end at %llu, header at %llu",
		    (unsigned long long)off, (unsigned long long)hdr_off);
		goto bad;
	}
	*v = e;
	*cnt = count;
	return 0;
bad:
	free(e);
	return -1;
}

int
index_parse(const uint8_t *pt, size_t n, index_cb cb, void *arg)
{
	const uint8_t *p = pt, *end = pt + n, *pack;
	struct blob_entry e;
	uint32_t npacks, i, j, cnt;
	uint64_t off;

	if (n < 8 || memcmp(pt, "ANIX", 4) != 0)
		return fail("bad index magic");
	npacks = get32(pt + 4);
	p += 8;
	for (i = 0; i < npacks; i++) {
		if ((size_t)(end - p) < PACK_NAME_LEN + 4)
			return fail("index truncated at pack %u", i);
		pack = p;
		cnt = get32(p + PACK_NAME_LEN);
		p += PACK_NAME_LEN + 4;
		if (cnt == 0 || (size_t)(end - p) / ENTRY_LEN < cnt)
			return fail("index: pack %u: bad entry count %u", i, cnt);
		off = 0;
		for (j = 0; j < cnt; j++, p += ENTRY_LEN) {
			if (entry_get(p, &e) < 0)
				return -1;
			if (off + e.sealed_len > UINT32_MAX)
				return fail("index: pack %u too large", i);
			e.off = (uint32_t)off;
			off += e.sealed_len;
			if (cb(arg, pack, &e) != 0)
				return -1;
		}
	}
	if (p != end)
		return fail("index: %zu bytes of trailing garbage",
		    (size_t)(end - p));
	return 0;
}

int
snap_outer_parse(const uint8_t *b, size_t n, struct snap_head *h)
{
	if (n < 4 || memcmp(b, "ANS1", 4) != 0)
		return fail("not a snapshot record");
	if (n < SNAP_HEAD_LEN + SEAL_OVERHEAD)
		return fail("snapshot record truncated");
	memcpy(h->repo_id, b + 4, REPO_ID_LEN);
	memcpy(h->snap_id, b + 4 + REPO_ID_LEN, SNAP_ID_LEN);
	return 0;
}

int
name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > NAME_MAX_LEN || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

#define SNAP_FIXED (8 + 8 + 8 + 1)

int
snap_body_parse(const uint8_t *pt, size_t n, struct snapshot *s)
{
	size_t nl, i;
	const uint8_t *p;

	s->lists = NULL;
	s->nlists = 0;
	if (n < SNAP_FIXED)
		return fail("snapshot body truncated");
	s->time_ns = get64(pt);
	s->size = get64(pt + 8);
	s->chunks = get64(pt + 16);
	nl = pt[24];
	if (nl == 0 || nl > NAME_MAX_LEN || n < SNAP_FIXED + nl + 4)
		return fail("snapshot body: bad name length %zu", nl);
	memcpy(s->name, pt + SNAP_FIXED, nl);
	s->name[nl] = '\0';
	if (memchr(s->name, '\0', nl) != NULL || !name_valid(s->name))
		return fail("snapshot body: bad name");
	p = pt + SNAP_FIXED + nl;
	s->nlists = get32(p);
	p += 4;
	if ((size_t)(pt + n - p) / LISTENT_LEN != s->nlists ||
	    (size_t)(pt + n - p) % LISTENT_LEN != 0)
		return fail("snapshot body: %u lists in %zu bytes", s->nlists,
		    (size_t)(pt + n - p));
	if ((s->chunks == 0) != (s->nlists == 0) ||
	    (s->size == 0) != (s->chunks == 0) ||
	    s->chunks > s->size ||
	    s->chunks > (uint64_t)s->nlists * LIST_MAX_ENTRIES)
		return fail("snapshot body: inconsistent sizes");
	if (s->nlists > 0 &&
	    (s->lists = calloc(s->nlists, sizeof(*s->lists))) == NULL)
		return fail_errno("snapshot body");
	for (i = 0; i < s->nlists; i++, p += LISTENT_LEN) {
		memcpy(s->lists[i].id, p, BLOB_ID_LEN);
		s->lists[i].raw_len = get32(p + BLOB_ID_LEN);
		if (s->lists[i].raw_len < 4 + LISTENT_LEN ||
		    s->lists[i].raw_len > LIST_MAX_RAW ||
		    (s->lists[i].raw_len - 4) % LISTENT_LEN != 0) {
			free(s->lists);
			s->lists = NULL;
			return fail("snapshot body: list %zu: bad length", i);
		}
	}
	return 0;
}

int
snap_body_build(const struct snapshot *s, uint8_t **out, size_t *n)
{
	size_t nl = strlen(s->name), len, i;
	uint8_t *b, *p;

	len = SNAP_FIXED + nl + 4 + (size_t)s->nlists * LISTENT_LEN;
	if ((b = malloc(len)) == NULL)
		return fail_errno("snapshot");
	put64(b, s->time_ns);
	put64(b + 8, s->size);
	put64(b + 16, s->chunks);
	b[24] = (uint8_t)nl;
	memcpy(b + SNAP_FIXED, s->name, nl);
	p = b + SNAP_FIXED + nl;
	put32(p, s->nlists);
	p += 4;
	for (i = 0; i < s->nlists; i++, p += LISTENT_LEN) {
		memcpy(p, s->lists[i].id, BLOB_ID_LEN);
		put32(p + BLOB_ID_LEN, s->lists[i].raw_len);
	}
	*out = b;
	*n = len;
	return 0;
}

void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	free(s->lists);
	s->lists = NULL;
}

int
list_parse(const uint8_t *pt, size_t n, uint32_t *count)
{
	uint32_t i;

	if (n < 4)
		return fail("list truncated");
	*count = get32(pt);
	if (*count == 0 || *count > LIST_MAX_ENTRIES ||
	    (size_t)*count * LISTENT_LEN != n - 4)
		return fail("list: %u entries in %zu bytes", *count, n);
	for (i = 0; i < *count; i++) {
		uint32_t len = get32(pt + 4 + (size_t)i * LISTENT_LEN + BLOB_ID_LEN);
		if (len == 0 || len > CHUNK_MAX)
			return fail("list: entry %u: bad length %u", i, len);
	}
	return 0;
}

void
hex_encode(char *out, const uint8_t *b, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
hex_decode(uint8_t *out, const char *s, size_t n)
{
	size_t i;
	int hi, lo;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((hi = hexval(s[2 * i])) < 0 || (lo = hexval(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
