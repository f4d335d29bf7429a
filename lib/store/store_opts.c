#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store/store_opts.h"

int
store_opt_parse(struct store_opts *o, const char *arg)
{
	const char *v;
	char *end;
	long n;

	if (strcmp(arg, "accept-new") == 0) {
		o->accept_new = 1;
		return 0;
	}
	if (strcmp(arg, "no-cache") == 0) {
		o->no_cache = 1;
		return 0;
	}
	if (strncmp(arg, "known_hosts=", 12) == 0) {
		v = arg + 12;
		if (*v == '\0')
			return fail("-o %s: empty file name", arg);
		o->known_hosts = v;
		return 0;
	}
	if (strncmp(arg, "timeout=", 8) == 0) {
		v = arg + 8;
		n = strtol(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || n < 1 || n > 3600)
			return fail("-o %s: timeout must be 1..3600 seconds", arg);
		o->timeout = (int)n;
		return 0;
	}
	return fail("-o %s: unknown option (known: known_hosts=FILE, "
	    "accept-new, timeout=SECONDS, no-cache)", arg);
}
