/*
 * Local directory store: a repository on a mounted disk.  put() writes a
 * hidden temporary file, fsyncs it, renames it into place without ever
 * replacing (renameat2 RENAME_NOREPLACE, or link(2) where the file system
 * lacks it), then fsyncs the directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "io.h"
#include "keys.h"
#include "store/store.h"

struct local {
	char *root;
};

static int
full_path(struct local *l, const char *path, char *out, size_t outlen)
{
	if (path[0] == '/' || strstr(path, "..") != NULL)
		return fail("%s/%s: bad object path", l->root, path);
	if ((size_t)snprintf(out, outlen, "%s/%s", l->root, path) >= outlen)
		return fail("%s/%s: path too long", l->root, path);
	return 0;
}

/* mkdir -p of the directory part of P (P itself is a file). */
static int
make_parents(char *p)
{
	char *s;

	for (s = strchr(p + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			fail_errno("%s", p);
			*s = '/';
			return -1;
		}
		*s = '/';
	}
	return 0;
}

static int
sync_dir(const char *file)
{
	char d[PATH_MAX];
	char *s;
	int fd, r = 0;

	snprintf(d, sizeof(d), "%s", file);
	if ((s = strrchr(d, '/')) == NULL)
		return 0;
	*s = '\0';
	if ((fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail_errno("%s", d);
	if (fsync(fd) != 0 && errno != EINVAL)
		r = fail_errno("%s", d);
	close(fd);
	return r;
}

/* Rename without replacing; EEXIST when the target exists. */
static int
rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(from, to) != 0)
		return -1;
	unlink(from);
	return 0;
}

static int
local_put(void *be, const char *path, const void *buf, size_t len)
{
	struct local *l = be;
	char p[PATH_MAX], tmp[PATH_MAX + 32];
	uint8_t rnd[8];
	char *slash;
	int fd, e;

	if (full_path(l, path, p, sizeof(p)) < 0)
		return STORE_ERR;
	if (make_parents(p) < 0)
		return STORE_ERR;
	randombytes_buf(rnd, sizeof(rnd));
	slash = strrchr(p, '/');
	snprintf(tmp, sizeof(tmp), "%.*s/.tmp-%02x%02x%02x%02x%02x%02x%02x%02x",
	    (int)(slash - p), p, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
	    rnd[5], rnd[6], rnd[7]);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		fail_errno("%s", tmp);
		return STORE_ERR;
	}
	if (write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		fail_errno("%s", p);
		close(fd);
		unlink(tmp);
		return STORE_ERR;
	}
	if (close(fd) != 0) {
		fail_errno("%s", p);
		unlink(tmp);
		return STORE_ERR;
	}
	if (rename_noreplace(tmp, p) != 0) {
		e = errno;
		unlink(tmp);
		errno = e;
		fail_errno("%s", p);
		return e == EEXIST ? STORE_EXISTS : STORE_ERR;
	}
	return sync_dir(p) < 0 ? STORE_ERR : STORE_OK;
}

static int
local_get(void *be, const char *path, uint64_t off, void *buf, size_t len)
{
	struct local *l = be;
	char p[PATH_MAX];
	uint8_t *b = buf;
	ssize_t r;
	int fd;

	if (full_path(l, path, p, sizeof(p)) < 0)
		return STORE_ERR;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT) {
			fail("%s: missing", p);
			return STORE_NOTFOUND;
		}
		fail_errno("%s", p);
		return STORE_ERR;
	}
	while (len > 0) {
		r = pread(fd, b, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail_errno("%s", p);
			close(fd);
			return STORE_ERR;
		}
		if (r == 0) {
			fail("%s: truncated (short read at offset %llu)", p,
			    (unsigned long long)off);
			close(fd);
			return STORE_ERR;
		}
		b += r;
		off += (uint64_t)r;
		len -= (size_t)r;
	}
	close(fd);
	return STORE_OK;
}

static int
local_size(void *be, const char *path, uint64_t *size)
{
	struct local *l = be;
	char p[PATH_MAX];
	struct stat st;

	if (full_path(l, path, p, sizeof(p)) < 0)
		return STORE_ERR;
	if (lstat(p, &st) != 0) {
		if (errno == ENOENT) {
			fail("%s: missing", p);
			return STORE_NOTFOUND;
		}
		fail_errno("%s", p);
		return STORE_ERR;
	}
	if (!S_ISREG(st.st_mode)) {
		fail("%s: not a regular file", p);
		return STORE_ERR;
	}
	*size = (uint64_t)st.st_size;
	return STORE_OK;
}

static int
local_list(void *be, const char *dir, char ***names, size_t *n)
{
	struct local *l = be;
	char p[PATH_MAX];
	char **v = NULL, **nv;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*names = NULL;
	*n = 0;
	if (full_path(l, dir, p, sizeof(p)) < 0)
		return STORE_ERR;
	if ((d = opendir(p)) == NULL) {
		if (errno == ENOENT) {
			fail("%s: missing", p);
			return STORE_NOTFOUND;
		}
		fail_errno("%s", p);
		return STORE_ERR;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;	/* ., .., and temporary files */
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto oom;
			v = nv;
		}
		if ((v[cnt] = strdup(de->d_name)) == NULL)
			goto oom;
		cnt++;
	}
	if (errno != 0) {
		fail_errno("%s", p);
		goto bad;
	}
	closedir(d);
	*names = v;
	*n = cnt;
	return STORE_OK;
oom:
	fail_errno("%s", p);
bad:
	store_names_free(v, cnt);
	closedir(d);
	return STORE_ERR;
}

static void
local_close(void *be)
{
	struct local *l = be;

	if (l == NULL)
		return;
	free(l->root);
	free(l);
}

static const struct store_ops local_ops = {
	.put = local_put,
	.get = local_get,
	.size = local_size,
	.list = local_list,
	.close = local_close,
};

struct store *
store_local_open(const char *path, const struct store_opts *o)
{
	struct store *s = NULL;
	struct local *l = NULL;
	struct stat st;
	size_t n;
	char *p;

	if (crypto_ready() < 0)
		return NULL;
	if (path[0] == '\0') {
		fail("empty repository path");
		return NULL;
	}
	if (stat(path, &st) != 0) {
		if (errno != ENOENT || !o->create) {
			fail_errno("%s", path);
			return NULL;
		}
		if ((p = strdup(path)) == NULL) {
			fail_errno("%s", path);
			return NULL;
		}
		n = strlen(p);
		if (p[n - 1] != '/') {
			/* make_parents creates every component before the last '/' */
			char *q = realloc(p, n + 2);
			if (q == NULL) {
				free(p);
				fail_errno("%s", path);
				return NULL;
			}
			p = q;
			strcpy(p + n, "/");
		}
		if (make_parents(p) < 0) {
			free(p);
			return NULL;
		}
		free(p);
	} else if (!S_ISDIR(st.st_mode)) {
		fail("%s: not a directory", path);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (l = calloc(1, sizeof(*l))) == NULL ||
	    (l->root = strdup(path)) == NULL ||
	    (s->url = strdup(path)) == NULL) {
		fail_errno("%s", path);
		if (l != NULL)
			free(l->root);
		free(l);
		free(s);
		return NULL;
	}
	n = strlen(l->root);
	while (n > 1 && l->root[n - 1] == '/')
		l->root[--n] = '\0';
	s->ops = &local_ops;
	s->be = l;
	return s;
}
