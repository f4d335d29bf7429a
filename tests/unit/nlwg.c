/*
 * Kernel backend messages: build WG_CMD_SET_DEVICE for a device, parse
 * the messages back with libmnl, and compare; small buffers force a peer
 * list (and one peer's allowed IPs) across several messages.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "error.h"
#include "wg/nlwg.h"
#include "tap.h"

struct collect {
	struct wg_device *back;
	int msgs, bad;
	size_t max_len;
};

static int
collect(struct nlmsghdr *nlh, void *arg)
{
	struct collect *c = arg;
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	c->msgs++;
	if (nlh->nlmsg_type != 0x1234 || g->cmd != WG_CMD_SET_DEVICE ||
	    g->version != WG_GENL_VERSION ||
	    !(nlh->nlmsg_flags & NLM_F_REQUEST))
		c->bad++;
	if (nlh->nlmsg_len > c->max_len)
		c->max_len = nlh->nlmsg_len;
	if (nlwg_parse(nlh, c->back) < 0) {
		printf("# parse: %s\n", lasterr());
		c->bad++;
	}
	return 0;
}

static struct wg_device *
sample(size_t npeers, size_t big)
{
	struct wg_device *d = wgdev_new("wgtest0");

	d->flags = WGDEV_HAS_PRIVATE_KEY | WGDEV_HAS_LISTEN_PORT |
	    WGDEV_HAS_FWMARK | WGDEV_REPLACE_PEERS;
	d->private_key = wgdev_secret(d);
	memset(d->private_key, 7, WG_KEY_LEN);
	d->listen_port = 51820;
	d->fwmark = 0x42;
	for (size_t i = 0; i < npeers; i++) {
		struct wg_peer *p = wgdev_add_peer(d);
		size_t n = i == 1 ? big : 1 + i % 3;

		p->public_key[0] = (uint8_t)(i >> 8);
		p->public_key[1] = (uint8_t)i;
		p->public_key[31] = 0xee;
		p->flags = WGPEER_REPLACE_ALLOWEDIPS | WGPEER_HAS_KEEPALIVE |
		    WGPEER_HAS_ENDPOINT;
		p->keepalive = (uint16_t)(i % 60);
		if (i % 2) {
			p->endpoint.in.sin_family = AF_INET;
			p->endpoint.in.sin_port = htons(1000 + (uint16_t)i);
			p->endpoint.in.sin_addr.s_addr = htonl(0xc0000200u + (uint32_t)i % 256);
		} else {
			p->endpoint.in6.sin6_family = AF_INET6;
			p->endpoint.in6.sin6_port = htons(2000);
			inet_pton(AF_INET6, "2001:db8::7", &p->endpoint.in6.sin6_addr);
		}
		if (i % 5 == 0) {
			p->flags |= WGPEER_HAS_PSK;
			p->preshared_key = wgdev_secret(d);
			memset(p->preshared_key, (int)(i % 250) + 1, WG_KEY_LEN);
		}
		if (i % 7 == 3)
			p->flags = WGPEER_REMOVE;
		if (i % 7 == 4)
			p->flags |= WGPEER_UPDATE_ONLY;
		if (p->flags & WGPEER_REMOVE)
			continue;
		p->allowedips = calloc(n, sizeof(*p->allowedips));
		p->n_allowedips = n;
		for (size_t j = 0; j < n; j++) {
			struct wg_prefix *a = &p->allowedips[j];

			if (j % 2) {
				a->family = AF_INET6;
				a->cidr = 128;
				inet_pton(AF_INET6, "fd00::", &a->ip6);
				a->ip6.s6_addr[14] = (uint8_t)i;
				a->ip6.s6_addr[15] = (uint8_t)j;
			} else {
				a->family = AF_INET;
				a->cidr = 32;
				a->ip4.s_addr = htonl(0x0a000000u | (uint32_t)(i << 8) | (uint32_t)j);
			}
		}
	}
	return d;
}

static int
same(const struct wg_device *a, const struct wg_device *b)
{
	if (a->flags != b->flags || a->listen_port != b->listen_port ||
	    a->fwmark != b->fwmark || a->n_peers != b->n_peers ||
	    memcmp(a->private_key, b->private_key, WG_KEY_LEN) != 0)
		return 0;
	for (size_t i = 0; i < a->n_peers; i++) {
		const struct wg_peer *p = &a->peers[i], *q = &b->peers[i];

		if (memcmp(p->public_key, q->public_key, WG_KEY_LEN) ||
		    p->flags != q->flags || p->n_allowedips != q->n_allowedips) {
			printf("# peer %zu: flags %x/%x, %zu/%zu allowed IPs\n",
			    i, p->flags, q->flags, p->n_allowedips,
			    q->n_allowedips);
			return 0;
		}
		if (p->flags & WGPEER_REMOVE)
			continue;
		if (p->keepalive != q->keepalive ||
		    memcmp(&p->endpoint, &q->endpoint, sizeof(p->endpoint)) ||
		    (p->preshared_key == NULL) != (q->preshared_key == NULL) ||
		    (p->preshared_key && memcmp(p->preshared_key,
		    q->preshared_key, WG_KEY_LEN)) ||
		    memcmp(p->allowedips, q->allowedips,
		    p->n_allowedips * sizeof(*p->allowedips)))
			return 0;
	}
	return 1;
}

static void
roundtrip(size_t npeers, size_t big, size_t bufsize, int want_split)
{
	struct wg_device *d = sample(npeers, big);
	struct collect c = { .back = wgdev_new("wgtest0") };
	char *buf = calloc(1, bufsize);
	int n = nlwg_build_set(d, 0x1234, buf, bufsize, collect, &c);

	ok(n > 0 && n == c.msgs && c.bad == 0, "%zu peers in %zu bytes: %d "
	    "well-formed messages", npeers, bufsize, n);
	ok(c.max_len <= bufsize, "no message over the buffer (%zu)",
	    c.max_len);
	if (want_split)
		ok(n > 1, "split across messages");
	ok(same(d, c.back), "parsed back equal to the model");
	free(buf);
	wgdev_free(d);
	wgdev_free(c.back);
}

int
main(void)
{
	struct wg_device *d;
	struct collect c = { 0 };
	char buf[4096];

	roundtrip(0, 0, 4096, 0);
	roundtrip(3, 2, 8192, 0);
	roundtrip(200, 3, 8192, 1);
	roundtrip(40, 500, 2048, 1);		/* one peer over many */
	roundtrip(2000, 9, MNL_SOCKET_BUFFER_SIZE, 1);

	d = sample(2, 2);
	c.back = wgdev_new("wgtest0");
	ok(nlwg_build_set(d, 0x1234, buf, 40, collect, &c) < 0,
	    "a buffer too small fails: %s", lasterr());
	wgdev_free(c.back);
	wgdev_free(d);
	return done_testing();
}
