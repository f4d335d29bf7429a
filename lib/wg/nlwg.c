/*
 * Kernel backend: WG_CMD_GET_DEVICE dumps and WG_CMD_SET_DEVICE requests
 * on the "wireguard" generic netlink family, with libmnl.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <sodium.h>

#include "error.h"
#include "keys.h"
#include "wg/nlwg.h"
#include "wg/rtnl.h"

/* ---- building ---- */

static struct nlmsghdr *
genl_header(void *buf, uint16_t family, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = WG_GENL_VERSION;
	return nlh;
}

/* The fields of P sent once, with its first part. 0, or -1 when full. */
static int
put_peer_head(struct nlmsghdr *nlh, size_t size, const struct wg_peer *p)
{
	uint32_t flags = 0;

	if (p->flags & WGPEER_REMOVE)
		flags |= WGPEER_F_REMOVE_ME;
	if (p->flags & WGPEER_REPLACE_ALLOWEDIPS)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if (p->flags & WGPEER_UPDATE_ONLY)
		flags |= WGPEER_F_UPDATE_ONLY;
	if (flags && !mnl_attr_put_u32_check(nlh, size, WGPEER_A_FLAGS, flags))
		return -1;
	if (p->flags & WGPEER_REMOVE)
		return 0;
	if (p->flags & WGPEER_HAS_PSK) {
		static const uint8_t zero[WG_KEY_LEN];

		if (!mnl_attr_put_check(nlh, size, WGPEER_A_PRESHARED_KEY,
		    WG_KEY_LEN, p->preshared_key ? p->preshared_key : zero))
			return -1;
	}
	if ((p->flags & WGPEER_HAS_ENDPOINT) && p->endpoint.sa.sa_family) {
		size_t len = p->endpoint.sa.sa_family == AF_INET ?
		    sizeof(p->endpoint.in) : sizeof(p->endpoint.in6);

		if (!mnl_attr_put_check(nlh, size, WGPEER_A_ENDPOINT, len,
		    &p->endpoint))
			return -1;
	}
	if ((p->flags & WGPEER_HAS_KEEPALIVE) && !mnl_attr_put_u16_check(nlh,
	    size, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p->keepalive))
		return -1;
	return 0;
}

static int
put_allowedip(struct nlmsghdr *nlh, size_t size, uint16_t index,
    const struct wg_prefix *a)
{
	struct nlattr *n = mnl_attr_nest_start_check(nlh, size, index);

	if (n == NULL)
		return -1;
	if (!mnl_attr_put_u16_check(nlh, size, WGALLOWEDIP_A_FAMILY,
	    a->family) || !mnl_attr_put_check(nlh, size, WGALLOWEDIP_A_IPADDR,
	    a->family == AF_INET ? 4 : 16, &a->ip6) ||
	    !mnl_attr_put_u8_check(nlh, size, WGALLOWEDIP_A_CIDR_MASK,
	    a->cidr)) {
		mnl_attr_nest_cancel(nlh, n);
		return -1;
	}
	mnl_attr_nest_end(nlh, n);
	return 0;
}

/*
 * Put peer P from allowed IP *AIP on.  Returns 1 when all of it went in,
 * 0 when the message is full (*AIP says where to go on; nothing of this
 * peer is left in the message if no allowed IP made it), -1 never.
 */
