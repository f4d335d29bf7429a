#include "error.h"
#include "wgdev.h"

int
nlwg_get(const char *ifname, struct wg_device **dev)
{
	(void)dev;
	return fail("%s: kernel backend not yet", ifname);
}

int
nlwg_set(const struct wg_device *dev)
{
	return fail("%s: kernel backend not yet", dev->name);
}
