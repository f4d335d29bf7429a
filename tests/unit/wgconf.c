/* wg0.conf parser: values land in the model; bad input names its place. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "keys.h"
#include "tap.h"
#include "wg/wgconf.h"

#define PRIV "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
#define PUB1 "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
#define PUB2 "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="

static const char good[] =
    "# comment before anything\n"
    "[Interface]\n"
    "PrivateKey = " PRIV "\n"
    "listenport=51820   # inline comment\n"
    "FwMark = 0x10\r\n"
    "Address = 10.8.0.1/24,fd00::1/64\n"
    "Address = 10.8.1.1\n"
    "MTU = 1380\n"
    "\n"
    "[Peer]\n"
    "# alice\n"
    "# not the name\n"
    "PublicKey = " PUB1 "\n"
    "AllowedIPs = 10.9.0.7/16, 10.8.0.2/32\n"
    "AllowedIPs = 10.8.0.2/32\n"
    "Endpoint = 192.0.2.2:51820\n"
    "PersistentKeepalive = off\n"
    "[peer]\n"
    "PublicKey = " PUB2 "\n"
    "AllowedIPs =\n"
    "Endpoint = [2001:db8::1]:7\n";

/* names as anemone-render writes them: the comment before [Peer] */
static const char rendered[] =
    "[Interface]\n"
    "PrivateKey = " PRIV "\n"
    "# alice\n"
    "[Peer]\n"
    "# not the name\n"
    "PublicKey = " PUB1 "\n"
    "# bob\n"
    "\n"
    "[Peer]\n"
    "PublicKey = " PUB2 "\n";

static struct {
	const char *text, *err;
} bad[] = {
	{ "[Interface]\nDNS = 1.1.1.1\n", "t.conf:2:1: DNS is a wg-quick "
	    "setting that anemone-link does not act on (it never runs hooks, "
	    "sets DNS, routing tables or saves the config); remove it" },
	{ "[Interface]\n  PostUp = rm -rf /\n", "t.conf:2:3: PostUp is a "
	    "wg-quick setting that anemone-link does not act on (it never "
	    "runs hooks, sets DNS, routing tables or saves the config); "
	    "remove it" },
	{ "[Interface]\nListenPort = 65536\n",
	    "t.conf:2:14: ListenPort: expected a port number 0-65535" },
	{ "[Interface]\nPrivateKey = abc\n",
	    "t.conf:2:14: PrivateKey: not a valid key (44 characters of base64)" },
	{ "[Interface]\nBogus = 1\n",
	    "t.conf:2:1: unknown key \"Bogus\" in [Interface]" },
	{ "PrivateKey = " PRIV "\n",
	    "t.conf:1:1: \"PrivateKey\" outside a section (expected [Interface] "
	    "or [Peer] first)" },
	{ "[Interface]\n[Peer]\nAllowedIPs = 10.0.0.1/33\n",
	    "t.conf:3:14: AllowedIPs: bad prefix length in \"10.0.0.1/33\" "
	    "(want 0..32)" },
	{ "[Interface]\n[Peer]\nAllowedIPs = 10.0.0.1/32,,\n",
	    "t.conf:3:26: AllowedIPs: bad IP address \"\"" },
	{ "[Interface]\n[Peer]\nAllowedIPs = 10.0.0.1\n[Peer]\n",
	    "t.conf:2:1: [Peer] has no PublicKey" },
	{ "[Interface]\n[Peer]\nPublicKey = " PUB1 "\n",
	    NULL },
	{ "[Peer]\nPublicKey = " PUB1 "\n", "t.conf: no [Interface] section" },
	{ "[Interface]\n[Peer]\nPublicKey = " PUB1 "\n[Peer]\nPublicKey = "
	    PUB1 "\n", "t.conf:4:1: peer " PUB1 " also at line 2" },
	{ "[Interface]\n[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = 10.0.0.0/8"
	    "\n[Peer]\nPublicKey = " PUB2 "\nAllowedIPs = 10.1.2.3/8\n",
	    "t.conf:5:1: AllowedIPs 10.0.0.0/8 also belongs to the peer at "
	    "line 2" },
	{ "[Interface]\n[Peer]\nEndpoint = 192.0.2.1\n",
	    "t.conf:3:12: Endpoint: bad endpoint \"192.0.2.1\" (want "
	    "HOST:PORT)" },
	{ "[Interface]\n[Peer]\nEndpoint = 2001:db8::1:5\n",
	    "t.conf:3:12: Endpoint: bad endpoint \"2001:db8::1:5\" (an IPv6 "
	    "address needs brackets: [ADDRESS]:PORT)" },
	{ "[Interface]\n[Peer]\nEndpoint = host:0\n",
	    "t.conf:3:12: Endpoint: bad port in endpoint \"host:0\" (want "
	    "1..65535)" },
	{ "[Interface]\nMTU = 1400\nMTU = 1400\n",
	    "t.conf:3:1: MTU given twice" },
	{ "[Interface]\n[Interface]\n", "t.conf:2:1: a second [Interface] "
	    "section" },
	{ "[Interfaces]\n", "t.conf:1:1: unknown section \"[Interfaces]\" "
	    "(expected [Interface] or [Peer])" },
	{ "[Interface]\nListenPort\n", "t.conf:2:1: expected KEY = VALUE" },
	{ "[Interface]\nListenPort =\n", "t.conf:2:13: ListenPort: missing "
	    "value" },
	{ "[Interface]\nPrivateKey = " PRIV "\n[Peer]\nPublicKey = "
	    "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\n",
	    "t.conf:3:1: [Peer] has the interface's own public key" },
	{ "[Interface]\nFwMark = 4294967296\n",
	    "t.conf:2:10: FwMark: expected a 32-bit number or off" },
	{ "[Interface]\n\0\n", "t.conf:2: NUL byte in line" },
};

