/*
 * anemone-keygen: WireGuard private and public keys, preshared keys,
 * backup repository keys and SSH login keys.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keygen.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: anemone-keygen [-t wg | psk | repo] [-o file]\n"
	    "       anemone-keygen -p\n"
	    "       anemone-keygen -t ssh -f file [-C comment]\n");
	exit(2);
}

static int
parse_type(const char *s, enum keytype *type)
{
	static const struct { const char *name; enum keytype type; } tab[] = {
		{ "wg", KEY_WG }, { "psk", KEY_PSK }, { "repo", KEY_REPO },
		{ "ssh", KEY_SSH },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(s, tab[i].name) == 0) {
			*type = tab[i].type;
			return 0;
		}
	return -1;
}

int
main(int argc, char *argv[])
{
	enum keytype type = KEY_WG;
	const char *file = NULL, *comment = NULL, *out = NULL;
	int ch, pflag = 0, tflag = 0;

	while ((ch = getopt(argc, argv, ":C:f:o:pt:")) != -1) {
		switch (ch) {
		case 'C':
			comment = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			pflag = 1;
			break;
		case 't':
			if (parse_type(optarg, &type) != 0) {
				warnx("unknown key type '%s'", optarg);
				usage();
			}
			tflag = 1;
			break;
		case ':':
			warnx("option -%c needs an argument", optopt);
			usage();
		default:
			warnx("unknown option -%c", optopt);
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (pflag && (tflag || file != NULL || comment != NULL || out != NULL))
		usage();
	if (type == KEY_SSH && (file == NULL || out != NULL))
		usage();
	if (type != KEY_SSH && (file != NULL || comment != NULL))
		usage();

	if (pflag)
		return pubkey();
	if (type == KEY_SSH)
		return sshkey(file, comment);
	return genkey(type, out);
}
