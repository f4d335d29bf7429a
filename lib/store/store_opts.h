/*
 * The -i and -o options anemone-push and anemone-pull share for sftp://
 * repositories:
 *	-i FILE			log in with this SSH private key only
 *	-o known_hosts=FILE	check host keys against FILE
 *	-o accept-new		add an unknown host key (never a changed one)
 *	-o timeout=SECONDS	connect and stalled-I/O timeout (1..3600)
 */
#ifndef ANEMONE_STORE_OPTS_H
#define ANEMONE_STORE_OPTS_H

#include "store/store.h"

/* Apply one -o argument to O.  0, or -1 with lasterr naming it. */
int store_opt_parse(struct store_opts *o, const char *arg);

#endif
