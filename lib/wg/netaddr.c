#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "wg/netaddr.h"
#include "quote.h"

static size_t
addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* Decimal digits only, no sign, no leading zero, value <= MAX. */
static int
parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* inet_pton on LEN bytes: 0, or -1 without touching lasterr. */
static int
parse_ip(int *family, void *addr, const char *s, size_t len)
{
	char tmp[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(tmp) || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (memchr(tmp, ':', len) != NULL) {
		if (inet_pton(AF_INET6, tmp, addr) != 1)
			return -1;
		*family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, tmp, addr) != 1)
			return -1;
		*family = AF_INET;
	}
	return 0;
}

int
netaddr_parse_prefix(struct wg_prefix *p, const char *s, size_t len)
{
	char q[QUOTE_MAX];
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	unsigned long cidr;
	int family;

	memset(p, 0, sizeof(*p));
	if (parse_ip(&family, &p->ip6, s, alen) < 0)
		return fail("bad IP address %s", quote(q, s, len));
	p->family = (uint16_t)family;
	p->cidr = family == AF_INET ? 32 : 128;
	if (slash == NULL)
		return 0;
	if (parse_uint(slash + 1, len - alen - 1, p->cidr, &cidr) < 0)
		return fail("bad prefix length in %s (want 0..%d)",
		    quote(q, s, len), p->cidr);
	p->cidr = (uint8_t)cidr;
	return 0;
}

int
netaddr_host_bits(const struct wg_prefix *p)
{
	struct wg_prefix m = *p;

	netaddr_mask(&m);
	return memcmp(&m.ip6, &p->ip6, addr_len(p->family)) != 0;
}

void
netaddr_mask(struct wg_prefix *p)
{
	uint8_t *b = (uint8_t *)&p->ip6;
	size_t n = addr_len(p->family), i;

	for (i = 0; i < n; i++) {
		if (p->cidr >= (i + 1) * 8)
			continue;
		if (p->cidr <= i * 8)
			b[i] = 0;
		else
			b[i] &= (uint8_t)(0xff00u >> (p->cidr - i * 8));
	}
}

int
netaddr_overlap(const struct wg_prefix *a, const struct wg_prefix *b)
{
	struct wg_prefix x = *a, y = *b;

	if (a->family != b->family)
		return 0;
	/* both cut to the shorter prefix: equal iff one contains the other */
	x.cidr = y.cidr = a->cidr < b->cidr ? a->cidr : b->cidr;
	netaddr_mask(&x);
	netaddr_mask(&y);
	return memcmp(&x.ip6, &y.ip6, addr_len(a->family)) == 0;
}

int
netaddr_cmp(const struct wg_prefix *a, const struct wg_prefix *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((c = memcmp(&a->ip6, &b->ip6, addr_len(a->family))) != 0)
		return c;
	return (a->cidr > b->cidr) - (a->cidr < b->cidr);
}

char *
netaddr_format(char buf[NETADDR_PREFIX_MAX], const struct wg_prefix *p)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(p->family, &p->ip6, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, NETADDR_PREFIX_MAX, "%s/%u", a, p->cidr);
	return buf;
}

/* RFC 1123 host name: labels of letters, digits and '-', 1..63 each. */
static int
valid_hostname(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return s[len - 1] != '-';
}

int
netaddr_parse_endpoint(struct netaddr_endpoint *e, const char *s, size_t len)
{
	char q[QUOTE_MAX];
	const char *host, *colon;
	size_t hlen;
	unsigned long port;
	int family;

	memset(e, 0, sizeof(*e));
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL || close + 1 == s + len || close[1] != ':')
			return fail("bad endpoint %s (want [IPv6]:PORT)",
			    quote(q, s, len));
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
		if (parse_ip(&family, &e->addr.in6.sin6_addr, host, hlen) < 0 ||
		    family != AF_INET6)
			return fail("bad IPv6 address in endpoint %s",
			    quote(q, s, len));
	} else {
		if ((colon = memrchr(s, ':', len)) == NULL)
			return fail("bad endpoint %s (want HOST:PORT)",
			    quote(q, s, len));
		host = s;
		hlen = (size_t)(colon - s);
		if (memchr(host, ':', hlen) != NULL)
			return fail("bad endpoint %s (an IPv6 address needs "
			    "brackets: [ADDRESS]:PORT)", quote(q, s, len));
		family = 0;
		if (parse_ip(&family, &e->addr.in.sin_addr, host, hlen) < 0) {
			family = 0;
			if (!valid_hostname(host, hlen))
				return fail("bad host name in endpoint %s",
				    quote(q, s, len));
		}
	}
	if (parse_uint(colon + 1, len - (size_t)(colon + 1 - s), 65535,
	    &port) < 0 || port == 0)
		return fail("bad port in endpoint %s (want 1..65535)",
		    quote(q, s, len));
	memcpy(e->host, host, hlen);
	e->host[hlen] = '\0';
	e->port = (uint16_t)port;
	e->family = family;
	if (family == AF_INET) {
		e->addr.in.sin_family = AF_INET;
		e->addr.in.sin_port = htons(e->port);
	} else if (family == AF_INET6) {
		e->addr.in6.sin6_family = AF_INET6;
		e->addr.in6.sin6_port = htons(e->port);
	}
	return 0;
}

int
netaddr_resolve_endpoint(union wg_endpoint *out,
    const struct netaddr_endpoint *e)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int rc;

	memset(out, 0, sizeof(*out));
	if (e->family != 0) {
		*out = e->addr;
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", e->port);
	if ((rc = getaddrinfo(e->host, port, &hints, &res)) != 0)
		return fail("%s: %s", e->host, gai_strerror(rc));
	if (res->ai_addrlen > sizeof(*out) ||
	    (res->ai_family != AF_INET && res->ai_family != AF_INET6)) {
		freeaddrinfo(res);
		return fail("%s: no IPv4 or IPv6 address", e->host);
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

char *
netaddr_format_endpoint(char buf[NETADDR_ENDPOINT_MAX],
    const struct netaddr_endpoint *e)
{
	char a[INET6_ADDRSTRLEN];

	if (e->family == AF_INET6) {
		inet_ntop(AF_INET6, &e->addr.in6.sin6_addr, a, sizeof(a));
		snprintf(buf, NETADDR_ENDPOINT_MAX, "[%s]:%u", a, e->port);
	} else if (e->family == AF_INET) {
		inet_ntop(AF_INET, &e->addr.in.sin_addr, a, sizeof(a));
		snprintf(buf, NETADDR_ENDPOINT_MAX, "%s:%u", a, e->port);
	} else
		snprintf(buf, NETADDR_ENDPOINT_MAX, "%s:%u", e->host, e->port);
	return buf;
}

char *
netaddr_format_sockaddr(char buf[NETADDR_ENDPOINT_MAX],
    const union wg_endpoint *ep)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &ep->in.sin_addr, a, sizeof(a));
		snprintf(buf, NETADDR_ENDPOINT_MAX, "%s:%u", a,
		    ntohs(ep->in.sin_port));
	} else if (ep->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a));
		snprintf(buf, NETADDR_ENDPOINT_MAX, "[%s]:%u", a,
		    ntohs(ep->in6.sin6_port));
	} else {
		snprintf(buf, NETADDR_ENDPOINT_MAX, "none");
	}
	return buf;
}

int
netaddr_same_sockaddr(const union wg_endpoint *a, const union wg_endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		    a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		    memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
	return 1;
}
