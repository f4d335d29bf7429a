/*
 * Reading a userspace WireGuard device over its UAPI socket.
 *
 * The reply to "get=1" is the device's lines (private_key, listen_port,
 * fwmark), then each peer, opened by its public_key line, then "errno=N"
 * and an empty line.  Keys travel in hex.  The parser below trusts
 * nothing: every value is checked, every line numbered in errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "hex.h"
#include "keys.h"
#include "wg/netaddr.h"
#include "quote.h"
#include "wg/uapi.h"
#include "wg/wgdev.h"

static int
check_ifname(const char *ifname)
{
	size_t n = strlen(ifname);

	if (n == 0 || n >= IFNAMSIZ || strchr(ifname, '/') != NULL ||
	    strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0)
		return fail("%s: bad interface name", ifname);
	return 0;
}

int
uapi_open(const char *ifname)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = UAPI_TIMEOUT_SEC };
	int fd;

	if (check_ifname(ifname) < 0)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.sock", UAPI_DIR,
	    ifname);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return fail_errno("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		fail_errno("setsockopt");
		close(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			fail("%s: no such WireGuard interface", ifname);
		else
			fail_errno("%s", sun.sun_path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
io_error(const char *ifname, const char *what)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return fail("%s: userspace WireGuard did not answer within %d "
		    "seconds", ifname, UAPI_TIMEOUT_SEC);
	return fail_errno("%s: %s UAPI socket", ifname, what);
}

/*
 * Offset just past the reply's empty line in BUF (LEN bytes, of which the
 * first OLD were searched before), or 0 if it has not arrived yet.
 */
static size_t
reply_end(const char *buf, size_t len, size_t old)
{
	const char *p;
	size_t from = old > 0 ? old - 1 : 0;

	if (len >= 1 && buf[0] == '\n')
		return 1;
	if ((p = memmem(buf + from, len - from, "\n\n", 2)) == NULL)
		return 0;
	return (size_t)(p - buf) + 2;
}

/* Send all of REQ on FD.  0 or -1 (lasterr). */
static int
send_all(int fd, const char *ifname, const char *req)
{
	size_t off, n = strlen(req);
	ssize_t r;

	for (off = 0; off < n; off += (size_t)r) {
		r = send(fd, req + off, n - off, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r < 0 && (errno == EPIPE || errno == ECONNRESET))
			break;	/* it gave up on the request: read why */
		if (r < 0)
			return io_error(ifname, "writing to");
	}
	return 0;
}

/* Read a reply on FD up to and including its empty line. */
static int
read_reply(int fd, const char *ifname, char **reply, size_t *reply_len)
{
	size_t len = 0, cap = 0, end = 0;
	char *buf = NULL, *nb;
	ssize_t r;

	while (end == 0) {
		if (cap - len < 4096 + 1) {
			cap = cap ? cap * 2 : 16384;
			if ((nb = realloc(buf, cap)) == NULL) {
				fail_errno("realloc");
				goto fail;
			}
			buf = nb;
		}
		r = recv(fd, buf + len, cap - len - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			io_error(ifname, "reading from");
			goto fail;
		}
		if (r == 0) {
			if (len == 0)
				fail("%s: userspace WireGuard closed the "
				    "connection without a reply", ifname);
			else
				fail("%s: truncated UAPI reply (%zu bytes, "
				    "no final empty line)", ifname, len);
			goto fail;
		}
		end = reply_end(buf, len + (size_t)r, len);
		len += (size_t)r;
		if (end == 0 && len > UAPI_MAX_REPLY) {
			fail("%s: UAPI reply larger than %u bytes", ifname,
			    UAPI_MAX_REPLY);
			goto fail;
		}
	}
	buf[end] = '\0';
	*reply = buf;
	*reply_len = end;
	return 0;
fail:
	if (buf != NULL) {
		/* the reply may hold the private key */
		sodium_memzero(buf, cap);
		free(buf);
	}
	return -1;
}

int
uapi_call(const char *ifname, const char *req, char **reply,
    size_t *reply_len)
{
	int fd, rc = -1;

	if ((fd = uapi_open(ifname)) < 0)
		return -1;
	if (send_all(fd, ifname, req) == 0)
		rc = read_reply(fd, ifname, reply, reply_len);
	close(fd);
	return rc;
}

/* ---- parsing a reply from memory ---- */

