/*
 * Plan, then apply: everything is read and diffed before anything is
 * changed, so the dry run prints exactly what a real run then does.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "error.h"
#include "link.h"
#include "wg/netaddr.h"
#include "wg/rtnl.h"
#include "wg/uapi.h"
#include "wg/wgsync.h"

struct job {
	struct nl nl;
	struct rtnl_link link;
	int exists;
	struct wg_device *have;		/* the running device, or NULL */
	struct wg_device *set;		/* what to send to it */
	struct wg_prefix *addr_add, *addr_del, *route_add, *route_del;
	size_t n_addr_add, n_addr_del, n_route_add, n_route_del;
	uint32_t mtu;			/* 0: leave */
	int up;
	struct plan plan;
	struct plan *pl;			/* &plan, or NULL: not wanted */
	int get_fd;			/* a UAPI get=1 under way, or -1 */
};

static void
job_free(struct job *j)
{
	nl_close(&j->nl);
	if (j->get_fd >= 0)
		close(j->get_fd);
	wgdev_free(j->have);
	wgsync_free(j->set);
	free(j->addr_add);
	free(j->addr_del);
	free(j->route_add);
	free(j->route_del);
	plan_free(&j->plan);
}

static void
plan_prefixes(struct plan *pl, const char *action, const char *what,
    const struct wg_prefix *v, size_t n)
{
	char buf[NETADDR_PREFIX_MAX];

	for (size_t i = 0; i < n; i++)
		plan_add(pl, "%s\t%s\t%s", action, what,
		    netaddr_format(buf, &v[i]));
}

/* Read the live state and work out the changes. */
static int
plan(struct job *j, struct wg_device *want)
{
	struct wg_prefix *have_addr = NULL, *have_route = NULL, *routes = NULL;
	size_t n_have_addr = 0, n_have_route = 0, n_routes = 0;
	int r, rc = -1;

	if ((r = rtnl_link_get(&j->nl, want->name, &j->link)) < 0)
		return -1;
	j->exists = r;
	if (!j->exists)
		plan_add(j->pl, "create\tinterface\t%s", want->name);
	else if (j->get_fd >= 0 && strcmp(j->link.kind, "wireguard") != 0) {
		r = uapi_get_finish(j->get_fd, want->name, &j->have);
		j->get_fd = -1;
		if (r < 0)
			return -1;
	} else if (wgdev_get(want->name, &j->have) < 0) {
		if (strcmp(j->link.kind, "wireguard") != 0 &&
		    uapi_open(want->name) < 0)
			return fail("%s: exists and is not a WireGuard "
			    "interface", want->name);
		return -1;
	}
	if (wgsync_device(want, j->have, &j->set, j->pl) < 0)
		return -1;
	if (j->exists && (rtnl_addr_list(&j->nl, j->link.ifindex, &have_addr,
	    &n_have_addr) < 0 || rtnl_route_list(&j->nl, j->link.ifindex,
	    &have_route, &n_have_route) < 0))
		goto out;
	if (wgsync_prefixes(want->addresses, want->n_addresses, have_addr,
	    n_have_addr, &j->addr_add, &j->n_addr_add, &j->addr_del,
	    &j->n_addr_del) < 0)
		goto out;
	plan_prefixes(j->pl, "remove", "address", j->addr_del,
	    j->n_addr_del);
	plan_prefixes(j->pl, "add", "address", j->addr_add, j->n_addr_add);
	if ((want->flags & WGDEV_HAS_MTU) && (!j->exists ||
	    j->link.mtu != want->mtu)) {
		j->mtu = want->mtu;
		plan_add(j->pl, "set\tmtu\t%u", want->mtu);
	}
	if (!j->exists || !(j->link.flags & IFF_UP)) {
		j->up = 1;
		plan_add(j->pl, "set\tlink\tup");
	}
	if (wgsync_routes(want, &routes, &n_routes) < 0 ||
	    wgsync_prefixes(routes, n_routes, have_route, n_have_route,
	    &j->route_add, &j->n_route_add, &j->route_del,
	    &j->n_route_del) < 0)
		goto out;
	plan_prefixes(j->pl, "remove", "route", j->route_del,
	    j->n_route_del);
	plan_prefixes(j->pl, "add", "route", j->route_add, j->n_route_add);
	if (j->pl && j->pl->oom) {
		fail("out of memory writing the plan");
		goto out;
	}
	rc = 0;
out:
	free(have_addr);
	free(have_route);
	free(routes);
	return rc;
}

/* Terminal: aligned columns; otherwise the tab-separated lines as they are. */
static void
print_plan(const struct plan *pl, FILE *out)
{
	const char *s = pl->text, *nl;

	if (s == NULL)
		return;
	if (!isatty(fileno(out))) {
		fputs(s, out);
		return;
	}
	for (; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
		const char *t1 = memchr(s, '\t', (size_t)(nl - s));
		const char *t2 = t1 ? memchr(t1 + 1, '\t',
		    (size_t)(nl - t1 - 1)) : NULL;

		if (t1 == NULL || t2 == NULL) {
			fprintf(out, "%.*s\n", (int)(nl - s), s);
			continue;
		}
		fprintf(out, "%-7.*s %-12.*s ", (int)(t1 - s), s,
		    (int)(t2 - t1 - 1), t1 + 1);
		for (const char *c = t2 + 1; c < nl; c++)
			fputc(*c == '\t' ? ' ' : *c, out);
		fputc('\n', out);
	}
}

int
link_print_plan(const struct plan *pl, FILE *out)
{
	print_plan(pl, out);
	if (fflush(out) != 0)
		return fail_errno("writing the plan");
	return 0;
}

enum step { S_CREATE, S_DEVICE, S_ADDR, S_MTU, S_UP, S_ROUTES, S_END };

