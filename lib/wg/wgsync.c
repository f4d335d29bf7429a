#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "keys.h"
#include "wg/netaddr.h"
#include "wg/wgsync.h"

void
plan_add(struct plan *pl, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (pl == NULL || pl->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(pl->text + pl->len, pl->cap - pl->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			pl->oom = 1;
			return;
		}
		if ((size_t)n + 1 < pl->cap - pl->len)
			break;
		size_t cap = pl->cap ? pl->cap * 2 : 4096;
		char *nt = realloc(pl->text, cap);

		if (nt == NULL) {
			pl->oom = 1;
			return;
		}
		pl->text = nt;
		pl->cap = cap;
	}
	pl->len += (size_t)n;
	pl->text[pl->len++] = '\n';
	pl->text[pl->len] = '\0';
	pl->n++;
}

void
plan_free(struct plan *pl)
{
	free(pl->text);
	memset(pl, 0, sizeof(*pl));
}

static int
cmp_prefix(const void *a, const void *b)
{
	return netaddr_cmp(a, b);
}

static int
cmp_peer(const void *a, const void *b)
{
	const struct wg_peer *const *x = a, *const *y = b;

	return memcmp((*x)->public_key, (*y)->public_key, WG_KEY_LEN);
}

/* "a,b,c" of a prefix list (or "none") into a malloc'd string. */
static char *
prefixes_text(const struct wg_prefix *v, size_t n)
{
	char *s = malloc(n * NETADDR_PREFIX_MAX + 8), *o = s;
	char one[NETADDR_PREFIX_MAX];

	if (s == NULL)
		return NULL;
	strcpy(s, n ? "" : "none");
	for (size_t i = 0; i < n; i++) {
		o += sprintf(o, "%s%s", i ? "," : "",
		    netaddr_format(one, &v[i]));
	}
	return s;
}

static int
same_prefixes(const struct wg_prefix *a, size_t na, const struct wg_prefix *b,
    size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (netaddr_cmp(&a[i], &b[i]) != 0)
			return 0;
	return 1;
}

static int
psk_differs(const struct wg_peer *w, const struct wg_peer *h)
{
	static const uint8_t zero[WG_KEY_LEN];
	const uint8_t *a = w->preshared_key ? w->preshared_key : zero;
	const uint8_t *b = h->preshared_key ? h->preshared_key : zero;

	return sodium_memcmp(a, b, WG_KEY_LEN) != 0;
}

static struct wg_peer *
set_peer(struct wg_device *set, const struct wg_peer *from)
{
	struct wg_peer *p = wgdev_add_peer(set);

	if (p != NULL)
		memcpy(p->public_key, from->public_key, WG_KEY_LEN);
	return p;
}

/* Everything WANT says about a new peer. */
static int
add_peer(struct wg_device *set, const struct wg_peer *w, struct plan *plan)
{
	struct wg_peer *p = set_peer(set, w);
	char key[KEY_B64_LEN + 1], ep[NETADDR_ENDPOINT_MAX], *ips;

	if (p == NULL)
		return -1;
	p->flags = WGPEER_REPLACE_ALLOWEDIPS;
	if (w->preshared_key) {
		p->flags |= WGPEER_HAS_PSK;
		p->preshared_key = w->preshared_key;
	}
	if (w->endpoint.sa.sa_family != 0) {
		p->flags |= WGPEER_HAS_ENDPOINT;
		p->endpoint = w->endpoint;
	}
	if (w->keepalive) {
		p->flags |= WGPEER_HAS_KEEPALIVE;
		p->keepalive = w->keepalive;
	}
	p->allowedips = w->allowedips;
	p->n_allowedips = w->n_allowedips;
	if (plan == NULL)
		return 0;
	key_to_base64(key, w->public_key);
	if ((ips = prefixes_text(w->allowedips, w->n_allowedips)) == NULL)
		return fail_errno("malloc");
	plan_add(plan, "add\tpeer\t%s\t%s%s%sendpoint=%s allowed-ips=%s "
	    "keepalive=%u%s", key, w->name ? "name=" : "",
	    w->name ? w->name : "", w->name ? " " : "",
	    netaddr_format_sockaddr(ep, &w->endpoint), ips, w->keepalive,
	    w->preshared_key ? " preshared-key" : "");
	free(ips);
	return 0;
}

