/*
 * The SFTP store's operations: a repository on a friend's stock OpenSSH
 * server, through libssh.  See docs/SFTP.md for the design; in short:
 *
 *  - each operation takes a connection from the pool (sftp_conn.c: pool,
 *    watchdog, host keys, authentication) and gives it back;
 *  - put(): our own SFTP requests on a second channel so that many
 *    SSH_FXP_WRITEs are in flight (libssh 0.10's sftp_write waits for each
 *    reply); the file is written under a hidden temporary name created
 *    with O_EXCL, then hard-linked to its name (link(2) never replaces)
 *    and the temporary name removed when the server allows it;
 *  - get(): libssh's asynchronous reads, READ_DEPTH requests in flight.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "error.h"
#include "store/sftp_conn.h"
#include "store/sftp_many.h"
#include "store/sftp_proto.h"
#include "store/rate.h"
#include "store/store.h"

#define READ_CHUNK (64 * 1024)
#define READ_DEPTH 64
#define READ_WINDOW (8u << 20)	/* our receive window on the sftp channel */
#define WRITE_INFLIGHT (4u << 20)	/* bytes of SSH_FXP_WRITE in flight */

/* ---- paths and errors ---- */

/* ROOT/PATH for the server; PATH as made by the engine (relative). */
static int
fullpath(const struct sstore *st, const char *path, char *out, size_t n)
{
	int w;

	if (path[0] == '/' || strstr(path, "..") != NULL)
		return fail("%s/%s: bad repository path", st->url, path);
	if (path[0] == '\0')
		w = snprintf(out, n, "%s", st->u.path);
	else if (strcmp(st->u.path, "/") == 0)
		w = snprintf(out, n, "/%s", path);
	else
		w = snprintf(out, n, "%s/%s", st->u.path, path);
	if (w < 0 || (size_t)w >= n)
		return fail("%s/%s: path too long", st->url, path);
	return 0;
}

static const char *
fx_message(uint32_t code)
{
	switch (code) {
	case FX_NO_SUCH_FILE:
		return "no such file or directory";
	case FX_PERMISSION_DENIED:
		return "permission denied by the server";
	case FX_FAILURE:
		return "the server reported a failure";
	case FX_OP_UNSUPPORTED:
		return "operation not supported by the server";
	default:
		return "request refused by the server";
	}
}

/* An error from libssh's sftp layer: a status, or a broken connection. */
static int
sftp_error(struct conn *c, const char *path, const char *what)
{
	int code = sftp_get_error(c->sftp);

	if (atomic_load(&c->timedout) || !ssh_is_connected(c->ssh) ||
	    code == SSH_FX_CONNECTION_LOST || code == SSH_FX_NO_CONNECTION ||
	    code == SSH_FX_OK || code == SSH_FX_BAD_MESSAGE) {
		char w[4096 + 64];

		snprintf(w, sizeof(w), "%s %s", what, path);
		conn_fail(c, w);
		return STORE_ERR;
	}
	if (code == SSH_FX_NO_SUCH_FILE) {
		fail("%s/%s: no such file", c->st->url, path);
		return STORE_NOTFOUND;
	}
	fail("%s/%s: %s: %s", c->st->url, path, what, fx_message((uint32_t)code));
	return STORE_ERR;
}

/* ---- put ---- */

static int
raw_ready(struct conn *c)
{
	if (c->have_raw)
		return 0;
	if (rawsftp_open(&c->raw, c->ssh) < 0) {
		c->dead = 1;
		return -1;
	}
	c->raw.progress = conn_touch;
	c->raw.arg = c;
	c->have_raw = 1;
	return 0;
}

/* Receive the reply to ID; anything else is a protocol error. */
static int
expect(struct conn *c, uint32_t id, struct fxreply *rep, const char *what)
{
	if (rawsftp_recv(&c->raw, rep) < 0) {
		conn_fail(c, what);
		return -1;
	}
	if (rep->id != id) {
		fail("%s: %s: reply out of order from the server", c->st->url, what);
		c->dead = 1;
		return -1;
	}
	return 0;
}

