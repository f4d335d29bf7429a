/*
 * anemone-pull -S: the health of one or more repositories in the text
 * format of Prometheus (node_exporter's textfile collector reads it):
 * per repository whether it answered and the bytes it stores; per
 * repository and snapshot name the number of snapshots and the time and
 * size of the newest.  With an age limit, a name whose newest snapshot at
 * some repository is older (or missing there) is named on stderr.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "pull.h"

struct newest {
	char name[NAME_MAX_LEN + 1];
	uint64_t count[FRIENDS_MAX], time_ns[FRIENDS_MAX], size[FRIENDS_MAX];
};

struct health {
	const char *only;	/* one snapshot name, or NULL: all */
	const char **url;
	int n;
	int up[FRIENDS_MAX];
	uint64_t stored[FRIENDS_MAX];
	struct newest *v;
	size_t nv, capv;
};

/* Bytes stored under the repository's folders.  0 or -1. */
static int
stored_bytes(struct repo *r, uint64_t *total)
{
	static const char *dirs[] = { "packs", "index", "snapshots" };
	char **names, path[300];
	size_t n, i, d;
	uint64_t sz = 0;
	int rc = 0;

	*total = 0;
	for (d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		rc = store_list(r->st, dirs[d], &names, &n);
		if (rc == STORE_NOTFOUND)
			continue;
		if (rc < 0)
			return -1;
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[d], names[i]);
			sz = 0;
			if (rc == 0 && store_size(r->st, path, &sz) < 0)
				rc = -1;
			*total += sz;
			free(names[i]);
		}
		free(names);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static struct newest *
name_slot(struct health *h, const char *name)
{
	struct newest *nv;
	size_t i;

	for (i = 0; i < h->nv; i++)
		if (strcmp(h->v[i].name, name) == 0)
			return &h->v[i];
	if (h->nv == h->capv) {
		h->capv = h->capv ? 2 * h->capv : 16;
		if ((nv = realloc(h->v, h->capv * sizeof(*nv))) == NULL)
			return NULL;
		h->v = nv;
	}
	memset(&h->v[h->nv], 0, sizeof(h->v[0]));
	snprintf(h->v[h->nv].name, sizeof(h->v[0].name), "%s", name);
	return &h->v[h->nv++];
}

/* Read repository I: its snapshots and bytes stored.  0 or -1. */
static int
read_repo(struct health *h, int i, const char *keyfile,
    const struct store_opts *so)
{
	struct snapshot *v;
	struct newest *e;
	struct repo *r;
	size_t n, k;
	int created, rc = -1;

	if ((r = repo_open_opts(h->url[i], keyfile, 0, &created, so)) == NULL)
		return -1;
	if (repo_snapshots(r, &v, &n) < 0)
		goto out;
	for (k = 0; k < n; k++) {
		if (h->only != NULL && strcmp(v[k].name, h->only) != 0)
			continue;
		if ((e = name_slot(h, v[k].name)) == NULL) {
			fail_errno("health");
			snapshots_free(v, n);
			goto out;
		}
		e->count[i]++;
		if (v[k].time_ns >= e->time_ns[i]) {
			e->time_ns[i] = v[k].time_ns;
			e->size[i] = v[k].size;
		}
	}
	snapshots_free(v, n);
	rc = stored_bytes(r, &h->stored[i]);
out:
	repo_close(r);
	return rc;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct newest *)a)->name,
	    ((const struct newest *)b)->name);
}

/* A label value, escaped as the text format wants. */
static void
label(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			putchar('\\');
		if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
}

static void
metric(const char *m, int i, const struct health *h, const char *name,
    uint64_t val)
{
	printf("%s{repository=\"", m);
	label(h->url[i]);
	if (name != NULL) {
		printf("\",name=\"");
		label(name);
	}
	printf("\"} %llu\n", (unsigned long long)val);
}

static void
help(const char *m, const char *text)
{
	printf("# HELP %s %s\n# TYPE %s gauge\n", m, text, m);
}

