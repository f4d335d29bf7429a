/*
 * rtnetlink through libmnl: the link, its addresses and routes, as
 * anemone-link needs them.  One socket per struct nl; every request is
 * acknowledged before the call returns.  Routes anemone-link adds carry
 * their own protocol number (RTNL_PROTO) so that it can tell them from
 * routes it did not add.
 */
#ifndef ANEMONE_RTNL_H
#define ANEMONE_RTNL_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

#include "wg/wgdev.h"

#define RTNL_PROTO 97			/* rtm_protocol of our routes */

struct nl {
	struct mnl_socket *sock;
	uint32_t portid, seq;
	char *buf;			/* MNL_SOCKET_BUFFER_SIZE-ish */
	size_t bufsize;
};

/* Open a netlink socket of protocol BUS (NETLINK_ROUTE, NETLINK_GENERIC). */
int nl_open(struct nl *nl, int bus);
void nl_close(struct nl *nl);

/*
 * Send NLH (ACK requested here) and run CB (may be NULL) over every reply
 * until the ack or the end of the dump.  Returns 0, or -1 with errno set
 * from the kernel's answer (lasterr: WHAT and the system error).
 */
int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
    const char *what);

struct rtnl_link {
	uint32_t ifindex;
	uint32_t mtu;
	unsigned flags;			/* IFF_* */
	char kind[16];			/* IFLA_INFO_KIND, "" if none */
};

/* Look IFNAME up: 1 found (*LINK filled), 0 no such link, -1 error. */
int rtnl_link_get(struct nl *nl, const char *ifname, struct rtnl_link *link);

/*
 * Create a kernel WireGuard link IFNAME.  -1 with errno EOPNOTSUPP when
 * the kernel has no WireGuard (lasterr set either way).
 */
int rtnl_link_create_wg(struct nl *nl, const char *ifname);

int rtnl_link_delete(struct nl *nl, uint32_t ifindex, const char *ifname);

/* Set MTU (0: leave) and bring the link up when UP.  0 or -1. */
int rtnl_link_set(struct nl *nl, uint32_t ifindex, uint32_t mtu, int up);

/* The addresses of IFINDEX (link-local IPv6 ones left out).  malloc'd. */
int rtnl_addr_list(struct nl *nl, uint32_t ifindex, struct wg_prefix **out,
    size_t *n);

/* Add (ADD) or delete an address on IFINDEX.  0 or -1. */
int rtnl_addr(struct nl *nl, uint32_t ifindex, int add,
    const struct wg_prefix *p);

/* Main-table routes via IFINDEX with protocol RTNL_PROTO.  malloc'd. */
int rtnl_route_list(struct nl *nl, uint32_t ifindex, struct wg_prefix **out,
    size_t *n);

/* Add or delete the route P dev IFINDEX proto RTNL_PROTO.  0 or -1. */
int rtnl_route(struct nl *nl, uint32_t ifindex, int add,
    const struct wg_prefix *p);

#endif
