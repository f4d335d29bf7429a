/*
 * The sync diff: peers matched by key, only changed fields sent, nothing
 * for an unchanged device; routes only outside the interface subnets.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "wg/netaddr.h"
#include "tap.h"
#include "wg/wgconf.h"
#include "wg/wgsync.h"

#define K1 "4C1b66jBSi5oRsN/YOVfIJMpWYF75olLsQC76xSFU0o="
#define P2 "pOI6a68mOa9GoMF2OWU97DbFxt1IibXvUWXTFkppOWs="
#define P3 "FQoTyPg3/x8FSbaWypbYcbrjmr3oHdUkuk7gVdWbplo="
#define P4 "0NcghH6JPjuyaxxZ3qjPt0pNFcI2RCC/kto8b4LJ8Fc="
#define PSK "wqF4O8EfYPOraqXjpLJOr2H8DsjgUJD2hO8ozLJgcAE="

static const char base[] =
    "[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\n"
    "Address = 10.8.0.1/24, fd00::1/64\n"
    "[Peer]\nPublicKey = " P2 "\nEndpoint = 192.0.2.2:1\n"
    "AllowedIPs = 10.8.0.2/32, 10.9.0.0/16\n"
    "[Peer]\nPublicKey = " P3 "\nAllowedIPs = 10.8.0.3/32, fd01::/64\n";

static const char changed[] =
    "[Interface]\nPrivateKey = " K1 "\nListenPort = 51821\n"
    "[Peer]\nPublicKey = " P2 "\nEndpoint = 192.0.2.22:1\n"
    "AllowedIPs = 10.9.0.0/16, 10.8.0.2/32\n"
    "[Peer]\n# dan\nPublicKey = " P4 "\nPresharedKey = " PSK "\n"
    "PersistentKeepalive = 5\nAllowedIPs = 0.0.0.0/0\n";

static struct wg_device *
parse(const char *text)
{
	struct wg_device *d = NULL;

	if (wgconf_parse("t.conf", text, strlen(text), "wg0", &d) < 0)
		printf("# %s\n", lasterr());
	return d;
}

int
main(void)
{
	struct wg_device *want = parse(base), *have = parse(base), *set = NULL;
	struct wg_prefix *r = NULL;
	struct plan pl = { 0 };
	char buf[NETADDR_PREFIX_MAX];
	size_t n = 0;

	ok(want && have, "configs parse");
	if (!want || !have)
		return done_testing();
	ok(wgsync_device(want, have, &set, &pl) == 0, "diff equal");
	ok(wgsync_empty(set), "an unchanged device: nothing to send");
	is_int(pl.n, 0, "and an empty plan");
	wgsync_free(set);
	wgdev_free(want);

	want = parse(changed);
	ok(wgsync_device(want, have, &set, &pl) == 0, "diff changed");
	is_int(set->flags, WGDEV_HAS_LISTEN_PORT, "only the port of the device");
	is_int(set->n_peers, 3, "three peers touched");
	/* sorted by key: P3 (F...) < P2 (p...) < P4 (0...) */
	is_int(set->peers[0].flags, WGPEER_REMOVE, "P3 removed");
	is_int(set->peers[1].flags, WGPEER_UPDATE_ONLY | WGPEER_HAS_ENDPOINT,
	    "P2: endpoint only (allowed IPs equal in another order)");
	is_int(set->peers[2].flags, WGPEER_REPLACE_ALLOWEDIPS | WGPEER_HAS_PSK |
	    WGPEER_HAS_KEEPALIVE, "P4 added with PSK and keepalive");
	if (!ok(pl.text && strcmp(pl.text,
	    "set\tlisten-port\t51821\n"
	    "remove\tpeer\t" P3 "\n"
	    "change\tpeer\t" P2 "\tendpoint=192.0.2.2:1->192.0.2.22:1\n"
	    "add\tpeer\t" P4 "\tname=dan endpoint=none allowed-ips=0.0.0.0/0 "
	    "keepalive=5 preshared-key\n") == 0, "the plan, in key order"))
		printf("# got:\n%s", pl.text ? pl.text : "(none)");
	wgsync_free(set);
	plan_free(&pl);

	ok(wgsync_device(want, NULL, &set, NULL) == 0, "diff against nothing");
	is_int(set->flags, WGDEV_HAS_PRIVATE_KEY | WGDEV_HAS_LISTEN_PORT,
	    "a new device gets its keys");
	is_int(set->n_peers, 2, "and every peer");
	wgsync_free(set);

	ok(wgsync_routes(have, &r, &n) == 0, "routes");
	is_int(n, 2, "two outside the subnets");
	ok(n == 2 && strcmp(netaddr_format(buf, &r[0]), "10.9.0.0/16") == 0,
	    "10.9.0.0/16");
	ok(n == 2 && strcmp(netaddr_format(buf, &r[1]), "fd01::/64") == 0,
	    "fd01::/64 (fd00::/64 is the interface's own)");
	free(r);
	ok(wgsync_routes(want, &r, &n) == 0 && n == 2, "no address: every prefix but the default route: %zu",
	    n);
	free(r);
	wgdev_free(want);
	wgdev_free(have);
	return done_testing();
}
