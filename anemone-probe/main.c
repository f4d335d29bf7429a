/*
 * anemone-probe: which peers of a WireGuard interface can I reach right
 * now?  Reads the live device, checks every peer's tunnel address at once,
 * prints one row per peer and exits 0 if all are up, 1 if not.
 */
#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "keys.h"
#include "wg/netaddr.h"
#include "probe.h"
#include "wg/reach.h"
#include "wg/wgdev.h"

enum { OUT_AUTO, OUT_TABLE, OUT_TSV, OUT_PROM, OUT_QUIET };
enum { P_TCP = REACH_TCP, P_ICMP = REACH_ICMP, P_NONE };

struct opts {
	const char *config;
	int out;
	int method;
	uint16_t port;
	double timeout;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: anemone-probe [-q] [-c file] [-o table|tsv|prom] "
	    "[-P tcp|icmp|none]\n"
	    "                     [-p port] [-t seconds] interface [peer ...]\n");
	exit(2);
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	char *end;
	long port;
	int ch;

	while ((ch = getopt(argc, argv, "c:o:P:p:qt:")) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "table") == 0)
				o->out = OUT_TABLE;
			else if (strcmp(optarg, "tsv") == 0)
				o->out = OUT_TSV;
			else if (strcmp(optarg, "prom") == 0)
				o->out = OUT_PROM;
			else
				errx(2, "-o %s: want table, tsv or prom", optarg);
			break;
		case 'P':
			if (strcmp(optarg, "tcp") == 0)
				o->method = P_TCP;
			else if (strcmp(optarg, "icmp") == 0)
				o->method = P_ICMP;
			else if (strcmp(optarg, "none") == 0)
				o->method = P_NONE;
			else
				errx(2, "-P %s: want tcp, icmp or none", optarg);
			break;
		case 'p':
			errno = 0;
			port = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    port < 1 || port > 65535)
				errx(2, "-p %s: want a port, 1..65535", optarg);
			o->port = (uint16_t)port;
			break;
		case 'q':
			o->out = OUT_QUIET;
			break;
		case 't':
			errno = 0;
			o->timeout = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !isfinite(o->timeout) || o->timeout <= 0 ||
			    o->timeout > 3600)
				errx(2, "-t %s: want seconds, more than 0 and at "
				    "most 3600", optarg);
			break;
		default:
			usage();
		}
	}
}

/*
 * The address to check: the peer's most specific allowed IP (a /32 or
 * /128 is its tunnel address), IPv4 before IPv6, then the lowest; a
 * whole network stands for its first host.  Default routes give none.
 */
static void
tunnel_addr(const struct wg_peer *p, union wg_endpoint *a)
{
	const struct wg_prefix *best = NULL, *x;
	struct wg_prefix h;
	size_t i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < p->n_allowedips; i++) {
		int spare, best_spare;

		x = &p->allowedips[i];
		if (x->cidr == 0)
			continue;
		spare = (x->family == AF_INET ? 32 : 128) - x->cidr;
		best_spare = best == NULL ? 999 :
		    (best->family == AF_INET ? 32 : 128) - best->cidr;
		if (best == NULL || spare < best_spare ||
		    (spare == best_spare && netaddr_cmp(x, best) < 0))
			best = x;
	}
	if (best == NULL)
		return;
	h = *best;
	if (!netaddr_host_bits(&h) &&
	    h.cidr < (h.family == AF_INET ? 31 : 127)) {
		/* the network address: take the next one */
		uint8_t *b = h.family == AF_INET ? (uint8_t *)&h.ip4 :
		    h.ip6.s6_addr;

		for (i = h.family == AF_INET ? 4 : 16; i-- > 0;)
			if (++b[i] != 0)
				break;
	}
	a->sa.sa_family = h.family;
	if (h.family == AF_INET)
		a->in.sin_addr = h.ip4;
	else
		a->in6.sin6_addr = h.ip6;
}

/* Is peer P wanted by the arguments (names or public keys)? */
static int
wanted(const struct row *r, char **want, int nwant, int *found)
{
	int i, hit = 0;

	if (nwant == 0)
		return 1;
	for (i = 0; i < nwant; i++)
		if ((r->name != NULL && strcmp(r->name, want[i]) == 0) ||
		    strcmp(r->key, want[i]) == 0) {
			found[i] = 1;
			hit = 1;
		}
	return hit;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	/* named peers first, by name; then the others by key */
	if ((x->name == NULL) != (y->name == NULL))
		return x->name == NULL ? 1 : -1;
	if (x->name != NULL && strcmp(x->name, y->name) != 0)
		return strcmp(x->name, y->name);
	return strcmp(x->key, y->key);
}

static const struct wg_peer *
cfg_peer(const struct wg_device *cfg, const struct wg_peer *p)
{
	size_t i;

	for (i = 0; cfg != NULL && i < cfg->n_peers; i++)
		if (memcmp(cfg->peers[i].public_key, p->public_key,
		    WG_KEY_LEN) == 0)
			return &cfg->peers[i];
	return NULL;
}

/*
 * One row per peer of DEV, then one per node the config says a peer
 * relays to us (its traffic takes that peer's entry, its own address).
 */
static size_t
all_rows(const struct wg_device *dev, const struct wg_device *cfg,
    struct row *rows)
{
	size_t k, j, n = 0;