static int
put_peer(struct nlmsghdr *nlh, size_t size, uint16_t index,
    const struct wg_peer *p, size_t *aip)
{
	struct nlattr *pn, *ips;
	size_t start = *aip;

	if ((pn = mnl_attr_nest_start_check(nlh, size, index)) == NULL)
		return 0;
	if (!mnl_attr_put_check(nlh, size, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN,
	    p->public_key) || (start == 0 && put_peer_head(nlh, size, p) < 0))
		goto cancel;
	if (p->n_allowedips > start && !(p->flags & WGPEER_REMOVE)) {
		if ((ips = mnl_attr_nest_start_check(nlh, size,
		    WGPEER_A_ALLOWEDIPS)) == NULL)
			goto cancel;
		for (; *aip < p->n_allowedips; (*aip)++) {
			if (put_allowedip(nlh, size, (uint16_t)(*aip - start),
			    &p->allowedips[*aip]) < 0) {
				if (*aip == start) {
					mnl_attr_nest_cancel(nlh, ips);
					goto cancel;
				}
				mnl_attr_nest_end(nlh, ips);
				mnl_attr_nest_end(nlh, pn);
				return 0;
			}
		}
		mnl_attr_nest_end(nlh, ips);
	}
	mnl_attr_nest_end(nlh, pn);
	*aip = 0;
	return 1;
cancel:
	mnl_attr_nest_cancel(nlh, pn);
	*aip = start;
	return 0;
}

int
nlwg_build_set(const struct wg_device *dev, uint16_t family, void *buf,
    size_t size, nlwg_sink sink, void *arg)
{
	size_t peer = 0, aip = 0;
	int msgs = 0;

	do {
		struct nlmsghdr *nlh = genl_header(buf, family,
		    WG_CMD_SET_DEVICE, 0);
		size_t was_peer = peer, was_aip = aip;
		struct nlattr *peers;

		if (!mnl_attr_put_strz_check(nlh, size, WGDEVICE_A_IFNAME,
		    dev->name))
			return fail("%s: netlink buffer too small", dev->name);
		if (msgs == 0) {
			uint32_t f = dev->flags & WGDEV_REPLACE_PEERS ?
			    WGDEVICE_F_REPLACE_PEERS : 0;
			static const uint8_t zero[WG_KEY_LEN];

			if ((f && !mnl_attr_put_u32_check(nlh, size,
			    WGDEVICE_A_FLAGS, f)) ||
			    ((dev->flags & WGDEV_HAS_PRIVATE_KEY) &&
			    !mnl_attr_put_check(nlh, size,
			    WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN,
			    dev->private_key ? dev->private_key : zero)) ||
			    ((dev->flags & WGDEV_HAS_LISTEN_PORT) &&
			    !mnl_attr_put_u16_check(nlh, size,
			    WGDEVICE_A_LISTEN_PORT, dev->listen_port)) ||
			    ((dev->flags & WGDEV_HAS_FWMARK) &&
			    !mnl_attr_put_u32_check(nlh, size,
			    WGDEVICE_A_FWMARK, dev->fwmark)))
				return fail("%s: netlink buffer too small",
				    dev->name);
		}
		if (peer < dev->n_peers && (peers = mnl_attr_nest_start_check(
		    nlh, size, WGDEVICE_A_PEERS)) != NULL) {
			uint16_t index = 0;

			while (peer < dev->n_peers && put_peer(nlh, size,
			    index++, &dev->peers[peer], &aip) == 1)
				peer++;
			if (peer == was_peer && aip == was_aip)
				mnl_attr_nest_cancel(nlh, peers);
			else
				mnl_attr_nest_end(nlh, peers);
		}
		if (msgs > 0 && peer == was_peer && aip == was_aip)
			return fail("%s: a peer does not fit in a netlink "
			    "message", dev->name);
		if (sink(nlh, arg) < 0)
			return -1;
		msgs++;
	} while (peer < dev->n_peers);
	return msgs;
}

/* ---- parsing ---- */

static int
bad(const char *what)
{
	return fail("kernel WireGuard: malformed %s attribute", what);
}

struct pctx {
	struct wg_device *dev;
	struct wg_peer *peer;
};

