/* libFuzzer target: kernel WireGuard netlink replies, as a message stream. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wg/nlwg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device *dev = wgdev_new("wg0");
	void *copy = malloc(size ? size : 1);	/* aligned, like a recv buffer */
	const struct nlmsghdr *nlh = copy;
	int len = (int)size;

	memcpy(copy, data, size);
	/* framing as mnl_cb_run() does it, with the length compared
	 * unsigned (libmnl's mnl_nlmsg_ok() lets a length >= 2^31 through;
	 * harmless for kernel replies, not for arbitrary bytes) */
	while (len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	    nlh->nlmsg_len <= (uint32_t)len) {
		if (nlwg_parse(nlh, dev) < 0 ||
		    MNL_ALIGN(nlh->nlmsg_len) >= (uint32_t)len)
			break;
		len -= (int)MNL_ALIGN(nlh->nlmsg_len);
		nlh = (const void *)((const char *)nlh +
		    MNL_ALIGN(nlh->nlmsg_len));
	}
	wgdev_free(dev);
	free(copy);
	return 0;
}
