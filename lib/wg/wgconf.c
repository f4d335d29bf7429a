#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "error.h"
#include "keys.h"
#include "wg/netaddr.h"
#include "quote.h"
#include "wg/wgconf.h"

enum { SEC_NONE, SEC_IFACE, SEC_PEER };

/* Interface keys (bits of c->seen) and peer keys (c->peer_seen). */
enum {
	K_PRIVATE_KEY = 1, K_LISTEN_PORT = 2, K_FWMARK = 4, K_MTU = 8,
	K_PUBLIC_KEY = 1, K_PSK = 2, K_ENDPOINT = 4, K_KEEPALIVE = 8,
};

static const char *const refused[] = {
	"DNS", "Table", "PreUp", "PostUp", "PreDown", "PostDown",
	"SaveConfig",
};

#define PLACE(c, col) (c)->file, (c)->line, (unsigned)(col)

int
wgconf_init(struct wgconf *c, const char *file, const char *ifname)
{
	memset(c, 0, sizeof(*c));
	c->file = file;
	if ((c->dev = wgdev_new(ifname)) == NULL)
		return -1;
	return 0;
}

void
wgconf_free(struct wgconf *c)
{
	wgdev_free(c->dev);
	free(c->peer_lines);
	c->dev = NULL;
	c->peer_lines = NULL;
}

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	    ch == '\f';
}

/* Unsigned decimal (or 0x hex when HEX) in [0, MAX]. */
static int
parse_uint(const char *s, size_t len, int hex, unsigned long max,
    unsigned long *out)
{
	unsigned long v = 0;
	unsigned base = 10;
	size_t i = 0;

	if (hex && len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len || len - i > 10)
		return -1;
	for (; i < len; i++) {
		int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (base == 16 && isxdigit((unsigned char)s[i]))
			d = tolower((unsigned char)s[i]) - 'a' + 10;
		else
			return -1;
		v = v * base + (unsigned)d;
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* Prefix lasterr (a netaddr message) with the place and the key. */
static int
at(struct wgconf *c, size_t col, const char *key)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", lasterr());
	return fail("%s:%u:%u: %s: %s", PLACE(c, col), key, why);
}

static int
cmp_prefix(const void *a, const void *b)
{
	return netaddr_cmp(a, b);
}

/*
 * A comma-separated list of prefixes into *LIST (grown).  Reports the
 * column of a bad item.  EMPTY_OK: an empty list is fine.
 */
static int
parse_prefix_list(struct wgconf *c, const char *key, const char *v,
    size_t len, size_t col, int mask, struct wg_prefix **list, size_t *n)
{
	size_t i = 0;

	if (len == 0 && mask)
		return 0;	/* "AllowedIPs =" means none */
	while (i <= len) {
		size_t start, end, tok;
		struct wg_prefix *grown;

		while (i < len && is_space(v[i]))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && is_space(v[end - 1]))
			end--;
		tok = end - start;
		grown = reallocarray(*list, *n + 1, sizeof(**list));
		if (grown == NULL)
			return fail_errno("realloc");
		*list = grown;
		if (netaddr_parse_prefix(&grown[*n], v + start, tok) < 0)
			return at(c, col + start, key);
		if (mask)
			netaddr_mask(&grown[*n]);
		(*n)++;
		i++;		/* past the comma (or the end) */
	}
	return 0;
}

static int
parse_key(struct wgconf *c, const char *what, const char *v, size_t len,
    size_t col, uint8_t out[WG_KEY_LEN])
{
	if (key_from_base64(out, v, len) < 0)
		return fail("%s:%u:%u: %s: not a valid key (44 characters "
		    "of base64)", PLACE(c, col), what);
	return 0;
}

static int
parse_endpoint(struct wgconf *c, struct wg_peer *p, const char *v,
    size_t len, size_t col)
{
	struct netaddr_endpoint e;

	if (netaddr_parse_endpoint(&e, v, len) < 0)
		return at(c, col, "Endpoint");
	if (e.family != 0)
		p->endpoint = e.addr;
	if ((p->endpoint_text = strndup(v, len)) == NULL)
		return fail_errno("strdup");
	p->flags |= WGPEER_HAS_ENDPOINT;
	return 0;
}