static int
allowedip_cb(const struct nlattr *a, void *data)
{
	struct wg_prefix *p = data;

	switch (mnl_attr_get_type(a)) {
	case WGALLOWEDIP_A_FAMILY:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return bad("allowed IP family"), MNL_CB_ERROR;
		p->family = mnl_attr_get_u16(a);
		break;
	case WGALLOWEDIP_A_IPADDR:
		if (mnl_attr_get_payload_len(a) == 4)
			memcpy(&p->ip4, mnl_attr_get_payload(a), 4);
		else if (mnl_attr_get_payload_len(a) == 16)
			memcpy(&p->ip6, mnl_attr_get_payload(a), 16);
		else
			return bad("allowed IP address"), MNL_CB_ERROR;
		break;
	case WGALLOWEDIP_A_CIDR_MASK:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return bad("allowed IP mask"), MNL_CB_ERROR;
		p->cidr = mnl_attr_get_u8(a);
		break;
	}
	return MNL_CB_OK;
}

static int
allowedips_cb(const struct nlattr *a, void *data)
{
	struct wg_peer *peer = data;
	struct wg_prefix p = { 0 };
	size_t n = peer->n_allowedips;

	if (mnl_attr_parse_nested(a, allowedip_cb, &p) < 0)
		return MNL_CB_ERROR;
	if ((p.family != AF_INET || p.cidr > 32) &&
	    (p.family != AF_INET6 || p.cidr > 128))
		return bad("allowed IP"), MNL_CB_ERROR;
	/* capacity doubles at powers of two */
	if (n == 0 || (n & (n - 1)) == 0) {
		struct wg_prefix *v = reallocarray(peer->allowedips,
		    n ? 2 * n : 1, sizeof(*v));

		if (v == NULL)
			return fail_errno("realloc"), MNL_CB_ERROR;
		peer->allowedips = v;
	}
	peer->allowedips[peer->n_allowedips++] = p;
	return MNL_CB_OK;
}

static int
peer_cb(const struct nlattr *a, void *data)
{
	struct pctx *c = data;
	struct wg_peer *p = c->peer;
	const void *v = mnl_attr_get_payload(a);
	uint16_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case WGPEER_A_PRESHARED_KEY:
		if (len != WG_KEY_LEN)
			return bad("preshared key"), MNL_CB_ERROR;
		if (sodium_is_zero(v, WG_KEY_LEN))
			break;
		if (p->preshared_key == NULL &&
		    (p->preshared_key = wgdev_secret(c->dev)) == NULL)
			return MNL_CB_ERROR;
		memcpy(p->preshared_key, v, WG_KEY_LEN);
		p->flags |= WGPEER_HAS_PSK;
		break;
	case WGPEER_A_FLAGS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return bad("peer flags"), MNL_CB_ERROR;
		if (mnl_attr_get_u32(a) & WGPEER_F_REMOVE_ME)
			p->flags |= WGPEER_REMOVE;
		if (mnl_attr_get_u32(a) & WGPEER_F_REPLACE_ALLOWEDIPS)
			p->flags |= WGPEER_REPLACE_ALLOWEDIPS;
		if (mnl_attr_get_u32(a) & WGPEER_F_UPDATE_ONLY)
			p->flags |= WGPEER_UPDATE_ONLY;
		break;
	case WGPEER_A_ENDPOINT: {
		const struct sockaddr *sa = v;

		if (len < sizeof(sa->sa_family))
			return bad("endpoint"), MNL_CB_ERROR;
		if (sa->sa_family == AF_INET && len == sizeof(struct sockaddr_in))
			memcpy(&p->endpoint.in, v, len);
		else if (sa->sa_family == AF_INET6 &&
		    len == sizeof(struct sockaddr_in6))
			memcpy(&p->endpoint.in6, v, len);
		else
			return bad("endpoint"), MNL_CB_ERROR;
		p->flags |= WGPEER_HAS_ENDPOINT;
		break;
	}
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return bad("keepalive"), MNL_CB_ERROR;
		p->keepalive = mnl_attr_get_u16(a);
		p->flags |= WGPEER_HAS_KEEPALIVE;
		break;
	case WGPEER_A_LAST_HANDSHAKE_TIME: {
		struct { int64_t sec, nsec; } ts;

		if (len != sizeof(ts))
			return bad("handshake time"), MNL_CB_ERROR;
		memcpy(&ts, v, sizeof(ts));
		p->handshake_sec = ts.sec;
		p->handshake_nsec = ts.nsec;
		break;
	}
	case WGPEER_A_RX_BYTES:
	case WGPEER_A_TX_BYTES:
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return bad("transfer counter"), MNL_CB_ERROR;
		if (mnl_attr_get_type(a) == WGPEER_A_RX_BYTES)
			p->rx_bytes = mnl_attr_get_u64(a);
		else
			p->tx_bytes = mnl_attr_get_u64(a);
		break;
	case WGPEER_A_ALLOWEDIPS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return bad("allowed IPs"), MNL_CB_ERROR;
		if (mnl_attr_parse_nested(a, allowedips_cb, p) < 0)
			return MNL_CB_ERROR;
		break;
	}
	return MNL_CB_OK;
}

