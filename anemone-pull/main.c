/*
 * anemone-pull: restore, list and verify snapshots.
 *	anemone-pull [-Aq] [-k keyfile] repository name[@id]     > stream
 *	anemone-pull -l [-A] [-k keyfile] repository [name]
 *	anemone-pull -c [-A] [-k keyfile] repository [name[@id]]
 * Each compares the repository with what this client remembers of it
 * (guard.c) before it trusts what the repository shows.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup/pull.h"
#include "error.h"
#include "guard.h"
#include "human.h"
#include "store/store_opts.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: anemone-pull [-Aq] [-k keyfile] [-i sshkey] [-o option] "
	    "repository name[@id]\n"
	    "       anemone-pull -l [-A] [-k keyfile] [-i sshkey] [-o option] "
	    "repository [name]\n"
	    "       anemone-pull -c [-A] [-k keyfile] [-i sshkey] [-o option] "
	    "repository [name[@id]]\n");
	exit(2);
}

/* Every record, checked against what this client remembers; V NULL when
 * a record could not be read (then only the listing is compared, and
 * the error is left for -c to report record by record). */
static int
guarded_snapshots(struct repo *r, struct guard *g, struct snapshot **v,
    size_t *n, int soft)
{
	if (repo_snapshots(r, v, n) < 0) {
		if (!soft)
			return -1;
		*v = NULL;
		*n = 0;
	}
	if (guard_check(g, r, *v, *n) < 0) {
		if (*v != NULL)
			snapshots_free(*v, *n);
		return -1;
	}
	guard_remember(g, *v, *n);
	return 0;
}

static int
list(struct repo *r, struct guard *g, const char *name)
{
	struct snapshot *v;
	size_t n, i;
	char id[2 * SNAP_ID_LEN + 1], t[32], sz[16];
	int tty = isatty(1);

	if (guarded_snapshots(r, g, &v, &n, 0) < 0)
		return -1;
	if (tty)
		printf("%-16s  %-20s  %-20s  %10s\n", "ID", "NAME", "TIME", "SIZE");
	for (i = 0; i < n; i++) {
		if (name != NULL && strcmp(v[i].name, name) != 0)
			continue;
		hex_encode(id, v[i].snap_id, SNAP_ID_LEN);
		human_time(t, v[i].time_ns);
		if (tty) {
			human_size(sz, v[i].size);
			printf("%-16s  %-20s  %-20s  %10s\n", id, v[i].name, t, sz);
		} else {
			printf("%s\t%s\t%s\t%llu\n", id, v[i].name, t,
			    (unsigned long long)v[i].size);
		}
	}
	snapshots_free(v, n);
	return 0;
}

/* Load snapshot NAME@ID (ID: a unique prefix of a snapshot id). */
static int
select_by_id(struct repo *r, const char *name, const char *id,
    struct snapshot *s)
{
	char idhex[2 * SNAP_ID_LEN + 1] = "", **names;
	size_t n, i, len = strlen(id), hit = 0;
	int rc;

	if (len < 4 || len > 2 * SNAP_ID_LEN || strspn(id,
	    "0123456789abcdef") != len)
		return fail("bad snapshot id '%s' (4 to 16 lowercase hex "
		    "digits)", id);
	rc = store_list(r->st, "snapshots", &names, &n);
	if (rc < 0 && rc != STORE_NOTFOUND)
		return -1;
	for (i = 0; i < n; i++) {
		if (strncmp(names[i], id, len) == 0) {
			hit++;
			snprintf(idhex, sizeof(idhex), "%s", names[i]);
		}
	}
	store_names_free(names, n);
	if (hit == 0)
		return fail("%s: no snapshot %s@%s", r->st->url, name, id);
	if (hit > 1)
		return fail("%s: snapshot id %s is ambiguous", r->st->url, id);
	if (repo_load_snapshot(r, idhex, s) < 0)
		return -1;
	if (strcmp(s->name, name) != 0) {
		fail("%s: snapshot %s is named %s, not %s", r->st->url,
		    idhex, s->name, name);
		snapshot_free(s);
		return -1;
	}
	return 0;
}

/* Find NAME[@ID]: by id, or the latest NAME among V[0..N) (moved out). */
static int
select_snapshot(struct repo *r, const char *spec, struct snapshot *v,
    size_t n, struct snapshot *s)
{
	char name[NAME_MAX_LEN + 1];
	const char *at = strchr(spec, '@');
	size_t i, len;
	int found = -1;

	len = at ? (size_t)(at - spec) : strlen(spec);
	if (len > NAME_MAX_LEN)
		return fail("bad snapshot name '%.*s'", (int)len, spec);
	memcpy(name, spec, len);
	name[len] = '\0';
	if (!fmt_snap_name_valid(name))
		return fail("bad snapshot name '%s'", name);
	if (at != NULL)
		return select_by_id(r, name, at + 1, s);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			found = (int)i;
	if (found < 0)
		return fail("%s: no snapshot named %s", r->st->url, name);
	*s = v[found];
	v[found].lists = NULL;
	return 0;
}