/* Only the fields that differ; nothing at all when none do. */
static int
change_peer(struct wg_device *set, const struct wg_peer *w,
    const struct wg_peer *h, struct plan *plan)
{
	int ep = w->endpoint.sa.sa_family != 0 &&
	    !netaddr_same_sockaddr(&w->endpoint, &h->endpoint);
	int psk = psk_differs(w, h);
	int ka = w->keepalive != h->keepalive;
	int ips = !same_prefixes(w->allowedips, w->n_allowedips,
	    h->allowedips, h->n_allowedips);
	char key[KEY_B64_LEN + 1], e1[NETADDR_ENDPOINT_MAX];
	char e2[NETADDR_ENDPOINT_MAX], d[256] = "";
	struct wg_peer *p;

	if (!ep && !psk && !ka && !ips)
		return 0;
	if ((p = set_peer(set, w)) == NULL)
		return -1;
	p->flags = WGPEER_UPDATE_ONLY;
	if (ep) {
		p->flags |= WGPEER_HAS_ENDPOINT;
		p->endpoint = w->endpoint;
	}
	if (psk) {
		p->flags |= WGPEER_HAS_PSK;
		p->preshared_key = w->preshared_key;
	}
	if (ka) {
		p->flags |= WGPEER_HAS_KEEPALIVE;
		p->keepalive = w->keepalive;
	}
	if (ips) {
		p->flags |= WGPEER_REPLACE_ALLOWEDIPS;
		p->allowedips = w->allowedips;
		p->n_allowedips = w->n_allowedips;
	}
	if (plan == NULL)
		return 0;
	key_to_base64(key, w->public_key);
	if (w->name)
		snprintf(d, sizeof(d), "name=%s ", w->name);
	if (ep)
		snprintf(d + strlen(d), sizeof(d) - strlen(d),
		    "endpoint=%s->%s ",
		    netaddr_format_sockaddr(e1, &h->endpoint),
		    netaddr_format_sockaddr(e2, &w->endpoint));
	if (ka)
		snprintf(d + strlen(d), sizeof(d) - strlen(d),
		    "keepalive=%u->%u ", h->keepalive, w->keepalive);
	if (psk)
		snprintf(d + strlen(d), sizeof(d) - strlen(d),
		    "preshared-key ");
	if (ips) {
		char *a = prefixes_text(h->allowedips, h->n_allowedips);
		char *b = prefixes_text(w->allowedips, w->n_allowedips);

		if (a == NULL || b == NULL) {
			free(a);
			free(b);
			return fail_errno("malloc");
		}
		plan_add(plan, "change\tpeer\t%s\t%sallowed-ips=%s->%s", key,
		    d, a, b);
		free(a);
		free(b);
	} else {
		d[strlen(d) - 1] = '\0';
		plan_add(plan, "change\tpeer\t%s\t%s", key, d);
	}
	return 0;
}

static int
remove_peer(struct wg_device *set, const struct wg_peer *h,
    struct plan *plan)
{
	struct wg_peer *p = set_peer(set, h);
	char key[KEY_B64_LEN + 1];

	if (p == NULL)
		return -1;
	p->flags = WGPEER_REMOVE;
	if (plan == NULL)
		return 0;
	key_to_base64(key, h->public_key);
	plan_add(plan, "remove\tpeer\t%s", key);
	return 0;
}

static void
device_keys(const struct wg_device *want, const struct wg_device *have,
    struct wg_device *set, struct plan *plan)
{
	char key[KEY_B64_LEN + 1];

	if ((want->flags & WGDEV_HAS_PRIVATE_KEY) && (have == NULL ||
	    !(have->flags & WGDEV_HAS_PRIVATE_KEY) ||
	    sodium_memcmp(want->private_key, have->private_key,
	    WG_KEY_LEN) != 0)) {
		set->flags |= WGDEV_HAS_PRIVATE_KEY;
		set->private_key = want->private_key;
		key_to_base64(key, want->public_key);
		plan_add(plan, "set\tprivate-key\t(public key %s)", key);
	}
	if ((want->flags & WGDEV_HAS_LISTEN_PORT) && (have == NULL ||
	    (want->listen_port != 0 &&
	    have->listen_port != want->listen_port))) {
		set->flags |= WGDEV_HAS_LISTEN_PORT;
		set->listen_port = want->listen_port;
		plan_add(plan, "set\tlisten-port\t%u", want->listen_port);
	}
	if ((want->flags & WGDEV_HAS_FWMARK) &&
	    (have == NULL ? want->fwmark != 0 : have->fwmark != want->fwmark)) {
		set->flags |= WGDEV_HAS_FWMARK;
		set->fwmark = want->fwmark;
		plan_add(plan, "set\tfwmark\t0x%x", want->fwmark);
	}
}

int
wgsync_device(const struct wg_device *want, struct wg_device *have,
    struct wg_device **setp, struct plan *plan)
{
	struct wg_device *set;
	const struct wg_peer **w = NULL;
	const struct wg_peer **h = NULL;
	size_t nw = want->n_peers, nh = have ? have->n_peers : 0, i, j;
	int rc = -1;

