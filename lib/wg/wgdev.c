#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "keys.h"
#include "wg/wgdev.h"

/*
 * Secrets of one device live in guarded chunks of SLOTS keys each: one
 * sodium_malloc per key would cost four pages and an mlock per peer.
 */
#define SLOTS 128

struct arena {
	struct arena *next;
	size_t used;
	uint8_t *keys;			/* SLOTS * WG_KEY_LEN, guarded */
};

struct wg_device *
wgdev_new(const char *name)
{
	struct wg_device *dev;

	if (strlen(name) >= IFNAMSIZ) {
		fail("%s: interface name too long (at most %d characters)",
		    name, IFNAMSIZ - 1);
		return NULL;
	}
	if ((dev = calloc(1, sizeof(*dev))) == NULL) {
		fail_errno("calloc");
		return NULL;
	}
	strcpy(dev->name, name);
	return dev;
}

uint8_t *
wgdev_secret(struct wg_device *dev)
{
	struct arena *a = dev->secrets;

	if (a == NULL || a->used == SLOTS) {
		if ((a = calloc(1, sizeof(*a))) == NULL) {
			fail_errno("calloc");
			return NULL;
		}
		if ((a->keys = secret_alloc(SLOTS * WG_KEY_LEN)) == NULL) {
			free(a);
			return NULL;
		}
		a->next = dev->secrets;
		dev->secrets = a;
	}
	return a->keys + WG_KEY_LEN * a->used++;
}

struct wg_peer *
wgdev_add_peer(struct wg_device *dev)
{
	struct wg_peer *p;

	if (dev->n_peers == dev->cap_peers) {
		size_t cap = dev->cap_peers ? dev->cap_peers * 2 : 16;

		if ((p = reallocarray(dev->peers, cap, sizeof(*p))) == NULL) {
			fail_errno("realloc");
			return NULL;
		}
		dev->peers = p;
		dev->cap_peers = cap;
	}
	p = &dev->peers[dev->n_peers++];
	memset(p, 0, sizeof(*p));
	return p;
}

void
wgdev_free(struct wg_device *dev)
{
	struct arena *a, *next;
	size_t i;

	if (dev == NULL)
		return;
	for (i = 0; i < dev->n_peers; i++) {
		free(dev->peers[i].name);
		free(dev->peers[i].endpoint_text);
		free(dev->peers[i].allowedips);
		for (size_t k = 0; k < dev->peers[i].n_relayed; k++)
			free(dev->peers[i].relayed[k].name);
		free(dev->peers[i].relayed);
	}
	free(dev->peers);
	free(dev->addresses);
	for (a = dev->secrets; a != NULL; a = next) {
		next = a->next;
		secret_free(a->keys);
		free(a);
	}
	free(dev);
}
