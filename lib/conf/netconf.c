#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "keys.h"
#include "wg/netaddr.h"
#include "conf/netconf.h"
#include "conf/relay.h"
#include "quote.h"
#include "conf/ytree.h"

#define MTU_MIN 576
#define MTU_MIN6 1280

/* A prefix and where it was written. */
struct pfx {
	struct wg_prefix p;
	const struct ynode *at;
};

/* One peer (per-node form) or one node (mesh form), as read. */
struct ent {
	const struct ynode *map, *name_at, *key_at;
	const char *name;			/* in the tree */
	uint8_t pub[KEY_LEN];
	struct pfx *ips;			/* allowed IPs as a peer */
	size_t n_ips;
	struct pfx *addrs;			/* mesh: tunnel addresses */
	size_t n_addrs;
	char endpoint[NETADDR_ENDPOINT_MAX];	/* "" when none */
	struct netaddr_endpoint ep;
	int has_keepalive, has_port, has_mtu, has_fwmark;
	uint16_t keepalive, port;
	uint32_t mtu, fwmark;
	const struct ynode *mtu_at;
	const struct ynode *keyfile_at;		/* mesh: private_key_file */
	const struct ynode *via_at;		/* mesh: via */
	const struct ynode *psk_file_at, *psk_at;
};

struct ctx {
	const struct netconf_opts *o;
	const char *file;
	struct ent *ents;
	size_t n_ents;
	const char *what;			/* "peer" or "node" */
	struct wg_device *dev;
	struct relay_node *relay;		/* mesh: per node */
	size_t *via;				/* mesh: relay_check() */
};

static const char *const top_keys[] = {
	"interface", "peers", "nodes", NULL
};
static const char *const iface_keys[] = {
	"address", "listen_port", "private_key_file", "private_key", "mtu",
	"fwmark", NULL
};
static const char *const peer_keys[] = {
	"name", "public_key", "endpoint", "allowed_ips",
	"persistent_keepalive", "preshared_key_file", "preshared_key", NULL
};
static const char *const node_keys[] = {
	"name", "public_key", "address", "endpoint", "listen_port",
	"networks", "persistent_keepalive", "private_key_file", "mtu",
	"fwmark", "via", NULL
};

static int __attribute__((format(printf, 3, 4)))
err_at(struct ctx *c, const struct ynode *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail("%s:%u:%u: %s", c->file, n->line, n->col, msg);
}

/* err_at() with the message lasterr holds now ("KEY: lasterr"). */
static int
err_last(struct ctx *c, const struct ynode *n, const char *key)
{
	char last[768];

	snprintf(last, sizeof(last), "%s", lasterr());
	return err_at(c, n, "%s: %s", key, last);
}

static void __attribute__((format(printf, 3, 4)))
warn_at(struct ctx *c, const struct ynode *n, const char *fmt, ...)
{
	char msg[768], line[1024];
	va_list ap;

	if (c->o->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s:%u:%u: warning: %s", c->file,
	    n->line, n->col, msg);
	c->o->warn(line, c->o->arg);
}

/* --- unknown keys and the closest known one --- */

/* Lower case, without '_', '-' and spaces: "ListenPort" ~ "listen_port". */
static void
squash(char *out, size_t cap, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < cap; i++)
		if (s[i] != '_' && s[i] != '-' && s[i] != ' ')
			out[o++] = (char)tolower((unsigned char)s[i]);
	out[o] = '\0';
}

/* Levenshtein distance of two short strings. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[65], prev, tmp;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

static const char *
closest(const struct ynode *key, const char *const *known)
{
	char k[65], s[65], lk[65];
	const char *best = NULL;
	size_t d, bestd = SIZE_MAX, i;

	if (key->n > 64)
		return NULL;
	squash(k, sizeof(k), key->text, key->n);
	for (i = 0; i < key->n; i++)
		lk[i] = (char)tolower((unsigned char)key->text[i]);
	lk[key->n] = '\0';
	for (i = 0; known[i] != NULL; i++) {
		squash(s, sizeof(s), known[i], strlen(known[i]));
		if (strcmp(k, s) == 0)
			return known[i];
		d = distance(lk, known[i]);
		if (d < bestd) {
			bestd = d;
			best = known[i];
		}
	}
	return bestd <= 2 || bestd * 3 <= key->n ? best : NULL;
}

static int
check_keys(struct ctx *c, const struct ynode *map, const char *const *known,
    const char *what)
{
	char q[QUOTE_MAX];
	const struct ynode *k;
	const char *near;
	uint32_t i;
	size_t j;

	for (i = 0; i < map->n; i += 2) {
		k = map->kids[i];
		for (j = 0; known[j] != NULL; j++)
			if (strlen(known[j]) == k->n &&
			    memcmp(known[j], k->text, k->n) == 0)
				break;
		if (known[j] != NULL)
			continue;
		if (known == node_keys && k->n == 11 &&
		    memcmp(k->text, "private_key", 11) == 0)
			return err_at(c, k, "private_key does not belong in a "
			    "shared mesh file: use private_key_file or -k FILE");
		if ((near = closest(k, known)) != NULL)
			return err_at(c, k, "unknown key %s in %s (did you "
			    "mean \"%s\"?)", quote(q, k->text, k->n), what,
			    near);
		{
			char list[512];
			size_t o = 0;

			for (j = 0; known[j] != NULL && o < sizeof(list); j++)
				o += (size_t)snprintf(list + o, sizeof(list) - o,
				    "%s%s", j ? ", " : "", known[j]);
			return err_at(c, k, "unknown key %s in %s (known: %s)",
			    quote(q, k->text, k->n), what, list);
		}
	}
	return 0;
}

/* --- typed values --- */