static int
once(struct wgconf *c, uint32_t *seen, uint32_t bit, const char *key,
    size_t col)
{
	if (*seen & bit)
		return fail("%s:%u:%u: %s given twice", PLACE(c, col), key);
	*seen |= bit;
	return 0;
}

static int
iface_key(struct wgconf *c, const char *key, const char *v, size_t len,
    size_t kcol, size_t col)
{
	char q[QUOTE_MAX];
	struct wg_device *d = c->dev;
	unsigned long n;

	if (strcasecmp(key, "PrivateKey") == 0) {
		if (once(c, &c->seen, K_PRIVATE_KEY, "PrivateKey", kcol) < 0)
			return -1;
		if ((d->private_key = wgdev_secret(d)) == NULL)
			return -1;
		if (parse_key(c, "PrivateKey", v, len, col,
		    d->private_key) < 0)
			return -1;
		d->flags |= WGDEV_HAS_PRIVATE_KEY;
	} else if (strcasecmp(key, "ListenPort") == 0) {
		if (once(c, &c->seen, K_LISTEN_PORT, "ListenPort", kcol) < 0)
			return -1;
		if (parse_uint(v, len, 0, 65535, &n) < 0)
			return fail("%s:%u:%u: ListenPort: expected a port "
			    "number 0-65535", PLACE(c, col));
		d->listen_port = (uint16_t)n;
		d->flags |= WGDEV_HAS_LISTEN_PORT;
	} else if (strcasecmp(key, "FwMark") == 0) {
		if (once(c, &c->seen, K_FWMARK, "FwMark", kcol) < 0)
			return -1;
		if (len == 3 && strncasecmp(v, "off", 3) == 0)
			n = 0;
		else if (parse_uint(v, len, 1, UINT32_MAX, &n) < 0)
			return fail("%s:%u:%u: FwMark: expected a 32-bit "
			    "number or off", PLACE(c, col));
		d->fwmark = (uint32_t)n;
		d->flags |= WGDEV_HAS_FWMARK;
	} else if (strcasecmp(key, "MTU") == 0) {
		if (once(c, &c->seen, K_MTU, "MTU", kcol) < 0)
			return -1;
		if (parse_uint(v, len, 0, 65535, &n) < 0 || n < 68)
			return fail("%s:%u:%u: MTU: expected a number "
			    "68-65535", PLACE(c, col));
		d->mtu = (uint32_t)n;
		d->flags |= WGDEV_HAS_MTU;
	} else if (strcasecmp(key, "Address") == 0) {
		return parse_prefix_list(c, "Address", v, len, col, 0,
		    &d->addresses, &d->n_addresses);
	} else {
		return fail("%s:%u:%u: unknown key %s in [Interface]",
		    PLACE(c, kcol), quote(q, key, strlen(key)));
	}
	return 0;
}

static int
peer_key(struct wgconf *c, const char *key, const char *v, size_t len,
    size_t kcol, size_t col)
{
	char q[QUOTE_MAX];
	struct wg_device *d = c->dev;
	struct wg_peer *p = &d->peers[d->n_peers - 1];
	unsigned long n;

	c->peer_has_key = 1;
	if (strcasecmp(key, "PublicKey") == 0) {
		if (once(c, &c->peer_seen, K_PUBLIC_KEY, "PublicKey",
		    kcol) < 0)
			return -1;
		return parse_key(c, "PublicKey", v, len, col, p->public_key);
	} else if (strcasecmp(key, "PresharedKey") == 0) {
		if (once(c, &c->peer_seen, K_PSK, "PresharedKey", kcol) < 0)
			return -1;
		if ((p->preshared_key = wgdev_secret(d)) == NULL)
			return -1;
		if (parse_key(c, "PresharedKey", v, len, col,
		    p->preshared_key) < 0)
			return -1;
		p->flags |= WGPEER_HAS_PSK;
	} else if (strcasecmp(key, "AllowedIPs") == 0) {
		return parse_prefix_list(c, "AllowedIPs", v, len, col, 1,
		    &p->allowedips, &p->n_allowedips);
	} else if (strcasecmp(key, "Endpoint") == 0) {
		if (once(c, &c->peer_seen, K_ENDPOINT, "Endpoint", kcol) < 0)
			return -1;
		return parse_endpoint(c, p, v, len, col);
	} else if (strcasecmp(key, "PersistentKeepalive") == 0) {
		if (once(c, &c->peer_seen, K_KEEPALIVE, "PersistentKeepalive",
		    kcol) < 0)
			return -1;
		if (len == 3 && strncasecmp(v, "off", 3) == 0)
			n = 0;
		else if (parse_uint(v, len, 0, 65535, &n) < 0)
			return fail("%s:%u:%u: PersistentKeepalive: expected "
			    "seconds 0-65535 or off", PLACE(c, col));
		p->keepalive = (uint16_t)n;
		p->flags |= WGPEER_HAS_KEEPALIVE;
	} else {
		return fail("%s:%u:%u: unknown key %s in [Peer]",
		    PLACE(c, kcol), quote(q, key, strlen(key)));
	}
	return 0;
}

