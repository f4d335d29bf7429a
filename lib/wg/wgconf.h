/*
 * wg0.conf (wg-quick format) -> struct wg_device.
 *
 * Init / feed one line at a time / finish: the caller owns the I/O.
 * Errors name the place, "FILE:LINE:COL: message", and never quote key
 * material.  Keys wg-quick would act on but anemone-link does not (DNS,
 * Table, PreUp, PostUp, PreDown, PostDown, SaveConfig) are refused.
 * A comment line ("# alice") at the top of a [Peer] section, or on the
 * line just before its header, names that peer (peer->name); the one
 * before the header wins.  Endpoints are kept as text; numeric ones are also
 * parsed, host names are left to wgconf_resolve().
 */
#ifndef ANEMONE_WGCONF_H
#define ANEMONE_WGCONF_H

#include <stddef.h>

#include "wg/wgdev.h"

#define WGCONF_MAX_LINE 4096
#define WGCONF_MAX_NAME 64

struct wgconf {
	struct wg_device *dev;
	const char *file;		/* for messages; the caller keeps it */
	unsigned line;
	int section;			/* 0 none, 1 [Interface], 2 [Peer] */
	int seen_interface;
	int peer_has_key;		/* current peer: a key line seen */
	unsigned *peer_lines;		/* line of each [Peer] header */
	size_t cap_lines;
	uint32_t seen;			/* interface keys already given */
	uint32_t peer_seen;		/* current peer's keys already given */
	unsigned pending_line;		/* line of the last comment outside */
	char pending[WGCONF_MAX_NAME + 1]; /* a new peer, and its text */
};

/* Start parsing FILE (a name for messages) into a device named IFNAME. */
int wgconf_init(struct wgconf *c, const char *file, const char *ifname);

/* Feed one line (LEN bytes, no newline).  0, or -1 with lasterr set. */
int wgconf_line(struct wgconf *c, const char *line, size_t len);

/*
 * Cross-line checks (every peer has a key, no duplicate peers or allowed
 * IPs, no peer with the device's own key); on success hand the device
 * over in *DEV (allowed IPs masked and sorted) and reset C.  0 or -1.
 */
int wgconf_finish(struct wgconf *c, struct wg_device **dev);

/* Release a parser that did not finish.  Safe after finish too. */
void wgconf_free(struct wgconf *c);

/* The whole thing on a buffer: lines split on '\n'.  0 or -1. */
int wgconf_parse(const char *file, const char *buf, size_t len,
    const char *ifname, struct wg_device **dev);

/*
 * Resolve the endpoint of peer P when it is a host name (getaddrinfo,
 * first address); nothing to do for a literal.  0, or -1 with lasterr
 * naming the peer: "peer alice (KEY): cannot resolve alice.example.org:
 * REASON".
 */
int wgconf_resolve_peer(struct wg_peer *p);

/*
 * Resolve every peer endpoint given as a host name.  A name that does not
 * resolve leaves that peer without an endpoint in DEV (applied, the
 * device keeps the endpoint it has) and is reported through WARN, one
 * line naming the peer.  Returns how many did not resolve.
 */
size_t wgconf_resolve(struct wg_device *dev,
    void (*warn)(const char *msg, void *arg), void *arg);

#endif
