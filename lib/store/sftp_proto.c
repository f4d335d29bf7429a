#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>

#include "bytes.h"
#include "error.h"
#include "store/sftp_proto.h"

#define MAX_REPLY (256 * 1024 + 1024)	/* OpenSSH's message limit */
#define DEFAULT_WRITE 32768		/* every server must take this */
#define MAX_WRITE (128 * 1024)

static int
reserve(struct rawsftp *r, size_t more)
{
	uint8_t *n;
	size_t cap;

	if (r->outlen + more <= r->outcap)
		return 0;
	cap = r->outcap ? r->outcap : 1024;
	while (cap < r->outlen + more)
		cap *= 2;
	if ((n = realloc(r->out, cap)) == NULL)
		return fail_errno("sftp");
	r->out = n;
	r->outcap = cap;
	return 0;
}

static int
add(struct rawsftp *r, const void *p, size_t n)
{
	if (reserve(r, n) < 0)
		return -1;
	memcpy(r->out + r->outlen, p, n);
	r->outlen += n;
	return 0;
}

static int
add32(struct rawsftp *r, uint32_t v)
{
	uint8_t b[4];

	be32enc(b, v);
	return add(r, b, 4);
}

static int
add64(struct rawsftp *r, uint64_t v)
{
	return add32(r, (uint32_t)(v >> 32)) < 0 ? -1 : add32(r, (uint32_t)v);
}

static int
addstr(struct rawsftp *r, const void *s, size_t n)
{
	if (n > UINT32_MAX)
		return fail("sftp: string too long");
	return add32(r, (uint32_t)n) < 0 ? -1 : add(r, s, n);
}

/* Start a packet: length placeholder, type, and (unless INIT) an id. */
static int
begin(struct rawsftp *r, uint8_t type, uint32_t *id)
{
	r->outlen = 0;
	if (add32(r, 0) < 0 || add(r, &type, 1) < 0)
		return -1;
	if (id != NULL) {
		*id = r->next_id++;
		return add32(r, *id);
	}
	return 0;
}

static int
writeall(struct rawsftp *r, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		/* libssh writes at most the peer's window at a time */
		int w = ssh_channel_write(r->ch, b, n > (1u << 30) ? 1u << 30 : (uint32_t)n);

		if (w <= 0)
			return fail("sftp: connection lost while sending");
		b += w;
		n -= (size_t)w;
		if (r->progress)
			r->progress(r->arg);
	}
	return 0;
}

static int
send_packet(struct rawsftp *r)
{
	be32enc(r->out, (uint32_t)(r->outlen - 4));
	return writeall(r, r->out, r->outlen);
}

static int
readall(struct rawsftp *r, void *p, size_t n)
{
	uint8_t *b = p;

	while (n > 0) {
		int got = ssh_channel_read_timeout(r->ch, b,
		    n > (1u << 30) ? 1u << 30 : (uint32_t)n, 0, -1);

		if (got < 0 || (got == 0 && ssh_channel_is_eof(r->ch)))
			return fail("sftp: connection lost");
		if (got == 0 && !ssh_channel_is_open(r->ch))
			return fail("sftp: connection lost");
		b += got;
		n -= (size_t)got;
		if (r->progress)
			r->progress(r->arg);
	}
	return 0;
}

int
fx_string(const uint8_t **p, size_t *n, const uint8_t **s, size_t *slen)
{
	uint32_t l;

	if (*n < 4)
		return -1;
	l = be32dec(*p);
	if (l > *n - 4)
		return -1;
	*s = *p + 4;
	*slen = l;
	*p += 4 + l;
	*n -= 4 + l;
	return 0;
}

int
fx_u64(const uint8_t **p, size_t *n, uint64_t *v)
{
	if (*n < 8)
		return -1;
	*v = (uint64_t)be32dec(*p) << 32 | be32dec(*p + 4);
	*p += 8;
	*n -= 8;
	return 0;
}

