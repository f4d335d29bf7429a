/*
 * Whole small files, many at once, on one connection's raw SFTP channel:
 * for each file OPEN, then FSTAT and READ sent together, then CLOSE, with
 * up to MANY_FILES files in flight, so a batch of N files costs about two
 * round trips plus the transfer, not 4N.  For the repository's metadata
 * (index files, snapshot records) on a cold cache.
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "error.h"
#include "store/sftp_many.h"

#define MANY_FILES	32		/* files in flight */
#define MANY_READ	(64 * 1024)	/* bytes per READ */
#define MANY_READS	8		/* READs in flight per file */
#define REQS		1024		/* >= MANY_FILES * (MANY_READS + 3) */
#define FILE_LIMIT	(1u << 30)

struct mfile {
	size_t idx;			/* in the caller's arrays */
	uint8_t h[256];			/* the server's handle */
	size_t hlen;
	uint64_t size, got, asked;	/* asked: end of the READs sent */
	int have_size, reads, closing, busy;
};

struct mreq {
	uint32_t id;
	uint8_t type;			/* FXP_OPEN, FXP_FSTAT, FXP_READ, FXP_CLOSE */
	int slot;
	uint64_t off;
	uint32_t len;
};

struct many {
	struct rawsftp *r;
	const char *const *paths;	/* full paths on the server */
	const char *const *names;	/* as the caller knows them, for messages */
	uint8_t **bufs;
	size_t *lens;
	struct mfile f[MANY_FILES];
	struct mreq q[REQS];
};

static int
track(struct many *m, uint32_t id, uint8_t type, int slot, uint64_t off,
    uint32_t len)
{
	struct mreq *q = &m->q[id % REQS];

	if (q->type != 0)
		return fail("sftp: too many requests in flight");
	*q = (struct mreq){ id, type, slot, off, len };
	return 0;
}

/* Ask for more of file S, up to MANY_READS reads, never past its size. */
static int
read_more(struct many *m, int s)
{
	struct mfile *f = &m->f[s];
	uint64_t end = f->have_size ? f->size : MANY_READ;
	uint32_t id, n;

	while (f->reads < MANY_READS && f->asked < end) {
		n = end - f->asked < MANY_READ ? (uint32_t)(end - f->asked) :
		    MANY_READ;
		if (rawsftp_read(m->r, f->h, f->hlen, f->asked, n, &id) < 0 ||
		    track(m, id, FXP_READ, s, f->asked, n) < 0)
			return -1;
		f->asked += n;
		f->reads++;
	}
	return 0;
}

static int
close_file(struct many *m, int s)
{
	uint32_t id;

	m->f[s].closing = 1;
	if (rawsftp_handle_op(m->r, 0, m->f[s].h, m->f[s].hlen, &id) < 0)
		return -1;
	return track(m, id, FXP_CLOSE, s, 0, 0);
}

static int
start(struct many *m, int s, size_t idx)
{
	uint32_t id;

	memset(&m->f[s], 0, sizeof(m->f[s]));
	m->f[s].idx = idx;
	m->f[s].busy = 1;
	if (rawsftp_open_read(m->r, m->paths[idx], &id) < 0)
		return -1;
	return track(m, id, FXP_OPEN, s, 0, 0);
}

/* ATTRS of an FSTAT: the size, and room for it. */
static int
got_size(struct many *m, int s, const struct fxreply *rep)
{
	struct mfile *f = &m->f[s];
	const uint8_t *p = rep->data;
	size_t n = rep->len;

	if (n < 4 || !(be32dec(p) & 1) || (p += 4, n -= 4, fx_u64(&p, &n,
	    &f->size) < 0))
		return fail("%s: no size from the server", m->names[f->idx]);
	if (f->size > FILE_LIMIT)
		return fail("%s: file too large", m->names[f->idx]);
	if ((m->bufs[f->idx] = malloc(f->size ? f->size : 1)) == NULL)
		return fail_errno("%s", m->names[f->idx]);
	f->have_size = 1;
	return f->got == f->size ? close_file(m, s) : read_more(m, s);
}