struct parser {
	const char *origin;
	unsigned line;
	struct wg_device *dev;
	struct wg_peer *peer;		/* the peer being read, or NULL */
	size_t cap_allowed;		/* capacity of peer->allowedips */
	int saw_errno;
};

/* An error at the current line, quoting VAL (made printable, bounded). */
static int
bad(struct parser *p, const char *what, const char *val, size_t n)
{
	char q[QUOTE_MAX];

	if (val == NULL)
		return fail("%s:%u: %s", p->origin, p->line, what);
	return fail("%s:%u: %s %s", p->origin, p->line, what, quote(q, val, n));
}

/* Decimal digits only, no sign, at most MAX.  0 or -1. */
static int
parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* 64 hex digits into KEY.  0 or -1 (KEY may be half written then). */
static int
parse_hexkey(const char *s, size_t n, uint8_t key[WG_KEY_LEN])
{
	size_t i;

	if (n != 2 * WG_KEY_LEN)
		return -1;
	for (i = 0; i < WG_KEY_LEN; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/*
 * An address literal and port: "192.0.2.1:51820", "[2001:db8::1]:51820",
 * or with a zone, "[fe80::1%3]:51820" (wireguard-go prints link-local
 * endpoints so).  No names: a device reports addresses.
 */
static int
parse_endpoint(const char *s, size_t n, union wg_endpoint *ep)
{
	char buf[NETADDR_ENDPOINT_MAX], zone[IFNAMSIZ] = "";
	const char *pct, *close;
	struct netaddr_endpoint e;
	uint64_t id;

	memset(ep, 0, sizeof(*ep));
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (n > 0 && s[0] == '[' && (close = memchr(s, ']', n)) != NULL &&
	    (pct = memchr(s, '%', (size_t)(close - s))) != NULL) {
		/* cut "%zone" out of the brackets */
		size_t zn = (size_t)(close - pct - 1);

		if (zn == 0 || zn >= sizeof(zone))
			return -1;
		memcpy(zone, pct + 1, zn);
		zone[zn] = '\0';
		memmove(buf + (pct - s), buf + (close - s),
		    n - (size_t)(close - s) + 1);
		n -= zn + 1;
	}
	if (netaddr_parse_endpoint(&e, buf, n) < 0 || e.family == 0)
		return -1;
	*ep = e.addr;
	if (zone[0] != '\0') {
		if (e.family != AF_INET6)
			return -1;
		if (parse_u64(zone, strlen(zone), UINT32_MAX, &id) == 0)
			ep->in6.sin6_scope_id = (uint32_t)id;
		else if ((ep->in6.sin6_scope_id = if_nametoindex(zone)) == 0)
			return -1;
	}
	return 0;
}

static int
add_allowed(struct parser *p, const struct wg_prefix *pfx)
{
	struct wg_peer *peer = p->peer;
	struct wg_prefix *np;

	if (peer->n_allowedips == p->cap_allowed) {
		size_t cap = p->cap_allowed ? p->cap_allowed * 2 : 4;

		np = reallocarray(peer->allowedips, cap, sizeof(*np));
		if (np == NULL)
			return fail_errno("realloc");
		peer->allowedips = np;
		p->cap_allowed = cap;
	}
	peer->allowedips[peer->n_allowedips++] = *pfx;
	return 0;
}

static int
is_zero(const uint8_t *k)
{
	return sodium_is_zero(k, WG_KEY_LEN);
}

#define IS(k) (klen == sizeof(k) - 1 && memcmp(key, k, klen) == 0)

/* Device-level keys: before the first peer only. */
static int
device_line(struct parser *p, const char *key, size_t klen, const char *v,
    size_t vn)
{
	struct wg_device *dev = p->dev;
	uint64_t u;

	if (IS("private_key")) {
		uint8_t *k;

		if (dev->private_key != NULL)
			return bad(p, "duplicate private_key", NULL, 0);
		if ((k = wgdev_secret(dev)) == NULL)
			return -1;
		/* never quote a private key, even a broken one */
		if (parse_hexkey(v, vn, k) < 0) {
			sodium_memzero(k, WG_KEY_LEN);
			return bad(p, "malformed private_key", NULL, 0);
		}
		if (!is_zero(k)) {
			dev->private_key = k;
			dev->flags |= WGDEV_HAS_PRIVATE_KEY;
			if (key_public(dev->public_key, k) < 0)
				return -1;
		}
	} else if (IS("listen_port")) {
		if (parse_u64(v, vn, 65535, &u) < 0)
			return bad(p, "bad listen_port", v, vn);
		dev->listen_port = (uint16_t)u;
		dev->flags |= WGDEV_HAS_LISTEN_PORT;
	} else if (IS("fwmark")) {
		if (parse_u64(v, vn, UINT32_MAX, &u) < 0)
			return bad(p, "bad fwmark", v, vn);
		dev->fwmark = (uint32_t)u;
		dev->flags |= WGDEV_HAS_FWMARK;
	} else {
		return 1;		/* not a device key */
	}
	return 0;
}

static int
peer_line(struct parser *p, const char *key, size_t klen, const char *v,
    size_t vn)
{
	struct wg_peer *peer = p->peer;
	struct wg_prefix pfx;
	uint64_t u;

	if (IS("preshared_key")) {
		uint8_t k[WG_KEY_LEN];
		int r = parse_hexkey(v, vn, k);

		if (peer->preshared_key != NULL)
			r = -2;
		/* most peers have none: a guarded slot only for a real key */
		if (r == 0 && !is_zero(k)) {
			if ((peer->preshared_key = wgdev_secret(p->dev)) ==
			    NULL) {
				sodium_memzero(k, sizeof(k));
				return -1;
			}
			memcpy(peer->preshared_key, k, WG_KEY_LEN);
			peer->flags |= WGPEER_HAS_PSK;
		}
		sodium_memzero(k, sizeof(k));
		if (r == -2)
			return bad(p, "duplicate preshared_key", NULL, 0);
		if (r < 0)
			return bad(p, "malformed preshared_key", NULL, 0);
	} else if (IS("protocol_version")) {
		if (parse_u64(v, vn, UINT64_MAX, &u) < 0 || u != 1)
			return bad(p, "unsupported protocol_version", v, vn);
	} else if (IS("endpoint")) {
		if (parse_endpoint(v, vn, &peer->endpoint) < 0)
			return bad(p, "bad endpoint", v, vn);
		peer->flags |= WGPEER_HAS_ENDPOINT;
	} else if (IS("last_handshake_time_sec")) {
		if (parse_u64(v, vn, INT64_MAX, &u) < 0)
			return bad(p, "bad last_handshake_time_sec", v, vn);
		peer->handshake_sec = (int64_t)u;
	} else if (IS("last_handshake_time_nsec")) {
		if (parse_u64(v, vn, 999999999, &u) < 0)
			return bad(p, "bad last_handshake_time_nsec", v, vn);
		peer->handshake_nsec = (int64_t)u;
	} else if (IS("tx_bytes")) {
		if (parse_u64(v, vn, UINT64_MAX, &peer->tx_bytes) < 0)
			return bad(p, "bad tx_bytes", v, vn);
	} else if (IS("rx_bytes")) {
		if (parse_u64(v, vn, UINT64_MAX, &peer->rx_bytes) < 0)
			return bad(p, "bad rx_bytes", v, vn);
	} else if (IS("persistent_keepalive_interval")) {
		if (parse_u64(v, vn, 65535, &u) < 0)
			return bad(p, "bad persistent_keepalive_interval", v,
			    vn);
		peer->keepalive = (uint16_t)u;
		peer->flags |= WGPEER_HAS_KEEPALIVE;
	} else if (IS("allowed_ip")) {
		if (memchr(v, '/', vn) == NULL ||
		    netaddr_parse_prefix(&pfx, v, vn) < 0)
			return bad(p, "bad allowed_ip", v, vn);
		return add_allowed(p, &pfx);
	}
	/* anything else: a key from a newer protocol, ignored */
	return 0;
}

static int
one_line(struct parser *p, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n), *key = s, *v;
	size_t klen, vn;
	uint64_t u;
	int r;

	if (p->saw_errno)
		return bad(p, "line after errno", s, n);
	if (eq == NULL || eq == s)
		return bad(p, "expected key=value, got", s, n);
	klen = (size_t)(eq - s);
	v = eq + 1;
	vn = (size_t)(s + n - v);
	if (IS("errno")) {
		/* wireguard-go answers a failed set with a negative errno */
		int neg = vn > 1 && v[0] == '-';

		if (parse_u64(v + neg, vn - (size_t)neg, INT_MAX, &u) < 0)
			return bad(p, "bad errno", v, vn);
		p->saw_errno = 1;
		if (u != 0)
			return fail("%s: userspace WireGuard error %d: %s",
			    p->dev->name, (int)u, strerror((int)u));
		return 0;
	}
	if (IS("public_key")) {
		struct wg_peer *peer;
		uint8_t pub[WG_KEY_LEN];

		if (parse_hexkey(v, vn, pub) < 0)
			return bad(p, "bad public_key", v, vn);
		if ((peer = wgdev_add_peer(p->dev)) == NULL)
			return -1;
		memcpy(peer->public_key, pub, WG_KEY_LEN);
		p->peer = peer;
		p->cap_allowed = 0;
		return 0;
	}
	if (p->peer == NULL) {
		if ((r = device_line(p, key, klen, v, vn)) <= 0)
			return r;
		if (!IS("protocol_version") && !IS("endpoint") &&
		    !IS("allowed_ip") && !IS("preshared_key") &&
		    !IS("tx_bytes") && !IS("rx_bytes") &&
		    !IS("last_handshake_time_sec") &&
		    !IS("last_handshake_time_nsec") &&
		    !IS("persistent_keepalive_interval"))
			return 0;	/* unknown device key: ignored */
		return bad(p, "peer key before any public_key:", key, klen);
	}
	if (IS("private_key") || IS("listen_port") || IS("fwmark"))
		return bad(p, "device key inside a peer:", key, klen);
	return peer_line(p, key, klen, v, vn);
}

#undef IS

int
uapi_parse_get(const char *origin, const char *buf, size_t len,
    struct wg_device *dev)
{
	struct parser p = { .origin = origin, .dev = dev };
	size_t off = 0;

	if (len == 0)
		return fail("%s: empty reply", origin);
	while (off < len) {
		const char *s = buf + off, *nl = memchr(s, '\n', len - off);
		size_t n;

		p.line++;
		if (nl == NULL)
			return bad(&p, "reply ends without a newline:", s,
			    len - off);
		n = (size_t)(nl - s);
		off += n + 1;
		if (n == 0) {
			/* the empty line ends the reply */
			if (off != len)
				return fail("%s:%u: data after the final "
				    "empty line", origin, p.line);
			if (!p.saw_errno)
				return fail("%s:%u: reply has no errno line",
				    origin, p.line);
			return 0;
		}
		if (memchr(s, '\0', n) != NULL)
			return bad(&p, "NUL byte in line", s, n);
		if (one_line(&p, s, n) < 0)
			return -1;
	}
	return fail("%s:%u: reply ends without its empty line", origin,
	    p.line);
}

int
uapi_reply_errno(const char *ifname, const char *buf, size_t len)
{
	struct wg_device *dev;
	char origin[sizeof(UAPI_DIR) + IFNAMSIZ + 8];
	int r;

	/* a set reply is just "errno=N": the same parser judges it */
	if ((dev = wgdev_new(ifname)) == NULL)
		return -1;
	snprintf(origin, sizeof(origin), "%s/%s.sock", UAPI_DIR, ifname);
	r = uapi_parse_get(origin, buf, len, dev);
	wgdev_free(dev);
	return r;
}

int
uapi_get_start(const char *ifname)
{
	int fd;

	if (check_ifname(ifname) < 0 || (fd = uapi_open(ifname)) < 0)
		return -1;
	if (send_all(fd, ifname, "get=1\n\n") < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
uapi_get_finish(int fd, const char *ifname, struct wg_device **devp)
{
	struct wg_device *dev;
	char origin[sizeof(UAPI_DIR) + IFNAMSIZ + 8], *reply = NULL;
	size_t len = 0;
	int r;

	*devp = NULL;
	r = read_reply(fd, ifname, &reply, &len);
	close(fd);
	if (r < 0)
		return -1;
	if ((dev = wgdev_new(ifname)) == NULL) {
		sodium_memzero(reply, len);
		free(reply);
		return -1;
	}
	snprintf(origin, sizeof(origin), "%s/%s.sock", UAPI_DIR, ifname);
	r = uapi_parse_get(origin, reply, len, dev);
	sodium_memzero(reply, len);
	free(reply);
	if (r < 0) {
		wgdev_free(dev);
		return -1;
	}
	dev->ifindex = if_nametoindex(ifname);
	*devp = dev;
	return 0;
}

int
uapi_get(const char *ifname, struct wg_device **devp)
{
	int fd;

	*devp = NULL;
	if ((fd = uapi_get_start(ifname)) < 0)
		return -1;
	return uapi_get_finish(fd, ifname, devp);
}