static int
status_of(struct conn *c, uint32_t id, const char *what)
{
	struct fxreply rep;

	if (expect(c, id, &rep, what) < 0)
		return -1;
	if (rep.type != FXP_STATUS) {
		c->dead = 1;
		return fail("%s: %s: unexpected reply from the server", c->st->url, what);
	}
	return (int)rep.status;
}

/* mkdir -p the parents of REL (relative to the root), all pipelined. */
static int
make_parents(struct conn *c, const char *rel)
{
	char full[4096], sub[4096];
	uint32_t ids[64];
	int n = 0, i, bad = 0;
	const char *s;

	for (s = strchr(rel, '/'); s != NULL && n < 64; s = strchr(s + 1, '/')) {
		snprintf(sub, sizeof(sub), "%.*s", (int)(s - rel), rel);
		if (fullpath(c->st, sub, full, sizeof(full)) < 0)
			return -1;
		if (rawsftp_path_op(&c->raw, FXP_MKDIR, full, &ids[n]) < 0)
			return conn_fail(c, "mkdir");
		n++;
	}
	for (i = 0; i < n; i++)
		if (status_of(c, ids[i], "mkdir") < 0)
			bad = 1;
	return bad ? -1 : 0;
}

/* After a failed write: is the server's disk full? 1, 0, or -1. */
static int
disk_full(struct conn *c, const char *dir, size_t need)
{
	struct fxreply rep;
	uint32_t id;
	uint64_t bsize, frsize, blocks, bfree, bavail;
	const uint8_t *p;
	size_t n;

	if (!c->raw.has_statvfs || rawsftp_statvfs(&c->raw, dir, &id) < 0 ||
	    expect(c, id, &rep, "statvfs") < 0 || rep.type != FXP_EXTENDED_REPLY)
		return -1;
	p = rep.data;
	n = rep.len;
	if (fx_u64(&p, &n, &bsize) < 0 || fx_u64(&p, &n, &frsize) < 0 ||
	    fx_u64(&p, &n, &blocks) < 0 || fx_u64(&p, &n, &bfree) < 0 ||
	    fx_u64(&p, &n, &bavail) < 0)
		return -1;
	(void)bsize;
	(void)blocks;
	return bavail * (frsize ? frsize : 1) < need ? 1 : 0;
}

/* Send fsync (when the server has it) and close for HANDLE. */
static int
send_close(struct conn *c, const uint8_t *handle, size_t hlen, uint32_t *fid,
    uint32_t *cid)
{
	if (c->raw.has_fsync && rawsftp_handle_op(&c->raw, 1, handle, hlen, fid) < 0)
		return conn_fail(c, "fsync");
	if (rawsftp_handle_op(&c->raw, 0, handle, hlen, cid) < 0)
		return conn_fail(c, "close");
	return 0;
}


/* One put() in progress: the names, the open handle, the write status. */
struct put {
	struct sstore *st;
	struct conn *c;
	const char *path;		/* as the engine named it, for messages */
	const uint8_t *buf;
	size_t len;
	char full[4096], tmp[4096], dir[4096];	/* dir: of full, for statvfs */
	uint8_t handle[256];
	size_t hlen;
	uint32_t wstatus;		/* the first failed write's, or FX_OK */
	uint32_t fid, cid;		/* request ids of fsync and close */
	int closing;			/* fsync and close sent */
};

/* The writes in flight: a ring of (id, length), bytes outstanding. */
struct wq {
	struct wr {
		uint32_t id, len;
	} *q;
	uint32_t cap;
	size_t head, tail, inflight;
};

/* The file's full name, its directory and a random temporary name in it. */
static int
put_names(struct put *p)
{
	char *slash;
	uint64_t rnd;

	if (fullpath(p->st, p->path, p->full, sizeof(p->full)) < 0)
		return -1;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return fail_errno("getrandom");
	snprintf(p->dir, sizeof(p->dir), "%s", p->full);
	slash = strrchr(p->dir, '/');
	if (slash == NULL)
		return fail("%s/%s: bad repository path", p->st->url, p->path);
	*slash = '\0';
	if (snprintf(p->tmp, sizeof(p->tmp), "%s/.tmp-%016llx",
	    p->dir[0] ? p->dir : "", (unsigned long long)rnd) >= (int)sizeof(p->tmp))
		return fail("%s/%s: path too long", p->st->url, p->path);
	if (p->dir[0] == '\0')
		strcpy(p->dir, "/");
	return 0;
}