static const char *const step_name[] = {
	"interface", "keys and peers", "addresses", "MTU", "link up",
	"routes",
};

/* lasterr becomes "NAME: why; applied: ...; not applied: STEP, ..." */
static int
report(const char *ifname, enum step failed, unsigned done)
{
	char why[512], ok[128] = "", no[128] = "";
	const char *e = lasterr();
	size_t n = strlen(ifname);

	/* "NAME: " once is enough */
	if (strncmp(e, ifname, n) == 0 && strncmp(e + n, ": ", 2) == 0)
		e += n + 2;
	snprintf(why, sizeof(why), "%s", e);
	for (int s = 0; s < S_END; s++) {
		char *b = (done & (1u << s)) ? ok : no;

		if (b == no && s < (int)failed)
			continue;
		snprintf(b + strlen(b), 128 - strlen(b), "%s%s",
		    *b ? ", " : "", step_name[s]);
	}
	return fail("%s: %s; applied: %s; not applied: %s", ifname, why,
	    *ok ? ok : "nothing", no);
}

/* Apply removals DEL, then additions ADD, of addresses or routes. */
static int
prefixes(struct job *j, int route, const struct wg_prefix *del, size_t ndel,
    const struct wg_prefix *add, size_t nadd)
{
	char why[512];
	size_t i;

	for (i = 0; i < ndel + nadd; i++) {
		int a = i >= ndel;
		const struct wg_prefix *p = a ? &add[i - ndel] : &del[i];

		if ((route ? rtnl_route(&j->nl, j->link.ifindex, a, p) :
		    rtnl_addr(&j->nl, j->link.ifindex, a, p)) == 0)
			continue;
		if (i == 0)
			return -1;
		snprintf(why, sizeof(why), "%s", lasterr());
		return fail("%s (%zu of %zu %s changes were made)", why, i,
		    ndel + nadd, route ? "route" : "address");
	}
	return 0;
}

static int
create(struct job *j, const char *ifname)
{
	if (rtnl_link_create_wg(&j->nl, ifname) < 0) {
		if (errno != EOPNOTSUPP)
			return -1;
		if (userspace_start(ifname) < 0)
			return -1;
	}
	if (rtnl_link_get(&j->nl, ifname, &j->link) <= 0)
		return fail("%s: created, then gone", ifname);
	return 0;
}

static int
apply(struct job *j, struct wg_device *want)
{
	unsigned done = 0;
	enum step s = S_CREATE;

	if (!j->exists) {
		if (create(j, want->name) < 0)
			goto bad;
		j->set->ifindex = j->link.ifindex;
	}
	done |= 1u << s++;
	if (!wgsync_empty(j->set) && wgdev_set(j->set) < 0)
		goto bad;
	done |= 1u << s++;
	if (prefixes(j, 0, j->addr_del, j->n_addr_del, j->addr_add,
	    j->n_addr_add) < 0)
		goto bad;
	done |= 1u << s++;
	if (j->mtu && rtnl_link_set(&j->nl, j->link.ifindex, j->mtu, 0) < 0)
		goto bad;
	done |= 1u << s++;
	if (j->up && rtnl_link_set(&j->nl, j->link.ifindex, 0, 1) < 0)
		goto bad;
	done |= 1u << s++;
	if (prefixes(j, 1, j->route_del, j->n_route_del, j->route_add,
	    j->n_route_add) < 0)
		goto bad;
	return 0;
bad:
	return report(want->name, s, done);
}

int
link_prefetch(const char *ifname)
{
	char sock[sizeof(UAPI_DIR) + IFNAMSIZ + 8];
	int fd;

	snprintf(sock, sizeof(sock), "%s/%s.sock", UAPI_DIR, ifname);
	if (access(sock, F_OK) != 0 || (fd = uapi_get_start(ifname)) < 0)
		return -1;
	return fd;
}

int
link_apply(struct wg_device *want, int get_fd, int dry_run, int verbose,
    FILE *out)
{
	struct job j;
	int rc = -1;

	memset(&j, 0, sizeof(j));
	j.get_fd = get_fd;
	if (dry_run || verbose)
		j.pl = &j.plan;
	if (nl_open(&j.nl, NETLINK_ROUTE) < 0)
		return -1;
	if (plan(&j, want) < 0)
		goto out;
	if ((dry_run || verbose) && link_print_plan(&j.plan, out) < 0)
		goto out;
	rc = dry_run ? 0 : apply(&j, want);
out:
	job_free(&j);
	return rc;
}

int
link_delete(const char *ifname)
{
	struct nl nl;
	struct rtnl_link l;
	char sock[sizeof(UAPI_DIR) + IFNAMSIZ + 8];
	int r, pid = -1, rc = -1;

	if (nl_open(&nl, NETLINK_ROUTE) < 0)
		return -1;
	if ((r = rtnl_link_get(&nl, ifname, &l)) <= 0) {
		if (r == 0)
			fail("%s: no such interface", ifname);
		goto out;
	}
	if (strcmp(l.kind, "wireguard") != 0 &&
	    (pid = userspace_pid(ifname)) < 0) {
		fail("%s: not a WireGuard interface", ifname);
		goto out;
	}
	if (rtnl_link_delete(&nl, l.ifindex, ifname) < 0)
		goto out;
	rc = 0;
	if (pid <= 0)
		goto out;
	/* the daemon notices its TUN going away; give it two seconds */
	snprintf(sock, sizeof(sock), "%s/%s.sock", UAPI_DIR, ifname);
	for (int i = 0; i < 40 && access(sock, F_OK) == 0; i++)
		link_nap();
	if (access(sock, F_OK) == 0 && userspace_pid(ifname) == pid)
		kill(pid, SIGTERM);
out:
	nl_close(&nl);
	return rc;
}
