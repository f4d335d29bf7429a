/*
 * The one WireGuard device model every tool speaks: a device, its peers,
 * each peer's allowed IPs.  anemone-link parses wg0.conf into it and
 * applies it; anemone-probe reads a live device into it.  Two backends
 * fill and apply it: kernel generic netlink (nlwg.c) and the userspace
 * UAPI socket (uapi_*.c); wgdev_get()/wgdev_set() pick one per interface.
 *
 * Flag bits say which fields are set (a config may leave the listen port
 * unset; a device read back has everything).  Secrets (private key,
 * preshared keys) live in one libsodium guarded allocation per device,
 * reached through the pointers below, wiped by wgdev_free().
 */
#ifndef ANEMONE_WGDEV_H
#define ANEMONE_WGDEV_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define WG_KEY_LEN 32

struct wg_prefix {
	uint16_t family;		/* AF_INET or AF_INET6 */
	uint8_t cidr;
	union {
		struct in_addr ip4;
		struct in6_addr ip6;
	};
};

union wg_endpoint {
	struct sockaddr sa;		/* sa_family == 0: no endpoint */
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

enum {
	WGPEER_REMOVE = 1u << 0,	/* remove this peer (set only) */
	WGPEER_REPLACE_ALLOWEDIPS = 1u << 1,
	WGPEER_HAS_PSK = 1u << 2,
	WGPEER_HAS_KEEPALIVE = 1u << 3,
	WGPEER_HAS_ENDPOINT = 1u << 4,
	WGPEER_UPDATE_ONLY = 1u << 5,
};

/* A mesh node reached through a peer (a relay): for names and comments. */
struct wg_relayed {
	char *name;
	uint8_t public_key[WG_KEY_LEN];
	struct wg_prefix addr;		/* its first tunnel address, a host */
};

struct wg_peer {
	uint32_t flags;
	char *name;			/* "# name" from a config, or NULL */
	char *endpoint_text;		/* as written in a config, or NULL */
	uint8_t public_key[WG_KEY_LEN];
	uint8_t *preshared_key;		/* guarded memory, or NULL */
	union wg_endpoint endpoint;
	uint16_t keepalive;		/* seconds, 0 = off */
	int64_t handshake_sec;		/* 0 = never */
	int64_t handshake_nsec;
	uint64_t rx_bytes, tx_bytes;
	struct wg_prefix *allowedips;
	size_t n_allowedips;
	struct wg_relayed *relayed;	/* mesh: nodes this peer relays to us */
	size_t n_relayed;
};

enum {
	WGDEV_HAS_PRIVATE_KEY = 1u << 0,
	WGDEV_HAS_LISTEN_PORT = 1u << 1,
	WGDEV_HAS_FWMARK = 1u << 2,
	WGDEV_REPLACE_PEERS = 1u << 3,
	WGDEV_HAS_MTU = 1u << 4,
};

struct wg_device {
	char name[IFNAMSIZ];
	uint32_t flags;
	uint32_t ifindex;
	uint8_t *private_key;		/* guarded memory, or NULL */
	uint8_t public_key[WG_KEY_LEN];	/* derived when private key known */
	uint16_t listen_port;
	uint32_t fwmark;
	/* wg-quick keys, applied by anemone-link, not by the backends */
	uint32_t mtu;
	struct wg_prefix *addresses;
	size_t n_addresses;
	int forwards;			/* mesh: relays between its peers */
	struct wg_peer *peers;
	size_t n_peers, cap_peers;
	void *secrets;			/* guarded key arena (wgdev.c) */
};

/* Allocate an empty device named NAME (NULL on failure, lasterr set). */
struct wg_device *wgdev_new(const char *name);

/* Free a device, its peers and wipe its secrets.  NULL is fine. */
void wgdev_free(struct wg_device *dev);

/* Append a zeroed peer; returns it, or NULL (lasterr set). */
struct wg_peer *wgdev_add_peer(struct wg_device *dev);

/* Guarded 32-byte key storage for dev->private_key / peer->preshared_key. */
uint8_t *wgdev_secret(struct wg_device *dev);

/*
 * Backends.  wgdev_get() reads the live interface IFNAME (kernel netlink
 * if the kernel knows it as a wireguard link, else the UAPI socket
 * /var/run/wireguard/IFNAME.sock).  Returns 0, or -1 with lasterr set
 * (e.g. "wg0: no such WireGuard interface").
 */
int wgdev_get(const char *ifname, struct wg_device **dev);

/* Apply DEV (flags say what) to the live interface dev->name. */
int wgdev_set(const struct wg_device *dev);

/* Userspace backend, directly: */
int uapi_get(const char *ifname, struct wg_device **dev);
int uapi_set(const struct wg_device *dev);
/* Kernel backend, directly: */
int nlwg_get(const char *ifname, struct wg_device **dev);
int nlwg_set(const struct wg_device *dev);

#endif
