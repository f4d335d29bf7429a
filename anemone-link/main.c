/*
 * anemone-link: wg0.conf on stdin (or -f FILE) -> a live WireGuard
 * interface, in sync; -n prints the plan only, -r only follows endpoint
 * names that moved, -d deletes.
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
#define REJECT_AFTER_SEC 180	/* WireGuard drops a session this old */
#define EXIT_PARTIAL 3		/* applied, but some names did not resolve */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: anemone-link [-nv] [-f file] interface\n"
	    "       anemone-link -r [-nv] [-a seconds] [-f file] interface\n"
	    "       anemone-link -d interface\n");
	exit(2);
}

void
link_warn(const char *msg)
{
	warnx("warning: %s; endpoint left as it is", msg);
}

static void
warn_cb(const char *msg, void *arg)
{
	(void)arg;
	link_warn(msg);
}

static int64_t
parse_age(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 86400)
		errx(2, "-a %s: want seconds, 0..86400", s);
	return v;
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

/* Plain apply or -r: 0, EXIT_PARTIAL, or exits 1. */
static int
run(struct wg_device *dev, int refresh, int64_t age, int dry_run,
    int verbose, int get_fd)
{
	size_t bad = 0;
	int rc = -1;

	if (!can_net_admin())
		fail("needs CAP_NET_ADMIN (run as root)");
	else if (refresh)
		rc = link_refresh(dev, age, dry_run, verbose, stdout, &bad);
	else {
		bad = wgconf_resolve(dev, warn_cb, NULL);
		rc = link_apply(dev, get_fd, dry_run, verbose, stdout);
	}
	if (rc < 0) {
		wgdev_free(dev);
		errx(1, "%s", lasterr());
	}
	wgdev_free(dev);
	return bad > 0 ? EXIT_PARTIAL : 0;
}

int
main(int argc, char **argv)
{
	struct wg_device *dev;
	const char *file = NULL;
	int ch, dry_run = 0, verbose = 0, del = 0, refresh = 0, get_fd = -1;
	int64_t age = -1;

	while ((ch = getopt(argc, argv, "a:df:nrv")) != -1) {
		switch (ch) {
		case 'a': age = parse_age(optarg); break;
		case 'd': del = 1; break;
		case 'f': file = optarg; break;
		case 'n': dry_run = 1; break;
		case 'r': refresh = 1; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (argc - optind != 1 || (del && (dry_run || verbose || file ||
	    refresh)) || (age >= 0 && !refresh))
		usage();
	if ((dev = wgdev_new(argv[optind])) == NULL ||
	    strchr(argv[optind], '/') || argv[optind][0] == '\0' ||
	    argv[optind][0] == '.')
		errx(1, "%s: bad interface name", argv[optind]);
	wgdev_free(dev);
	if (del) {
		if (!can_net_admin())
			errx(1, "needs CAP_NET_ADMIN (run as root)");
		if (link_delete(argv[optind]) < 0)
			errx(1, "%s", lasterr());
		return 0;
	}
	/* a userspace daemon writes its state while we parse */
	if (!refresh && can_net_admin())
		get_fd = link_prefetch(argv[optind]);
	dev = read_config(file, argv[optind]);
	return run(dev, refresh, age < 0 ? REJECT_AFTER_SEC : age, dry_run,
	    verbose, get_fd);
}