/* Why the temporary file could not be created (after TRIES retries). */
static int
put_open_failed(struct put *p, int tries, uint32_t status)
{
	if (tries && status == FX_PERMISSION_DENIED)
		return fail("%s/%s: permission denied in the directory just "
		    "created (on an append-only server every directory "
		    "of the repository must exist before the first push)",
		    p->st->url, p->path);
	return fail("%s/%s: cannot create a temporary file: %s", p->st->url,
	    p->path, fx_message(status));
}

/* Open the temporary name, creating the parents once if missing. */
static int
put_open(struct put *p)
{
	struct conn *c = p->c;
	struct fxreply rep;
	const uint8_t *d, *h;
	size_t n;
	uint32_t id;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (rawsftp_open_excl(&c->raw, p->tmp, 0444, &id) < 0 ||
		    expect(c, id, &rep, "open") < 0)
			return conn_fail(c, "open");
		if (rep.type == FXP_HANDLE)
			break;
		if (rep.type != FXP_STATUS) {
			c->dead = 1;
			return fail("%s/%s: unexpected reply to open", p->st->url, p->path);
		}
		if (rep.status == FX_NO_SUCH_FILE && tries == 0 && strchr(p->path, '/')) {
			if (make_parents(c, p->path) < 0 && c->dead)
				return -1;
			continue;
		}
		return put_open_failed(p, tries, rep.status);
	}
	d = rep.data;
	n = rep.len;
	if (fx_string(&d, &n, &h, &p->hlen) < 0 || p->hlen > sizeof(p->handle)) {
		c->dead = 1;
		return fail("%s/%s: bad handle from the server", p->st->url, p->path);
	}
	memcpy(p->handle, h, p->hlen);
	return 0;
}

/* Send WRITEs from *OFF while the window and the ring have room; each
 * waits for its share of the upload cap (rate.h) first. */
static int
put_send(struct put *p, struct wq *w, size_t *off)
{
	struct conn *c = p->c;

	while (*off < p->len && w->inflight < WRITE_INFLIGHT &&
	    w->tail - w->head < w->cap && p->wstatus == FX_OK) {
		size_t n = p->len - *off < c->raw.max_write ? p->len - *off :
		    c->raw.max_write;

		n = store_rate_piece(n);
		store_rate_take(n);
		conn_touch(c);	/* waiting for the cap is no stall */
		if (rawsftp_write(&c->raw, p->handle, p->hlen, *off, p->buf + *off,
		    n, &w->q[w->tail % w->cap].id) < 0)
			return conn_fail(c, "write");
		w->q[w->tail % w->cap].len = (uint32_t)n;
		w->tail++;
		*off += n;
		w->inflight += n;
		if (rawsftp_pending(&c->raw))
			break;
	}
	return 0;
}

/* The data: up to WRITE_INFLIGHT bytes of requests outstanding, replies
 * read as they come; a failed write stops sending and drains the rest. */
static int
put_write(struct put *p)
{
	struct conn *c = p->c;
	struct wq w = { .cap = (uint32_t)(WRITE_INFLIGHT / 4096 + 4) };
	size_t off = 0;
	int s, r = -1;

	if ((w.q = malloc(w.cap * sizeof(*w.q))) == NULL)
		return fail_errno("sftp");
	while (off < p->len || w.head != w.tail) {
		if (put_send(p, &w, &off) < 0)
			goto out;
		/* all sent: fsync and close go right behind the writes (the
		 * server answers in order; every status is checked before the
		 * file gets its name) */
		if (off >= p->len && !p->closing) {
			if (send_close(c, p->handle, p->hlen, &p->fid, &p->cid) < 0)
				goto out;
			p->closing = 1;
		}
		if (w.head == w.tail) {
			if (p->wstatus != FX_OK)
				break;
			continue;
		}
		if ((s = status_of(c, w.q[w.head % w.cap].id, "write")) < 0)
			goto out;
		if (s != FX_OK && p->wstatus == FX_OK)
			p->wstatus = (uint32_t)s;
		w.inflight -= w.q[w.head % w.cap].len;
		w.head++;
		if (p->wstatus != FX_OK && off < p->len)
			off = p->len;	/* stop sending; drain what is in flight */
	}
	r = 0;
out:
	free(w.q);
	return r;
}

