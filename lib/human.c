#include <stdio.h>

#include "human.h"

void
human_size(char out[16], uint64_t n)
{
	static const char *unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(out, 16, "%u B", (unsigned)n);
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, 16, v < 10 ? "%.2f %s" : "%.1f %s", v, unit[u]);
}