static void
print_all(const struct health *h)
{
	size_t k;
	int i;

	help("anemone_up", "1 when the repository answered.");
	for (i = 0; i < h->n; i++)
		metric("anemone_up", i, h, NULL, (uint64_t)h->up[i]);
	help("anemone_stored_bytes", "Bytes the repository stores.");
	for (i = 0; i < h->n; i++)
		if (h->up[i])
			metric("anemone_stored_bytes", i, h, NULL, h->stored[i]);
	help("anemone_snapshots", "Snapshots of the name in the repository.");
	for (k = 0; k < h->nv; k++)
		for (i = 0; i < h->n; i++)
			if (h->up[i])
				metric("anemone_snapshots", i, h, h->v[k].name,
				    h->v[k].count[i]);
	help("anemone_newest_snapshot_timestamp_seconds",
	    "Time of the newest snapshot of the name (0: none).");
	for (k = 0; k < h->nv; k++)
		for (i = 0; i < h->n; i++)
			if (h->up[i])
				metric("anemone_newest_snapshot_timestamp_seconds",
				    i, h, h->v[k].name,
				    h->v[k].time_ns[i] / 1000000000u);
	help("anemone_newest_snapshot_size_bytes",
	    "Stream bytes of the newest snapshot of the name.");
	for (k = 0; k < h->nv; k++)
		for (i = 0; i < h->n; i++)
			if (h->up[i])
				metric("anemone_newest_snapshot_size_bytes", i, h,
				    h->v[k].name, h->v[k].size[i]);
}

static void
age_text(char out[32], double sec)
{
	if (sec < 3600)
		snprintf(out, 32, "%.0f s", sec);
	else if (sec < 86400)
		snprintf(out, 32, "%.1f h", sec / 3600);
	else
		snprintf(out, 32, "%.1f days", sec / 86400);
}

/* Name on stderr every name whose newest snapshot somewhere is older
 * than MAXAGE seconds; how many. */
static int
stale(const struct health *h, double maxage)
{
	double now = (double)time(NULL), age;
	char a[32], l[32];
	size_t k;
	int i, bad = 0;

	for (k = 0; k < h->nv; k++)
		for (i = 0; i < h->n; i++) {
			if (!h->up[i])
				continue;
			age = now - (double)(h->v[k].time_ns[i] / 1000000000u);
			if (h->v[k].count[i] == 0)
				warnx("%s: %s: no snapshot", h->url[i],
				    h->v[k].name);
			else if (age > maxage) {
				age_text(a, age);
				age_text(l, maxage);
				warnx("%s: %s: newest snapshot %s old (limit %s)",
				    h->url[i], h->v[k].name, a, l);
			}
			else
				continue;
			bad++;
		}
	return bad;
}

int
parse_age(const char *s, double *sec)
{
	char *end;
	double v = strtod(s, &end);
	static const char units[] = "smhd";
	static const double mult[] = { 1, 60, 3600, 86400 };
	const char *u = *end != '\0' ? strchr(units, *end) : units;

	if (end == s || u == NULL || (*end != '\0' && end[1] != '\0') ||
	    !(v > 0) || v * mult[u - units] > 3650 * 86400.0)
		return fail("-a %s: an age like 90s, 30m, 12h or 3d (up to "
		    "3650d)", s);
	*sec = v * mult[u - units];
	return 0;
}

int
pull_health(const char **url, int n, const char *keyfile,
    const struct store_opts *so, double maxage, const char *only)
{
	struct health h = { .only = only, .url = url, .n = n };
	int i, down = 0, old = 0;

	/* a name asked for is reported even where no friend has it */
	if (only != NULL && name_slot(&h, only) == NULL)
		errx(1, "out of memory");

	for (i = 0; i < n; i++) {
		h.up[i] = read_repo(&h, i, keyfile, so) == 0;
		if (!h.up[i]) {
			warnx("%s", lasterr());
			down++;
		}
	}
	if (h.nv > 0)
		qsort(h.v, h.nv, sizeof(h.v[0]), by_name);
	print_all(&h);
	if (maxage > 0)
		old = stale(&h, maxage);
	free(h.v);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	return down > 0 ? 1 : old > 0 ? 4 : 0;
}
