/*
 * anemone-probe: one row per probed peer, and the three ways to print
 * the rows (output.c).
 */
#ifndef ANEMONE_PROBE_H
#define ANEMONE_PROBE_H

#include <stdint.h>
#include <stdio.h>

#include "wg/reach.h"
#include "wg/wgdev.h"

#define REJECT_AFTER_SEC 180	/* WireGuard drops a session this old */

enum check {
	CHECK_RESULT,		/* reach.result says */
	CHECK_NOADDR,		/* no allowed IP to check */
	CHECK_SKIPPED,		/* -P none */
};

struct row {
	const struct wg_peer *peer;	/* the peer entry the traffic takes */
	const char *name;	/* from -c, or NULL */
	const char *via;	/* reached through a relay: its name, or NULL */
	char key[45];		/* public key, base64 */
	int64_t age;		/* seconds since the handshake, -1 never */
	int check;		/* enum check */
	struct reach_target reach;
	int up;
};

/* Sanitised for a column: control bytes (tabs, newlines) become '?'. */
const char *row_name(const struct row *r, char *buf, size_t len);

/*
 * Names for the peers of the live device DEV from FILE (names.c): a
 * wg0.conf, or an anemone.yaml (by its extension, .yaml or .yml).  *CFG
 * holds peers with names and public keys.  0 or -1 (lasterr).
 */
int load_names(const char *file, const struct wg_device *dev,
    struct wg_device **cfg);

void print_tsv(FILE *f, const struct row *rows, size_t n);
void print_table(FILE *f, const struct row *rows, size_t n);
void print_prom(FILE *f, const char *ifname, const struct row *rows,
    size_t n);

#endif
