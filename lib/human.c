#include <stdio.h>
#include <time.h>

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

void
human_time(char out[32], uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "@%llu", (unsigned long long)t);
}