/* fsync and close checked; after any failure the temporary file is
 * removed and the error names a full disk when it is one. */
static int
put_close(struct put *p)
{
	struct conn *c = p->c;
	int st_close, st_fsync = FX_OK, full_disk;
	uint32_t code, rid;

	if (!p->closing && send_close(c, p->handle, p->hlen, &p->fid, &p->cid) < 0)
		return -1;
	if (c->raw.has_fsync && (st_fsync = status_of(c, p->fid, "fsync")) < 0)
		return -1;
	if ((st_close = status_of(c, p->cid, "close")) < 0)
		return -1;
	if (p->wstatus == FX_OK && st_close == FX_OK && st_fsync == FX_OK)
		return 0;
	code = p->wstatus != FX_OK ? p->wstatus :
	    st_fsync != FX_OK ? (uint32_t)st_fsync : (uint32_t)st_close;
	full_disk = disk_full(c, p->dir, p->len);
	if (!c->no_remove && rawsftp_path_op(&c->raw, FXP_REMOVE, p->tmp, &rid) == 0)
		(void)status_of(c, rid, "remove");
	if (full_disk == 1)
		return fail("%s/%s: the server's disk is full (no space left "
		    "for %zu bytes)", p->st->url, p->path, p->len);
	return fail("%s/%s: write failed: %s", p->st->url, p->path,
	    fx_message(code));
}

/* The link failed with STATUS: STORE_EXISTS if the name is taken. */
static int
put_link_failed(struct put *p, int status)
{
	struct conn *c = p->c;
	struct fxreply rep;
	uint32_t id;

	/* link(2) and OpenSSH's rename refuse an existing name */
	if (rawsftp_path_op(&c->raw, FXP_STAT, p->full, &id) < 0 ||
	    expect(c, id, &rep, "stat") < 0)
		return conn_fail(c, "stat");
	if (rep.type == FXP_ATTRS) {
		fail("%s/%s: file exists", p->st->url, p->path);
		return STORE_EXISTS;
	}
	return fail("%s/%s: cannot give the file its name: %s", p->st->url,
	    p->path, fx_message((uint32_t)status));
}

/* Link (or rename) the temporary file to its name and remove the
 * temporary name, in one round trip.  A STORE_* code. */
static int
put_link(struct put *p)
{
	struct conn *c = p->c;
	uint32_t lid, rid;
	int st_link, s, unlink_tmp = c->raw.has_hardlink && !c->no_remove;

	if (c->raw.has_hardlink) {
		if (rawsftp_two_paths(&c->raw, "hardlink@openssh.com", p->tmp,
		    p->full, &lid) < 0)
			return conn_fail(c, "link");
	} else if (rawsftp_two_paths(&c->raw, NULL, p->tmp, p->full, &lid) < 0)
		return conn_fail(c, "rename");
	if (unlink_tmp && rawsftp_path_op(&c->raw, FXP_REMOVE, p->tmp, &rid) < 0)
		return conn_fail(c, "remove");
	if ((st_link = status_of(c, lid, "link")) < 0)
		return STORE_ERR;
	if (unlink_tmp) {
		if ((s = status_of(c, rid, "remove")) < 0)
			return STORE_ERR;
		if (s == FX_PERMISSION_DENIED || s == FX_OP_UNSUPPORTED)
			c->no_remove = 1;	/* an append-only server */
	}
	if (st_link != FX_OK)
		return put_link_failed(p, st_link);
	return STORE_OK;
}

