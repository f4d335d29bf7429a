/* lib/wg/uapi_get.c: the "get=1" reply parser, from memory. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "keys.h"
#include "tap.h"
#include "wg/uapi.h"
#include "wg/wgdev.h"

/* A reply as wireguard-go v0.0.20220316 writes it (keys made up). */
static const char good[] =
    "private_key=0850645419ff9043824121bcea025e48cabc2d7e812a8750a74d354b80ecb655\n"
    "listen_port=51999\n"
    "fwmark=7\n"
    "public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\n"
    "preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
    "protocol_version=1\n"
    "endpoint=192.0.2.9:51820\n"
    "last_handshake_time_sec=1764494000\n"
    "last_handshake_time_nsec=123456789\n"
    "tx_bytes=18446744073709551615\n"
    "rx_bytes=92\n"
    "persistent_keepalive_interval=25\n"
    "allowed_ip=10.8.0.2/32\n"
    "allowed_ip=fd00::/64\n"
    "some_future_key=whatever\n"
    "public_key=6d06dd88529168d23c7e021c077f8db5b4553a72a5fa87c9137206cd9f93f603\n"
    "preshared_key=0101010101010101010101010101010101010101010101010101010101010101\n"
    "protocol_version=1\n"
    "endpoint=[2001:db8::1%5]:1\n"
    "last_handshake_time_sec=0\n"
    "last_handshake_time_nsec=0\n"
    "tx_bytes=0\n"
    "rx_bytes=0\n"
    "persistent_keepalive_interval=0\n"
    "errno=0\n"
    "\n";

static int
parse(const char *s, size_t n, struct wg_device **devp)
{
	struct wg_device *dev = wgdev_new("wg0");
	int r;

	if (dev == NULL)
		abort();
	r = uapi_parse_get("wg0.sock", s, n, dev);
	if (devp != NULL)
		*devp = dev;
	else
		wgdev_free(dev);
	return r;
}

/* Parsing S (N bytes) must fail with exactly the message WANT. */
static void
rejects_n(const char *s, size_t n, const char *want)
{
	int r = parse(s, n, NULL);

	if (!ok(r == -1 && strcmp(lasterr(), want) == 0, "rejects: %s", want))
		printf("#   got %d, \"%s\"\n", r, lasterr());
}

static void
rejects(const char *s, const char *want)
{
	rejects_n(s, strlen(s), want);
}