int
rawsftp_recv(struct rawsftp *r, struct fxreply *rep)
{
	uint8_t hdr[4];
	uint32_t len;

	if (readall(r, hdr, 4) < 0)
		return -1;
	len = be32dec(hdr);
	if (len < 1 || len > MAX_REPLY)
		return fail("sftp: bad reply length %u from the server", len);
	if (len > r->incap) {
		uint8_t *n = realloc(r->in, len);

		if (n == NULL)
			return fail_errno("sftp");
		r->in = n;
		r->incap = len;
	}
	if (readall(r, r->in, len) < 0)
		return -1;
	memset(rep, 0, sizeof(*rep));
	rep->type = r->in[0];
	rep->data = r->in + 1;
	rep->len = len - 1;
	if (rep->type == FXP_VERSION)
		return 0;
	if (rep->len < 4)
		return fail("sftp: short reply from the server");
	rep->id = be32dec(rep->data);
	rep->data += 4;
	rep->len -= 4;
	if (rep->type == FXP_STATUS) {
		if (rep->len < 4)
			return fail("sftp: short status from the server");
		rep->status = be32dec(rep->data);
	}
	return 0;
}

int
rawsftp_pending(struct rawsftp *r)
{
	return ssh_channel_poll(r->ch, 0) > 0;
}

static int
negotiate(struct rawsftp *r)
{
	struct fxreply rep;
	const uint8_t *p, *name, *val;
	size_t n, nl, vl;
	uint32_t id;

	if (begin(r, FXP_INIT, NULL) < 0 || add32(r, 3) < 0 || send_packet(r) < 0)
		return -1;
	if (rawsftp_recv(r, &rep) < 0)
		return -1;
	if (rep.type != FXP_VERSION || rep.len < 4)
		return fail("sftp: the server did not answer the sftp handshake");
	p = rep.data + 4;
	n = rep.len - 4;
	while (fx_string(&p, &n, &name, &nl) == 0 && fx_string(&p, &n, &val, &vl) == 0) {
#define IS(s) (nl == sizeof(s) - 1 && memcmp(name, s, nl) == 0)
		if (IS("hardlink@openssh.com"))
			r->has_hardlink = 1;
		else if (IS("fsync@openssh.com"))
			r->has_fsync = 1;
		else if (IS("statvfs@openssh.com"))
			r->has_statvfs = 1;
		else if (IS("limits@openssh.com"))
			r->has_limits = 1;
#undef IS
	}
	r->max_write = DEFAULT_WRITE;
	if (!r->has_limits)
		return 0;
	if (begin(r, FXP_EXTENDED, &id) < 0 ||
	    addstr(r, "limits@openssh.com", 18) < 0 || send_packet(r) < 0 ||
	    rawsftp_recv(r, &rep) < 0)
		return -1;
	if (rep.type == FXP_EXTENDED_REPLY && rep.id == id) {
		uint64_t maxpkt, maxread, maxwrite;

		p = rep.data;
		n = rep.len;
		if (fx_u64(&p, &n, &maxpkt) == 0 && fx_u64(&p, &n, &maxread) == 0 &&
		    fx_u64(&p, &n, &maxwrite) == 0 && maxwrite >= DEFAULT_WRITE)
			r->max_write = maxwrite > MAX_WRITE ? MAX_WRITE : (size_t)maxwrite;
	}
	return 0;
}

int
rawsftp_open(struct rawsftp *r, ssh_session session)
{
	memset(r, 0, sizeof(*r));
	r->next_id = 1;
	if ((r->ch = ssh_channel_new(session)) == NULL ||
	    ssh_channel_open_session(r->ch) != SSH_OK)
		goto err;
	if (ssh_channel_request_subsystem(r->ch, "sftp") != SSH_OK)
		goto err;
	if (negotiate(r) < 0) {
		rawsftp_close(r);
		return -1;
	}
	return 0;
err:
	fail("sftp: cannot start the sftp subsystem: %s", ssh_get_error(session));
	rawsftp_close(r);
	return -1;
}