/* Restore SPEC to stdout, saying which snapshot (unless QUIET). */
static int
restore(struct repo *r, struct guard *g, const char *spec, int quiet)
{
	struct snapshot *v, s;
	char id[2 * SNAP_ID_LEN + 1], t[32], sz[16];
	size_t n;
	int rc;

	if (guarded_snapshots(r, g, &v, &n, 0) < 0)
		return -1;
	rc = select_snapshot(r, spec, v, n, &s);
	snapshots_free(v, n);
	if (rc < 0)
		return -1;
	if (!quiet) {
		hex_encode(id, s.snap_id, SNAP_ID_LEN);
		human_time(t, s.time_ns);
		human_size(sz, s.size);
		fprintf(stderr, "anemone-pull: restoring %s@%s of %s (%s)\n",
		    s.name, id, t, sz);
	}
	rc = pull_stream(r, &s, 1);
	snapshot_free(&s);
	return rc;
}

/* Verify: every record, and every object the selected ones use. */
static int
check(struct repo *r, struct guard *g, const char *spec)
{
	struct snapshot s, *v;
	char **names;
	size_t n, i, seen = 0;
	int rc, bad = 0;

	if (guarded_snapshots(r, g, &v, &n, 1) < 0)
		return -1;
	if (v != NULL)
		snapshots_free(v, n);
	if (spec != NULL && strchr(spec, '@') != NULL) {
		if (select_snapshot(r, spec, NULL, 0, &s) < 0)
			return -1;
		rc = pull_stream(r, &s, -1);
		snapshot_free(&s);
		return rc;
	}
	rc = store_list(r->st, "snapshots", &names, &n);
	if (rc < 0 && rc != STORE_NOTFOUND)
		return -1;
	for (i = 0; i < n; i++) {
		if (repo_load_snapshot(r, names[i], &s) < 0) {
			warnx("%s", lasterr());
			bad = 1;
		} else {
			if (spec != NULL && strcmp(spec, s.name) == 0)
				seen++;
			if ((spec == NULL || strcmp(spec, s.name) == 0) &&
			    pull_stream(r, &s, -1) < 0) {
				warnx("%s", lasterr());
				bad = 1;
			}
			snapshot_free(&s);
		}
	}
	store_names_free(names, n);
	if (bad)
		return fail("%s: problems found", r->st->url);
	if (spec != NULL && seen == 0)
		return fail("%s: no snapshot named %s", r->st->url, spec);
	return 0;
}

struct args {
	const char *keyfile, *repo, *spec;
	struct store_opts so;
	int mode, accept, quiet;
};

/* Options and operands into A; usage errors exit 2. */
static void
parse_args(int argc, char **argv, struct args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->keyfile = getenv("ANEMONE_KEYFILE");
	a->so.timeout = STORE_TIMEOUT_DEFAULT;
	while ((c = getopt(argc, argv, "Aclqk:i:o:")) != -1) {
		switch (c) {
		case 'A':
			a->accept = 1;
			break;
		case 'c':
		case 'l':
			if (a->mode != 0 && a->mode != c)
				usage();
			a->mode = c;
			break;
		case 'q':
			a->quiet = 1;
			break;
		case 'k':
			a->keyfile = optarg;
			break;
		case 'i':
			a->so.identity = optarg;
			break;
		case 'o':
			if (store_opt_parse(&a->so, optarg) < 0)
				errx(2, "%s", lasterr());
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2 || (a->mode == 0 && argc != 2) ||
	    (a->quiet && a->mode != 0))
		usage();
	a->repo = argv[0];
	a->spec = argc == 2 ? argv[1] : NULL;
}

int
main(int argc, char **argv)
{
	struct args a;
	struct guard g;
	struct repo *r;
	int created, rc;

	parse_args(argc, argv, &a);
	if (a.keyfile == NULL || *a.keyfile == '\0')
		errx(2, "no key: use -k KEYFILE or set ANEMONE_KEYFILE");
	if (a.spec != NULL) {
		char name[NAME_MAX_LEN + 1];
		size_t len = strcspn(a.spec, "@");
		snprintf(name, sizeof(name), "%.*s", (int)len, a.spec);
		if (len > NAME_MAX_LEN || !fmt_snap_name_valid(name) ||
		    (a.mode == 'l' && a.spec[len] != '\0'))
			errx(2, "bad snapshot name '%.*s'", (int)len, a.spec);
	}
	if (a.mode == 0 && isatty(1))
		errx(2, "refusing to write a snapshot to a terminal; redirect "
		    "stdout");
	if ((r = repo_open_opts(a.repo, a.keyfile, 0, &created, &a.so)) == NULL)
		errx(1, "%s", lasterr());
	if (guard_open(&g, r, a.accept) < 0)
		rc = -1;
	else if (a.mode == 'l')
		rc = list(r, &g, a.spec);
	else if (repo_load_index(r, 0, NULL, NULL) < 0)
		rc = -1;
	else if (a.mode == 'c')
		rc = check(r, &g, a.spec);
	else
		rc = restore(r, &g, a.spec, a.quiet);
	guard_close(&g);
	repo_close(r);
	if (rc < 0)
		errx(1, "%s", lasterr());
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	return 0;
}