static int
sftp_put(void *be, const char *path, const void *buf, size_t len)
{
	struct put p = { .st = be, .path = path, .buf = buf, .len = len,
	    .wstatus = FX_OK };
	int r = STORE_ERR;

	if (put_names(&p) < 0)
		return STORE_ERR;
	if ((p.c = conn_acquire(p.st)) == NULL)
		return STORE_ERR;
	if (raw_ready(p.c) == 0 && put_open(&p) == 0 && put_write(&p) == 0 &&
	    put_close(&p) == 0)
		r = put_link(&p);
	conn_release(p.st, p.c);
	return r;
}

/* ---- get, size, list ---- */

/*
 * libssh 0.10 grows a channel's receive window only when a read asks for
 * more than the window holds, back to 1.28 MB: sftp replies, read a few
 * bytes at a time, drain it to nothing and then wait a round trip for
 * more.  A zero-timeout read of READ_WINDOW bytes from the channel's
 * stderr stream (which an sftp server leaves empty) makes libssh open the
 * window to READ_WINDOW first; whatever stderr might hold lands in SINK.
 */
static void
open_window(struct conn *c)
{
	if (c->sink == NULL && (c->sink = malloc(READ_WINDOW)) == NULL)
		return;
	(void)ssh_channel_read_timeout(c->sftp->channel, c->sink, READ_WINDOW, 1, 0);
}

/* The reads in flight, in the order they were sent. */
struct rdq {
	struct rd {
		uint32_t id;
		uint64_t off;
		uint32_t len;
	} v[READ_DEPTH];
	unsigned head, tail;
};

/* Close the file kept open on C. */
static void
drop_kept(struct conn *c)
{
	if (c->rf != NULL)
		sftp_close(c->rf);
	free(c->rf_path);
	c->rf = NULL;
	c->rf_path = NULL;
}

/* FULL opened for reading on C, or the one kept open if it is that file
 * (files never change once named: an open handle stays valid). */
static int
get_open(struct conn *c, const char *full, const char *path, sftp_file *fp)
{
	sftp_file f;

	if (c->rf != NULL && strcmp(c->rf_path, full) == 0) {
		*fp = c->rf;
		return STORE_OK;
	}
	drop_kept(c);
	if ((f = sftp_open(c->sftp, full, O_RDONLY, 0)) == NULL)
		return sftp_error(c, path, "open");
	if ((c->rf_path = strdup(full)) == NULL) {
		sftp_close(f);
		return fail_errno("sftp");
	}
	c->rf = *fp = f;
	return STORE_OK;
}

/* Ask for N bytes at OFF; the request goes at the back of Q. */
static int
read_request(struct conn *c, sftp_file f, const char *path, struct rdq *q,
    uint64_t off, uint32_t n)
{
	int id;

	sftp_seek64(f, off);
	if ((id = sftp_async_read_begin(f, n)) < 0)
		return sftp_error(c, path, "read");
	q->v[q->tail % READ_DEPTH] = (struct rd){ (uint32_t)id, off, n };
	q->tail++;
	return 0;
}

/* LEN bytes of F at OFF into BUF, READ_DEPTH requests in flight. */
static int
read_range(struct conn *c, sftp_file f, const char *path, uint64_t off,
    uint8_t *buf, size_t len)
{
	struct rdq q = { .head = 0 };
	uint64_t next = off, end = off + len;
	size_t done = 0;
	struct rd rq;
	int got;

	while (done < len) {
		if (q.head % 8 == 0)
			open_window(c);
		while (q.tail - q.head < READ_DEPTH && next < end) {
			uint32_t n = end - next < READ_CHUNK ? (uint32_t)(end - next) : READ_CHUNK;

			if (read_request(c, f, path, &q, next, n) < 0)
				return -1;
			next += n;
		}
		rq = q.v[q.head++ % READ_DEPTH];
		got = sftp_async_read(f, buf + (rq.off - off), rq.len, rq.id);
		conn_touch(c);
		if (got < 0)
			return sftp_error(c, path, "read");
		if (got == 0) {
			c->dead = 1;	/* replies still queued: drop them */
			return fail("%s/%s: file shorter than %llu bytes",
			    c->st->url, path, (unsigned long long)end);
		}
		done += (size_t)got;
		/* a short read: ask for the rest at the back */
		if ((uint32_t)got < rq.len && read_request(c, f, path, &q,
		    rq.off + (uint64_t)got, rq.len - (uint32_t)got) < 0)
			return -1;
	}
	return 0;
}

