/*
 * Backend dispatch: a kernel WireGuard link (rtnetlink says its kind is
 * "wireguard") is driven over generic netlink, anything else through the
 * userspace UAPI socket.
 */
#include <string.h>

#include <linux/netlink.h>

#include "error.h"
#include "wg/rtnl.h"
#include "wg/wgdev.h"

/* 1 kernel WireGuard link, 0 not one, -1 error. */
static int
is_kernel(const char *ifname)
{
	struct nl nl;
	struct rtnl_link l;
	int r;

	if (nl_open(&nl, NETLINK_ROUTE) < 0)
		return -1;
	r = rtnl_link_get(&nl, ifname, &l);
	nl_close(&nl);
	if (r < 0)
		return -1;
	return r == 1 && strcmp(l.kind, "wireguard") == 0;
}

int
wgdev_get(const char *ifname, struct wg_device **dev)
{
	int k = is_kernel(ifname);

	if (k < 0)
		return -1;
	return k ? nlwg_get(ifname, dev) : uapi_get(ifname, dev);
}

int
wgdev_set(const struct wg_device *dev)
{
	int k = is_kernel(dev->name);

	if (k < 0)
		return -1;
	return k ? nlwg_set(dev) : uapi_set(dev);
}
