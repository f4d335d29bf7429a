/* lib/wg/netaddr.c: prefixes, host bits, overlap, endpoints. */
#include <arpa/inet.h>
#include <string.h>

#include "error.h"
#include "wg/netaddr.h"
#include "tap.h"

static struct wg_prefix
P(const char *s)
{
	struct wg_prefix p;

	if (netaddr_parse_prefix(&p, s, strlen(s)) < 0)
		memset(&p, 0xee, sizeof(p));
	return p;
}

static void
good_prefix(const char *s, const char *want, int host_bits)
{
	char buf[NETADDR_PREFIX_MAX];
	struct wg_prefix p;
	int rc = netaddr_parse_prefix(&p, s, strlen(s));

	ok(rc == 0 && strcmp(netaddr_format(buf, &p), want) == 0,
	    "prefix %s -> %s", s, want);
	is_int(rc == 0 ? netaddr_host_bits(&p) : -1, host_bits,
	    "host bits of %s", s);
}

static void
bad_prefix(const char *s, const char *msg)
{
	int rc = netaddr_parse_prefix(&(struct wg_prefix){ 0 }, s, strlen(s));

	ok(rc == -1 && strcmp(lasterr(), msg) == 0, "reject: %s", msg);
	if (rc == 0 || strcmp(lasterr(), msg) != 0)
		printf("#   got: %s\n", rc == 0 ? "accepted" : lasterr());
}

static void
good_endpoint(const char *s, const char *host, unsigned port, int family,
    const char *canon)
{
	struct netaddr_endpoint e;
	char buf[NETADDR_ENDPOINT_MAX];
	int rc = netaddr_parse_endpoint(&e, s, strlen(s));

	ok(rc == 0 && strcmp(e.host, host) == 0 && e.port == port &&
	    e.family == family &&
	    strcmp(netaddr_format_endpoint(buf, &e), canon) == 0,
	    "endpoint %s", s);
}

static void
bad_endpoint(const char *s, const char *msg)
{
	struct netaddr_endpoint e;
	int rc = netaddr_parse_endpoint(&e, s, strlen(s));

	ok(rc == -1 && strcmp(lasterr(), msg) == 0, "reject endpoint %s", s);
	if (rc == 0 || strcmp(lasterr(), msg) != 0)
		printf("#   got: %s\n", rc == 0 ? "accepted" : lasterr());
}

