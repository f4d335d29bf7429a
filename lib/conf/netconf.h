/*
 * anemone.yaml: the network configuration a user keeps, in one of two
 * forms (see anemone.yaml(5)):
 *
 *   per-node:  interface: {...}, peers: [{...}, ...]
 *   mesh:      nodes: [{...}, ...], shared unchanged by every friend;
 *              one node is picked by name and the others become its peers
 *
 * netconf_load() parses and validates everything before it returns a
 * device: any problem is one "FILE:LINE:COL: message" in lasterr, and a
 * private key never appears in a message.
 */
#ifndef ANEMONE_NETCONF_H
#define ANEMONE_NETCONF_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "wg/wgdev.h"

#define NETCONF_NAME_MAX 64		/* bytes in a peer or node name */

struct netconf_opts {
	const char *path;	/* the YAML file: messages, relative paths */
	const char *node;	/* mesh form: the node to render */
	const char *key_file;	/* private key file overriding the YAML's */
	/*
	 * Read one key file into KEY (guarded memory).  NULL means
	 * key_read_file(path, key, 1): group- or other-readable key files
	 * are refused.
	 */
	int (*read_key)(const char *path, uint8_t key[KEY_LEN], void *arg);
	/* Called once per warning with a complete line; may be NULL. */
	void (*warn)(const char *msg, void *arg);
	void *arg;
};

/*
 * Parse LEN bytes of YAML at BUF and validate them.  On success *OUT is a
 * device named "wg0" holding the interface (addresses, listen port,
 * private key, MTU, fwmark) and its peers in file order, each with its
 * name; 0 is returned.  -1 with lasterr set otherwise.
 */
int netconf_load(const struct netconf_opts *o, const char *buf, size_t len,
    struct wg_device **out);

#endif
