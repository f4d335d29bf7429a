/*
 * anemone-link -r: follow friends' dynamic addresses.  Only a peer whose
 * endpoint is a host name and whose latest handshake is stale has its
 * name looked up again; a peer with a fresh handshake keeps the endpoint
 * it roamed to.  Nothing but endpoints is changed, and nothing is sent to
 * the device when no address changed, so that cron may run it every
 * minute.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "keys.h"
#include "link.h"
#include "wg/netaddr.h"
#include "wg/wgconf.h"
#include "wg/wgsync.h"

static int
cmp_key(const void *a, const void *b)
{
	const struct wg_peer *const *x = a, *const *y = b;

	return memcmp((*x)->public_key, (*y)->public_key, WG_KEY_LEN);
}

/* HAVE's peers by key, for bsearch(). */
static const struct wg_peer **
by_key(const struct wg_device *have)
{
	const struct wg_peer **v = calloc(have->n_peers + 1, sizeof(*v));

	if (v == NULL) {
		fail_errno("calloc");
		return NULL;
	}
	for (size_t i = 0; i < have->n_peers; i++)
		v[i] = &have->peers[i];
	qsort(v, have->n_peers, sizeof(*v), cmp_key);
	return v;
}

/* A stale named peer of WANT: resolve it, add a change to SET if it moved. */
static int
refresh_peer(struct wg_peer *w, const struct wg_peer *h,
    struct wg_device *set, struct plan *pl)
{
	char key[KEY_B64_LEN + 1], e1[NETADDR_ENDPOINT_MAX];
	char e2[NETADDR_ENDPOINT_MAX];
	struct wg_peer *p;

	if (wgconf_resolve_peer(w) < 0)
		return -1;
	if (netaddr_same_sockaddr(&w->endpoint, &h->endpoint))
		return 0;
	if ((p = wgdev_add_peer(set)) == NULL)
		return -2;
	memcpy(p->public_key, w->public_key, WG_KEY_LEN);
	p->flags = WGPEER_UPDATE_ONLY | WGPEER_HAS_ENDPOINT;
	p->endpoint = w->endpoint;
	key_to_base64(key, w->public_key);
	plan_add(pl, "change\tpeer\t%s\t%s%s%sendpoint=%s->%s", key,
	    w->name ? "name=" : "", w->name ? w->name : "",
	    w->name ? " " : "", netaddr_format_sockaddr(e1, &h->endpoint),
	    netaddr_format_sockaddr(e2, &w->endpoint));
	return 0;
}

/* Stale: no handshake yet, or one at least STALE seconds old. */
static int
stale(const struct wg_peer *h, int64_t now, int64_t age)
{
	return h->handshake_sec == 0 || now - h->handshake_sec >= age;
}

int
link_refresh(struct wg_device *want, int64_t age, int dry_run, int verbose,
    FILE *out, size_t *unresolved)
{
	struct wg_device *have = NULL, *set = NULL;
	const struct wg_peer **live = NULL;
	struct plan plan = { 0 };
	int64_t now = (int64_t)time(NULL);
	int rc = -1, r;

	*unresolved = 0;
	if (wgdev_get(want->name, &have) < 0 || (live = by_key(have)) == NULL ||
	    (set = wgdev_new(want->name)) == NULL)
		goto out;
	for (size_t i = 0; i < want->n_peers; i++) {
		struct wg_peer *w = &want->peers[i];
		const struct wg_peer *key = w, **h;

		/* names only: literals are anemone-link's plain apply */
		if (!(w->flags & WGPEER_HAS_ENDPOINT) ||
		    w->endpoint.sa.sa_family != 0 ||
		    (h = bsearch(&key, live, have->n_peers, sizeof(*live),
		    cmp_key)) == NULL || !stale(*h, now, age))
			continue;
		if ((r = refresh_peer(w, *h, set, &plan)) == -2)
			goto out;
		if (r < 0) {
			link_warn(lasterr());
			++*unresolved;
		}
	}
	if (plan.oom) {
		fail("out of memory writing the plan");
		goto out;
	}
	if ((dry_run || verbose) && link_print_plan(&plan, out) < 0)
		goto out;
	rc = dry_run || set->n_peers == 0 ? 0 : wgdev_set(set);
out:
	plan_free(&plan);
	free(live);
	wgdev_free(set);
	wgdev_free(have);
	return rc;
}
