/*
 * Catalogue encoding and parsing (catalog.h, docs/FORMAT.md).  An entry:
 *
 *	len (4) || type (1) || flags (1) || mode (4) || uid (8) || gid (8)
 *	|| size (8) || mtime (8) || mtime_ns (4) || devmajor (4)
 *	|| devminor (4) || hdr_len (8) || span (8) || hash (16)
 *	|| path_len (2) || link_len (2) || uname_len (1) || gname_len (1)
 *	|| path || link || uname || gname
 *
 * len counts the whole entry.  Members are 512-byte aligned as in tar.
 */
#include <stdlib.h>
#include <string.h>

#include "backup/catalog.h"
#include "bytes.h"
#include "error.h"

#define BLOCK		512
#define OFF_LIMIT	(UINT64_C(1) << 62)	/* no stream is larger */

static int
grow(struct cat_buf *b, size_t more)
{
	uint8_t *n;
	size_t cap;

	if (b->len + more <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 65536;
	while (cap < b->len + more)
		cap *= 2;
	if ((n = realloc(b->p, cap)) == NULL)
		return fail_errno("catalogue");
	b->p = n;
	b->cap = cap;
	return 0;
}

int
cat_begin(struct cat_buf *b, uint64_t base)
{
	memset(b, 0, sizeof(*b));
	if (grow(b, CAT_HEAD_LEN) < 0)
		return -1;
	memcpy(b->p, CAT_MAGIC, 4);
	le64enc(b->p + 4, base);
	b->len = CAT_HEAD_LEN;
	b->end = base;
	return 0;
}

void
cat_buf_free(struct cat_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int
type_valid(uint8_t t)
{
	return t != 0 && strchr("-dlhcbps", t) != NULL;
}

/* The checks both sides apply, so that what is written parses back. */
static int
entry_check(const struct cat_entry *e)
{
	if (!type_valid(e->type))
		return fail("bad member type %u", e->type);
	if (e->flags & ~CF_SPARSE)
		return fail("bad member flags %#x", e->flags);
	if (e->mode > 07777)
		return fail("bad member mode %#o", e->mode);
	if (e->mtime_ns >= 1000000000u)
		return fail("bad member time (%u ns)", e->mtime_ns);
	if (e->hdr_len < BLOCK || e->hdr_len % BLOCK || e->span % BLOCK ||
	    e->hdr_len > e->span || e->span >= OFF_LIMIT)
		return fail("bad member extent (header %llu, span %llu bytes)",
		    (unsigned long long)e->hdr_len, (unsigned long long)e->span);
	if (e->path_len == 0 || e->path_len > CAT_PATH_MAX ||
	    e->link_len > CAT_PATH_MAX)
		return fail("bad member path or link length");
	if ((e->type == CT_SYMLINK || e->type == CT_HARDLINK) != (e->link_len > 0))
		return fail("member link target does not match its type");
	return 0;
}

int
cat_append(struct cat_buf *b, const struct cat_entry *e)
{
	size_t n = CAT_FIXED_LEN + e->path_len + e->link_len + e->uname_len +
	    e->gname_len;
	uint8_t *p;

	if (entry_check(e) < 0)
		return -1;
	if (b->end + e->span >= OFF_LIMIT)
		return fail("catalogue: stream too large");
	if (grow(b, n) < 0)
		return -1;
	p = b->p + b->len;
	le32enc(p, (uint32_t)n);
	p[4] = e->type;
	p[5] = e->flags;
	le32enc(p + 6, e->mode);
	le64enc(p + 10, e->uid);
	le64enc(p + 18, e->gid);
	le64enc(p + 26, e->size);
	le64enc(p + 34, (uint64_t)e->mtime);
	le32enc(p + 42, e->mtime_ns);
	le32enc(p + 46, e->devmajor);
	le32enc(p + 50, e->devminor);
	le64enc(p + 54, e->hdr_len);
	le64enc(p + 62, e->span);
	memcpy(p + 70, e->hash, CAT_HASH_LEN);
	p[86] = (uint8_t)e->path_len;
	p[87] = (uint8_t)(e->path_len >> 8);
	p[88] = (uint8_t)e->link_len;
	p[89] = (uint8_t)(e->link_len >> 8);
	p[90] = e->uname_len;
	p[91] = e->gname_len;
	p += CAT_FIXED_LEN;
	memcpy(p, e->path, e->path_len);
	p += e->path_len;
	if (e->link_len)
		memcpy(p, e->link, e->link_len);
	p += e->link_len;
	if (e->uname_len)
		memcpy(p, e->uname, e->uname_len);
	p += e->uname_len;
	if (e->gname_len)
		memcpy(p, e->gname, e->gname_len);
	b->len += n;
	b->count++;
	b->end += e->span;
	return 0;
}

int
cat_open(struct cat_iter *it, const uint8_t *p, size_t n)
{
	memset(it, 0, sizeof(*it));
	if (n < CAT_HEAD_LEN || memcmp(p, CAT_MAGIC, 4) != 0)
		return fail("not a catalogue (bad magic)");
	it->p = p;
	it->n = n;
	it->pos = CAT_HEAD_LEN;
	it->off = le64dec(p + 4);
	if (it->off >= OFF_LIMIT || it->off % BLOCK)
		return fail("catalogue: bad base offset");
	return 0;
}

static uint16_t
le16dec(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int
cat_next(struct cat_iter *it, struct cat_entry *e)
{
	const uint8_t *p = it->p + it->pos;
	size_t left = it->n - it->pos, n;

	if (left == 0)
		return 0;
	if (left < CAT_FIXED_LEN)
		return fail("catalogue: entry at byte %zu is cut short", it->pos);
	n = le32dec(p);
	memset(e, 0, sizeof(*e));
	e->type = p[4];
	e->flags = p[5];
	e->mode = le32dec(p + 6);
	e->uid = le64dec(p + 10);
	e->gid = le64dec(p + 18);
	e->size = le64dec(p + 26);
	e->mtime = (int64_t)le64dec(p + 34);
	e->mtime_ns = le32dec(p + 42);
	e->devmajor = le32dec(p + 46);
	e->devminor = le32dec(p + 50);
	e->hdr_len = le64dec(p + 54);
	e->span = le64dec(p + 62);
	memcpy(e->hash, p + 70, CAT_HASH_LEN);
	e->path_len = le16dec(p + 86);
	e->link_len = le16dec(p + 88);
	e->uname_len = p[90];
	e->gname_len = p[91];
	if (n > left || n != (size_t)CAT_FIXED_LEN + e->path_len + e->link_len +
	    e->uname_len + e->gname_len)
		return fail("catalogue: entry at byte %zu has a bad length", it->pos);
	if (entry_check(e) < 0 || it->off + e->span >= OFF_LIMIT)
		return fail_ctx("catalogue: entry at byte %zu", it->pos);
	e->path = p + CAT_FIXED_LEN;
	e->link = e->path + e->path_len;
	e->uname = e->link + e->link_len;
	e->gname = e->uname + e->uname_len;
	e->off = it->off;
	it->off += e->span;
	it->pos += n;
	return 1;
}