/* DATA of a READ at OFF of LEN bytes asked. */
static int
got_data(struct many *m, int s, const struct mreq *q,
    const struct fxreply *rep)
{
	struct mfile *f = &m->f[s];
	const uint8_t *p = rep->data, *d;
	size_t n = rep->len, dl;

	f->reads--;
	if (fx_string(&p, &n, &d, &dl) < 0 || dl > q->len || !f->have_size ||
	    q->off + dl > f->size)
		return fail("%s: bad data from the server", m->names[f->idx]);
	memcpy(m->bufs[f->idx] + q->off, d, dl);
	f->got += dl;
	if (dl < q->len && q->off + dl < f->size) {
		/* a short read inside the file: ask for the hole again */
		uint64_t end = q->off + q->len < f->size ? q->off + q->len :
		    f->size;
		uint32_t id;

		if (rawsftp_read(m->r, f->h, f->hlen, q->off + dl,
		    (uint32_t)(end - q->off - dl), &id) < 0 ||
		    track(m, id, FXP_READ, s, q->off + dl,
		    (uint32_t)(end - q->off - dl)) < 0)
			return -1;
		f->reads++;
	}
	if (f->got == f->size)
		return close_file(m, s);
	return read_more(m, s);
}

/* One reply: the next step for its file.  1 when the file is done. */
static int
step(struct many *m, const struct fxreply *rep)
{
	struct mreq q = m->q[rep->id % REQS];
	struct mfile *f;
	const uint8_t *p = rep->data, *h;
	size_t n = rep->len, hl;
	uint32_t id;

	if (q.type == 0 || q.id != rep->id)
		return fail("sftp: a reply to no request (id %u)", rep->id);
	m->q[rep->id % REQS].type = 0;
	f = &m->f[q.slot];
	if (rep->type == FXP_STATUS && q.type == FXP_CLOSE) {
		if (rep->status != FX_OK)
			return fail("%s: close failed (status %u)",
			    m->names[f->idx], rep->status);
		m->lens[f->idx] = (size_t)f->size;
		f->busy = 0;
		return 1;
	}
	if (rep->type == FXP_STATUS && q.type == FXP_READ &&
	    rep->status == FX_EOF && f->have_size && f->got == f->size) {
		f->reads--;	/* the first READ of an empty file */
		return 0;
	}
	if (rep->type == FXP_STATUS)
		return fail("%s: %s", m->names[f->idx],
		    rep->status == FX_NO_SUCH_FILE ? "no such file" :
		    rep->status == FX_EOF ? "file shorter than its size" :
		    rep->status == FX_PERMISSION_DENIED ? "permission denied" :
		    "the server refused to read it");
	if (q.type == FXP_OPEN && rep->type == FXP_HANDLE) {
		if (fx_string(&p, &n, &h, &hl) < 0 || hl > sizeof(f->h))
			return fail("%s: bad handle", m->names[f->idx]);
		memcpy(f->h, h, hl);
		f->hlen = hl;
		if (rawsftp_handle_req(m->r, FXP_FSTAT, h, hl, &id) < 0 ||
		    track(m, id, FXP_FSTAT, q.slot, 0, 0) < 0)
			return -1;
		return read_more(m, q.slot);
	}
	if (q.type == FXP_FSTAT && rep->type == FXP_ATTRS)
		return got_size(m, q.slot, rep);
	if (q.type == FXP_READ && rep->type == FXP_DATA)
		return got_data(m, q.slot, &q, rep);
	return fail("%s: unexpected reply %u from the server", m->names[f->idx],
	    rep->type);
}

int
sftp_many(struct rawsftp *r, const char *const *paths,
    const char *const *names, size_t n, uint8_t **bufs, size_t *lens)
{
	struct many *m;
	struct fxreply rep;
	size_t next = 0, done = 0, i;
	int s, rc = -1, k;

	for (i = 0; i < n; i++)
		bufs[i] = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return fail_errno("sftp");
	*m = (struct many){ .r = r, .paths = paths, .names = names,
	    .bufs = bufs, .lens = lens };
	while (done < n) {
		for (s = 0; s < MANY_FILES && next < n; s++)
			if (!m->f[s].busy && start(m, s, next++) < 0)
				goto out;
		if (rawsftp_recv(r, &rep) < 0 || (k = step(m, &rep)) < 0)
			goto out;
		done += (size_t)k;
	}
	rc = 0;
out:
	if (rc < 0)
		for (i = 0; i < n; i++) {
			free(bufs[i]);
			bufs[i] = NULL;
		}
	free(m);
	return rc;
}
