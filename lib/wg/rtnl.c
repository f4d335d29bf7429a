#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "error.h"
#include "wg/netaddr.h"
#include "wg/rtnl.h"

#define NL_BUFSIZE (1u << 16)

int
nl_open(struct nl *nl, int bus)
{
	memset(nl, 0, sizeof(*nl));
	if ((nl->buf = malloc(NL_BUFSIZE)) == NULL)
		return fail_errno("malloc");
	nl->bufsize = NL_BUFSIZE;
	if ((nl->sock = mnl_socket_open(bus)) == NULL) {
		fail_errno("netlink socket");
		goto bad;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		fail_errno("netlink bind");
		goto bad;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	return 0;
bad:
	nl_close(nl);
	return -1;
}

void
nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	memset(nl, 0, sizeof(*nl));
}

struct wrap {
	mnl_cb_t cb;
	void *data;
	int failed;
};

/* Remember whether the caller's callback failed (its lasterr stands). */
static int
wrap_cb(const struct nlmsghdr *nlh, void *data)
{
	struct wrap *w = data;
	int r = w->cb ? w->cb(nlh, w->data) : MNL_CB_OK;

	if (r == MNL_CB_ERROR)
		w->failed = 1;
	return r;
}

int
nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
    const char *what)
{
	struct wrap w = { cb, data, 0 };
	uint32_t seq = ++nl->seq;
	ssize_t n;
	int rc;

	/* NLH may live in nl->buf, which the replies overwrite: keep SEQ */
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return fail_errno("%s: netlink send", what);
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, nl->bufsize);
		if (n < 0)
			return fail_errno("%s: netlink receive", what);
		rc = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid,
		    wrap_cb, &w);
		if (rc < 0 && w.failed)
			return -1;
		if (rc < 0)
			return fail_errno("%s", what);
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *
msg(struct nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

/* ---- links ---- */

static int
linkinfo_cb(const struct nlattr *a, void *data)
{
	struct rtnl_link *l = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
	    mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
		snprintf(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int
link_attr_cb(const struct nlattr *a, void *data)
{
	struct rtnl_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_MTU:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
			mnl_attr_parse_nested(a, linkinfo_cb, l);
		break;
	}
	return MNL_CB_OK;
}

static int
link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rtnl_link *l = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	l->ifindex = (uint32_t)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, l);
	return MNL_CB_OK;
}