/* The public key comes first; find it before the rest. */
static int
peer_key_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **key = data;

	if (mnl_attr_get_type(a) == WGPEER_A_PUBLIC_KEY)
		*key = a;
	return MNL_CB_OK;
}

static int
peers_cb(const struct nlattr *a, void *data)
{
	struct pctx *c = data;
	const struct nlattr *key = NULL;
	struct wg_device *d = c->dev;

	if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return bad("peer"), MNL_CB_ERROR;
	mnl_attr_parse_nested(a, peer_key_cb, &key);
	if (key == NULL || mnl_attr_get_payload_len(key) != WG_KEY_LEN)
		return bad("peer public key"), MNL_CB_ERROR;
	if (d->n_peers > 0 && memcmp(d->peers[d->n_peers - 1].public_key,
	    mnl_attr_get_payload(key), WG_KEY_LEN) == 0) {
		c->peer = &d->peers[d->n_peers - 1];	/* continued */
	} else {
		if ((c->peer = wgdev_add_peer(d)) == NULL)
			return MNL_CB_ERROR;
		memcpy(c->peer->public_key, mnl_attr_get_payload(key),
		    WG_KEY_LEN);
	}
	return mnl_attr_parse_nested(a, peer_cb, c) < 0 ? MNL_CB_ERROR :
	    MNL_CB_OK;
}

static int
device_cb(const struct nlattr *a, void *data)
{
	struct pctx *c = data;
	struct wg_device *d = c->dev;
	uint16_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case WGDEVICE_A_IFINDEX:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return bad("ifindex"), MNL_CB_ERROR;
		d->ifindex = mnl_attr_get_u32(a);
		break;
	case WGDEVICE_A_PRIVATE_KEY:
		if (len != WG_KEY_LEN)
			return bad("private key"), MNL_CB_ERROR;
		if (sodium_is_zero(mnl_attr_get_payload(a), WG_KEY_LEN))
			break;
		if (d->private_key == NULL &&
		    (d->private_key = wgdev_secret(d)) == NULL)
			return MNL_CB_ERROR;
		memcpy(d->private_key, mnl_attr_get_payload(a), WG_KEY_LEN);
		d->flags |= WGDEV_HAS_PRIVATE_KEY;
		break;
	case WGDEVICE_A_PUBLIC_KEY:
		if (len != WG_KEY_LEN)
			return bad("public key"), MNL_CB_ERROR;
		memcpy(d->public_key, mnl_attr_get_payload(a), WG_KEY_LEN);
		break;
	case WGDEVICE_A_FLAGS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return bad("device flags"), MNL_CB_ERROR;
		if (mnl_attr_get_u32(a) & WGDEVICE_F_REPLACE_PEERS)
			d->flags |= WGDEV_REPLACE_PEERS;
		break;
	case WGDEVICE_A_LISTEN_PORT:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return bad("listen port"), MNL_CB_ERROR;
		d->listen_port = mnl_attr_get_u16(a);
		d->flags |= WGDEV_HAS_LISTEN_PORT;
		break;
	case WGDEVICE_A_FWMARK:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return bad("fwmark"), MNL_CB_ERROR;
		d->fwmark = mnl_attr_get_u32(a);
		d->flags |= WGDEV_HAS_FWMARK;
		break;
	case WGDEVICE_A_PEERS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return bad("peers"), MNL_CB_ERROR;
		if (mnl_attr_parse_nested(a, peers_cb, c) < 0)
			return MNL_CB_ERROR;
		break;
	}
	return MNL_CB_OK;
}

