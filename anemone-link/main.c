/*
 * anemone-link: wg0.conf on stdin (or -f FILE) -> a live WireGuard
 * interface, in sync; -n prints the plan only, -d deletes.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <sodium.h>

#include "error.h"
#include "io.h"
#include "link.h"
#include "wg/wgconf.h"

#define CONF_MAX (64u << 20)

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: anemone-link [-nv] [-f file] interface\n"
	    "       anemone-link -d interface\n");
	exit(2);
}

static int
can_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) != 0)
		return 0;
	return (d[CAP_NET_ADMIN / 32].effective >>
	    (CAP_NET_ADMIN % 32)) & 1;
}

/* Parse the config from PATH (NULL or "-": stdin). */
static struct wg_device *
read_config(const char *path, const char *ifname)
{
	struct wgconf c;
	struct wg_device *dev = NULL;
	const char *name = path && strcmp(path, "-") ? path : "<stdin>";
	FILE *f = stdin;
	char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t n;
	static char iobuf[BUFSIZ];	/* ours, so that it can be wiped */
	int fd = -1;

	/* it holds a private key: never read through a symbolic link */
	if (path && strcmp(path, "-") && ((fd = open_nofollow(path, O_RDONLY,
	    0)) < 0 || (f = fdopen(fd, "r")) == NULL))
		errx(1, "%s", fd < 0 ? lasterr() : strerror(errno));
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	if (wgconf_init(&c, name, ifname) < 0)
		errx(1, "%s", lasterr());
	while ((n = getline(&line, &cap, f)) > 0) {
		if ((total += (size_t)n) > CONF_MAX) {
			fail("%s: larger than %u MiB", name, CONF_MAX >> 20);
			goto bad;
		}
		if (line[n - 1] == '\n')
			n--;
		if (wgconf_line(&c, line, (size_t)n) < 0)
			goto bad;
	}
	if (ferror(f)) {
		fail_errno("%s", name);
		goto bad;
	}
	if (wgconf_finish(&c, &dev) < 0)
		goto bad;
	if (line)
		sodium_memzero(line, cap);	/* it held key text */
	free(line);
	if (f != stdin)
		fclose(f);
	sodium_memzero(iobuf, sizeof(iobuf));	/* it held key text */
	return dev;
bad:
	if (line)
		sodium_memzero(line, cap);
	free(line);
	sodium_memzero(iobuf, sizeof(iobuf));
	wgconf_free(&c);
	errx(1, "%s", lasterr());
}

int
main(int argc, char **argv)
{
	struct wg_device *dev;
	const char *file = NULL;
	int ch, dry_run = 0, verbose = 0, del = 0, get_fd;

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd': del = 1; break;
		case 'f': file = optarg; break;
		case 'n': dry_run = 1; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (argc - optind != 1 || (del && (dry_run || verbose || file)))
		usage();
	if ((dev = wgdev_new(argv[optind])) == NULL ||
	    strchr(argv[optind], '/') || argv[optind][0] == '\0' ||
	    argv[optind][0] == '.')
		errx(1, "%s: bad interface name", argv[optind]);
	if (del) {
		wgdev_free(dev);
		if (!can_net_admin())
			errx(1, "needs CAP_NET_ADMIN (run as root)");
		if (link_delete(argv[optind]) < 0)
			errx(1, "%s", lasterr());
		return 0;
	}
	wgdev_free(dev);
	/* a userspace daemon writes its state while we parse */
	get_fd = can_net_admin() ? link_prefetch(argv[optind]) : -1;
	dev = read_config(file, argv[optind]);
	if (wgconf_resolve(dev) < 0 || (!can_net_admin() &&
	    fail("needs CAP_NET_ADMIN (run as root)")) ||
	    link_apply(dev, get_fd, dry_run, verbose, stdout) < 0) {
		wgdev_free(dev);
		errx(1, "%s", lasterr());
	}
	wgdev_free(dev);
	return 0;
}
