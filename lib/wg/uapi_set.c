/*
 * uapi_set: apply a device model to a userspace WireGuard over its UAPI
 * socket ("set=1", key=value lines, an empty line; the reply is errno=N).
 * Only what the flags say is sent, so an unchanged device costs one
 * empty request, and the caller can skip even that.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "wg/netaddr.h"
#include "wg/uapi.h"
#include "wg/wgdev.h"

/* A growing text buffer; wiped when freed, as it may hold keys. */
struct text {
	char *buf;
	size_t len, cap;
	int failed;
};

static void __attribute__((format(printf, 2, 3)))
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->cap - t->len)
			break;
		/* grow: copy by hand, so no key text is left behind */
		size_t cap = t->cap ? t->cap * 2 : 65536;
		char *nb = malloc(cap);

		if (nb == NULL || n < 0) {
			free(nb);
			t->failed = 1;
			return;
		}
		if (t->buf) {
			memcpy(nb, t->buf, t->len);
			sodium_memzero(t->buf, t->cap);
			free(t->buf);
		}
		t->buf = nb;
		t->cap = cap;
	}
	t->len += (size_t)n;
}

static void
put_key(struct text *t, const char *name, const uint8_t *key)
{
	static const uint8_t zero[WG_KEY_LEN];
	char hex[2 * WG_KEY_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), key ? key : zero, WG_KEY_LEN);
	put(t, "%s=%s\n", name, hex);
	sodium_memzero(hex, sizeof(hex));
}

static void
put_endpoint(struct text *t, const union wg_endpoint *ep)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &ep->in.sin_addr, a, sizeof(a));
		put(t, "endpoint=%s:%u\n", a, ntohs(ep->in.sin_port));
	} else if (ep->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a));
		put(t, "endpoint=[%s]:%u\n", a, ntohs(ep->in6.sin6_port));
	}
}

/* The "set=1" request for DEV, ending with its empty line. */
static void
request(struct text *t, const struct wg_device *dev)
{
	char pfx[NETADDR_PREFIX_MAX];

	put(t, "set=1\n");
	if (dev->flags & WGDEV_HAS_PRIVATE_KEY)
		put_key(t, "private_key", dev->private_key);
	if (dev->flags & WGDEV_HAS_LISTEN_PORT)
		put(t, "listen_port=%u\n", dev->listen_port);
	if (dev->flags & WGDEV_HAS_FWMARK)
		put(t, "fwmark=%u\n", dev->fwmark);
	if (dev->flags & WGDEV_REPLACE_PEERS)
		put(t, "replace_peers=true\n");
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		put_key(t, "public_key", p->public_key);
		if (p->flags & WGPEER_REMOVE) {
			put(t, "remove=true\n");
			continue;
		}
		if (p->flags & WGPEER_UPDATE_ONLY)
			put(t, "update_only=true\n");
		if (p->flags & WGPEER_HAS_PSK)
			put_key(t, "preshared_key", p->preshared_key);
		if (p->flags & WGPEER_HAS_ENDPOINT)
			put_endpoint(t, &p->endpoint);
		if (p->flags & WGPEER_HAS_KEEPALIVE)
			put(t, "persistent_keepalive_interval=%u\n",
			    p->keepalive);
		if (p->flags & WGPEER_REPLACE_ALLOWEDIPS)
			put(t, "replace_allowed_ips=true\n");
		for (size_t j = 0; j < p->n_allowedips; j++)
			put(t, "allowed_ip=%s\n",
			    netaddr_format(pfx, &p->allowedips[j]));
	}
	put(t, "\n");
}

int
uapi_set(const struct wg_device *dev)
{
	struct text t = { 0 };
	char *reply = NULL;
	size_t len = 0;
	int rc = -1;

	request(&t, dev);
	if (t.failed) {
		fail("%s: out of memory building the UAPI request", dev->name);
		goto out;
	}
	if (uapi_call(dev->name, t.buf, &reply, &len) < 0)
		goto out;
	if ((rc = uapi_reply_errno(dev->name, reply, len)) < 0 &&
	    dev->n_peers > 1) {
		char why[512];

		/* the daemon applies a request line by line */
		snprintf(why, sizeof(why), "%s", lasterr());
		fail("%s (changes before the failing one are in place)", why);
	}
out:
	if (t.buf) {
		sodium_memzero(t.buf, t.cap);
		free(t.buf);
	}
	free(reply);
	return rc;
}