int
main(void)
{
	struct wg_prefix a, b;
	struct netaddr_endpoint e;
	union wg_endpoint sa;

	good_prefix("10.8.0.1/24", "10.8.0.1/24", 1);
	good_prefix("10.8.0.0/24", "10.8.0.0/24", 0);
	good_prefix("10.8.0.2", "10.8.0.2/32", 0);
	good_prefix("0.0.0.0/0", "0.0.0.0/0", 0);
	good_prefix("1.2.3.4/0", "1.2.3.4/0", 1);
	good_prefix("10.8.0.128/25", "10.8.0.128/25", 0);
	good_prefix("10.8.0.129/25", "10.8.0.129/25", 1);
	good_prefix("fd00:0:0::1/64", "fd00::1/64", 1);
	good_prefix("fd00::/64", "fd00::/64", 0);
	good_prefix("::/0", "::/0", 0);
	good_prefix("2001:db8::1", "2001:db8::1/128", 0);
	good_prefix("2001:db8:8000::/33", "2001:db8:8000::/33", 0);
	good_prefix("2001:db8:c000::/33", "2001:db8:c000::/33", 1);

	bad_prefix("10.8.0.300/24", "bad IP address \"10.8.0.300/24\"");
	bad_prefix("10.8.0/24", "bad IP address \"10.8.0/24\"");
	bad_prefix("", "bad IP address \"\"");
	bad_prefix("10.8.0.1/33", "bad prefix length in \"10.8.0.1/33\" "
	    "(want 0..32)");
	bad_prefix("fd00::/129", "bad prefix length in \"fd00::/129\" "
	    "(want 0..128)");
	bad_prefix("10.8.0.1/", "bad prefix length in \"10.8.0.1/\" "
	    "(want 0..32)");
	bad_prefix("10.8.0.1/024", "bad prefix length in \"10.8.0.1/024\" "
	    "(want 0..32)");
	bad_prefix("10.8.0.1/-1", "bad prefix length in \"10.8.0.1/-1\" "
	    "(want 0..32)");
	bad_prefix("10.8.0.1/2x", "bad prefix length in \"10.8.0.1/2x\" "
	    "(want 0..32)");
	bad_prefix(" 10.8.0.1", "bad IP address \" 10.8.0.1\"");
	bad_prefix("fe80::1%eth0/64", "bad IP address \"fe80::1%eth0/64\"");
	bad_prefix("10.8.0.1/24/8", "bad prefix length in \"10.8.0.1/24/8\" "
	    "(want 0..32)");
	bad_prefix("a\nb", "bad IP address \"a\\x0ab\"");
	ok(netaddr_parse_prefix(&a, "10.8.0.1/24", 4) == -1,
	    "length is honoured (\"10.8\")");

	a = P("10.8.0.1/24");
	netaddr_mask(&a);
	b = P("10.8.0.0/24");
	ok(netaddr_cmp(&a, &b) == 0, "mask clears host bits");
	a = P("2001:db8:ffff::1/20");
	netaddr_mask(&a);
	b = P("2001:0::/20");
	ok(netaddr_cmp(&a, &b) == 0, "mask clears IPv6 host bits mid-byte");

	a = P("10.8.0.0/24"), b = P("10.8.0.2/32");
	ok(netaddr_overlap(&a, &b) && netaddr_overlap(&b, &a),
	    "10.8.0.0/24 overlaps 10.8.0.2/32 both ways");
	a = P("10.8.0.0/24"), b = P("10.8.1.0/24");
	ok(!netaddr_overlap(&a, &b), "neighbouring /24s do not overlap");
	a = P("0.0.0.0/0"), b = P("192.0.2.7/32");
	ok(netaddr_overlap(&a, &b), "default route overlaps everything");
	a = P("0.0.0.0/0"), b = P("::/0");
	ok(!netaddr_overlap(&a, &b), "families never overlap");
	a = P("fd00::/8"), b = P("fd12:3456::/32");
	ok(netaddr_overlap(&a, &b), "fd00::/8 overlaps fd12:3456::/32");
	a = P("10.8.0.2/32"), b = P("10.8.0.3/32");
	ok(!netaddr_overlap(&a, &b), "two hosts do not overlap");
	a = P("10.8.0.0/24"), b = P("10.8.0.0/25");
	ok(netaddr_cmp(&a, &b) < 0, "cmp: shorter prefix first");
	a = P("10.8.0.0/24"), b = P("fd00::/8");
	ok(netaddr_cmp(&a, &b) < 0 && netaddr_cmp(&b, &a) > 0,
	    "cmp: IPv4 before IPv6");

	good_endpoint("192.0.2.1:51820", "192.0.2.1", 51820, AF_INET,
	    "192.0.2.1:51820");
	good_endpoint("[2001:db8::0:1]:1", "2001:db8::0:1", 1, AF_INET6,
	    "[2001:db8::1]:1");
	good_endpoint("alice.duckdns.org:51820", "alice.duckdns.org", 51820, 0,
	    "alice.duckdns.org:51820");
	good_endpoint("localhost:65535", "localhost", 65535, 0,
	    "localhost:65535");
	good_endpoint("a-b.c:7", "a-b.c", 7, 0, "a-b.c:7");
	bad_endpoint("192.0.2.1", "bad endpoint \"192.0.2.1\" (want HOST:PORT)");
	bad_endpoint("192.0.2.1:0", "bad port in endpoint \"192.0.2.1:0\" "
	    "(want 1..65535)");
	bad_endpoint("192.0.2.1:65536", "bad port in endpoint "
	    "\"192.0.2.1:65536\" (want 1..65535)");
	bad_endpoint("192.0.2.1:", "bad port in endpoint \"192.0.2.1:\" "
	    "(want 1..65535)");
	bad_endpoint("2001:db8::1:51820", "bad endpoint \"2001:db8::1:51820\" "
	    "(an IPv6 address needs brackets: [ADDRESS]:PORT)");
	bad_endpoint("[2001:db8::1]51820", "bad endpoint "
	    "\"[2001:db8::1]51820\" (want [IPv6]:PORT)");
	bad_endpoint("[192.0.2.1]:5", "bad IPv6 address in endpoint "
	    "\"[192.0.2.1]:5\"");
	bad_endpoint("[2001:db8::1", "bad endpoint \"[2001:db8::1\" "
	    "(want [IPv6]:PORT)");
	bad_endpoint("-a.org:5", "bad host name in endpoint \"-a.org:5\"");
	bad_endpoint("a..org:5", "bad host name in endpoint \"a..org:5\"");
	bad_endpoint("a_b.org:5", "bad host name in endpoint \"a_b.org:5\"");
	bad_endpoint(":5", "bad host name in endpoint \":5\"");
	bad_endpoint("a.org:+5", "bad port in endpoint \"a.org:+5\" "
	    "(want 1..65535)");

	ok(netaddr_parse_endpoint(&e, "[2001:db8::1]:51820", 19) == 0 &&
	    netaddr_resolve_endpoint(&sa, &e) == 0 &&
	    sa.sa.sa_family == AF_INET6 && ntohs(sa.in6.sin6_port) == 51820,
	    "resolve an IPv6 literal");
	ok(netaddr_parse_endpoint(&e, "192.0.2.9:7", 11) == 0 &&
	    netaddr_resolve_endpoint(&sa, &e) == 0 &&
	    sa.sa.sa_family == AF_INET && ntohs(sa.in.sin_port) == 7 &&
	    sa.in.sin_addr.s_addr == htonl(0xc0000209),
	    "resolve an IPv4 literal");
	ok(netaddr_parse_endpoint(&e, "localhost:9", 11) == 0 &&
	    netaddr_resolve_endpoint(&sa, &e) == 0 &&
	    (sa.sa.sa_family == AF_INET || sa.sa.sa_family == AF_INET6),
	    "resolve localhost");
	return done_testing();
}