	for (k = 0; k < dev->n_peers; k++) {
		const struct wg_peer *c = cfg_peer(cfg, &dev->peers[k]);
		struct row *r = &rows[n++];

		r->peer = &dev->peers[k];
		r->name = c != NULL ? c->name : NULL;
		key_to_base64(r->key, r->peer->public_key);
		tunnel_addr(r->peer, &r->reach.addr);
		for (j = 0; c != NULL && j < c->n_relayed; j++) {
			const struct wg_relayed *x = &c->relayed[j];

			r = &rows[n++];
			r->peer = &dev->peers[k];
			r->name = x->name;
			r->via = c->name;
			key_to_base64(r->key, x->public_key);
			r->reach.addr.sa.sa_family = x->addr.family;
			if (x->addr.family == AF_INET)
				r->reach.addr.in.sin_addr = x->addr.ip4;
			else
				r->reach.addr.in6.sin6_addr = x->addr.ip6;
		}
	}
	return n;
}

/* Rows picked by WANT; exits 2 for an unknown one. */
static struct row *
make_rows(const struct wg_device *dev, const struct wg_device *cfg,
    char **want, int nwant, size_t *np)
{
	struct row *rows;
	int *found, i;
	size_t k, n, total = dev->n_peers, kept = 0;

	for (k = 0; cfg != NULL && k < cfg->n_peers; k++)
		total += cfg->peers[k].n_relayed;
	if ((rows = calloc(total + 1, sizeof(*rows))) == NULL ||
	    (found = calloc((size_t)nwant + 1, sizeof(*found))) == NULL)
		err(2, "calloc");
	n = all_rows(dev, cfg, rows);
	for (k = 0; k < n; k++)
		if (wanted(&rows[k], want, nwant, found))
			rows[kept++] = rows[k];
	for (i = 0; i < nwant; i++)
		if (!found[i])
			errx(2, "%s: no peer %s%s", dev->name, want[i],
			    cfg == NULL && strlen(want[i]) != KEY_B64_LEN ?
			    " (names need -c FILE)" : "");
	free(found);
	*np = kept;
	return rows;
}

/* Run the active checks (none with -P none). */
static void
check(struct row *rows, size_t n, const struct opts *o)
{
	struct reach_target *t;
	size_t i;

	for (i = 0; i < n; i++)
		rows[i].check = o->method == P_NONE ? CHECK_SKIPPED :
		    rows[i].reach.addr.sa.sa_family == 0 ? CHECK_NOADDR :
		    CHECK_RESULT;
	if (o->method != P_NONE) {
		if ((t = calloc(n + 1, sizeof(*t))) == NULL)
			err(2, "calloc");
		for (i = 0; i < n; i++)
			t[i].addr = rows[i].reach.addr;
		if (reach_check(t, n, o->method, o->port, o->timeout) < 0)
			errx(2, "%s", lasterr());
		for (i = 0; i < n; i++)
			rows[i].reach = t[i];
		free(t);
	}
}

/*
 * Read the device again, so that handshake and counters include what the
 * checks just caused; a peer gone meanwhile keeps its first reading.
 */
static struct wg_device *
refresh(const char *ifname, struct row *rows, size_t n)
{
	struct wg_device *dev;
	size_t i, k;

	if (wgdev_get(ifname, &dev) < 0)
		errx(2, "%s", lasterr());
	for (i = 0; i < n; i++)
		for (k = 0; k < dev->n_peers; k++)
			if (memcmp(dev->peers[k].public_key,
			    rows[i].peer->public_key, WG_KEY_LEN) == 0) {
				rows[i].peer = &dev->peers[k];
				break;
			}
	return dev;
}

/* The rule: see anemone-probe(8), VERDICT. */
static void
judge(struct row *rows, size_t n, const struct opts *o)
{
	int64_t now = (int64_t)time(NULL), hs;
	size_t i;

	for (i = 0; i < n; i++) {
		hs = rows[i].peer->handshake_sec;
		rows[i].age = hs == 0 ? -1 : now > hs ? now - hs : 0;
	}
	for (i = 0; i < n; i++)
		rows[i].up = o->method == P_NONE ?
		    rows[i].age >= 0 && rows[i].age < REJECT_AFTER_SEC :
		    rows[i].check == CHECK_RESULT &&
		    rows[i].reach.result == REACH_OK;
}

int
main(int argc, char **argv)
{
	struct opts o = { .port = 2222, .timeout = 3, .method = P_TCP };
	struct wg_device *dev = NULL, *cfg = NULL, *after = NULL;
	struct row *rows;
	size_t n, i, down = 0;
	const char *ifname;

	parse_opts(argc, argv, &o);
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	ifname = argv[0];
	if (strlen(ifname) >= IFNAMSIZ)
		errx(2, "%s: interface name too long (at most %d characters)",
		    ifname, IFNAMSIZ - 1);
	if (wgdev_get(ifname, &dev) < 0)
		errx(2, "%s", lasterr());
	if (o.config != NULL && load_names(o.config, dev, &cfg) < 0)
		errx(2, "%s", lasterr());
	rows = make_rows(dev, cfg, argv + 1, argc - 1, &n);
	check(rows, n, &o);
	if (o.method != P_NONE && n > 0)
		after = refresh(ifname, rows, n);
	judge(rows, n, &o);
	qsort(rows, n, sizeof(*rows), row_cmp);
	if (o.out == OUT_AUTO)
		o.out = isatty(STDOUT_FILENO) ? OUT_TABLE : OUT_TSV;
	if (o.out == OUT_TABLE)
		print_table(stdout, rows, n);
	else if (o.out == OUT_TSV)
		print_tsv(stdout, rows, n);
	else if (o.out == OUT_PROM)
		print_prom(stdout, ifname, rows, n);
	for (i = 0; i < n; i++)
		down += !rows[i].up;
	if (fflush(stdout) != 0 || ferror(stdout))
		err(2, "stdout");
	free(rows);
	wgdev_free(dev);
	wgdev_free(after);
	wgdev_free(cfg);
	return down > 0 ? 1 : 0;
}