int
nlwg_parse(const struct nlmsghdr *nlh, struct wg_device *dev)
{
	struct pctx c = { .dev = dev };

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct genlmsghdr)))
		return fail("kernel WireGuard: short message");
	fail("kernel WireGuard: malformed message");
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), device_cb, &c) < 0)
		return -1;
	return 0;
}

/* ---- talking to the kernel ---- */

static int
family_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
		*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int
family_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_cb,
	    data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Open a generic netlink socket and find the wireguard family. */
static int
wg_open(struct nl *nl, uint16_t *family)
{
	struct nlmsghdr *nlh;

	if (nl_open(nl, NETLINK_GENERIC) < 0)
		return -1;
	nlh = genl_header(nl->buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	*family = 0;
	if (nl_talk(nl, nlh, family_msg_cb, family, "kernel WireGuard") < 0 ||
	    *family == 0) {
		if (errno == ENOENT)
			fail("this kernel has no WireGuard");
		nl_close(nl);
		return -1;
	}
	return 0;
}

static int
get_cb(const struct nlmsghdr *nlh, void *data)
{
	return nlwg_parse(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int
nlwg_get(const char *ifname, struct wg_device **devp)
{
	struct nl nl;
	struct nlmsghdr *nlh;
	struct wg_device *dev;
	uint16_t family;
	int rc;

	*devp = NULL;
	if ((dev = wgdev_new(ifname)) == NULL)
		return -1;
	if (wg_open(&nl, &family) < 0) {
		wgdev_free(dev);
		return -1;
	}
	nlh = genl_header(nl.buf, family, WG_CMD_GET_DEVICE, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	rc = nl_talk(&nl, nlh, get_cb, dev, ifname);
	if (rc < 0 && errno == ENODEV)
		fail("%s: no such WireGuard interface", ifname);
	sodium_memzero(nl.buf, nl.bufsize);	/* replies held keys */
	nl_close(&nl);
	if (rc < 0) {
		wgdev_free(dev);
		return -1;
	}
	if (dev->flags & WGDEV_HAS_PRIVATE_KEY)
		key_public(dev->public_key, dev->private_key);
	*devp = dev;
	return 0;
}

struct sctx {
	struct nl *nl;
	const char *ifname;
	int sent;
};

static int
send_one(struct nlmsghdr *nlh, void *arg)
{
	struct sctx *s = arg;
	char why[512];

	if (nl_talk(s->nl, nlh, NULL, NULL, s->ifname) < 0) {
		if (s->sent == 0)
			return -1;
		/* the kernel applied the earlier messages */
		snprintf(why, sizeof(why), "%s", lasterr());
		return fail("%s (the first %d netlink messages of the change "
		    "were applied)", why, s->sent);
	}
	s->sent++;
	return 0;
}

int
nlwg_set(const struct wg_device *dev)
{
	struct nl nl;
	struct sctx s = { &nl, dev->name, 0 };
	size_t size = MNL_SOCKET_BUFFER_SIZE;
	uint16_t family;
	void *buf;
	int rc;

	if ((buf = secret_alloc(size)) == NULL)
		return -1;
	if (wg_open(&nl, &family) < 0) {
		secret_free(buf);
		return -1;
	}
	rc = nlwg_build_set(dev, family, buf, size, send_one, &s);
	nl_close(&nl);
	secret_free(buf);
	return rc < 0 ? -1 : 0;
}
