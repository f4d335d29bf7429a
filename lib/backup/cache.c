/* The local metadata cache: see cache.h and docs/ARCHITECTURE.md. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "io.h"
#include "backup/cache.h"

#define FILE_MAX	(1u << 30)	/* larger entries are not trusted to fit */
#define TMP_AGE		(24 * 3600)	/* a temporary file this old was left by
					 * a killed run */

static const char *const subdirs[] = { "index", "snapshots" };
#define NSUB (sizeof(subdirs) / sizeof(subdirs[0]))

struct cache {
	int dfd;		/* <base>/<repo id> */
	int sub[NSUB];		/* its index/ and snapshots/ */
};

int
cache_base(char *out, size_t n)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	int k;

	if (x != NULL && x[0] == '/')
		k = snprintf(out, n, "%s/anemone", x);
	else if (geteuid() == 0)
		k = snprintf(out, n, "/var/cache/anemone");
	else if (h != NULL && h[0] == '/')
		k = snprintf(out, n, "%s/.cache/anemone", h);
	else
		return -1;
	return k > 0 && (size_t)k < n ? 0 : -1;
}

/* mkdir -p of P, each new folder 0700. */
static int
mkdirs(char *p)
{
	char *s;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			*s = '/';
			return -1;
		}
		*s = '/';
	}
	return mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Open (making it) folder NAME under DFD. */
static int
subdir(int dfd, const char *name)
{
	if (mkdirat(dfd, name, 0700) != 0 && errno != EEXIST)
		return -1;
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

static int
is_hex(const char *s, size_t want)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return want == 0 ? i > 0 && i <= 64 : i == want;
}

/* Remove the regular files of folder NAME under DFD, then the folder. */
static void
remove_flat(int dfd, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_type == DT_REG)
			unlinkat(fd, de->d_name, 0);
	closedir(d);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Remove the caches of repositories not opened for CACHE_UNUSED_DAYS. */
static void
sweep(int bfd, const char *mine)
{
	time_t old = time(NULL) - (time_t)CACHE_UNUSED_DAYS * 86400;
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int fd;
	size_t i;

	if ((fd = dup(bfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_hex(de->d_name, 2 * REPO_ID_LEN) ||
		    strcmp(de->d_name, mine) == 0 ||
		    fstatat(bfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(sb.st_mode) || sb.st_mtime >= old)
			continue;
		if ((fd = openat(bfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) < 0)
			continue;
		for (i = 0; i < NSUB; i++)
			remove_flat(fd, subdirs[i]);
		close(fd);
		unlinkat(bfd, de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* Tell backup tools to skip the cache (https://bford.info/cachedir/). */
static void
tag(int bfd)
{
	static const char sig[] = "Signature: 8a477f597d28d172789f06886806bc55\n"
	    "# The metadata cache of anemone-push and anemone-pull.\n";
	int fd;

	fd = openat(bfd, "CACHEDIR.TAG", O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)write_all(fd, sig, sizeof(sig) - 1);
		close(fd);
	}
}

struct cache *
cache_open(const uint8_t repo_id[REPO_ID_LEN])
{
	char base[4096], hex[2 * REPO_ID_LEN + 1];
	struct cache *c;
	int bfd;
	size_t i;

	if (cache_base(base, sizeof(base)) < 0 || mkdirs(base) < 0)
		return NULL;
	if ((bfd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return NULL;
	if ((c = malloc(sizeof(*c))) == NULL) {
		close(bfd);
		return NULL;
	}
	hex_encode(hex, repo_id, REPO_ID_LEN);
	tag(bfd);
	sweep(bfd, hex);
	c->dfd = subdir(bfd, hex);
	close(bfd);
	for (i = 0; i < NSUB; i++)
		c->sub[i] = c->dfd < 0 ? -1 : subdir(c->dfd, subdirs[i]);
	if (c->dfd < 0 || c->sub[NSUB - 1] < 0 || c->sub[0] < 0) {
		cache_close(c);
		return NULL;
	}
	futimens(c->dfd, NULL);	/* in use: the sweep keeps it */
	return c;
}

void
cache_close(struct cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NSUB; i++)
		if (c->sub[i] >= 0)
			close(c->sub[i]);
	if (c->dfd >= 0)
		close(c->dfd);
	free(c);
}

/* The folder fd and file name of PATH, or -1: not a path cached here. */
static int
locate(const struct cache *c, const char *path, const char **name)
{
	const char *slash = strchr(path, '/');
	size_t i;

	if (c == NULL || slash == NULL || !is_hex(slash + 1, 0))
		return -1;
	for (i = 0; i < NSUB; i++)
		if (strlen(subdirs[i]) == (size_t)(slash - path) &&
		    memcmp(path, subdirs[i], (size_t)(slash - path)) == 0) {
			*name = slash + 1;
			return c->sub[i];
		}
	return -1;
}

int
cache_get(struct cache *c, const char *path, uint8_t **buf, size_t *len)
{
	const char *name;
	struct stat sb;
	ssize_t r;
	size_t got = 0;
	int dfd, fd;

	*buf = NULL;
	*len = 0;
	if ((dfd = locate(c, path, &name)) < 0 ||
	    (fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > FILE_MAX ||
	    (*buf = malloc(sb.st_size ? (size_t)sb.st_size : 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (got < (size_t)sb.st_size) {
		r = read(fd, *buf + got, (size_t)sb.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)sb.st_size) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	*len = got;
	return 0;
}

void
cache_put(struct cache *c, const char *path, const void *buf, size_t len)
{
	char tmp[64];
	const char *name;
	int dfd, fd, ok;

	if ((dfd = locate(c, path, &name)) < 0 || len > FILE_MAX)
		return;
	snprintf(tmp, sizeof(tmp), ".tmp-%ld-%08x", (long)getpid(),
	    randombytes_random());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	ok = write_all(fd, buf, len) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(dfd, tmp, dfd, name) != 0)
		unlinkat(dfd, tmp, 0);
}

void
cache_drop(struct cache *c, const char *path)
{
	const char *name;
	int dfd;

	if ((dfd = locate(c, path, &name)) >= 0)
		unlinkat(dfd, name, 0);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
cache_keep_only(struct cache *c, const char *dir, char *const *names,
    size_t n)
{
	char path[128], *key;
	const char *name;
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int dfd, fd;

	snprintf(path, sizeof(path), "%s/0", dir);
	if ((dfd = locate(c, path, &name)) < 0 || (fd = dup(dfd)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		key = de->d_name;
		if (strncmp(key, ".tmp-", 5) == 0) {
			if (fstatat(dfd, key, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
			    sb.st_mtime < time(NULL) - TMP_AGE)
				unlinkat(dfd, key, 0);
			continue;
		}
		if (key[0] == '.' || (n > 0 && bsearch(&key, names, n,
		    sizeof(*names), cmp_name) != NULL))
			continue;
		unlinkat(dfd, key, 0);
	}
	closedir(d);
}
