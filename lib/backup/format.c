/* Encoders and parsers of the stored formats (docs/FORMAT.md). */
#include <stdlib.h>
#include <string.h>

#include "backup/chunker.h"
#include "error.h"
#include "backup/format.h"

static const uint8_t config_magic[8] = "ANEMREPO";

void
entry_put(uint8_t *p, const struct blob_entry *e)
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
entries_parse(const uint8_t *p, uint32_t count, struct blob_entry *v,
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

void
config_put(uint8_t out[CONFIG_LEN], const struct repo_config *c)
{
	memcpy(out, config_magic, 8);
	le32enc(out + 8, c->version);
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
	c->version = le32dec(b + 8);
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
	*hdr_len = le32dec(tail);
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
	uint64_t end;
	uint32_t count;

	*v = NULL;
	*cnt = 0;
	if (n < 8 || memcmp(pt, "ANPH", 4) != 0)
		return fail("bad pack header magic");
	count = le32dec(pt + 4);
	if (count == 0 || (uint64_t)count * ENTRY_LEN != n - 8)
		return fail("pack header: %u entries in %zu bytes", count, n);
	if (hdr_off == 0)
		return fail("pack header: empty blob area");
	if ((e = calloc(count, sizeof(*e))) == NULL)
		return fail_errno("pack header");
	if (entries_parse(pt + 8, count, e, hdr_off, &end) < 0) {
		free(e);
		return -1;
	}
	*v = e;
	*cnt = count;
	return 0;
}

int
index_parse(const uint8_t *pt, size_t n, index_cb cb, void *arg)
{
	const uint8_t *p = pt, *end = pt + n, *pack;
	struct blob_entry *e = NULL, *ne;
	uint32_t npacks, i, j, cnt, cap = 0;
	uint64_t aend;

	if (n < 8 || memcmp(pt, "ANIX", 4) != 0)
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
		if (entries_parse(p, cnt, e, 0, &aend) < 0)
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
	s->time_ns = le64dec(pt);
	s->size = le64dec(pt + 8);
	s->chunks = le64dec(pt + 16);
	nl = pt[24];
	if (nl == 0 || nl > NAME_MAX_LEN || n < SNAP_FIXED + nl + 4)
		return fail("snapshot body: bad name length %zu", nl);
	memcpy(s->name, pt + SNAP_FIXED, nl);
	s->name[nl] = '\0';
	if (memchr(s->name, '\0', nl) != NULL || !name_valid(s->name))
		return fail("snapshot body: bad name");
	p = pt + SNAP_FIXED + nl;
	s->nlists = le32dec(p);
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
		s->lists[i].raw_len = le32dec(p + BLOB_ID_LEN);
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
	le64enc(b, s->time_ns);
	le64enc(b + 8, s->size);
	le64enc(b + 16, s->chunks);
	b[24] = (uint8_t)nl;
	memcpy(b + SNAP_FIXED, s->name, nl);
	p = b + SNAP_FIXED + nl;
	le32enc(p, s->nlists);
	p += 4;
	for (i = 0; i < s->nlists; i++, p += LISTENT_LEN) {
		memcpy(p, s->lists[i].id, BLOB_ID_LEN);
		le32enc(p + BLOB_ID_LEN, s->lists[i].raw_len);
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