/* The text of comment S (LEN bytes) if it can be a peer name, else NULL. */
static const char *
comment_name(const char *s, size_t len, size_t *out)
{
	while (len > 0 && (is_space(*s) || *s == '#')) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	if (len == 0 || len > WGCONF_MAX_NAME)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (!isprint((unsigned char)s[i]))
			return NULL;	/* an ordinary comment, not a name */
	*out = len;
	return s;
}

/*
 * "# alice" names a peer: at the top of its [Peer] section, or on the
 * line just before its [Peer] header (as anemone-render writes it).
 */
static int
peer_comment(struct wgconf *c, const char *s, size_t len)
{
	struct wg_peer *p;

	if ((s = comment_name(s, len, &len)) == NULL)
		return 0;
	if (c->section != SEC_PEER || c->peer_has_key) {
		memcpy(c->pending, s, len);
		c->pending[len] = '\0';
		c->pending_line = c->line;
		return 0;
	}
	p = &c->dev->peers[c->dev->n_peers - 1];
	if (p->name == NULL && (p->name = strndup(s, len)) == NULL)
		return fail_errno("strdup");
	return 0;
}

static int
section(struct wgconf *c, const char *s, size_t len)
{
	char q[QUOTE_MAX];
	if (len == 11 && strncasecmp(s, "[Interface]", 11) == 0) {
		if (c->seen_interface)
			return fail("%s:%u:1: a second [Interface] section",
			    c->file, c->line);
		c->seen_interface = 1;
		c->section = SEC_IFACE;
		return 0;
	}
	if (len == 6 && strncasecmp(s, "[Peer]", 6) == 0) {
		struct wg_device *d = c->dev;

		if (d->n_peers > 0 && !(c->peer_seen & K_PUBLIC_KEY))
			return fail("%s:%u:1: [Peer] has no PublicKey",
			    c->file, c->peer_lines[d->n_peers - 1]);
		if (d->n_peers == c->cap_lines) {
			size_t cap = c->cap_lines ? c->cap_lines * 2 : 16;
			unsigned *l = reallocarray(c->peer_lines, cap,
			    sizeof(*l));

			if (l == NULL)
				return fail_errno("realloc");
			c->peer_lines = l;
			c->cap_lines = cap;
		}
		if (wgdev_add_peer(d) == NULL)
			return -1;
		c->peer_lines[d->n_peers - 1] = c->line;
		if (c->pending_line != 0 && c->pending_line == c->line - 1 &&
		    (d->peers[d->n_peers - 1].name = strdup(c->pending)) == NULL)
			return fail_errno("strdup");
		c->section = SEC_PEER;
		c->peer_seen = 0;
		c->peer_has_key = 0;
		return 0;
	}
	return fail("%s:%u:1: unknown section %s (expected [Interface] "
	    "or [Peer])", c->file, c->line, quote(q, s, len));
}

