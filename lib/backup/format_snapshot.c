/*
 * Snapshot records: a clear head (magic, repo id, snapshot id) and a
 * sealed body (time, size, chunks, name, the chunk lists, the catalogue
 * and its lists); and the rule
 * for snapshot names.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "backup/catalog.h"
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
#define CAT_FIXED (1 + 8 + 8 + 4)

static uint8_t *
refs_enc(uint8_t *p, const struct list_ref *v, uint32_t n)
{
	uint32_t i;

	le32enc(p, n);
	p += 4;
	for (i = 0; i < n; i++, p += LISTENT_LEN) {
		memcpy(p, v[i].id, BLOB_ID_LEN);
		le32enc(p + BLOB_ID_LEN, v[i].raw_len);
	}
	return p;
}

int
fmt_snap_body_enc(const struct snapshot *s, uint8_t **out, size_t *n)
{
	size_t nl = strlen(s->name), len;
	uint8_t *b, *p;

	len = SNAP_FIXED + nl + 4 + (size_t)s->nlists * LISTENT_LEN +
	    CAT_FIXED + (size_t)s->ncat * LISTENT_LEN;
	if ((b = malloc(len)) == NULL)
		return fail_errno("snapshot");
	le64enc(b, s->time_ns);
	le64enc(b + 8, s->size);
	le64enc(b + 16, s->chunks);
	b[24] = (uint8_t)nl;
	memcpy(b + SNAP_FIXED, s->name, nl);
	p = refs_enc(b + SNAP_FIXED + nl, s->lists, s->nlists);
	p[0] = s->tar;
	le64enc(p + 1, s->cat_size);
	le64enc(p + 9, s->cat_chunks);
	refs_enc(p + 17, s->cat, s->ncat);
	*out = b;
	*n = len;
	return 0;
}

/* A count and that many list references at *P (before END). */
static int
refs_dec(const uint8_t **pp, const uint8_t *end, size_t tail,
    struct list_ref **v, uint32_t *n, const char *what)
{
	const uint8_t *p = *pp;
	uint32_t i;

	if ((size_t)(end - p) < 4 + tail)
		return fail("snapshot body: %s truncated", what);
	*n = le32dec(p);
	p += 4;
	if ((size_t)(end - p - tail) / LISTENT_LEN < *n)
		return fail("snapshot body: %u %s in %zu bytes", *n, what,
		    (size_t)(end - p - tail));
	if (*n > 0 && (*v = calloc(*n, sizeof(**v))) == NULL)
		return fail_errno("snapshot body");
	for (i = 0; i < *n; i++, p += LISTENT_LEN) {
		memcpy((*v)[i].id, p, BLOB_ID_LEN);
		(*v)[i].raw_len = le32dec(p + BLOB_ID_LEN);
		if ((*v)[i].raw_len < 4 + LISTENT_LEN ||
		    (*v)[i].raw_len > LIST_MAX_RAW ||
		    ((*v)[i].raw_len - 4) % LISTENT_LEN != 0)
			return fail("snapshot body: %s %u: bad length", what, i);
	}
	*pp = p;
	return 0;
}

/* The parts' sizes agree with each other. */
static int
sizes_check(const struct snapshot *s)
{
	if ((s->chunks == 0) != (s->nlists == 0) ||
	    (s->size == 0) != (s->chunks == 0) ||
	    s->chunks > s->size ||
	    s->chunks > (uint64_t)s->nlists * LIST_MAX_ENTRIES)
		return fail("snapshot body: inconsistent sizes");
	if (s->tar > 1 || (!s->tar && (s->cat_size || s->ncat)) ||
	    (s->tar && (s->cat_size < CAT_HEAD_LEN || s->ncat == 0)) ||
	    s->cat_size > CAT_SIZE_MAX || s->cat_chunks > s->cat_size ||
	    (s->cat_chunks == 0) != (s->ncat == 0) ||
	    s->cat_chunks > (uint64_t)s->ncat * LIST_MAX_ENTRIES)
		return fail("snapshot body: inconsistent catalogue");
	return 0;
}

static int
body_dec(const uint8_t *pt, size_t n, struct snapshot *s)
{
	const uint8_t *p, *end = pt + n;
	size_t nl;

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
	if (refs_dec(&p, end, CAT_FIXED, &s->lists, &s->nlists, "lists") < 0)
		return -1;
	s->tar = p[0];
	s->cat_size = le64dec(p + 1);
	s->cat_chunks = le64dec(p + 9);
	p += 17;
	if (refs_dec(&p, end, 0, &s->cat, &s->ncat, "catalogue lists") < 0)
		return -1;
	if (p != end)
		return fail("snapshot body: %zu bytes too many", (size_t)(end - p));
	return sizes_check(s);
}

int
fmt_snap_body_dec(const uint8_t *pt, size_t n, struct snapshot *s)
{
	s->lists = NULL;
	s->nlists = 0;
	s->cat = NULL;
	s->ncat = 0;
	if (body_dec(pt, n, s) < 0) {
		snapshot_free(s);
		return -1;
	}
	return 0;
}

void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	free(s->lists);
	free(s->cat);
	s->lists = NULL;
	s->cat = NULL;
}
