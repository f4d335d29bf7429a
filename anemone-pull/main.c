/*
 * anemone-pull: restore, list, compare and verify snapshots.
 *	anemone-pull [-q] [opts] repository name[@id] [path ...]   > stream
 *	anemone-pull -t [opts] repository name[@id] [path ...]
 *	anemone-pull -d [opts] repository old[@id] new[@id] [path ...]
 *	anemone-pull -H [opts] repository name path
 *	anemone-pull -l [opts] repository [name]
 *	anemone-pull -c [opts] repository [name[@id]]
 *	anemone-pull -S [-a age] [opts] repository [name]
 * opts: -k keyfile, -i sshkey, -o option, -r repository (repeatable: one
 * or more friends, then no repository operand).  Operands keep their
 * places: the repository (unless -r gives it), then snapshots, then
 * member paths, so no path is ever taken for a snapshot or a repository.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "pull.h"
#include "store/store_opts.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: anemone-pull [-Aq] [opts] repository name[@id] [path ...]\n"
	    "       anemone-pull -t [opts] repository name[@id] [path ...]\n"
	    "       anemone-pull -d [opts] repository old[@id] new[@id] "
	    "[path ...]\n"
	    "       anemone-pull -H [opts] repository name path\n"
	    "       anemone-pull -l [opts] repository [name]\n"
	    "       anemone-pull -c [opts] repository [name[@id]]\n"
	    "       anemone-pull -S [-a age] [opts] repository [name]\n"
	    "opts: [-A] [-k keyfile] [-i sshkey] [-o option] [-r repository]... "
	    "(with -r, leave the repository operand out)\n");
	exit(2);
}

/* A snapshot operand: NAME, or NAME@ID unless BARE. */
static void
check_spec(const char *spec, int bare)
{
	char name[NAME_MAX_LEN + 1];
	size_t len = strcspn(spec, "@");

	snprintf(name, sizeof(name), "%.*s", (int)len, spec);
	if (len > NAME_MAX_LEN || !fmt_snap_name_valid(name) || (bare && spec[len]))
		errx(2, "bad snapshot name '%.*s'", (int)len, spec);
}

/* How many snapshot operands each mode takes: minimum, maximum. */
static void
operands(int mode, int argc, char **argv)
{
	int lo = 1, hi = 1, i;

	if (mode == 'l' || mode == 'c' || mode == 'S')
		lo = 0;
	if (mode == 'd')
		lo = hi = 2;
	if (argc < lo || (mode == 'H' && argc != 2) || ((mode == 'l' ||
	    mode == 'c' || mode == 'S') && argc > 1))
		usage();
	for (i = 0; i < argc && i < hi; i++)
		check_spec(argv[i], mode == 'l' || mode == 'H' || mode == 'S');
}

/* -l, -t, -d, -H at repository R. */
static int
show(struct repo *r, int mode, int argc, char **argv)
{
	switch (mode) {
	case 'l':
		return list_snapshots(r, argc ? argv[0] : NULL);
	case 't':
		return show_members(r, argv[0], argv + 1, (size_t)argc - 1);
	case 'd':
		return show_diff(r, argv[0], argv[1], argv + 2, (size_t)argc - 2);
	default:
		return show_history(r, argv[0], argv[1]);
	}
}

/* The mode over the repositories: a restore or -c uses all of them, the
 * others are answered by the first that can. */
static int
run(struct friends *f, int mode, int argc, char **argv, int progress)
{
	int i, next;

	if (mode == 'c')
		return check_friends(f, argc ? argv[0] : NULL);
	if (mode == 0 && argc > 1)
		return restore_part(f, argv[0], argv + 1, (size_t)argc - 1,
		    progress);
	if (mode == 0)
		return restore_all(f, argv[0], progress);
	for (i = friends_next(f, 0); i >= 0; i = next) {
		if (show(f->r[i], mode, argc, argv) == 0)
			return 0;
		if ((next = friends_next(f, i + 1)) >= 0)
			warnx("%s", lasterr());
	}
	return -1;
}

static void
add_repo(struct friends *f, const char *url)
{
	if (f->n == FRIENDS_MAX)
		errx(2, "-r: at most %d repositories", FRIENDS_MAX);
	f->url[f->n++] = url;
}

int
main(int argc, char **argv)
{
	const char *keyfile = getenv("ANEMONE_KEYFILE");
	struct store_opts so = { .timeout = STORE_TIMEOUT_DEFAULT };
	struct friends f;
	int c, mode = 0, quiet = 0, accept = 0, rc;
	double maxage = 0;

	memset(&f, 0, sizeof(f));
	while ((c = getopt(argc, argv, "AcdHlqStk:i:o:r:a:")) != -1) {
		switch (c) {
		case 'A':
			accept = 1;
			break;
		case 'a':
			if (parse_age(optarg, &maxage) < 0)
				errx(2, "%s", lasterr());
			break;
		case 'c': case 'd': case 'H': case 'l': case 'S': case 't':
			if (mode != 0 && mode != c)
				usage();
			mode = c;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'i':
			so.identity = optarg;
			break;
		case 'o':
			if (store_opt_parse(&so, optarg) < 0)
				errx(2, "%s", lasterr());
			break;
		case 'r':
			add_repo(&f, optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (f.n == 0) {
		if (argc < 1)
			usage();
		add_repo(&f, *argv++);
		argc--;
	}
	operands(mode, argc, argv);
	if (maxage > 0 && mode != 'S')
		usage();
	if (keyfile == NULL || *keyfile == '\0')
		errx(2, "no key: use -k KEYFILE or set ANEMONE_KEYFILE");
	if (mode == 0 && isatty(1))
		errx(2, "refusing to write a snapshot to a terminal; redirect "
		    "stdout");
	if (mode == 'S')
		return pull_health(f.url, f.n, keyfile, &so, maxage,
		    argc ? argv[0] : NULL);
	if (mode == 'c')
		so.no_cache = 1;	/* verify the repository's own copies */
	/* first, is anything this client saw missing? (guard.c) */
	if (friends_open(&f, keyfile, &so, accept, mode) < 0)
		errx(1, "%s", lasterr());
	rc = run(&f, mode, argc, argv, !quiet && mode == 0 && isatty(2));
	friends_close(&f);
	if (rc < 0)
		errx(1, "%s", lasterr());
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	return 0;
}