int
wgconf_line(struct wgconf *c, const char *line, size_t len)
{
	char q[QUOTE_MAX];
	const char *hash, *eq;
	size_t b = 0, e, kb, ke, vb, ve;
	char key[32];

	c->line++;
	if (memchr(line, '\0', len) != NULL)
		return fail("%s:%u: NUL byte in line", c->file, c->line);
	if (len > WGCONF_MAX_LINE)
		return fail("%s:%u: line longer than %d bytes", c->file,
		    c->line, WGCONF_MAX_LINE);
	while (b < len && is_space(line[b]))
		b++;
	if (b < len && line[b] == '#')
		return peer_comment(c, line + b, len - b);
	e = (hash = memchr(line, '#', len)) ? (size_t)(hash - line) : len;
	while (e > b && is_space(line[e - 1]))
		e--;
	if (e == b)
		return 0;
	if (line[b] == '[')
		return section(c, line + b, e - b);
	if ((eq = memchr(line + b, '=', e - b)) == NULL)
		return fail("%s:%u:%zu: expected KEY = VALUE", c->file,
		    c->line, b + 1);
	kb = b;
	ke = (size_t)(eq - line);
	while (ke > kb && is_space(line[ke - 1]))
		ke--;
	vb = ke + 1;
	while (line[vb - 1] != '=')
		vb++;
	while (vb < e && is_space(line[vb]))
		vb++;
	ve = e;
	if (ke == kb)
		return fail("%s:%u:%zu: missing key before '='", c->file,
		    c->line, kb + 1);
	if (ke - kb >= sizeof(key))
		return fail("%s:%u:%zu: unknown key %s", c->file, c->line,
		    kb + 1, quote(q, line + kb, ke - kb));
	memcpy(key, line + kb, ke - kb);
	key[ke - kb] = '\0';
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strcasecmp(key, refused[i]) == 0)
			return fail("%s:%u:%zu: %s is a wg-quick setting that "
			    "anemone-link does not act on (it never runs "
			    "hooks, sets DNS, routing tables or saves the "
			    "config); remove it", c->file, c->line, kb + 1,
			    refused[i]);
	if (c->section == SEC_NONE)
		return fail("%s:%u:%zu: %s outside a section (expected "
		    "[Interface] or [Peer] first)", c->file, c->line, kb + 1,
		    quote(q, key, strlen(key)));
	if (ve == vb && strcasecmp(key, "AllowedIPs") != 0)
		return fail("%s:%u:%zu: %s: missing value", c->file, c->line,
		    vb + 1, key);
	if (c->section == SEC_IFACE)
		return iface_key(c, key, line + vb, ve - vb, kb + 1, vb + 1);
	return peer_key(c, key, line + vb, ve - vb, kb + 1, vb + 1);
}

static int
cmp_peer_key(const void *a, const void *b)
{
	const struct wg_peer *const *x = a, *const *y = b;

	return memcmp((*x)->public_key, (*y)->public_key, WG_KEY_LEN);
}

struct owned_prefix {
	struct wg_prefix p;
	size_t peer;
};

static int
cmp_owned(const void *a, const void *b)
{
	return netaddr_cmp(&((const struct owned_prefix *)a)->p,
	    &((const struct owned_prefix *)b)->p);
}

/* No two peers share a key; no allowed IP belongs to two peers. */
static int
check_unique(struct wgconf *c)
{
	struct wg_device *d = c->dev;
	struct wg_peer **byk = NULL;
	struct owned_prefix *all = NULL;
	size_t i, j, n = 0;
	char b64[KEY_B64_LEN + 1];
	int rc = -1;

	if (d->n_peers == 0)
		return 0;
	if ((byk = calloc(d->n_peers, sizeof(*byk))) == NULL)
		return fail_errno("calloc");
	for (i = 0; i < d->n_peers; i++) {
		byk[i] = &d->peers[i];
		n += d->peers[i].n_allowedips;
	}
	qsort(byk, d->n_peers, sizeof(*byk), cmp_peer_key);
	for (i = 1; i < d->n_peers; i++) {
		if (memcmp(byk[i - 1]->public_key, byk[i]->public_key,
		    WG_KEY_LEN) == 0) {
			size_t x = (size_t)(byk[i - 1] - d->peers);
			size_t y = (size_t)(byk[i] - d->peers);

			key_to_base64(b64, byk[i]->public_key);
			fail("%s:%u:1: peer %s also at line %u", c->file,
			    c->peer_lines[x > y ? x : y], b64,
			    c->peer_lines[x > y ? y : x]);
			goto out;
		}
	}
	if (n > 0 && (all = calloc(n, sizeof(*all))) == NULL) {
		fail_errno("calloc");
		goto out;
	}
	for (i = 0, n = 0; i < d->n_peers; i++) {
		struct wg_peer *p = &d->peers[i];

		if (p->n_allowedips > 1)
			qsort(p->allowedips, p->n_allowedips,
			    sizeof(*p->allowedips), cmp_prefix);
		for (j = 0; j < p->n_allowedips; j++) {
			/* the same prefix twice in one peer: keep one */
			if (j > 0 && netaddr_cmp(&p->allowedips[j - 1],
			    &p->allowedips[j]) == 0) {
				memmove(&p->allowedips[j],
				    &p->allowedips[j + 1],
				    (p->n_allowedips - j - 1) *
				    sizeof(*p->allowedips));
				p->n_allowedips--;
				j--;
				continue;
			}
			all[n].p = p->allowedips[j];
			all[n++].peer = i;
		}
	}
	if (n > 1)
		qsort(all, n, sizeof(*all), cmp_owned);
	for (i = 1; i < n; i++) {
		if (netaddr_cmp(&all[i - 1].p, &all[i].p) == 0) {
			char a[NETADDR_PREFIX_MAX];
			size_t x = all[i - 1].peer, y = all[i].peer;

			fail("%s:%u:1: AllowedIPs %s also belongs to the "
			    "peer at line %u", c->file,
			    c->peer_lines[x > y ? x : y],
			    netaddr_format(a, &all[i].p),
			    c->peer_lines[x > y ? y : x]);
			goto out;
		}
	}
	rc = 0;
out:
	free(all);
	free(byk);
	return rc;
}

