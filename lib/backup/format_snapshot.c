/*
 * Snapshot records: a clear head (magic, repo id, snapshot id) and a
 * sealed body (time, size, chunks, name, the chunk lists); and the rule
 * for snapshot names.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "backup/format.h"

static const uint8_t snap_magic[4] = "ANS1";

void
fmt_snap_head_enc(uint8_t out[SNAP_HEAD_LEN], const struct snap_head *h)
{
	memcpy(out, snap_magic, 4);
	memcpy(out + 4, h->repo_id, REPO_ID_LEN);
	memcpy(out + 4 + REPO_ID_LEN, h->snap_id, SNAP_ID_LEN);
}

int
fmt_snap_head_dec(const uint8_t *b, size_t n, struct snap_head *h)
{
	if (n < 4 || memcmp(b, snap_magic, 4) != 0)
		return fail("not a snapshot record");
	if (n < SNAP_HEAD_LEN + SEAL_OVERHEAD)
		return fail("snapshot record truncated");
	memcpy(h->repo_id, b + 4, REPO_ID_LEN);
	memcpy(h->snap_id, b + 4 + REPO_ID_LEN, SNAP_ID_LEN);
	return 0;
}

int
fmt_snap_name_valid(const char *name)
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
fmt_snap_body_enc(const struct snapshot *s, uint8_t **out, size_t *n)
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

int
fmt_snap_body_dec(const uint8_t *pt, size_t n, struct snapshot *s)
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
	if (memchr(s->name, '\0', nl) != NULL || !fmt_snap_name_valid(s->name))
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

void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	free(s->lists);
	s->lists = NULL;
}
