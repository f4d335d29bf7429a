/*
 * lib/wg/reach.c over loopback only: TCP accepted and refused, IPv4 and
 * IPv6, ICMP echo, targets without an address, and more targets than
 * descriptors (the sliding window).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "wg/reach.h"
#include "tap.h"

/* A listening TCP socket on loopback of FAMILY; its port in *PORT. */
static int
listener(int family, uint16_t *port)
{
	union wg_endpoint a = { 0 };
	socklen_t len;
	int fd;

	if ((fd = socket(family, SOCK_STREAM, 0)) < 0)
		return -1;
	if (family == AF_INET) {
		a.in.sin_family = AF_INET;
		a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(a.in);
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_addr = in6addr_loopback;
		len = sizeof(a.in6);
	}
	if (bind(fd, &a.sa, len) < 0 || listen(fd, 4096) < 0 ||
	    getsockname(fd, &a.sa, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? a.in.sin_port : a.in6.sin6_port);
	return fd;
}

static void
loop4(union wg_endpoint *a)
{
	memset(a, 0, sizeof(*a));
	a->in.sin_family = AF_INET;
	a->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static void
loop6(union wg_endpoint *a)
{
	memset(a, 0, sizeof(*a));
	a->in6.sin6_family = AF_INET6;
	a->in6.sin6_addr = in6addr_loopback;
}

int
main(void)
{
	struct reach_target t[300];
	struct rlimit rl;
	uint16_t port4, port6, closed;
	int l4, l6, c, i, n, all;

	/* a port nobody listens on: bind one, note it, close it */
	if ((c = listener(AF_INET, &closed)) < 0)
		return printf("Bail out! no loopback\n"), 1;
	close(c);
	l4 = listener(AF_INET, &port4);
	l6 = listener(AF_INET6, &port6);
	ok(l4 >= 0, "IPv4 loopback listener");

	memset(t, 0, sizeof(t));
	loop4(&t[0].addr);
	/* t[1]: no address, skipped */
	is_int(reach_check(t, 2, REACH_TCP, port4, 2), 0, "TCP check runs");
	is_int(t[0].result, REACH_OK, "TCP to a listener: ok");
	ok(t[0].rtt > 0 && t[0].rtt < 2, "  with its time");
	is_int(t[1].result, REACH_NONE, "no address: not checked");

	is_int(reach_check(t, 1, REACH_TCP, closed, 2), 0, "TCP, closed port");
	is_int(t[0].result, REACH_REFUSED, "  refused");
	ok(strcmp(reach_result_name(t[0].result), "refused") == 0,
	    "  named refused");

	if (l6 >= 0) {
		loop6(&t[0].addr);
		loop6(&t[1].addr);
		is_int(reach_check(t, 1, REACH_TCP, port6, 2), 0, "TCP over IPv6");
		is_int(t[0].result, REACH_OK, "  ok");
		is_int(reach_check(t, 2, REACH_ICMP, 0, 2), 0, "ICMPv6 echo");
		ok(t[0].result == REACH_OK && t[1].result == REACH_OK,
		    "  two replies for two targets at one address");
	} else {
		ok(1, "# SKIP no IPv6 loopback");
	}

	memset(t, 0, sizeof(t));
	loop4(&t[0].addr);
	if (reach_check(t, 1, REACH_ICMP, 0, 2) == 0)
		is_int(t[0].result, REACH_OK, "ICMP echo to 127.0.0.1: ok");
	else
		ok(1, "# SKIP no ICMP socket: %s", lasterr());

	/* more targets than descriptors: they take turns */
	n = 300;
	rl.rlim_cur = rl.rlim_max = 100;
	ok(setrlimit(RLIMIT_NOFILE, &rl) == 0, "descriptors limited to 100");
	memset(t, 0, sizeof(t));
	for (i = 0; i < n; i++)
		loop4(&t[i].addr);
	is_int(reach_check(t, (size_t)n, REACH_TCP, port4, 5), 0,
	    "300 TCP checks with 100 descriptors");
	for (all = 1, i = 0; i < n; i++)
		all &= t[i].result == REACH_OK;
	ok(all, "  all ok");
	close(l4);
	if (l6 >= 0)
		close(l6);
	return done_testing();
}
