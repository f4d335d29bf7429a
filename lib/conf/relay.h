/*
 * Mesh relays (anemone.yaml(5), "via"): which node carries the traffic
 * between two nodes of a mesh file that cannot reach each other.
 *
 *   - a node with "via: R" is reached through R, and reaches every other
 *     node through R;
 *   - two nodes with neither an endpoint nor "via" reach each other
 *     through the first node of the file that has an endpoint and no
 *     "via" (WireGuard needs one side to know where the other is);
 *   - every other pair talks directly.
 *
 * The route between two nodes is the same whichever end it is worked out
 * from, as WireGuard's cryptokey routing needs: a relayed packet must
 * come in from the peer entry that holds its source address.
 */
#ifndef ANEMONE_RELAY_H
#define ANEMONE_RELAY_H

#include <stddef.h>

#include "conf/ytree.h"

#define RELAY_NONE ((size_t)-1)

struct relay_node {
	const struct ynode *name_at;	/* the node's name (a scalar) */
	const struct ynode *via_at;	/* its "via" value, or NULL */
	int has_endpoint;
};

/*
 * Check the "via" of each of the N nodes V: it names another node of the
 * file, one with an endpoint, and following relays never comes back to
 * where it started.  VIA[i] becomes the index of node i's relay, or
 * RELAY_NONE.  0, or -1 with lasterr "FILE:LINE:COL: via: ...".
 */
int relay_check(const char *file, const struct relay_node *v, size_t n,
    size_t *via);

/*
 * For node SELF: HOP[m] is the node whose peer entry on SELF carries node
 * m's addresses (m itself when SELF talks to m directly; HOP[SELF] is
 * SELF).  VIA from relay_check().  Linear in N.
 */
void relay_hops(const struct relay_node *v, const size_t *via, size_t n,
    size_t self, size_t *hop);

/* 1 when node SELF forwards packets between other nodes, else 0. */
int relay_forwards(const struct relay_node *v, const size_t *via, size_t n,
    size_t self);

#endif
