/* libFuzzer target: kernel WireGuard netlink replies, as a message stream. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nlwg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device *dev = wgdev_new("wg0");
	void *copy = malloc(size ? size : 1);	/* aligned, like a recv buffer */
	const struct nlmsghdr *nlh = copy;
	int len = (int)size;

	memcpy(copy, data, size);
	while (mnl_nlmsg_ok(nlh, len)) {
		if (nlwg_parse(nlh, dev) < 0)
			break;
		nlh = mnl_nlmsg_next(nlh, &len);
	}
	wgdev_free(dev);
	free(copy);
	return 0;
}
