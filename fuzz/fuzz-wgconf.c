/* libFuzzer target: the wg0.conf parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "wg/wgconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device *dev = NULL;

	if (wgconf_parse("fuzz.conf", (const char *)data, size, "wg0",
	    &dev) == 0)
		wgdev_free(dev);
	return 0;
}
