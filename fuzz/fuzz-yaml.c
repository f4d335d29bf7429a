/*
 * anemone.yaml on memory: the YAML loader, every validation and the
 * wg0.conf writer.  Key files are not read from disk: every path yields
 * the private key of tests/render/keys/a.key (so the committed fixtures
 * reach the end), except paths holding "missing", which fail.  An input
 * that mentions "nodes" is rendered as a mesh file for node "a".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "keys.h"
#include "conf/netconf.h"
#include "wg/wgconf_write.h"

static int
fake_key(const char *path, uint8_t key[KEY_LEN], void *arg)
{
	static const char a[] = "SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M=";

	(void)arg;
	if (strstr(path, "missing") != NULL)
		return fail("%s: No such file or directory", path);
	return key_from_base64(key, a, KEY_B64_LEN) < 0 ?
	    fail("%s: bad key", path) : 0;
}

static void
render(const char *buf, size_t len, const char *node)
{
	struct netconf_opts o = {
		.path = "fuzz.yaml",
		.node = node,
		.read_key = fake_key,
	};
	struct wg_device *dev;
	char *out;
	size_t outlen;

	if (netconf_load(&o, buf, len, &dev) < 0) {
		/* every error names the file and a place or the file alone */
		if (strncmp(lasterr(), "fuzz.yaml", 9) != 0)
			abort();
		return;
	}
	if (wgconf_write(dev, &out, &outlen) == 0) {
		if (outlen < 12 || memcmp(out, "[Interface]\n", 12) != 0)
			abort();
		secret_free(out);
	}
	wgdev_free(dev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		if (crypto_ready() < 0)
			abort();
		ready = 1;
	}
	render((const char *)data, size,
	    memmem(data, size, "nodes", 5) != NULL ? "a" : NULL);
	return 0;
}
