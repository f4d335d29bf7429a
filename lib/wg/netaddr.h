/*
 * IP addresses, prefixes ("10.8.0.0/24", "fd00::1/64") and endpoints
 * ("host:port", "[v6]:port") as written in anemone.yaml and wg0.conf.
 * Parsers take a length (the text need not be NUL-terminated) and on
 * failure set lasterr to a message that quotes the bad text but names no
 * place: the caller prefixes "FILE:LINE:COL: ".
 */
#ifndef ANEMONE_NETADDR_H
#define ANEMONE_NETADDR_H

#include <stddef.h>
#include <stdint.h>

#include "wg/wgdev.h"

/* "ffff:...:ffff/128" plus NUL, rounded up */
#define NETADDR_PREFIX_MAX 56
/* "[" v6 "]:" port plus NUL, or a host name of 253 octets ":" port */
#define NETADDR_ENDPOINT_MAX 264
#define NETADDR_HOST_MAX 254		/* 253 octets plus NUL */

/*
 * Parse an address with an optional "/CIDR".  Without one, the prefix is
 * the whole address (/32 or /128).  Host bits are kept; see
 * netaddr_host_bits().  0 or -1 (lasterr).
 */
int netaddr_parse_prefix(struct wg_prefix *p, const char *s, size_t len);

/* 1 if P has bits set past its prefix length, else 0. */
int netaddr_host_bits(const struct wg_prefix *p);

/* Clear the bits of P past its prefix length. */
void netaddr_mask(struct wg_prefix *p);

/* 1 if A and B share an address (one contains the other), else 0. */
int netaddr_overlap(const struct wg_prefix *a, const struct wg_prefix *b);

/* Total order: family, then address bytes, then prefix length. */
int netaddr_cmp(const struct wg_prefix *a, const struct wg_prefix *b);

/* Write "ADDR/CIDR" (canonical inet_ntop text) into BUF; returns BUF. */
char *netaddr_format(char buf[NETADDR_PREFIX_MAX], const struct wg_prefix *p);

/*
 * An endpoint as written: a host (an IPv4 literal, an IPv6 literal that
 * was in brackets, or a DNS name) and a port 1..65535.  FAMILY is AF_INET
 * or AF_INET6 for a literal (ADDR then holds it), 0 for a name.
 */
struct netaddr_endpoint {
	char host[NETADDR_HOST_MAX];
	uint16_t port;
	int family;
	union wg_endpoint addr;
};

/* Parse "host:port" or "[v6]:port".  No name lookup.  0 or -1 (lasterr). */
int netaddr_parse_endpoint(struct netaddr_endpoint *e, const char *s,
    size_t len);

/*
 * Turn a parsed endpoint into a socket address: a literal is copied, a
 * name is resolved with getaddrinfo() (first result).  0 or -1 (lasterr).
 */
int netaddr_resolve_endpoint(union wg_endpoint *out,
    const struct netaddr_endpoint *e);

/* Write "host:port" or "[v6]:port" (canonical) into BUF; returns BUF. */
char *netaddr_format_endpoint(char buf[NETADDR_ENDPOINT_MAX],
    const struct netaddr_endpoint *e);

/* The same for a socket address; "none" when it has no family. */
char *netaddr_format_sockaddr(char buf[NETADDR_ENDPOINT_MAX],
    const union wg_endpoint *ep);

/* 1 if A and B are the same address and port (or both none), else 0. */
int netaddr_same_sockaddr(const union wg_endpoint *a,
    const union wg_endpoint *b);

#endif