int
main(void)
{
	struct wg_device *d = NULL;
	char b64[KEY_B64_LEN + 1], a[INET6_ADDRSTRLEN];
	size_t i;

	ok(wgconf_parse("t.conf", good, sizeof(good) - 1, "wg0", &d) == 0,
	    "good config parses (%s)", lasterr());
	if (d == NULL)
		return done_testing();
	is_int(d->flags, WGDEV_HAS_PRIVATE_KEY | WGDEV_HAS_LISTEN_PORT |
	    WGDEV_HAS_FWMARK | WGDEV_HAS_MTU, "interface flags");
	key_to_base64(b64, d->private_key);
	ok(strcmp(b64, PRIV) == 0, "private key");
	key_to_base64(b64, d->public_key);
	ok(strcmp(b64, "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=") == 0,
	    "public key derived: %s", b64);
	is_int(d->listen_port, 51820, "listen port");
	is_int(d->fwmark, 16, "fwmark in hex");
	is_int(d->mtu, 1380, "mtu");
	is_int(d->n_addresses, 3, "three addresses over two lines");
	inet_ntop(AF_INET, &d->addresses[0].ip4, a, sizeof(a));
	ok(strcmp(a, "10.8.0.1") == 0 && d->addresses[0].cidr == 24,
	    "address keeps host bits");
	is_int(d->addresses[2].cidr, 32, "bare address is /32");
	is_int(d->n_peers, 2, "two peers");
	ok(d->peers[0].name && strcmp(d->peers[0].name, "alice") == 0,
	    "first comment names the peer");
	ok(d->peers[1].name == NULL, "unnamed peer");
	is_int(d->peers[0].n_allowedips, 2, "duplicate allowed IP merged");
	inet_ntop(AF_INET, &d->peers[0].allowedips[1].ip4, a, sizeof(a));
	ok(strcmp(a, "10.9.0.0") == 0, "allowed IPs masked and sorted: %s",
	    a);
	is_int(d->peers[0].flags, WGPEER_HAS_ENDPOINT | WGPEER_HAS_KEEPALIVE,
	    "peer flags");
	is_int(ntohs(d->peers[0].endpoint.in.sin_port), 51820, "port");
	is_int(d->peers[1].endpoint.sa.sa_family, AF_INET6, "v6 endpoint");
	is_int(d->peers[1].n_allowedips, 0, "empty AllowedIPs");
	wgdev_free(d);

	d = NULL;
	ok(wgconf_parse("r.conf", rendered, sizeof(rendered) - 1, "wg0",
	    &d) == 0, "rendered config parses (%s)", lasterr());
	ok(d && d->peers[0].name && strcmp(d->peers[0].name, "alice") == 0,
	    "a comment just before [Peer] names it, before one at its top");
	ok(d && d->peers[1].name == NULL,
	    "a comment with a blank line before [Peer] names nothing");
	wgdev_free(d);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i].text);
		int rc;

		if (strstr(bad[i].err ? bad[i].err : "", "NUL"))
			len = 15;
		d = NULL;
		rc = wgconf_parse("t.conf", bad[i].text, len, "wg0", &d);
		if (bad[i].err == NULL) {
			ok(rc == 0, "case %zu parses", i);
		} else if (!ok(rc < 0 && strcmp(lasterr(), bad[i].err) == 0,
		    "case %zu: %s", i, bad[i].err)) {
			printf("#   got: %s\n", rc < 0 ? lasterr() : "success");
		}
		wgdev_free(d);
	}
	return done_testing();
}
