/*
 * anemone-pull: restore, list, compare and verify snapshots.
 *	anemone-pull [-q] [opts] repository name[@id] [path ...]   > stream
 *	anemone-pull -t [opts] repository name[@id] [path ...]
 *	anemone-pull -d [opts] repository old[@id] new[@id] [path ...]
 *	anemone-pull -H [opts] repository name path
 *	anemone-pull -l [opts] repository [name]
 *	anemone-pull -c [opts] repository [name[@id]]
 * opts: -k keyfile, -i sshkey, -o option, -r repository.  Operands keep
 * their places: the repository (unless -r gives it), then snapshots, then
 * member paths, so no path is ever taken for a snapshot or a repository.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "guard.h"
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
	    "opts: [-A] [-k keyfile] [-i sshkey] [-o option] [-r repository] "
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

	if (mode == 'l' || mode == 'c')
		lo = 0;
	if (mode == 'd')
		lo = hi = 2;
	if (argc < lo || (mode == 'H' && argc != 2) ||
	    ((mode == 'l' || mode == 'c') && argc > 1))
		usage();
	for (i = 0; i < argc && i < hi; i++)
		check_spec(argv[i], mode == 'l' || mode == 'H');
}

static int
run(struct repo *r, int mode, int argc, char **argv, int progress)
{
	if (mode == 'l')
		return list_snapshots(r, argc ? argv[0] : NULL);
	if (repo_load_index(r, 0, NULL, NULL) < 0)
		return -1;
	switch (mode) {
	case 'c':
		return check(r, argc ? argv[0] : NULL);
	case 't':
		return show_members(r, argv[0], argv + 1, (size_t)argc - 1);
	case 'd':
		return show_diff(r, argv[0], argv[1], argv + 2, (size_t)argc - 2);
	case 'H':
		return show_history(r, argv[0], argv[1]);
	default:
		if (argc > 1)
			return restore_part(r, argv[0], argv + 1,
			    (size_t)argc - 1, progress);
		return restore_all(r, argv[0], progress);
	}
}

int
main(int argc, char **argv)
{
	const char *keyfile = getenv("ANEMONE_KEYFILE"), *url = NULL;
	struct store_opts so = { .timeout = STORE_TIMEOUT_DEFAULT };
	struct repo *r;
	struct guard g;
	int c, mode = 0, quiet = 0, accept = 0, created, rc;

	while ((c = getopt(argc, argv, "AcdHlqtk:i:o:r:")) != -1) {
		switch (c) {
		case 'A':
			accept = 1;
			break;
		case 'c': case 'd': case 'H': case 'l': case 't':
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
			if (url != NULL)
				errx(2, "-r: one repository at a time");
			url = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (url == NULL) {
		if (argc < 1)
			usage();
		url = *argv++;
		argc--;
	}
	operands(mode, argc, argv);
	if (keyfile == NULL || *keyfile == '\0')
		errx(2, "no key: use -k KEYFILE or set ANEMONE_KEYFILE");
	if (mode == 0 && isatty(1))
		errx(2, "refusing to write a snapshot to a terminal; redirect "
		    "stdout");
	if (mode == 'c')
		so.no_cache = 1;	/* verify the repository's own copies */
	if ((r = repo_open_opts(url, keyfile, 0, &created, &so)) == NULL)
		errx(1, "%s", lasterr());
	/* first, is anything this client saw missing? (guard.c) */
	if (guard_open(&g, r, accept) < 0 || guard_repo(&g, r, mode == 'c') < 0)
		rc = -1;
	else
		rc = run(r, mode, argc, argv, !quiet && mode == 0 && isatty(2));
	guard_close(&g);
	repo_close(r);
	if (rc < 0)
		errx(1, "%s", lasterr());
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	return 0;
}