int
main(void)
{
	struct wg_device *dev;
	struct wg_peer *p;
	char b64[KEY_B64_LEN + 1];
	char ep[INET6_ADDRSTRLEN];

	is_int(parse(good, sizeof(good) - 1, &dev), 0, "wireguard-go reply parses");
	ok(dev->flags == (WGDEV_HAS_PRIVATE_KEY | WGDEV_HAS_LISTEN_PORT |
	    WGDEV_HAS_FWMARK), "device flags");
	key_to_base64(b64, dev->public_key);
	ok(strcmp(b64, "sTITiQfCZCzJJREiN1+hYO93UrAp2MzBOj+gFVTR8y4=") == 0,
	    "device public key derived from the private key (as wg shows it)");
	is_int(dev->listen_port, 51999, "listen_port");
	is_int(dev->fwmark, 7, "fwmark");
	is_int(dev->n_peers, 2, "two peers");
	p = &dev->peers[0];
	key_to_base64(b64, p->public_key);
	ok(strcmp(b64, "Rt5ADOHo7/5TI07hKClDWEM3KNy4sjVJvpbJyodASWU=") == 0,
	    "peer 1 public key");
	ok(p->preshared_key == NULL && !(p->flags & WGPEER_HAS_PSK),
	    "an all-zero preshared key is no preshared key");
	ok(p->endpoint.sa.sa_family == AF_INET &&
	    ntohs(p->endpoint.in.sin_port) == 51820 &&
	    strcmp(inet_ntop(AF_INET, &p->endpoint.in.sin_addr, ep,
	    sizeof(ep)), "192.0.2.9") == 0, "IPv4 endpoint");
	is_int(p->handshake_sec, 1764494000, "handshake seconds");
	is_int(p->handshake_nsec, 123456789, "handshake nanoseconds");
	ok(p->tx_bytes == UINT64_MAX, "tx_bytes up to 2^64-1");
	is_int(p->rx_bytes, 92, "rx_bytes");
	is_int(p->keepalive, 25, "keepalive");
	is_int(p->n_allowedips, 2, "two allowed IPs");
	ok(p->allowedips[0].family == AF_INET && p->allowedips[0].cidr == 32 &&
	    p->allowedips[0].ip4.s_addr == htonl(0x0a080002), "10.8.0.2/32");
	ok(p->allowedips[1].family == AF_INET6 && p->allowedips[1].cidr == 64 &&
	    p->allowedips[1].ip6.s6_addr[0] == 0xfd, "fd00::/64");
	p = &dev->peers[1];
	ok(p->preshared_key != NULL && (p->flags & WGPEER_HAS_PSK) &&
	    p->preshared_key[31] == 1, "preshared key in guarded memory");
	ok(p->endpoint.sa.sa_family == AF_INET6 &&
	    ntohs(p->endpoint.in6.sin6_port) == 1 &&
	    p->endpoint.in6.sin6_scope_id == 5, "IPv6 endpoint with zone");
	is_int(p->handshake_sec, 0, "never handshook");
	is_int(p->n_allowedips, 0, "no allowed IPs");
	wgdev_free(dev);

	is_int(parse("errno=0\n\n", 9, &dev), 0, "an empty device");
	ok(dev->n_peers == 0 && dev->flags == 0 && dev->private_key == NULL,
	    "  has nothing set");
	wgdev_free(dev);

	rejects("", "wg0.sock: empty reply");
	rejects("errno=0\n", "wg0.sock:1: reply ends without its empty line");
	rejects("errno=0", "wg0.sock:1: reply ends without a newline: \"errno=0\"");
	rejects("listen_port=1\n\n", "wg0.sock:2: reply has no errno line");
	rejects("\n", "wg0.sock:1: reply has no errno line");
	rejects("errno=0\n\nx", "wg0.sock:2: data after the final empty line");
	rejects("errno=0\nlisten_port=1\n\n",
	    "wg0.sock:2: line after errno \"listen_port=1\"");
	rejects("errno=13\n\n", "wg0: userspace WireGuard error 13: Permission denied");
	/* wireguard-go reports a failed set as a negative errno */
	rejects("errno=-98\n\n",
	    "wg0: userspace WireGuard error 98: Address already in use");
	rejects("errno=-\n\n", "wg0.sock:1: bad errno \"-\"");
	rejects("listen_port=65536\nerrno=0\n\n",
	    "wg0.sock:1: bad listen_port \"65536\"");
	rejects("listen_port=+1\nerrno=0\n\n", "wg0.sock:1: bad listen_port \"+1\"");
	rejects("listen_port=\nerrno=0\n\n", "wg0.sock:1: bad listen_port \"\"");
	rejects("fwmark=4294967296\nerrno=0\n\n",
	    "wg0.sock:1: bad fwmark \"4294967296\"");
	rejects("private_key=zz50645419ff9043824121bcea025e48cabc2d7e812a8750a74d354b80ecb655\nerrno=0\n\n",
	    "wg0.sock:1: malformed private_key");
	rejects("garbage\nerrno=0\n\n",
	    "wg0.sock:1: expected key=value, got \"garbage\"");
	rejects("=1\nerrno=0\n\n", "wg0.sock:1: expected key=value, got \"=1\"");
	rejects("a\x01\"\\\nerrno=0\n\n",
	    "wg0.sock:1: expected key=value, got \"a\\x01\\\"\\\\\"");
	rejects("endpoint=192.0.2.1:1\nerrno=0\n\n",
	    "wg0.sock:1: peer key before any public_key: \"endpoint\"");
	rejects("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\nlisten_port=1\nerrno=0\n\n",
	    "wg0.sock:2: device key inside a peer: \"listen_port\"");
	rejects("public_key=46de\nerrno=0\n\n",
	    "wg0.sock:1: bad public_key \"46de\"");
	rejects("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\nprotocol_version=2\nerrno=0\n\n",
	    "wg0.sock:2: unsupported protocol_version \"2\"");
	rejects("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\nendpoint=192.0.2.1\nerrno=0\n\n",
	    "wg0.sock:2: bad endpoint \"192.0.2.1\"");
	rejects("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\nendpoint=[::1:1\nerrno=0\n\n",
	    "wg0.sock:2: bad endpoint \"[::1:1\"");
	rejects("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\nendpoint=example.org:1\nerrno=0\n\n",
	    "wg0.sock:2: bad endpoint \"example.org:1\"");
	rejects("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\nendpoint=[fe80::1%]:1\nerrno=0\n\n",
	    "wg0.sock:2: bad endpoint \"[fe80::1%]:1\"");
	rejects("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\nendpoint=[fe80::1%no-such-if]:1\nerrno=0\n\n",
	    "wg0.sock:2: bad endpoint \"[fe80::1%no-such-if]:1\"");
	is_int(parse("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\n"
	    "endpoint=[fe80::1%lo]:9\nerrno=0\n\n", 109, &dev), 0,
	    "a zone given by interface name");
	ok(dev->n_peers == 1 && dev->peers[0].endpoint.in6.sin6_scope_id == 1 &&
	    ntohs(dev->peers[0].endpoint.in6.sin6_port) == 9, "  is its index");
	wgdev_free(dev);
	rejects("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\nallowed_ip=10.0.0.0/33\nerrno=0\n\n",
	    "wg0.sock:2: bad allowed_ip \"10.0.0.0/33\"");
	rejects("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\nallowed_ip=10.0.0.0\nerrno=0\n\n",
	    "wg0.sock:2: bad allowed_ip \"10.0.0.0\"");
	rejects("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\nlast_handshake_time_nsec=1000000000\nerrno=0\n\n",
	    "wg0.sock:2: bad last_handshake_time_nsec \"1000000000\"");
	rejects("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\nrx_bytes=18446744073709551616\nerrno=0\n\n",
	    "wg0.sock:2: bad rx_bytes \"18446744073709551616\"");
	rejects("public_key=46de400ce1e8effe53234ee128294358433728dcb8b23549be96c9ca87404965\npreshared_key=01\nerrno=0\n\n",
	    "wg0.sock:2: malformed preshared_key");
	rejects_n("listen_port=1\0\nerrno=0\n\n", 24,
	    "wg0.sock:1: NUL byte in line \"listen_port=1\\x00\"");
	return done_testing();
}
