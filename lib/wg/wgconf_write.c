#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "keys.h"
#include "wg/netaddr.h"
#include "wg/wgconf_write.h"

struct out {
	char *buf;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	/* the size was computed in advance; never reached */
	if (n < 0 || (size_t)n >= o->cap - o->len)
		n = 0;
	o->len += (size_t)n;
}

static void
put_key(struct out *o, const char *field, const uint8_t key[WG_KEY_LEN])
{
	char b64[KEY_B64_LEN + 1];

	key_to_base64(b64, key);
	put(o, "%s = %s\n", field, b64);
	memset(b64, 0, sizeof(b64));
}

static void
put_prefixes(struct out *o, const char *field, const struct wg_prefix *p,
    size_t n)
{
	char a[NETADDR_PREFIX_MAX];
	size_t i;

	if (n == 0)
		return;
	put(o, "%s = ", field);
	for (i = 0; i < n; i++)
		put(o, "%s%s", i ? ", " : "", netaddr_format(a, &p[i]));
	put(o, "\n");
}

int
wgconf_write(const struct wg_device *dev, char **outp, size_t *lenp)
{
	struct out o = { 0 };
	size_t i;

	/* an upper bound: fixed lines, names, endpoints, prefixes */
	o.cap = 512 + dev->n_addresses * (NETADDR_PREFIX_MAX + 2);
	for (i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		o.cap += 512 + p->n_allowedips * (NETADDR_PREFIX_MAX + 2);
		if (p->name != NULL)
			o.cap += strlen(p->name);
		if (p->endpoint_text != NULL)
			o.cap += strlen(p->endpoint_text);
		for (size_t k = 0; k < p->n_relayed; k++)
			o.cap += 64 + NETADDR_PREFIX_MAX +
			    strlen(p->relayed[k].name);
	}
	if ((o.buf = secret_alloc(o.cap)) == NULL)
		return -1;

	put(&o, "[Interface]\n");
	if (dev->forwards)
		put(&o, "# relays between its peers: needs IP forwarding "
		    "(sysctl net.ipv4.ip_forward=1,\n# and "
		    "net.ipv6.conf.all.forwarding=1 for IPv6 addresses)\n");
	put_prefixes(&o, "Address", dev->addresses, dev->n_addresses);
	if (dev->flags & WGDEV_HAS_LISTEN_PORT)
		put(&o, "ListenPort = %u\n", dev->listen_port);
	if ((dev->flags & WGDEV_HAS_PRIVATE_KEY) && dev->private_key)
		put_key(&o, "PrivateKey", dev->private_key);
	if (dev->flags & WGDEV_HAS_MTU)
		put(&o, "MTU = %u\n", dev->mtu);
	if (dev->flags & WGDEV_HAS_FWMARK)
		put(&o, "FwMark = 0x%x\n", dev->fwmark);
	for (i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		put(&o, "\n");
		if (p->name != NULL)
			put(&o, "# %s\n", p->name);
		put(&o, "[Peer]\n");
		put_key(&o, "PublicKey", p->public_key);
		if ((p->flags & WGPEER_HAS_PSK) && p->preshared_key)
			put_key(&o, "PresharedKey", p->preshared_key);
		if (p->endpoint_text != NULL)
			put(&o, "Endpoint = %s\n", p->endpoint_text);
		put_prefixes(&o, "AllowedIPs", p->allowedips, p->n_allowedips);
		if (p->flags & WGPEER_HAS_KEEPALIVE)
			put(&o, "PersistentKeepalive = %u\n", p->keepalive);
		for (size_t k = 0; k < p->n_relayed; k++) {
			char a[NETADDR_PREFIX_MAX];

			put(&o, "# relays %s %s\n", p->relayed[k].name,
			    netaddr_format(a, &p->relayed[k].addr));
		}
	}
	*outp = o.buf;
	*lenp = o.len;
	return 0;
}