	if ((set = wgdev_new(want->name)) == NULL)
		return -1;
	device_keys(want, have, set, plan);
	if ((nw && (w = calloc(nw, sizeof(*w))) == NULL) ||
	    (nh && (h = calloc(nh, sizeof(*h))) == NULL)) {
		fail_errno("calloc");
		goto out;
	}
	for (i = 0; i < nw; i++)
		w[i] = &want->peers[i];
	for (i = 0; i < nh; i++) {
		struct wg_peer *p = &have->peers[i];

		if (p->n_allowedips > 1)
			qsort(p->allowedips, p->n_allowedips,
			    sizeof(*p->allowedips), cmp_prefix);
		h[i] = p;
	}
	if (nw > 1)
		qsort(w, nw, sizeof(*w), cmp_peer);
	if (nh > 1)
		qsort(h, nh, sizeof(*h), cmp_peer);
	for (i = 0, j = 0; i < nw || j < nh;) {
		int c = i == nw ? 1 : j == nh ? -1 :
		    memcmp(w[i]->public_key, h[j]->public_key, WG_KEY_LEN);

		if (c < 0 ? add_peer(set, w[i++], plan) :
		    c > 0 ? remove_peer(set, h[j++], plan) :
		    change_peer(set, w[i++], h[j++], plan))
			goto out;
	}
	if (plan && plan->oom) {
		fail("out of memory writing the plan");
		goto out;
	}
	*setp = set;
	set = NULL;
	rc = 0;
out:
	free(w);
	free(h);
	wgsync_free(set);
	return rc;
}

void
wgsync_free(struct wg_device *set)
{
	if (set == NULL)
		return;
	/* everything but the peer array is borrowed */
	free(set->peers);
	free(set);
}

int
wgsync_empty(const struct wg_device *set)
{
	return set->n_peers == 0 && (set->flags & (WGDEV_HAS_PRIVATE_KEY |
	    WGDEV_HAS_LISTEN_PORT | WGDEV_HAS_FWMARK |
	    WGDEV_REPLACE_PEERS)) == 0;
}

/* Does the subnet of interface address A contain prefix P? */
static int
covers(const struct wg_prefix *a, const struct wg_prefix *p)
{
	struct wg_prefix net = *a, sub = *p;

	if (a->family != p->family || a->cidr > p->cidr)
		return 0;
	netaddr_mask(&net);
	sub.cidr = a->cidr;
	netaddr_mask(&sub);
	return netaddr_cmp(&net, &sub) == 0;
}

int
wgsync_routes(const struct wg_device *want, struct wg_prefix **out,
    size_t *n)
{
	size_t total = 0, k = 0, i, j, a;
	struct wg_prefix *v;

	for (i = 0; i < want->n_peers; i++)
		total += want->peers[i].n_allowedips;
	if ((v = calloc(total ? total : 1, sizeof(*v))) == NULL)
		return fail_errno("calloc");
	for (i = 0; i < want->n_peers; i++) {
		const struct wg_peer *p = &want->peers[i];

		for (j = 0; j < p->n_allowedips; j++) {
			if (p->allowedips[j].cidr == 0)
				continue;
			for (a = 0; a < want->n_addresses; a++)
				if (covers(&want->addresses[a],
				    &p->allowedips[j]))
					break;
			if (a == want->n_addresses)
				v[k++] = p->allowedips[j];
		}
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_prefix);
	for (i = 1, j = k ? 1 : 0; i < k; i++)
		if (netaddr_cmp(&v[j - 1], &v[i]) != 0)
			v[j++] = v[i];
	*out = v;
	*n = j;
	return 0;
}

int
wgsync_prefixes(struct wg_prefix *want, size_t nwant, struct wg_prefix *have,
    size_t nhave, struct wg_prefix **add, size_t *nadd, struct wg_prefix **del,
    size_t *ndel)
{
	size_t i = 0, j = 0;

	*nadd = *ndel = 0;
	*add = calloc(nwant + 1, sizeof(**add));
	*del = calloc(nhave + 1, sizeof(**del));
	if (*add == NULL || *del == NULL) {
		free(*add);
		free(*del);
		return fail_errno("calloc");
	}
	if (nwant > 1)
		qsort(want, nwant, sizeof(*want), cmp_prefix);
	if (nhave > 1)
		qsort(have, nhave, sizeof(*have), cmp_prefix);
	while (i < nwant || j < nhave) {
		int c;

		if (i > 0 && i < nwant && netaddr_cmp(&want[i - 1],
		    &want[i]) == 0) {
			i++;		/* listed twice */
			continue;
		}
		c = i == nwant ? 1 : j == nhave ? -1 :
		    netaddr_cmp(&want[i], &have[j]);

		if (c < 0)
			(*add)[(*nadd)++] = want[i++];
		else if (c > 0)
			(*del)[(*ndel)++] = have[j++];
		else {
			i++;
			j++;
		}
	}
	return 0;
}
