/*
 * The UAPI "get=1" reply parser (lib/wg/uapi_get.c) on arbitrary bytes: it
 * must reject or accept without a crash, leak or sanitizer report, and
 * what it accepts must satisfy the model's invariants.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "wg/uapi.h"
#include "wg/wgdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device *dev;
	size_t i, j;

	if ((dev = wgdev_new("wg0")) == NULL)
		abort();
	if (uapi_parse_get("wg0.sock", (const char *)data, size, dev) == 0) {
		for (i = 0; i < dev->n_peers; i++) {
			const struct wg_peer *p = &dev->peers[i];
			int fam = p->endpoint.sa.sa_family;

			if (fam != 0 && fam != AF_INET && fam != AF_INET6)
				abort();
			if (p->handshake_nsec < 0 || p->handshake_nsec > 999999999)
				abort();
			for (j = 0; j < p->n_allowedips; j++)
				if (p->allowedips[j].cidr >
				    (p->allowedips[j].family == AF_INET ? 32 : 128))
					abort();
		}
	}
	/* an error message is one line of printable text */
	for (i = 0; lasterr()[i] != '\0'; i++)
		if ((unsigned char)lasterr()[i] < 0x20 ||
		    (unsigned char)lasterr()[i] == 0x7f)
			abort();
	wgdev_free(dev);
	return 0;
}
