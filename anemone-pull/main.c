/*
 * anemone-pull: restore, list and verify snapshots.
 *	anemone-pull [-k keyfile] repository name[@id]     > stream
 *	anemone-pull -l [-k keyfile] repository [name]
 *	anemone-pull -c [-k keyfile] repository [name[@id]]
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup/pull.h"
#include "error.h"
#include "human.h"
#include "store/store_opts.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: anemone-pull [-k keyfile] [-i sshkey] [-o option] "
	    "repository name[@id]\n"
	    "       anemone-pull -l [-k keyfile] [-i sshkey] [-o option] "
	    "repository [name]\n"
	    "       anemone-pull -c [-k keyfile] [-i sshkey] [-o option] "
	    "repository [name[@id]]\n");
	exit(2);
}

static void
iso_time(char out[32], uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
list(struct repo *r, const char *name)
{
	struct snapshot *v;
	size_t n, i;
	char id[2 * SNAP_ID_LEN + 1], t[32], sz[16];
	int tty = isatty(1);

	if (repo_snapshots(r, &v, &n) < 0)
		return -1;
	if (tty)
		printf("%-16s  %-20s  %-20s  %10s\n", "ID", "NAME", "TIME", "SIZE");
	for (i = 0; i < n; i++) {
		if (name != NULL && strcmp(v[i].name, name) != 0)
			continue;
		hex_encode(id, v[i].snap_id, SNAP_ID_LEN);
		iso_time(t, v[i].time_ns);
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

/* Find NAME[@ID] (ID: a unique prefix of a snapshot id). */
static int
select_snapshot(struct repo *r, const char *spec, struct snapshot *s)
{
	char name[NAME_MAX_LEN + 1], idhex[2 * SNAP_ID_LEN + 1] = "";
	const char *at = strchr(spec, '@');
	struct snapshot *v;
	char **names;
	size_t n, i, len, hit = 0;
	int rc, found = -1;

	len = at ? (size_t)(at - spec) : strlen(spec);
	if (len > NAME_MAX_LEN)
		return fail("bad snapshot name '%.*s'", (int)len, spec);
	memcpy(name, spec, len);
	name[len] = '\0';
	if (!fmt_snap_name_valid(name))
		return fail("bad snapshot name '%s'", name);
	if (at != NULL) {
		const char *id = at + 1;
		len = strlen(id);
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
			return fail("%s: no snapshot %s", r->st->url, spec);
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
	if (repo_snapshots(r, &v, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			found = (int)i;
	if (found < 0) {
		snapshots_free(v, n);
		return fail("%s: no snapshot named %s", r->st->url, name);
	}
	*s = v[found];
	v[found].lists = NULL;
	snapshots_free(v, n);
	return 0;
}

/* Verify: every record, and every object the selected ones use. */
static int
check(struct repo *r, const char *spec)
{
	struct snapshot s;
	char **names;
	size_t n, i, seen = 0;
	int rc, bad = 0;

	if (spec != NULL && strchr(spec, '@') != NULL) {
		if (select_snapshot(r, spec, &s) < 0)
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

int
main(int argc, char **argv)
{
	const char *keyfile = getenv("ANEMONE_KEYFILE");
	struct store_opts so = { .timeout = STORE_TIMEOUT_DEFAULT };
	struct snapshot s;
	struct repo *r;
	int c, mode = 0, created, rc;

	while ((c = getopt(argc, argv, "clk:i:o:")) != -1) {
		switch (c) {
		case 'c':
		case 'l':
			if (mode != 0 && mode != c)
				usage();
			mode = c;
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
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2 || (mode == 0 && argc != 2))
		usage();
	if (keyfile == NULL || *keyfile == '\0')
		errx(2, "no key: use -k KEYFILE or set ANEMONE_KEYFILE");
	if (argc == 2) {
		char name[NAME_MAX_LEN + 1];
		size_t len = strcspn(argv[1], "@");
		snprintf(name, sizeof(name), "%.*s", (int)len, argv[1]);
		if (len > NAME_MAX_LEN || !fmt_snap_name_valid(name) ||
		    (mode == 'l' && argv[1][len] != '\0'))
			errx(2, "bad snapshot name '%.*s'", (int)len, argv[1]);
	}
	if (mode == 0 && isatty(1))
		errx(2, "refusing to write a snapshot to a terminal; redirect "
		    "stdout");
	if ((r = repo_open_opts(argv[0], keyfile, 0, &created, &so)) == NULL)
		errx(1, "%s", lasterr());
	if (mode == 'l') {
		rc = list(r, argc == 2 ? argv[1] : NULL);
	} else if (repo_load_index(r, 0, NULL, NULL) < 0) {
		rc = -1;
	} else if (mode == 'c') {
		rc = check(r, argc == 2 ? argv[1] : NULL);
	} else if ((rc = select_snapshot(r, argv[1], &s)) == 0) {
		rc = pull_stream(r, &s, 1);
		snapshot_free(&s);
	}
	if (rc < 0) {
		repo_close(r);
		errx(1, "%s", lasterr());
	}
	repo_close(r);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	return 0;
}