int
rtnl_link_get(struct nl *nl, const char *ifname, struct rtnl_link *link)
{
	struct nlmsghdr *nlh = msg(nl, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	memset(link, 0, sizeof(*link));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (nl_talk(nl, nlh, link_cb, link, ifname) < 0)
		return errno == ENODEV ? 0 : -1;
	return link->ifindex != 0;
}

int
rtnl_link_create_wg(struct nl *nl, const char *ifname)
{
	struct nlmsghdr *nlh = msg(nl, RTM_NEWLINK, NLM_F_CREATE |
	    NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *nest;
	char what[IFNAMSIZ + 40];

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
	mnl_attr_nest_end(nlh, nest);
	snprintf(what, sizeof(what), "%s: creating a WireGuard link", ifname);
	return nl_talk(nl, nlh, NULL, NULL, what);
}

int
rtnl_link_delete(struct nl *nl, uint32_t ifindex, const char *ifname)
{
	struct nlmsghdr *nlh = msg(nl, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	char what[IFNAMSIZ + 20];

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	snprintf(what, sizeof(what), "%s: deleting", ifname);
	return nl_talk(nl, nlh, NULL, NULL, what);
}

int
rtnl_link_set(struct nl *nl, uint32_t ifindex, uint32_t mtu, int up)
{
	struct nlmsghdr *nlh = msg(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	if (up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_talk(nl, nlh, NULL, NULL, up ? "setting the link up" :
	    "setting the MTU");
}

/* ---- addresses and routes: lists of prefixes ---- */

struct plist {
	uint32_t ifindex;
	struct wg_prefix *v;
	size_t n, cap;
	int oom;
};

static void
plist_add(struct plist *l, int family, const void *addr, unsigned cidr)
{
	struct wg_prefix *p;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;

		if ((p = reallocarray(l->v, cap, sizeof(*p))) == NULL) {
			l->oom = 1;
			return;
		}
		l->v = p;
		l->cap = cap;
	}
	p = &l->v[l->n++];
	memset(p, 0, sizeof(*p));
	p->family = (uint16_t)family;
	p->cidr = (uint8_t)cidr;
	memcpy(family == AF_INET ? (void *)&p->ip4 : (void *)&p->ip6, addr,
	    family == AF_INET ? 4 : 16);
}

static int
plist_done(struct plist *l, const char *what, struct wg_prefix **out,
    size_t *n, int rc)
{
	if (rc == 0 && l->oom)
		rc = fail("%s: out of memory", what);
	if (rc < 0) {
		free(l->v);
		return -1;
	}
	*out = l->v;
	*n = l->n;
	return 0;
}

static int
addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct plist *l = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	const void *local = NULL, *address = NULL;
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    ifa->ifa_index != l->ifindex ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return MNL_CB_OK;
	if (ifa->ifa_family == AF_INET6 && ifa->ifa_scope == RT_SCOPE_LINK)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_payload_len(a) != alen)
			continue;
		if (mnl_attr_get_type(a) == IFA_LOCAL)
			local = mnl_attr_get_payload(a);
		else if (mnl_attr_get_type(a) == IFA_ADDRESS)
			address = mnl_attr_get_payload(a);
	}
	if (local == NULL)
		local = address;
	if (local != NULL)
		plist_add(l, ifa->ifa_family, local, ifa->ifa_prefixlen);
	return MNL_CB_OK;
}

int
rtnl_addr_list(struct nl *nl, uint32_t ifindex, struct wg_prefix **out,
    size_t *n)
{
	struct nlmsghdr *nlh = msg(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct plist l = { .ifindex = ifindex };

	ifa->ifa_family = AF_UNSPEC;
	return plist_done(&l, "listing addresses", out, n,
	    nl_talk(nl, nlh, addr_cb, &l, "listing addresses"));
}

int
rtnl_addr(struct nl *nl, uint32_t ifindex, int add, const struct wg_prefix *p)
{
	struct nlmsghdr *nlh = msg(nl, add ? RTM_NEWADDR : RTM_DELADDR,
	    add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t alen = p->family == AF_INET ? 4 : 16;
	char pfx[NETADDR_PREFIX_MAX], what[NETADDR_PREFIX_MAX + 20];

	ifa->ifa_family = (uint8_t)p->family;
	ifa->ifa_prefixlen = p->cidr;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, alen, &p->ip6);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, &p->ip6);
	snprintf(what, sizeof(what), "%s address %s", add ? "adding" :
	    "removing", netaddr_format(pfx, p));
	return nl_talk(nl, nlh, NULL, NULL, what);
}

static int
route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct plist *l = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	const void *dst = NULL;
	uint32_t oif = 0, table = rtm->rtm_table;
	size_t alen = rtm->rtm_family == AF_INET ? 4 : 16;
	static const uint8_t any[16];

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    rtm->rtm_protocol != RTNL_PROTO ||
	    (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_DST:
			if (mnl_attr_get_payload_len(a) == alen)
				dst = mnl_attr_get_payload(a);
			break;
		case RTA_OIF:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				oif = mnl_attr_get_u32(a);
			break;
		case RTA_TABLE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				table = mnl_attr_get_u32(a);
			break;
		}
	}
	if (oif == l->ifindex && table == RT_TABLE_MAIN)
		plist_add(l, rtm->rtm_family, dst ? dst : any,
		    rtm->rtm_dst_len);
	return MNL_CB_OK;
}

int
rtnl_route_list(struct nl *nl, uint32_t ifindex, struct wg_prefix **out,
    size_t *n)
{
	struct plist l = { .ifindex = ifindex };
	static const int families[] = { AF_INET, AF_INET6 };
	int rc = 0;

	for (size_t i = 0; i < 2 && rc == 0; i++) {
		struct nlmsghdr *nlh = msg(nl, RTM_GETROUTE, NLM_F_DUMP);
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh,
		    sizeof(*rtm));

		rtm->rtm_family = (uint8_t)families[i];
		rc = nl_talk(nl, nlh, route_cb, &l, "listing routes");
		if (rc < 0 && errno == EAFNOSUPPORT)
			rc = 0;		/* no IPv6 here */
	}
	return plist_done(&l, "listing routes", out, n, rc);
}

int
rtnl_route(struct nl *nl, uint32_t ifindex, int add, const struct wg_prefix *p)
{
	struct nlmsghdr *nlh = msg(nl, add ? RTM_NEWROUTE : RTM_DELROUTE,
	    add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	char pfx[NETADDR_PREFIX_MAX], what[NETADDR_PREFIX_MAX + 20];

	rtm->rtm_family = (uint8_t)p->family;
	rtm->rtm_dst_len = p->cidr;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTNL_PROTO;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, p->family == AF_INET ? 4 : 16, &p->ip6);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	snprintf(what, sizeof(what), "%s route %s", add ? "adding" :
	    "removing", netaddr_format(pfx, p));
	return nl_talk(nl, nlh, NULL, NULL, what);
}