static int
sftp_get(void *be, const char *path, uint64_t off, void *buf, size_t len)
{
	struct sstore *st = be;
	struct conn *c;
	char full[4096];
	sftp_file f = NULL;
	int r;

	if (fullpath(st, path, full, sizeof(full)) < 0)
		return STORE_ERR;
	if (len == 0)
		return STORE_OK;
	if ((c = conn_acquire(st)) == NULL)
		return STORE_ERR;
	if ((r = get_open(c, full, path, &f)) == STORE_OK &&
	    read_range(c, f, path, off, buf, len) < 0) {
		drop_kept(c);	/* after an error: do not keep the handle */
		r = STORE_ERR;
	}
	conn_release(st, c);
	return r;
}
static int
sftp_size(void *be, const char *path, uint64_t *size)
{
	struct sstore *st = be;
	struct conn *c;
	char full[4096];
	sftp_attributes a;
	int r = STORE_OK;

	if (fullpath(st, path, full, sizeof(full)) < 0)
		return STORE_ERR;
	if ((c = conn_acquire(st)) == NULL)
		return STORE_ERR;
	if ((a = sftp_stat(c->sftp, full)) == NULL)
		r = sftp_error(c, path, "stat");
	else {
		if (a->type != SSH_FILEXFER_TYPE_REGULAR ||
		    !(a->flags & SSH_FILEXFER_ATTR_SIZE))
			r = fail("%s/%s: not a regular file", st->url, path);
		else
			*size = a->size;
		sftp_attributes_free(a);
	}
	conn_release(st, c);
	return r;
}


/* The names in DIRPATH, hidden ones left out, in the server's order
 * (store_list() sorts). */
static int
sftp_list(void *be, const char *dirpath, char ***names, size_t *n)
{
	struct sstore *st = be;
	struct conn *c;
	char full[4096], **v = NULL;
	size_t cnt = 0, cap = 0;
	sftp_dir d;
	sftp_attributes a;
	int r = STORE_ERR;

	*names = NULL;
	*n = 0;
	if (fullpath(st, dirpath, full, sizeof(full)) < 0)
		return STORE_ERR;
	if ((c = conn_acquire(st)) == NULL)
		return STORE_ERR;
	if ((d = sftp_opendir(c->sftp, full)) == NULL) {
		r = sftp_error(c, dirpath, "opendir");
		goto out;
	}
	while ((a = sftp_readdir(c->sftp, d)) != NULL) {
		conn_touch(c);
		/* hidden names: ".", "..", and our temporary files */
		if (a->name == NULL || a->name[0] == '.') {
			sftp_attributes_free(a);
			continue;
		}
		if (cnt == cap) {
			char **nv = realloc(v, (cap ? cap * 2 : 64) * sizeof(*v));

			if (nv == NULL) {
				sftp_attributes_free(a);
				fail_errno("sftp");
				goto fail;
			}
			v = nv;
			cap = cap ? cap * 2 : 64;
		}
		if ((v[cnt] = strdup(a->name)) == NULL) {
			sftp_attributes_free(a);
			fail_errno("sftp");
			goto fail;
		}
		cnt++;
		sftp_attributes_free(a);
	}
	if (!sftp_dir_eof(d)) {
		sftp_error(c, dirpath, "readdir");
		if (!c->dead)
			sftp_closedir(d);
		goto fail;
	}
	sftp_closedir(d);
	*names = v;
	*n = cnt;
	r = STORE_OK;
	goto out;
fail:
	store_names_free(v, cnt);
out:
	conn_release(st, c);
	return r;
}

/* ---- many whole files (sftp_many.c): the metadata on a cold cache ---- */

static void
strv_free(char **v, size_t n)
{
	while (v != NULL && n > 0)
		free(v[--n]);
	free(v);
}

