/*
 * anemone-push: store stdin as a new snapshot in a repository.
 *	tar c /data | anemone-push [-q] [-k keyfile] [-i sshkey] [-o option]
 *	    [-b rate] [-s seconds] repository name
 *	anemone-push [options] repository name -- tar c /data
 *	anemone-push [options] -r repository [-r repository]... name
 * With -r (repeatable) every repository is an option's argument and the
 * only operand is the name, so neither is ever taken for the other.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup/push.h"
#include "backup/state.h"
#include "error.h"
#include "human.h"
#include "push_tool.h"
#include "store/rate.h"
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
	fprintf(stderr, "usage: anemone-push [-q] [-k keyfile] [-i sshkey] "
	    "[-o option] [-b rate] [-s seconds]\n"
	    "                    {repository | -r repository ...} name "
	    "[-- command [argument ...]]\n"
	    "       anemone-push -C source [options] "
	    "{repository | -r repository ...} [name]\n");
	exit(2);
}

void
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

struct args {
	const char *keyfile, *repo, *name;
	const char *urls[FAN_MAX];	/* -r, in order */
	int nurl;
	double slow;		/* -s */
	char **cmd;		/* the producer after "--", or NULL */
	const char *from;	/* -C: the repository to copy from */
	struct store_opts so;
	int quiet;
};

static void
add_repo(struct args *a, const char *url)
{
	if (a->nurl == FAN_MAX)
		errx(2, "-r: at most %d repositories", FAN_MAX);
	a->urls[a->nurl++] = url;
}

/* -b: bytes per second, with an optional k, M or G (powers of 1024). */
static uint64_t
rate_arg(const char *arg)
{
	static const char units[] = "kMG";
	char *end;
	double v = strtod(arg, &end), mult = 1;
	const char *u = *end != '\0' ? strchr(units, *end) : NULL;

	if (u != NULL && end[1] == '\0')
		mult = (double)(1u << (10 * (u - units + 1)));
	if (end == arg || (*end != '\0' && (u == NULL || end[1] != '\0')) ||
	    !(v * mult >= RATE_MIN && v * mult <= 1e12))
		errx(2, "-b %s: bytes per second like 500k, 2M or 1G (at "
		    "least %u)", arg, RATE_MIN);
	return (uint64_t)(v * mult);
}

static double
seconds_arg(const char *arg)
{
	char *end;
	double s = strtod(arg, &end);

	if (end == arg || *end != '\0' || !(s >= 1 && s <= 86400))
		errx(2, "-s %s: seconds from 1 to 86400", arg);
	return s;
}

static void operands(struct args *a, int argc, char **argv);

/* Options and operands into A; usage errors exit 2.  Options end at the
 * first operand ("+"), so that the producer's own options stay its own. */
static void
parse_args(int argc, char **argv, struct args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->keyfile = getenv("ANEMONE_KEYFILE");
	a->so.timeout = STORE_TIMEOUT_DEFAULT;
	a->slow = 120;
	while ((c = getopt(argc, argv, "+qb:C:k:i:o:r:s:")) != -1) {
		switch (c) {
		case 'b':
			store_rate_set(rate_arg(optarg));
			break;
		case 'C':
			a->from = optarg;
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
		case 'r':
			add_repo(a, optarg);
			break;
		case 's':
			a->slow = seconds_arg(optarg);
			break;
		default:
			usage();
		}
	}
	operands(a, argc - optind, argv + optind);
}

/* The operands: the repository unless -r gave it, the name (optional with
 * -C), the producer after "--" (not with -C). */
static void
operands(struct args *a, int argc, char **argv)
{
	if (a->nurl == 0) {	/* no -r: the first operand is the repository */
		if (argc < 1)
			usage();
		add_repo(a, *argv++);
		argc--;
	}
	if (a->from != NULL && argc <= 1)
		a->name = argc ? argv[0] : NULL;
	else if (a->from == NULL && (argc == 1 || (argc > 2 &&
	    strcmp(argv[1], "--") == 0))) {
		a->cmd = argc > 2 ? argv + 2 : NULL;
		a->name = argv[0];
	} else
		usage();
	a->repo = a->urls[0];
	if (a->keyfile == NULL || *a->keyfile == '\0')
		errx(2, "no key: use -k KEYFILE or set ANEMONE_KEYFILE");
	if (a->name != NULL && !fmt_snap_name_valid(a->name))
		errx(2, "bad snapshot name '%s' (1-64 of A-Z a-z 0-9 . _ -, "
		    "not starting with '.')", a->name);
}

int
producer_ok(void *arg)
{
	struct producer *pr = arg;

	return pr->pid < 0 ? 0 : producer_wait(pr);
}

static void
summary(const struct args *a, const char *id, const struct push_stats *st)
{
	char in[16], stored[16];

	human_size(in, st->in_bytes);
	human_size(stored, st->stored);
	fprintf(stderr, "%s@%s: read %s, stored %s, ratio %.1f:1, "
	    "%llu of %llu chunks new, %.2f s\n", a->name, id, in, stored,
	    st->stored ? (double)st->in_bytes / (double)st->stored : 0.0,
	    (unsigned long long)st->new_chunks,
	    (unsigned long long)st->chunks, now() - t0);
}

int
main(int argc, char **argv)
{
	struct producer pr = { NULL, -1, 0 };
	struct push_stats st;
	struct args a;
	struct repo *r;
	char id[2 * SNAP_ID_LEN + 1];
	int created, tty, rc;

	parse_args(argc, argv, &a);
	if (a.from != NULL)
		return push_copy(a.from, a.urls, a.nurl, a.keyfile, &a.so,
		    a.name, a.quiet);
	if (a.nurl > 1)
		return push_friends(a.urls, a.nurl, a.keyfile, &a.so, a.name,
		    a.slow, a.quiet, a.cmd);
	tty = !a.quiet && isatty(2);
	t0 = now();
	if ((r = repo_open_opts(a.repo, a.keyfile, 1, &created, &a.so)) == NULL)
		errx(1, "%s", lasterr());
	if (created && !a.quiet)
		fprintf(stderr, "anemone-push: initialised a new repository "
		    "at %s\n", a.repo);
	if (a.cmd != NULL && producer_start(&pr, a.cmd) < 0) {
		repo_close(r);
		errx(1, "%s", lasterr());
	}
	rc = push_stream(r, pr.fd, a.name, tty ? progress : NULL,
	    producer_ok, &pr, id, &st);
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (rc < 0) {
		char why[1024];
		snprintf(why, sizeof(why), "%s", lasterr());
		if (a.cmd != NULL)
			producer_wait(&pr);	/* reap it, whatever it says */
		repo_close(r);
		errx(1, "%s", why);
	}
	remember(r, id);
	repo_close(r);
	printf("%s\n", id);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	if (!a.quiet)
		summary(&a, id, &st);
	return 0;
}
