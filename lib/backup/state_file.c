/*
 * The state file on disk: where it lives, reading it, and replacing it
 * atomically under a lock (two tools of one user may run at once: a
 * nightly push while a pull lists).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/state.h"
#include "error.h"
#include "io.h"

int
state_path(const uint8_t repo_id[REPO_ID_LEN], char **path)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char hex[2 * REPO_ID_LEN + 1];
	int n;

	hex_encode(hex, repo_id, REPO_ID_LEN);
	/* XDG: a relative XDG_STATE_HOME is invalid and is ignored */
	if (xdg != NULL && xdg[0] == '/')
		n = asprintf(path, "%s/anemone/%s", xdg, hex);
	else if (geteuid() == 0)
		n = asprintf(path, "/var/lib/anemone/%s", hex);
	else if (home != NULL && home[0] == '/')
		n = asprintf(path, "%s/.local/state/anemone/%s", home, hex);
	else
		return fail("no place for the state file: set XDG_STATE_HOME "
		    "or HOME");
	if (n < 0) {
		*path = NULL;
		return fail("out of memory");
	}
	return 0;
}

/* Read all of FD (at most STATE_MAX_BYTES) into a malloc'd buffer. */
static int
slurp(int fd, const char *path, char **buf, size_t *n)
{
	struct stat sb;
	size_t len = 0;
	ssize_t r;
	char *b;

	if (fstat(fd, &sb) != 0)
		return fail_errno("%s", path);
	if (!S_ISREG(sb.st_mode))
		return fail("%s: not a regular file", path);
	if (sb.st_size > STATE_MAX_BYTES)
		return fail("%s: over %u MiB: not a state file", path,
		    STATE_MAX_BYTES >> 20);
	if ((b = malloc((size_t)sb.st_size + 1)) == NULL)
		return fail("out of memory");
	while (len <= (size_t)sb.st_size) {
		r = read(fd, b + len, (size_t)sb.st_size + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(b);
			return fail_errno("%s", path);
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > (size_t)sb.st_size) {
		free(b);
		return fail("%s: changed while being read", path);
	}
	*buf = b;
	*n = len;
	return 0;
}

int
state_load(const char *path, const uint8_t repo_id[REPO_ID_LEN],
    struct state *st)
{
	char *buf = NULL;
	size_t n = 0;
	int fd, rc;

	memset(st, 0, sizeof(*st));
	memcpy(st->repo_id, repo_id, REPO_ID_LEN);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;	/* never written: a new machine */
	if (fd < 0)
		return fail_errno("%s", path);
	rc = slurp(fd, path, &buf, &n);
	close(fd);
	if (rc < 0)
		return -1;
	rc = state_parse(buf, n, path, repo_id, st);
	free(buf);
	if (rc < 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", lasterr());
		return fail("%s (a damaged state file: remove it to start "
		    "afresh; a restore never needs it)", why);
	}
	return 0;
}

/* mkdir -p of the folder of PATH, new folders 0700. */
static int
make_dirs(const char *path)
{
	char *d = strdup(path), *p;

	if (d == NULL)
		return fail("out of memory");
	*strrchr(d, '/') = '\0';
	for (p = d + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(d, 0700) != 0 && errno != EEXIST) {
			fail_errno("%s", d);
			free(d);
			return -1;
		}
		if ((*p = c) == '\0')
			break;
	}
	free(d);
	return 0;
}

/* Write TEXT to a new file beside PATH, fsync, rename over PATH, fsync
 * the folder DFD. */
static int
replace(int dfd, const char *path, const char *text, size_t n)
{
	char *tmp;
	int fd;

	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0)
		return fail("out of memory");
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		fail_errno("%s", tmp);
		free(tmp);
		return -1;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, text, n) != 0 ||
	    fsync(fd) != 0 || close(fd) != 0) {
		fail_errno("%s", tmp);
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		fail_errno("%s", path);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	if (fsync(dfd) != 0)
		return fail_errno("%s: folder", path);
	return 0;
}

static int
by_id(const void *a, const void *b)
{
	return memcmp(((const struct state_snap *)a)->id,
	    ((const struct state_snap *)b)->id, SNAP_ID_LEN);
}

static int
is_dropped(const uint8_t *id, const uint8_t (*drop)[SNAP_ID_LEN],
    size_t ndrop)
{
	size_t i;

	for (i = 0; i < ndrop; i++)
		if (memcmp(id, drop[i], SNAP_ID_LEN) == 0)
			return 1;
	return 0;
}

/* Merge ADD into ST and forget DROP (both by id, ADD winning); 1 when
 * anything changed, 0 if not, -1. */
static int
apply(struct state *st, const struct state_snap *add, size_t nadd,
    const uint8_t (*drop)[SNAP_ID_LEN], size_t ndrop)
{
	struct state_snap *a, *v;
	size_t i = 0, j = 0, k = 0;
	int changed = 0, c;

	a = malloc((nadd + 1) * sizeof(*a));
	v = malloc((st->n + nadd + 1) * sizeof(*v));
	if (a == NULL || v == NULL) {
		free(a), free(v);
		return fail("out of memory");
	}
	if (nadd > 0) {
		memcpy(a, add, nadd * sizeof(*a));
		qsort(a, nadd, sizeof(*a), by_id);
	}
	if (st->n > 0)
		qsort(st->v, st->n, sizeof(*st->v), by_id);
	while (i < st->n || j < nadd) {
		c = i == st->n ? 1 : j == nadd ? -1 : by_id(&st->v[i], &a[j]);
		if (c < 0 && is_dropped(st->v[i].id, drop, ndrop)) {
			changed = 1;
			i++;
			continue;
		}
		if (c > 0 || (c == 0 && (a[j].time_ns != st->v[i].time_ns ||
		    strcmp(a[j].name, st->v[i].name) != 0)))
			changed = 1;
		if (c < 0)
			v[k++] = st->v[i++];
		else if (k == 0 || memcmp(v[k - 1].id, a[j].id, SNAP_ID_LEN))
			v[k++] = a[j++];
		else
			j++;	/* the same id twice in ADD */
		if (c == 0)
			i++;
	}
	free(a);
	free(st->v);
	st->v = v;
	st->n = k;
	return changed;
}

int
state_update(const char *path, const uint8_t repo_id[REPO_ID_LEN],
    const struct state_snap *add, size_t nadd,
    const uint8_t (*drop)[SNAP_ID_LEN], size_t ndrop)
{
	struct state st;
	char *dir, *text;
	size_t n;
	int dfd, rc = -1;

	if (make_dirs(path) < 0)
		return -1;
	if ((dir = strdup(path)) == NULL)
		return fail("out of memory");
	*strrchr(dir, '/') = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || flock(dfd, LOCK_EX) != 0) {
		fail_errno("%s", dir);
		free(dir);
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	free(dir);
	if (state_load(path, repo_id, &st) < 0)
		goto out;
	if ((rc = apply(&st, add, nadd, drop, ndrop)) <= 0)
		goto done;
	rc = -1;
	if (state_format(&st, &text, &n) < 0)
		goto done;
	rc = replace(dfd, path, text, n);
	free(text);
done:
	state_free(&st);
out:
	close(dfd);	/* and unlock */
	return rc < 0 ? -1 : 0;
}