/* Full server paths and "url/path" names for messages of PATHS. */
static int
many_names(struct sstore *st, const char *const *paths, size_t n,
    char ***full, char ***names)
{
	char f[4096];
	size_t i;

	*full = calloc(n, sizeof(**full));
	*names = calloc(n, sizeof(**names));
	if (*full == NULL || *names == NULL)
		return fail_errno("sftp");
	for (i = 0; i < n; i++) {
		if (fullpath(st, paths[i], f, sizeof(f)) < 0)
			return -1;
		if (((*full)[i] = strdup(f)) == NULL ||
		    asprintf(&(*names)[i], "%s/%s", st->url, paths[i]) < 0) {
			(*names)[i] = NULL;
			return fail_errno("sftp");
		}
	}
	return 0;
}

static int
sftp_get_many(void *be, const char *const *paths, size_t n, uint8_t **bufs,
    size_t *lens)
{
	struct sstore *st = be;
	struct conn *c;
	char **full = NULL, **names = NULL;
	int r = STORE_ERR;

	if (many_names(st, paths, n, &full, &names) < 0 ||
	    (c = conn_acquire(st)) == NULL)
		goto out;
	if (raw_ready(c) < 0)
		conn_fail(c, "read");	/* name the peer, and a timeout */
	else if (sftp_many(&c->raw, (const char *const *)full,
	    (const char *const *)names, n, bufs, lens) == 0)
		r = STORE_OK;
	else if (atomic_load(&c->timedout) || !ssh_is_connected(c->ssh) ||
	    !ssh_channel_is_open(c->raw.ch) || ssh_channel_is_eof(c->raw.ch))
		conn_fail(c, "read");
	else
		c->dead = 1;	/* replies left unread on the channel */
	conn_release(st, c);
out:
	strv_free(full, n);
	strv_free(names, n);
	return r;
}

/* ---- open, close ---- */

static void
sftp_close_store(void *be)
{
	sstore_free(be);
}

static void
sftp_abort(void *be)
{
	sstore_abort(be);
}

static const struct store_ops sftp_ops = {
	.put = sftp_put,
	.get = sftp_get,
	.size = sftp_size,
	.list = sftp_list,
	.close = sftp_close_store,
	.abort = sftp_abort,
	.get_many = sftp_get_many,
};

/* The root must be a directory; create it (mkdir -p) when asked. */
static int
check_root(struct sstore *st, int create)
{
	struct conn *c;
	sftp_attributes a;
	int r = 0;

	if ((c = conn_acquire(st)) == NULL)
		return -1;
	a = sftp_stat(c->sftp, st->u.path);
	if (a == NULL && sftp_get_error(c->sftp) == SSH_FX_NO_SUCH_FILE && create) {
		char sub[4096];
		size_t i, len = strlen(st->u.path);

		/* each prefix; "exists" failures are checked by the stat below */
		for (i = 1; i <= len; i++) {
			if (i < len && st->u.path[i] != '/')
				continue;
			snprintf(sub, sizeof(sub), "%.*s", (int)i, st->u.path);
			sftp_mkdir(c->sftp, sub, 0755);
		}
		a = sftp_stat(c->sftp, st->u.path);
	}
	if (a == NULL) {
		int code = sftp_get_error(c->sftp);

		if (code == SSH_FX_NO_SUCH_FILE)
			r = fail("%s: no such directory on the server%s", st->url,
			    create ? " (and it could not be created)" : "");
		else if (code == SSH_FX_PERMISSION_DENIED)
			r = fail("%s: permission denied on the server", st->url);
		else
			sftp_error(c, "", "stat"), r = -1;
	} else {
		if (a->type != SSH_FILEXFER_TYPE_DIRECTORY)
			r = fail("%s: not a directory on the server", st->url);
		sftp_attributes_free(a);
	}
	conn_release(st, c);
	return r;
}

struct store *
store_sftp_open(const char *url, const struct store_opts *o)
{
	struct sstore *st;
	struct store *s = NULL;

	if ((st = sstore_new(url, o)) == NULL)
		return NULL;
	if (check_root(st, o->create) < 0)
		goto err;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->url = strdup(st->url)) == NULL) {
		fail_errno("sftp");
		free(s);
		goto err;
	}
	s->ops = &sftp_ops;
	s->be = st;
	return s;
err:
	sstore_free(st);
	return NULL;
}