void
rawsftp_close(struct rawsftp *r)
{
	if (r->ch != NULL) {
		if (ssh_channel_is_open(r->ch))
			ssh_channel_close(r->ch);
		ssh_channel_free(r->ch);
	}
	free(r->out);
	free(r->in);
	memset(r, 0, sizeof(*r));
}

int
rawsftp_open_excl(struct rawsftp *r, const char *path, uint32_t mode, uint32_t *id)
{
	if (begin(r, FXP_OPEN, id) < 0 || addstr(r, path, strlen(path)) < 0 ||
	    add32(r, FXF_WRITE | FXF_CREAT | FXF_EXCL) < 0 ||
	    add32(r, 0x4 /* permissions */) < 0 || add32(r, mode) < 0)
		return -1;
	return send_packet(r);
}

int
rawsftp_write(struct rawsftp *r, const uint8_t *h, size_t hlen, uint64_t off,
    const void *data, size_t len, uint32_t *id)
{
	/* one contiguous packet: one SSH channel write, fewer small packets */
	if (begin(r, FXP_WRITE, id) < 0 || addstr(r, h, hlen) < 0 ||
	    add64(r, off) < 0 || addstr(r, data, len) < 0)
		return -1;
	return send_packet(r);
}

int
rawsftp_handle_op(struct rawsftp *r, int ext_fsync, const uint8_t *h, size_t hlen, uint32_t *id)
{
	if (begin(r, ext_fsync ? FXP_EXTENDED : FXP_CLOSE, id) < 0)
		return -1;
	if (ext_fsync && addstr(r, "fsync@openssh.com", 17) < 0)
		return -1;
	if (addstr(r, h, hlen) < 0)
		return -1;
	return send_packet(r);
}

int
rawsftp_path_op(struct rawsftp *r, uint8_t type, const char *path, uint32_t *id)
{
	if (begin(r, type, id) < 0 || addstr(r, path, strlen(path)) < 0)
		return -1;
	if (type == FXP_MKDIR && add32(r, 0) < 0)	/* no attributes */
		return -1;
	return send_packet(r);
}

int
rawsftp_two_paths(struct rawsftp *r, const char *ext, const char *a, const char *b, uint32_t *id)
{
	if (begin(r, ext ? FXP_EXTENDED : FXP_RENAME, id) < 0)
		return -1;
	if (ext && addstr(r, ext, strlen(ext)) < 0)
		return -1;
	if (addstr(r, a, strlen(a)) < 0 || addstr(r, b, strlen(b)) < 0)
		return -1;
	return send_packet(r);
}

int
rawsftp_statvfs(struct rawsftp *r, const char *path, uint32_t *id)
{
	if (begin(r, FXP_EXTENDED, id) < 0 ||
	    addstr(r, "statvfs@openssh.com", 19) < 0 ||
	    addstr(r, path, strlen(path)) < 0)
		return -1;
	return send_packet(r);
}

int
rawsftp_open_read(struct rawsftp *r, const char *path, uint32_t *id)
{
	if (begin(r, FXP_OPEN, id) < 0 || addstr(r, path, strlen(path)) < 0 ||
	    add32(r, FXF_READ) < 0 || add32(r, 0) < 0)	/* no attributes */
		return -1;
	return send_packet(r);
}

int
rawsftp_read(struct rawsftp *r, const uint8_t *h, size_t hlen, uint64_t off,
    uint32_t len, uint32_t *id)
{
	if (begin(r, FXP_READ, id) < 0 || addstr(r, h, hlen) < 0 ||
	    add64(r, off) < 0 || add32(r, len) < 0)
		return -1;
	return send_packet(r);
}

int
rawsftp_handle_req(struct rawsftp *r, uint8_t type, const uint8_t *h,
    size_t hlen, uint32_t *id)
{
	if (begin(r, type, id) < 0 || addstr(r, h, hlen) < 0)
		return -1;
	return send_packet(r);
}
