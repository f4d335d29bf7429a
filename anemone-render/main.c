/*
 * anemone-render: anemone.yaml (per-node or shared mesh form) -> a
 * validated wg-quick wg0.conf on standard output.  Nothing is written
 * unless the whole file is valid.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "io.h"
#include "keys.h"
#include "conf/netconf.h"
#include "wg/wgconf_write.h"
#include "conf/ytree.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: anemone-render [-k keyfile] [file]\n"
	    "       anemone-render -n node [-k keyfile] meshfile\n");
	exit(2);
}

static void
warn_line(const char *msg, void *arg)
{
	(void)arg;
	warnx("%s", msg);
}

int
main(int argc, char **argv)
{
	struct netconf_opts o = { .warn = warn_line };
	struct wg_device *dev = NULL;
	struct stat st;
	char *in = NULL, *out = NULL;
	size_t inlen, outlen;
	const char *path = "-";
	int ch, rc;

	while ((ch = getopt(argc, argv, "k:n:")) != -1) {
		switch (ch) {
		case 'k':
			o.key_file = optarg;
			break;
		case 'n':
			o.node = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	if (argc == 1)
		path = argv[0];
	o.path = strcmp(path, "-") == 0 ? "<stdin>" : path;
	if (crypto_ready() < 0)
		errx(1, "%s", lasterr());

	if (ytree_read_file(path, &in, &inlen) < 0)
		errx(1, "%s", lasterr());
	rc = netconf_load(&o, in, inlen, &dev);
	ytree_input_free(in, inlen);
	if (rc < 0)
		errx(1, "%s", lasterr());
	if (wgconf_write(dev, &out, &outlen) < 0)
		errx(1, "%s", lasterr());
	wgdev_free(dev);

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 077))
		warnx("warning: writing a private key to a file that group or "
		    "others can read");
	if (write_all(STDOUT_FILENO, out, outlen) < 0) {
		secret_free(out);
		err(1, "stdout");
	}
	secret_free(out);
	return 0;
}