static int
is_null(const struct ynode *n)
{
	return n->type == YNODE_SCALAR && n->plain && (n->n == 0 ||
	    strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
	    strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0);
}

static const char *
type_name(const struct ynode *n)
{
	if (n->type == YNODE_MAP)
		return "a mapping";
	if (n->type == YNODE_SEQ)
		return "a list";
	return is_null(n) ? "nothing" : "a scalar";
}

static int
get_str(struct ctx *c, const char *key, const struct ynode *n,
    const char **out)
{
	if (n->type != YNODE_SCALAR || is_null(n))
		return err_at(c, n, "%s: expected a string, got %s", key,
		    type_name(n));
	if (memchr(n->text, '\0', n->n) != NULL)
		return err_at(c, n, "%s: contains a NUL character", key);
	*out = n->text;
	return 0;
}

static int
get_uint(struct ctx *c, const char *key, const struct ynode *n,
    uint64_t min, uint64_t max, int hex, uint64_t *out)
{
	char q[QUOTE_MAX];
	uint64_t v = 0;
	size_t i = 0;
	int base = 10, d;

	if (n->type != YNODE_SCALAR || is_null(n))
		return err_at(c, n, "%s: expected a number, got %s", key,
		    type_name(n));
	if (hex && n->n > 2 && n->text[0] == '0' &&
	    (n->text[1] == 'x' || n->text[1] == 'X')) {
		base = 16;
		i = 2;
	} else if (n->n > 1 && n->text[0] == '0')
		goto bad;		/* YAML 1.1 reads 025 as octal */
	if (i == n->n)
		goto bad;
	for (; i < n->n; i++) {
		char ch = n->text[i];

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			goto bad;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) {
			v = UINT64_MAX;
			break;
		}
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (v < min || v > max)
		return err_at(c, n, "%s: %.*s is out of range (%llu..%llu)",
		    key, n->n > 24 ? 24 : (int)n->n, n->text,
		    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
bad:
	return err_at(c, n, "%s: expected a number, got %s", key,
	    quote(q, n->text, n->n));
}

static int
get_u16(struct ctx *c, const char *key, const struct ynode *n, uint64_t min,
    uint16_t *out)
{
	uint64_t v;

	if (get_uint(c, key, n, min, 65535, 0, &v) < 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* A public key: the text may be shown, it is public. */
static int
get_pubkey(struct ctx *c, const char *key, const struct ynode *n,
    uint8_t out[KEY_LEN])
{
	char q[QUOTE_MAX];
	const char *s;

	if (get_str(c, key, n, &s) < 0)
		return -1;
	if (key_from_base64(out, s, n->n) < 0)
		return err_at(c, n, "%s: %s is not a WireGuard key (want 44 "
		    "characters of base64 ending in '=')", key,
		    quote(q, s, n->n));
	return 0;
}

/*
 * A secret key written inline: never shown.  Decoded straight into OUT
 * (guarded memory); its text lives only in the tree, which ytree_free()
 * wipes (conf/ytree.c says how every other copy is covered).
 */
static int
get_secret(struct ctx *c, const char *key, const struct ynode *n,
    uint8_t out[KEY_LEN])
{
	const char *s;

	if (get_str(c, key, n, &s) < 0)
		return -1;
	if (key_from_base64(out, s, n->n) < 0)
		return err_at(c, n, "%s: not a WireGuard key (want 44 "
		    "characters of base64 ending in '='; not shown)", key);
	return 0;
}

/* A string or a list of strings; *ITEMS points into the tree. */
static int
get_list(struct ctx *c, const char *key, const struct ynode *n,
    struct ynode *const **items, size_t *count, const struct ynode **one)
{
	uint32_t i;

	if (n->type == YNODE_SCALAR && !is_null(n)) {
		*one = n;
		*items = (struct ynode *const *)one;
		*count = 1;
		return 0;
	}
	if (n->type != YNODE_SEQ)
		return err_at(c, n, "%s: expected a string or a list, got %s",
		    key, type_name(n));
	if (n->n == 0)
		return err_at(c, n, "%s: empty list", key);
	for (i = 0; i < n->n; i++)
		if (n->kids[i]->type != YNODE_SCALAR || is_null(n->kids[i]))
			return err_at(c, n->kids[i], "%s: expected a string, "
			    "got %s", key, type_name(n->kids[i]));
	*items = n->kids;
	*count = n->n;
	return 0;
}

enum { ADDRESS, NETWORK };

static int
get_prefixes(struct ctx *c, const char *key, const struct ynode *n, int kind,
    struct pfx **out, size_t *nout)
{
	struct ynode *const *items = NULL;
	const struct ynode *one;
	char a[NETADDR_PREFIX_MAX], b[NETADDR_PREFIX_MAX];
	struct pfx *v;
	size_t count = 0, i;

	if (get_list(c, key, n, &items, &count, &one) < 0)
		return -1;
	if ((v = calloc(count, sizeof(*v))) == NULL)
		return fail_errno("calloc");
	for (i = 0; i < count; i++) {
		v[i].at = items[i];
		if (netaddr_parse_prefix(&v[i].p, items[i]->text,
		    items[i]->n) < 0) {
			free(v);
			return err_last(c, items[i], key);
		}
		if (kind == NETWORK && netaddr_host_bits(&v[i].p)) {
			struct wg_prefix m = v[i].p;

			netaddr_format(a, &m);
			netaddr_mask(&m);
			free(v);
			return err_at(c, items[i], "%s: %s has host bits set "
			    "(the network is %s)", key, a,
			    netaddr_format(b, &m));
		}
	}
	*out = v;
	*nout = count;
	return 0;
}

static int
get_endpoint(struct ctx *c, const struct ynode *n, struct ent *e)
{
	const char *s;

	if (get_str(c, "endpoint", n, &s) < 0)
		return -1;
	if (netaddr_parse_endpoint(&e->ep, s, n->n) < 0)
		return err_last(c, n, "endpoint");
	netaddr_format_endpoint(e->endpoint, &e->ep);
	return 0;
}

static int
get_name(struct ctx *c, const struct ynode *n, struct ent *e)
{
	char q[QUOTE_MAX];
	size_t i;

	if (get_str(c, "name", n, &e->name) < 0)
		return -1;
	if (n->n > NETCONF_NAME_MAX)
		return err_at(c, n, "name: %s is too long (at most %d bytes)",
		    quote(q, n->text, n->n), NETCONF_NAME_MAX);
	for (i = 0; i < n->n; i++)
		if ((unsigned char)n->text[i] < 0x20 || n->text[i] == 0x7f)
			return err_at(c, n, "name: %s holds a control "
			    "character", quote(q, n->text, n->n));
	e->name_at = n;
	return 0;
}

/* PATH relative to the directory of the YAML file. */
static int
resolve(struct ctx *c, const struct ynode *n, const char *path, char *out)
{
	const char *slash = strrchr(c->file, '/');
	int dlen = slash ? (int)(slash - c->file) : 0, w;

	if (path[0] == '/' || slash == NULL)
		w = snprintf(out, PATH_MAX, "%s", path);
	else
		w = snprintf(out, PATH_MAX, "%.*s/%s", dlen, c->file, path);
	if (w < 0 || w >= PATH_MAX)
		return err_at(c, n, "path too long");
	return 0;
}

static int
read_key(struct ctx *c, const char *path, uint8_t key[KEY_LEN])
{
	if (c->o->read_key != NULL)
		return c->o->read_key(path, key, c->o->arg);
	return key_read_file(path, key, 1);
}

/* A key file named at node N (key KEY) into KEY, guarded. */
static int
key_file_at(struct ctx *c, const char *key, const struct ynode *n,
    uint8_t out[KEY_LEN])
{
	char path[PATH_MAX];
	const char *s;

	if (get_str(c, key, n, &s) < 0 || resolve(c, n, s, path) < 0)
		return -1;
	if (read_key(c, path, out) < 0)
		return err_last(c, n, key);
	return 0;
}

static struct wg_prefix *
plain_prefixes(const struct pfx *v, size_t n)
{
	struct wg_prefix *p;
	size_t i;

	if ((p = calloc(n ? n : 1, sizeof(*p))) == NULL) {
		fail_errno("calloc");
		return NULL;
	}
	for (i = 0; i < n; i++)
		p[i] = v[i].p;
	return p;
}

static int
check_mtu(struct ctx *c, const struct ent *e, const struct pfx *addrs,
    size_t n)
{
	size_t i;

	if (!e->has_mtu || e->mtu >= MTU_MIN6)
		return 0;
	for (i = 0; i < n; i++)
		if (addrs[i].p.family == AF_INET6)
			return err_at(c, e->mtu_at, "mtu: %u is below %d, the "
			    "least IPv6 allows (address on line %u)", e->mtu,
			    MTU_MIN6, addrs[i].at->line);
	return 0;
}

/* listen_port, mtu, fwmark: shared by interface and mesh node. */
static int
get_iface_numbers(struct ctx *c, const struct ynode *map, struct ent *e)
{
	const struct ynode *n;
	uint64_t v;

	if ((n = ytree_get(map, "listen_port")) != NULL) {
		if (get_u16(c, "listen_port", n, 1, &e->port) < 0)
			return -1;
		e->has_port = 1;
	}
	if ((n = ytree_get(map, "mtu")) != NULL) {
		if (get_uint(c, "mtu", n, MTU_MIN, 65535, 0, &v) < 0)
			return -1;
		e->mtu = (uint32_t)v;
		e->mtu_at = n;
		e->has_mtu = 1;
	}
	if ((n = ytree_get(map, "fwmark")) != NULL) {
		if (get_uint(c, "fwmark", n, 0, UINT32_MAX, 1, &v) < 0)
			return -1;
		e->fwmark = (uint32_t)v;
		e->has_fwmark = 1;
	}
	return 0;
}

static int
get_keepalive(struct ctx *c, const struct ynode *map, struct ent *e)
{
	const struct ynode *n = ytree_get(map, "persistent_keepalive");

	if (n == NULL)
		return 0;
	if (get_u16(c, "persistent_keepalive", n, 0, &e->keepalive) < 0)
		return -1;
	e->has_keepalive = 1;
	return 0;
}

static const struct ynode *
need(struct ctx *c, const struct ynode *map, const char *key,
    const char *what)
{
	const struct ynode *n = ytree_get(map, key);

	if (n == NULL)
		err_at(c, map, "%s: missing required key \"%s\"", what, key);
	return n;
}

/* --- checks across entries --- */

struct dup {
	const void *data;
	size_t len, idx;
};

static int
dup_cmp(const void *a, const void *b)
{
	const struct dup *x = a, *y = b;
	int r = memcmp(x->data, y->data, x->len < y->len ? x->len : y->len);

	if (r != 0)
		return r;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/*
 * The earliest entry repeating an earlier one's name (KEYS == 0) or
 * public key (KEYS == 1): 0 with *FIRST, *SECOND set, 1 if none, -1.
 */
static int
find_dup(struct ctx *c, int keys, size_t *first, size_t *second)
{
	struct dup *d;
	size_t i, best = SIZE_MAX;

	if (c->n_ents < 2)
		return 1;
	if ((d = calloc(c->n_ents, sizeof(*d))) == NULL)
		return fail_errno("calloc");
	for (i = 0; i < c->n_ents; i++) {
		d[i].data = keys ? (const void *)c->ents[i].pub :
		    c->ents[i].name;
		d[i].len = keys ? KEY_LEN : c->ents[i].name_at->n;
		d[i].idx = i;
	}
	qsort(d, c->n_ents, sizeof(*d), dup_cmp);
	for (i = 1; i < c->n_ents; i++) {
		if (d[i].len != d[i - 1].len ||
		    memcmp(d[i].data, d[i - 1].data, d[i].len) != 0)
			continue;
		if (d[i].idx < best) {
			best = d[i].idx;
			*first = d[i - 1].idx;
		}
	}
	free(d);
	if (best == SIZE_MAX)
		return 1;
	/* the run's first member sorts first: find it for this repeat */
	for (i = 0; i < best; i++)
		if (keys ? memcmp(c->ents[i].pub, c->ents[best].pub,
		    KEY_LEN) == 0 : (c->ents[i].name_at->n ==
		    c->ents[best].name_at->n && memcmp(c->ents[i].name,
		    c->ents[best].name, c->ents[i].name_at->n) == 0)) {
			*first = i;
			break;
		}
	*second = best;
	return 0;
}

struct owned {
	const struct pfx *x;
	size_t owner;
};

static int
owned_cmp(const void *a, const void *b)
{
	const struct owned *x = a, *y = b;
	int r = netaddr_cmp(&x->x->p, &y->x->p);

	if (r != 0)
		return r;
	return (x->owner > y->owner) - (x->owner < y->owner);
}

/*
 * No address may be routed to two entries.  Sorted by address, then
 * prefix length, a containing prefix comes before what it contains;
 * a stack of the prefixes containing the current one finds every clash
 * between neighbours in that chain, which is enough to find one if any.
 */
static int
check_overlap(struct ctx *c)
{
	struct owned *v, **stack = NULL, *lo = NULL, *hi = NULL;
	size_t n = 0, i, j, sp = 0;
	char a[NETADDR_PREFIX_MAX], b[NETADDR_PREFIX_MAX], q[QUOTE_MAX];
	int rc = -1;

	for (i = 0; i < c->n_ents; i++)
		n += c->ents[i].n_ips;
	if (n < 2)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL ||
	    (stack = calloc(n, sizeof(*stack))) == NULL) {
		fail_errno("calloc");
		goto out;
	}
	for (i = 0, n = 0; i < c->n_ents; i++)
		for (j = 0; j < c->ents[i].n_ips; j++) {
			v[n].x = &c->ents[i].ips[j];
			v[n++].owner = i;
		}
	qsort(v, n, sizeof(*v), owned_cmp);
	for (i = 0; i < n; i++) {
		while (sp > 0 && !netaddr_overlap(&stack[sp - 1]->x->p,
		    &v[i].x->p))
			sp--;
		if (sp > 0 && stack[sp - 1]->owner != v[i].owner) {
			struct owned *x = stack[sp - 1], *y = &v[i];

			if (x->owner > y->owner) {
				x = &v[i];
				y = stack[sp - 1];
			}
			/* keep the clash whose later entry comes first */
			if (hi == NULL || y->owner < hi->owner ||
			    (y->owner == hi->owner && (y->x->at->line <
			    hi->x->at->line || (y->x->at->line ==
			    hi->x->at->line && y->x->at->col <
			    hi->x->at->col)))) {
				lo = x;
				hi = y;
			}
		}
		stack[sp++] = &v[i];
	}
	rc = 0;
	if (hi != NULL) {
		const struct ent *eh = &c->ents[hi->owner];
		const struct ent *el = &c->ents[lo->owner];

		rc = err_at(c, hi->x->at, "%s of %s %s overlaps %s of %s "
		    "\"%s\" (line %u): WireGuard routes an address to one "
		    "peer only", netaddr_format(a, &hi->x->p), c->what,
		    quote(q, eh->name, eh->name_at->n),
		    netaddr_format(b, &lo->x->p), c->what, el->name,
		    lo->x->at->line);
	}
out:
	free(stack);
	free(v);
	return rc;
}

static int
check_entries(struct ctx *c)
{
	size_t a, b;
	int r;
	char q[QUOTE_MAX];

	if ((r = find_dup(c, 0, &a, &b)) < 0)
		return -1;
	if (r == 0)
		return err_at(c, c->ents[b].name_at, "duplicate %s name %s "
		    "(first on line %u)", c->what, quote(q, c->ents[b].name,
		    c->ents[b].name_at->n), c->ents[a].name_at->line);
	if ((r = find_dup(c, 1, &a, &b)) < 0)
		return -1;
	if (r == 0)
		return err_at(c, c->ents[b].key_at, "public_key: %s %s has "
		    "the same key as %s \"%s\" (line %u)", c->what,
		    quote(q, c->ents[b].name, c->ents[b].name_at->n), c->what,
		    c->ents[a].name, c->ents[a].key_at->line);
	return check_overlap(c);
}

/* --- building the device --- */

static int
set_private_key(struct ctx *c, const uint8_t key[KEY_LEN])
{
	struct wg_device *dev = c->dev;

	if ((dev->private_key = wgdev_secret(dev)) == NULL)
		return -1;
	memcpy(dev->private_key, key, KEY_LEN);
	dev->flags |= WGDEV_HAS_PRIVATE_KEY;
	return key_public(dev->public_key, key);
}

static void
set_iface_numbers(struct wg_device *dev, const struct ent *e)
{
	if (e->has_port) {
		dev->listen_port = e->port;
		dev->flags |= WGDEV_HAS_LISTEN_PORT;
	}
	if (e->has_mtu) {
		dev->mtu = e->mtu;
		dev->flags |= WGDEV_HAS_MTU;
	}
	if (e->has_fwmark) {
		dev->fwmark = e->fwmark;
		dev->flags |= WGDEV_HAS_FWMARK;
	}
}

static struct wg_peer *
add_peer(struct ctx *c, const struct ent *e, uint16_t keepalive, int has_ka)
{
	struct wg_peer *p;

	if ((p = wgdev_add_peer(c->dev)) == NULL)
		return NULL;
	p->flags = WGPEER_REPLACE_ALLOWEDIPS;
	memcpy(p->public_key, e->pub, KEY_LEN);
	if ((p->name = strdup(e->name)) == NULL)
		goto nomem;
	if (e->endpoint[0] != '\0') {
		if ((p->endpoint_text = strdup(e->endpoint)) == NULL)
			goto nomem;
		p->flags |= WGPEER_HAS_ENDPOINT;
		if (e->ep.family != 0)
			p->endpoint = e->ep.addr;
	}
	if (has_ka) {
		p->keepalive = keepalive;
		p->flags |= WGPEER_HAS_KEEPALIVE;
	}
	if ((p->allowedips = plain_prefixes(e->ips, e->n_ips)) == NULL)
		return NULL;
	p->n_allowedips = e->n_ips;
	return p;
nomem:
	fail_errno("strdup");
	return NULL;
}

/* --- the per-node form --- */

/* What peers and nodes share: a mapping of KNOWN keys, name, public key. */
static int
load_entry(struct ctx *c, const struct ynode *map, struct ent *e,
    const char *const *known, const char *list)
{
	const struct ynode *n;

	e->map = map;
	if (map->type != YNODE_MAP)
		return err_at(c, map, "%s: each %s must be a mapping, got %s",
		    list, c->what, type_name(map));
	if (check_keys(c, map, known, c->what) < 0)
		return -1;
	if ((n = need(c, map, "name", c->what)) == NULL ||
	    get_name(c, n, e) < 0)
		return -1;
	if ((e->key_at = need(c, map, "public_key", c->what)) == NULL ||
	    get_pubkey(c, "public_key", e->key_at, e->pub) < 0)
		return -1;
	return 0;
}

static int
load_peer(struct ctx *c, const struct ynode *map, struct ent *e)
{
	const struct ynode *n;

	if (load_entry(c, map, e, peer_keys, "peers") < 0)
		return -1;
	if ((n = need(c, map, "allowed_ips", "peer")) == NULL ||
	    get_prefixes(c, "allowed_ips", n, NETWORK, &e->ips, &e->n_ips) < 0)
		return -1;
	if ((n = ytree_get(map, "endpoint")) != NULL && get_endpoint(c, n, e) < 0)
		return -1;
	if (get_keepalive(c, map, e) < 0)
		return -1;
	e->psk_file_at = ytree_get(map, "preshared_key_file");
	e->psk_at = ytree_get(map, "preshared_key");
	if (e->psk_file_at != NULL && e->psk_at != NULL)
		return err_at(c, e->psk_at, "preshared_key: give "
		    "preshared_key_file or preshared_key, not both");
	return 0;
}

static int
load_private_key(struct ctx *c, const struct ynode *file_at,
    const struct ynode *inline_at)
{
	uint8_t *key;
	int rc = -1;

	if ((key = secret_alloc(KEY_LEN)) == NULL)
		return -1;
	if (c->o->key_file != NULL) {
		if (read_key(c, c->o->key_file, key) < 0)
			goto out;
	} else if (file_at != NULL) {
		if (key_file_at(c, "private_key_file", file_at, key) < 0)
			goto out;
	} else {
		if (get_secret(c, "private_key", inline_at, key) < 0)
			goto out;
		warn_at(c, inline_at, "private_key: the private key is in the "
		    "YAML file; prefer private_key_file with mode 600");
	}
	rc = set_private_key(c, key);
out:
	secret_free(key);
	return rc;
}

/*
 * The interface mapping of a per-node file into SELF (numbers) and
 * *ADDRS; *PK and *PKF are its inline key and key file, if any.
 */
static int
load_iface(struct ctx *c, const struct ynode *root, struct ent *self,
    struct pfx **addrs, size_t *n_addrs, const struct ynode **pk,
    const struct ynode **pkf)
{
	const struct ynode *iface, *n;

	if ((iface = need(c, root, "interface", "top level")) == NULL)
		return -1;
	if (iface->type != YNODE_MAP)
		return err_at(c, iface, "interface: expected a mapping, got %s",
		    type_name(iface));
	if (check_keys(c, iface, iface_keys, "interface") < 0)
		return -1;
	if ((n = need(c, iface, "address", "interface")) == NULL ||
	    get_prefixes(c, "address", n, ADDRESS, addrs, n_addrs) < 0)
		return -1;
	if (get_iface_numbers(c, iface, self) < 0 ||
	    check_mtu(c, self, *addrs, *n_addrs) < 0)
		return -1;
	*pk = ytree_get(iface, "private_key");
	*pkf = ytree_get(iface, "private_key_file");
	if (*pk != NULL && *pkf != NULL)
		return err_at(c, *pk, "private_key: give private_key_file or "
		    "private_key, not both");
	if (*pk == NULL && *pkf == NULL && c->o->key_file == NULL)
		return err_at(c, iface, "interface: missing required key "
		    "\"private_key_file\"");
	return 0;
}

/* The "peers" list (absent or empty: none) into c->ents. */
static int
load_peers(struct ctx *c, const struct ynode *root)
{
	const struct ynode *peers = ytree_get(root, "peers");
	size_t i;

	if (peers == NULL || is_null(peers))
		return 0;
	if (peers->type != YNODE_SEQ)
		return err_at(c, peers, "peers: expected a list, got %s",
		    type_name(peers));
	if ((c->ents = calloc(peers->n ? peers->n : 1,
	    sizeof(*c->ents))) == NULL)
		return fail_errno("calloc");
	for (i = 0; i < peers->n; i++) {
		c->n_ents++;
		if (load_peer(c, peers->kids[i], &c->ents[i]) < 0)
			return -1;
	}
	return 0;
}

/* No peer may hold the key of this node (known once the key is). */
static int
check_not_self(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->n_ents; i++)
		if (memcmp(c->ents[i].pub, c->dev->public_key, KEY_LEN) == 0)
			return err_at(c, c->ents[i].key_at, "public_key: peer "
			    "\"%s\" has this node's own public key",
			    c->ents[i].name);
	return 0;
}

/* The preshared key of peer E, from its file or inline, into P. */
static int
set_psk(struct ctx *c, const struct ent *e, struct wg_peer *p)
{
	if ((p->preshared_key = wgdev_secret(c->dev)) == NULL)
		return -1;
	p->flags |= WGPEER_HAS_PSK;
	if (e->psk_file_at != NULL)
		return key_file_at(c, "preshared_key_file", e->psk_file_at,
		    p->preshared_key);
	if (get_secret(c, "preshared_key", e->psk_at, p->preshared_key) < 0)
		return -1;
	warn_at(c, e->psk_at, "preshared_key: a secret in the YAML file; "
	    "prefer preshared_key_file");
	return 0;
}

/* Every peer of the per-node form onto the device, in file order. */
static int
add_pernode_peers(struct ctx *c)
{
	struct wg_peer *p;
	size_t i;

	for (i = 0; i < c->n_ents; i++) {
		const struct ent *e = &c->ents[i];

		if ((p = add_peer(c, e, e->keepalive, e->has_keepalive)) == NULL)
			return -1;
		if ((e->psk_file_at != NULL || e->psk_at != NULL) &&
		    set_psk(c, e, p) < 0)
			return -1;
	}
	return 0;
}

/* Interface, peers, checks across them, then the key files they name. */
static int
load_pernode(struct ctx *c, const struct ynode *root)
{
	const struct ynode *pk = NULL, *pkf = NULL;
	struct ent self;
	struct pfx *addrs = NULL;
	size_t n_addrs = 0;
	int rc = -1;

	memset(&self, 0, sizeof(self));
	c->what = "peer";
	if (c->o->node != NULL)
		return fail("%s: a node name was given, but this is a "
		    "per-node file (it has no \"nodes\" list)", c->file);
	if (load_iface(c, root, &self, &addrs, &n_addrs, &pk, &pkf) < 0 ||
	    load_peers(c, root) < 0 || check_entries(c) < 0 ||
	    load_private_key(c, pkf, pk) < 0 || check_not_self(c) < 0)
		goto out;
	set_iface_numbers(c->dev, &self);
	if ((c->dev->addresses = plain_prefixes(addrs, n_addrs)) == NULL)
		goto out;
	c->dev->n_addresses = n_addrs;
	rc = add_pernode_peers(c);
out:
	free(addrs);
	return rc;
}

/* --- the mesh form --- */

static int
load_node(struct ctx *c, const struct ynode *map, struct ent *e)
{
	const struct ynode *n;
	size_t i;
	struct pfx *nets = NULL, *all;
	size_t n_nets = 0;

	if (load_entry(c, map, e, node_keys, "nodes") < 0)
		return -1;
	if ((n = need(c, map, "address", "node")) == NULL ||
	    get_prefixes(c, "address", n, ADDRESS, &e->addrs, &e->n_addrs) < 0)
		return -1;
	if ((n = ytree_get(map, "networks")) != NULL &&
	    get_prefixes(c, "networks", n, NETWORK, &nets, &n_nets) < 0)
		return -1;
	if ((n = ytree_get(map, "endpoint")) != NULL &&
	    get_endpoint(c, n, e) < 0)
		goto bad;
	if (get_keepalive(c, map, e) < 0 || get_iface_numbers(c, map, e) < 0 ||
	    check_mtu(c, e, e->addrs, e->n_addrs) < 0)
		goto bad;
	if ((n = ytree_get(map, "private_key_file")) != NULL) {
		const char *s;

		if (get_str(c, "private_key_file", n, &s) < 0)
			goto bad;
		e->keyfile_at = n;
	}
	if ((n = ytree_get(map, "via")) != NULL) {
		const char *s;

		if (get_str(c, "via", n, &s) < 0)
			goto bad;
		e->via_at = n;
	}
	/* as a peer: each tunnel address as one host, then its networks */
	if ((all = calloc(e->n_addrs + n_nets, sizeof(*all))) == NULL) {
		fail_errno("calloc");
		goto bad;
	}
	for (i = 0; i < e->n_addrs; i++) {
		all[i] = e->addrs[i];
		all[i].p.cidr = all[i].p.family == AF_INET ? 32 : 128;
	}
	if (n_nets > 0)
		memcpy(all + e->n_addrs, nets, n_nets * sizeof(*nets));
	e->ips = all;
	e->n_ips = e->n_addrs + n_nets;
	free(nets);
	return 0;
bad:
	free(nets);
	return -1;
}

static int
check_relays(struct ctx *c)
{
	size_t i;

	if ((c->relay = calloc(c->n_ents, sizeof(*c->relay))) == NULL ||
	    (c->via = calloc(c->n_ents, sizeof(*c->via))) == NULL)
		return fail_errno("calloc");
	for (i = 0; i < c->n_ents; i++) {
		c->relay[i].name_at = c->ents[i].name_at;
		c->relay[i].via_at = c->ents[i].via_at;
		c->relay[i].has_endpoint = c->ents[i].endpoint[0] != '\0';
	}
	return relay_check(c->file, c->relay, c->n_ents, c->via);
}

/* Node M reached through peer P: its addresses become P's too. */
static int
add_relayed(struct wg_peer *p, const struct ent *m)
{
	struct wg_prefix *ips;
	struct wg_relayed *r;
	size_t i;

	ips = realloc(p->allowedips, (p->n_allowedips + m->n_ips) *
	    sizeof(*ips));
	if (ips == NULL)
		return fail_errno("realloc");
	p->allowedips = ips;
	for (i = 0; i < m->n_ips; i++)
		ips[p->n_allowedips++] = m->ips[i].p;
	if ((r = realloc(p->relayed, (p->n_relayed + 1) *
	    sizeof(*r))) == NULL)
		return fail_errno("realloc");
	p->relayed = r;
	r += p->n_relayed;
	r->addr = m->ips[0].p;
	memcpy(r->public_key, m->pub, WG_KEY_LEN);
	if ((r->name = strdup(m->name)) == NULL)
		return fail_errno("strdup");
	p->n_relayed++;
	return 0;
}

/*
 * The other nodes, in file order, as SELF's peers: a node reached through
 * a relay is no peer of its own; its addresses go to the relay's entry.
 */
static int
add_mesh_peers(struct ctx *c, size_t self)
{
	const struct ent *me = &c->ents[self];
	size_t *hop, i, m;
	int rc = -1;

	if ((hop = calloc(c->n_ents, sizeof(*hop))) == NULL)
		return fail_errno("calloc");
	relay_hops(c->relay, c->via, c->n_ents, self, hop);
	c->dev->forwards = relay_forwards(c->relay, c->via, c->n_ents, self);
	for (i = 0; i < c->n_ents; i++) {
		struct wg_peer *p;

		if (i == self || hop[i] != i)
			continue;
		if ((p = add_peer(c, &c->ents[i], me->keepalive,
		    me->has_keepalive)) == NULL)
			goto out;
		for (m = 0; m < c->n_ents; m++)
			if (m != self && m != i && hop[m] == i &&
			    add_relayed(p, &c->ents[m]) < 0)
				goto out;
	}
	rc = 0;
out:
	free(hop);
	return rc;
}

static int
load_mesh(struct ctx *c, const struct ynode *root)
{
	const struct ynode *nodes = ytree_get(root, "nodes");
	const struct ent *self = NULL;
	char q[QUOTE_MAX];
	uint8_t *key = NULL;
	size_t i;
	int rc = -1;

	c->what = "node";
	for (i = 0; i < root->n; i += 2)
		if (strcmp(root->kids[i]->text, "nodes") != 0)
			return err_at(c, root->kids[i], "%s: a mesh file (one "
			    "with \"nodes\") has no other top-level key",
			    root->kids[i]->text);
	if (nodes->type != YNODE_SEQ || nodes->n == 0)
		return err_at(c, nodes, "nodes: expected a list of nodes, "
		    "got %s", nodes->type == YNODE_SEQ ? "an empty list" :
		    type_name(nodes));
	if ((c->ents = calloc(nodes->n, sizeof(*c->ents))) == NULL)
		return fail_errno("calloc");
	for (i = 0; i < nodes->n; i++) {
		c->n_ents++;
		if (load_node(c, nodes->kids[i], &c->ents[i]) < 0)
			return -1;
	}
	if (check_entries(c) < 0 || check_relays(c) < 0)
		return -1;
	if (c->o->node == NULL)
		return fail("%s: a mesh file: name the node to render "
		    "(-n NAME)", c->file);
	for (i = 0; i < c->n_ents && self == NULL; i++)
		if (strlen(c->o->node) == c->ents[i].name_at->n &&
		    strcmp(c->ents[i].name, c->o->node) == 0)
			self = &c->ents[i];
	if (self == NULL)
		return fail("%s: no node named %s", c->file,
		    quote(q, c->o->node, strlen(c->o->node)));

	if ((key = secret_alloc(KEY_LEN)) == NULL)
		return -1;
	if (c->o->key_file != NULL) {
		if (read_key(c, c->o->key_file, key) < 0)
			goto out;
	} else if (self->keyfile_at != NULL) {
		if (key_file_at(c, "private_key_file", self->keyfile_at,
		    key) < 0)
			goto out;
	} else {
		err_at(c, self->map, "node %s has no private_key_file: give "
		    "its private key with -k FILE", quote(q, self->name,
		    self->name_at->n));
		goto out;
	}
	if (set_private_key(c, key) < 0)
		goto out;
	if (memcmp(c->dev->public_key, self->pub, KEY_LEN) != 0) {
		err_at(c, self->key_at, "public_key: node %s: this is not the "
		    "public key of the private key given", quote(q,
		    self->name, self->name_at->n));
		goto out;
	}
	set_iface_numbers(c->dev, self);
	if ((c->dev->addresses = plain_prefixes(self->addrs,
	    self->n_addrs)) == NULL)
		goto out;
	c->dev->n_addresses = self->n_addrs;
	if (add_mesh_peers(c, (size_t)(self - c->ents)) < 0)
		goto out;
	rc = 0;
out:
	secret_free(key);
	return rc;
}

int
netconf_load(const struct netconf_opts *o, const char *buf, size_t len,
    struct wg_device **out)
{
	struct ctx c;
	struct ytree *t;
	const struct ynode *root;
	size_t i;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.file = o->path;
	*out = NULL;
	if ((t = ytree_load(o->path, buf, len)) == NULL)
		return -1;
	root = t->root;
	if (root == NULL || is_null(root)) {
		fail("%s:1:1: empty file (want \"interface\" and \"peers\", "
		    "or \"nodes\")", c.file);
		goto out;
	}
	if (root->type != YNODE_MAP) {
		err_at(&c, root, "expected a mapping with \"interface\" and "
		    "\"peers\", or \"nodes\", got %s", type_name(root));
		goto out;
	}
	if (check_keys(&c, root, top_keys, "the top level") < 0)
		goto out;
	if ((c.dev = wgdev_new("wg0")) == NULL)
		goto out;
	c.dev->flags |= WGDEV_REPLACE_PEERS;
	if (ytree_get(root, "nodes") != NULL)
		rc = load_mesh(&c, root);
	else
		rc = load_pernode(&c, root);
out:
	for (i = 0; i < c.n_ents; i++) {
		free(c.ents[i].ips);
		free(c.ents[i].addrs);
	}
	free(c.ents);
	free(c.relay);
	free(c.via);
	ytree_free(t);
	if (rc < 0) {
		wgdev_free(c.dev);
		return -1;
	}
	*out = c.dev;
	return 0;
}
