/*
 * Active reachability checks, many at once: a TCP connect to a port, or
 * an ICMP echo, to every target concurrently with non-blocking sockets
 * and one poll() loop.  Each check is bounded by the same timeout, so N
 * dead targets cost about one timeout, not N.  Checks run in the network
 * namespace of the caller and follow its routing table.
 */
#ifndef ANEMONE_REACH_H
#define ANEMONE_REACH_H

#include <stddef.h>
#include <stdint.h>

#include "wg/wgdev.h"

enum reach_method {
	REACH_TCP,			/* connect() to the port */
	REACH_ICMP,			/* one echo request a second */
};

enum reach_result {
	REACH_NONE,			/* not checked (no address) */
	REACH_OK,			/* connected, or echo reply */
	REACH_REFUSED,			/* TCP reset: host there, port closed */
	REACH_UNREACHABLE,		/* no route, or ICMP unreachable */
	REACH_TIMEOUT,			/* no answer within the timeout */
	REACH_ERROR,			/* another local error (err says) */
};

struct reach_target {
	union wg_endpoint addr;		/* in: AF_INET or AF_INET6; 0 = skip */
	int result;			/* out: enum reach_result */
	int err;			/* out: errno for UNREACHABLE, ERROR */
	double rtt;			/* out: seconds, for OK and REFUSED */
};

/*
 * Check the N targets with METHOD (TCP to PORT, or ICMP), each for at
 * most TIMEOUT seconds from its start.  All start at once, unless the
 * process may not open that many descriptors (TCP needs one per target;
 * the soft RLIMIT_NOFILE is raised toward the hard one first): then as
 * many as it may, the next starting as one finishes.  Returns 0 with
 * every target's result filled in, or -1 (lasterr) when the checks could
 * not run at all (for ICMP: neither a ping socket nor a raw socket may be
 * opened).
 */
int reach_check(struct reach_target *t, size_t n, int method, uint16_t port,
    double timeout);

/* "ok", "refused", "unreachable", "timeout", "error", "none". */
const char *reach_result_name(int result);

#endif
