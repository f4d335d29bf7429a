/*
 * Peer names for -c FILE: a wg0.conf whose "# name" comments name the
 * peers (lib/wgconf.c), or an anemone.yaml, per-node or mesh form
 * (lib/netconf.c).  The YAML loader checks a mesh node's public key
 * against its private key: it is given the live device's, never a key
 * file, and in a mesh file renders the node that has the device's key.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "keys.h"
#include "conf/netconf.h"
#include "probe.h"
#include "wg/wgconf.h"
#include "conf/ytree.h"

static int
load_wgconf(const char *file, const char *ifname, struct wg_device **cfg)
{
	char *buf;
	size_t len;
	int rc;

	if (ytree_read_file(file, &buf, &len) < 0)
		return -1;
	rc = wgconf_parse(file, buf, len, ifname, cfg);
	sodium_memzero(buf, len);	/* it held the private key */
	free(buf);
	return rc;
}

/* The loader asks for a private key: the live device's (ARG). */
static int
device_key(const char *path, uint8_t key[KEY_LEN], void *arg)
{
	const struct wg_device *dev = arg;

	(void)path;
	if (dev->private_key == NULL) {
		/* not needed to name peers, so a random stand-in */
		randombytes_buf(key, KEY_LEN);
		key_clamp(key);
	} else {
		memcpy(key, dev->private_key, KEY_LEN);
	}
	return 0;
}

/* In a mesh file, the name of the node holding DEV's public key. */
static const char *
self_node(const struct ytree *t, const struct wg_device *dev)
{
	const struct ynode *nodes, *nm, *pk;
	uint8_t key[KEY_LEN];
	size_t i;

	if (t->root == NULL || t->root->type != YNODE_MAP ||
	    (nodes = ytree_get(t->root, "nodes")) == NULL ||
	    nodes->type != YNODE_SEQ || dev->private_key == NULL)
		return NULL;
	for (i = 0; i < nodes->n; i++) {
		if (nodes->kids[i]->type != YNODE_MAP ||
		    (nm = ytree_get(nodes->kids[i], "name")) == NULL ||
		    (pk = ytree_get(nodes->kids[i], "public_key")) == NULL ||
		    nm->type != YNODE_SCALAR || pk->type != YNODE_SCALAR)
			continue;
		if (key_from_base64(key, pk->text, pk->n) == 0 &&
		    memcmp(key, dev->public_key, KEY_LEN) == 0)
			return nm->text;
	}
	return NULL;
}

/*
 * The YAML file, read with DEV's private key; in a mesh file, as the
 * node whose public key DEV has.
 */
static int
load_yaml(const char *file, const struct wg_device *dev,
    struct wg_device **cfg)
{
	struct netconf_opts o = {
		.path = file, .key_file = dev->name, .read_key = device_key,
		.arg = (void *)dev,
	};
	struct ytree *t = NULL;
	char *buf = NULL;
	size_t len;
	int rc = -1;

	if (crypto_ready() < 0 || ytree_read_file(file, &buf, &len) < 0)
		return -1;
	if ((t = ytree_load(file, buf, len)) == NULL)
		goto out;
	if (ytree_get(t->root, "nodes") != NULL &&
	    (o.node = self_node(t, dev)) == NULL) {
		if (dev->private_key == NULL)
			fail("%s: a mesh file, and the key of %s is unknown: "
			    "which node is it?", file, dev->name);
		else
			fail("%s: no node has the public key of %s", file,
			    dev->name);
		goto out;
	}
	rc = netconf_load(&o, buf, len, cfg);
out:
	ytree_free(t);
	if (buf != NULL) {
		sodium_memzero(buf, len);	/* it may hold a private key */
		free(buf);
	}
	return rc;
}

static int
ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && strcmp(s + n - m, end) == 0;
}

int
load_names(const char *file, const struct wg_device *dev,
    struct wg_device **cfg)
{
	*cfg = NULL;
	if (ends_with(file, ".yaml") || ends_with(file, ".yml"))
		return load_yaml(file, dev, cfg);
	return load_wgconf(file, dev->name, cfg);
}