int
wgconf_finish(struct wgconf *c, struct wg_device **dev)
{
	struct wg_device *d = c->dev;
	size_t i;

	if (!c->seen_interface)
		return fail("%s: no [Interface] section", c->file);
	if (d->n_peers > 0 && !(c->peer_seen & K_PUBLIC_KEY))
		return fail("%s:%u:1: [Peer] has no PublicKey", c->file,
		    c->peer_lines[d->n_peers - 1]);
	if (check_unique(c) < 0)
		return -1;
	if (d->flags & WGDEV_HAS_PRIVATE_KEY) {
		if (key_public(d->public_key, d->private_key) < 0)
			return -1;
		for (i = 0; i < d->n_peers; i++)
			if (sodium_memcmp(d->peers[i].public_key,
			    d->public_key, WG_KEY_LEN) == 0)
				return fail("%s:%u:1: [Peer] has the "
				    "interface's own public key", c->file,
				    c->peer_lines[i]);
	}
	*dev = d;
	c->dev = NULL;
	wgconf_free(c);
	return 0;
}

int
wgconf_parse(const char *file, const char *buf, size_t len,
    const char *ifname, struct wg_device **dev)
{
	struct wgconf c;
	size_t i = 0;

	if (wgconf_init(&c, file, ifname) < 0)
		return -1;
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - buf - i) : len - i;

		if (wgconf_line(&c, buf + i, n) < 0)
			goto bad;
		i += n + 1;
	}
	if (wgconf_finish(&c, dev) < 0)
		goto bad;
	return 0;
bad:
	wgconf_free(&c);
	return -1;
}

int
wgconf_resolve_peer(struct wg_peer *p)
{
	struct netaddr_endpoint e;
	char b64[KEY_B64_LEN + 1], why[512];

	if (!(p->flags & WGPEER_HAS_ENDPOINT) || p->endpoint_text == NULL)
		return 0;
	if (netaddr_parse_endpoint(&e, p->endpoint_text,
	    strlen(p->endpoint_text)) == 0 &&
	    netaddr_resolve_endpoint(&p->endpoint, &e) == 0)
		return 0;
	key_to_base64(b64, p->public_key);
	snprintf(why, sizeof(why), "%s", lasterr());
	if (p->name)
		return fail("peer %s (%s): cannot resolve %s", p->name, b64,
		    why);
	return fail("peer %s: cannot resolve %s", b64, why);
}

size_t
wgconf_resolve(struct wg_device *dev,
    void (*warn)(const char *msg, void *arg), void *arg)
{
	size_t bad = 0;

	for (size_t i = 0; i < dev->n_peers; i++) {
		struct wg_peer *p = &dev->peers[i];

		if (!(p->flags & WGPEER_HAS_ENDPOINT) ||
		    p->endpoint.sa.sa_family != 0 ||
		    wgconf_resolve_peer(p) == 0)
			continue;
		bad++;
		if (warn != NULL)
			warn(lasterr(), arg);
	}
	return bad;
}
