/*
 * anemone-push: store stdin as a new snapshot in a repository.
 *	tar c /data | anemone-push [-q] [-k keyfile] [-i sshkey] [-o option]
 *	    repository name
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "backup/engine.h"
#include "backup/state.h"
#include "error.h"
#include "human.h"
#include "store/store_opts.h"

static double t0;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: anemone-push [-q] [-k keyfile] [-i sshkey] [-o option] "
	    "repository name\n");
	exit(2);
}

/* Remember the new snapshot ID in this client's state file (rollback
 * detection, docs/STATE.md); a failure only warns: the push is done. */
static void
remember(struct repo *r, const char *id)
{
	struct state_snap sn;
	struct snapshot s;
	char *path;

	if (repo_load_snapshot(r, id, &s) < 0 || state_path(r->repo_id,
	    &path) < 0) {
		warnx("warning: %s; rollback detection will not know "
		    "snapshot %s", lasterr(), id);
		return;
	}
	state_snap_from(&sn, &s);
	snapshot_free(&s);
	if (state_update(path, r->repo_id, &sn, 1, NULL, 0) < 0)
		warnx("warning: %s; rollback detection will not know "
		    "snapshot %s", lasterr(), id);
	free(path);
}

static void
progress(const struct push_stats *st, void *arg)
{
	char in[16], rate[16], stored[16];
	double dt = now() - t0;

	(void)arg;
	human_size(in, st->in_bytes);
	human_size(rate, dt > 0 ? (uint64_t)(st->in_bytes / dt) : 0);
	human_size(stored, st->stored);
	fprintf(stderr, "\r\033[Kread %s  %s/s  stored %s", in, rate, stored);
}

int
main(int argc, char **argv)
{
	const char *keyfile = getenv("ANEMONE_KEYFILE");
	struct store_opts so = { .timeout = STORE_TIMEOUT_DEFAULT };
	struct push_stats st;
	struct repo *r;
	char id[2 * SNAP_ID_LEN + 1], in[16], stored[16];
	int c, quiet = 0, created, tty;
	double dt;

	while ((c = getopt(argc, argv, "qk:i:o:")) != -1) {
		switch (c) {
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
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	if (keyfile == NULL || *keyfile == '\0')
		errx(2, "no key: use -k KEYFILE or set ANEMONE_KEYFILE");
	if (!name_valid(argv[1]))
		errx(2, "bad snapshot name '%s' (1-64 of A-Z a-z 0-9 . _ -, "
		    "not starting with '.')", argv[1]);
	tty = !quiet && isatty(2);
	t0 = now();
	if ((r = repo_open_opts(argv[0], keyfile, 1, &created, &so)) == NULL)
		errx(1, "%s", lasterr());
	if (created && !quiet)
		fprintf(stderr, "anemone-push: initialised a new repository "
		    "at %s\n", argv[0]);
	if (push_stream(r, 0, argv[1], tty ? progress : NULL, NULL, id,
	    &st) < 0) {
		if (tty)
			fprintf(stderr, "\r\033[K");
		repo_close(r);
		errx(1, "%s", lasterr());
	}
	remember(r, id);
	repo_close(r);
	dt = now() - t0;
	if (tty)
		fprintf(stderr, "\r\033[K");
	printf("%s\n", id);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	if (!quiet) {
		human_size(in, st.in_bytes);
		human_size(stored, st.stored);
		fprintf(stderr, "%s@%s: read %s, stored %s, ratio %.1f:1, "
		    "%llu of %llu chunks new, %.2f s\n", argv[1], id, in, stored,
		    st.stored ? (double)st.in_bytes / (double)st.stored : 0.0,
		    (unsigned long long)st.new_chunks,
		    (unsigned long long)st.chunks, dt);
	}
	return 0;
}
