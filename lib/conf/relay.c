#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "quote.h"
#include "conf/relay.h"

static int
same_name(const struct ynode *a, const struct ynode *b)
{
	return a->n == b->n && memcmp(a->text, b->text, a->n) == 0;
}

/* The relay named at node I, by name: its index, or -1 (lasterr). */
static int
find_relay(const char *file, const struct relay_node *v, size_t n,
    size_t i, size_t *out)
{
	const struct ynode *at = v[i].via_at;
	char q[QUOTE_MAX];
	size_t k;

	for (k = 0; k < n; k++)
		if (same_name(v[k].name_at, at))
			break;
	if (k == n)
		return fail("%s:%u:%u: via: no node named %s", file, at->line,
		    at->col, quote(q, at->text, at->n));
	if (k == i)
		return fail("%s:%u:%u: via: node %s cannot be its own relay",
		    file, at->line, at->col, quote(q, at->text, at->n));
	if (!v[k].has_endpoint)
		return fail("%s:%u:%u: via: relay %s has no endpoint (the "
		    "nodes it relays for must be able to reach it; line %u)",
		    file, at->line, at->col, quote(q, at->text, at->n),
		    v[k].name_at->line);
	*out = k;
	return 0;
}

/* "a -> b -> a" of the loop through node START, into BUF. */
static void
loop_text(char *buf, size_t len, const struct relay_node *v,
    const size_t *via, size_t start)
{
	size_t i = start, used = 0;
	char q[QUOTE_MAX];

	buf[0] = '\0';
	do {
		used += (size_t)snprintf(buf + used, len - used, "%s -> ",
		    quote(q, v[i].name_at->text, v[i].name_at->n));
		i = via[i];
	} while (i != start && used < len);
	if (used < len)
		snprintf(buf + used, len - used, "%s",
		    quote(q, v[i].name_at->text, v[i].name_at->n));
}

/* Colours: 0 not seen, 1 on the walk under way, 2 known to end. */
static int
check_loops(const char *file, const struct relay_node *v, size_t n,
    const size_t *via)
{
	unsigned char *seen = calloc(n + 1, 1);
	char text[512];
	size_t i, k;

	if (seen == NULL)
		return fail_errno("calloc");
	for (i = 0; i < n; i++) {
		for (k = i; k != RELAY_NONE && seen[k] == 0; k = via[k])
			seen[k] = 1;
		if (k != RELAY_NONE && seen[k] == 1) {
			/* a loop through k: report its first node in the file */
			size_t first = k;

			for (size_t j = via[k]; j != k; j = via[j])
				if (j < first)
					first = j;
			loop_text(text, sizeof(text), v, via, first);
			free(seen);
			return fail("%s:%u:%u: via: a loop of relays: %s", file,
			    v[first].via_at->line, v[first].via_at->col, text);
		}
		for (k = i; k != RELAY_NONE && seen[k] == 1; k = via[k])
			seen[k] = 2;
	}
	free(seen);
	return 0;
}

int
relay_check(const char *file, const struct relay_node *v, size_t n,
    size_t *via)
{
	size_t i;

	for (i = 0; i < n; i++) {
		via[i] = RELAY_NONE;
		if (v[i].via_at != NULL &&
		    find_relay(file, v, n, i, &via[i]) < 0)
			return -1;
	}
	return check_loops(file, v, n, via);
}

/* The first node with an endpoint and no relay: it relays for the rest. */
static size_t
default_relay(const struct relay_node *v, const size_t *via, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].has_endpoint && via[i] == RELAY_NONE)
			return i;
	return RELAY_NONE;
}

/* The hop to M when M's own relay does not decide it. */
static size_t
hop_root(const struct relay_node *v, const size_t *via, size_t self,
    size_t m, size_t dflt)
{
	if (m == self || via[m] == self || via[self] == m)
		return m;
	if (via[self] != RELAY_NONE)
		return via[self];
	if (!v[self].has_endpoint && !v[m].has_endpoint &&
	    dflt != RELAY_NONE)
		return dflt;
	return m;
}

void
relay_hops(const struct relay_node *v, const size_t *via, size_t n,
    size_t self, size_t *hop)
{
	size_t dflt = default_relay(v, via, n), m, k, h;

	for (m = 0; m < n; m++)
		hop[m] = RELAY_NONE;
	for (m = 0; m < n; m++) {
		/* a node with a relay is reached the way its relay is */
		for (k = m; hop[k] == RELAY_NONE && k != self &&
		    via[k] != RELAY_NONE && via[k] != self && via[self] != k;
		    k = via[k])
			;
		h = hop[k] != RELAY_NONE ? hop[k] :
		    hop_root(v, via, self, k, dflt);
		for (k = m; hop[k] == RELAY_NONE; k = via[k]) {
			hop[k] = h;
			if (k == self || via[k] == RELAY_NONE ||
			    via[k] == self || via[self] == k)
				break;
		}
	}
}

int
relay_forwards(const struct relay_node *v, const size_t *via, size_t n,
    size_t self)
{
	size_t roots = 0, i;

	if (n < 3)
		return 0;
	for (i = 0; i < n; i++)
		if (via[i] == self)
			return 1;
	if (default_relay(v, via, n) != self)
		return 0;
	for (i = 0; i < n; i++)
		roots += !v[i].has_endpoint && via[i] == RELAY_NONE;
	return roots >= 2;
}
