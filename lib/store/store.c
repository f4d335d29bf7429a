#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store/store.h"

struct store *
store_open(const char *url, const struct store_opts *o)
{
	static const struct store_opts defaults = { .timeout = STORE_TIMEOUT_DEFAULT };

	if (o == NULL)
		o = &defaults;
	if (strncmp(url, "sftp://", 7) == 0)
		return store_sftp_open(url, o);
	return store_local_open(url, o);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	s->ops->close(s->be);
	free(s->url);
	free(s);
}

int
store_get_all(struct store *s, const char *path, uint8_t **buf, size_t *len)
{
	uint64_t sz;
	int r;

	*buf = NULL;
	*len = 0;
	if ((r = store_size(s, path, &sz)) < 0)
		return r;
	if (sz > SIZE_MAX / 2)
		return fail("%s/%s: file too large", s->url, path);
	if ((*buf = malloc(sz ? sz : 1)) == NULL)
		return fail_errno("%s/%s", s->url, path);
	if ((r = store_get(s, path, 0, *buf, sz)) < 0) {
		free(*buf);
		*buf = NULL;
		return r;
	}
	*len = sz;
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
store_list(struct store *s, const char *dir, char ***names, size_t *n)
{
	int r;

	if ((r = s->ops->list(s->be, dir, names, n)) < 0)
		return r;
	/* one order for every backend: callers and tests see the same */
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), cmp_names);
	return r;
}

void
store_names_free(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

int
store_get_many(struct store *s, const char *const *paths, size_t n,
    uint8_t **bufs, size_t *lens)
{
	size_t i;
	int r;

	if (s->ops->get_many != NULL)
		return s->ops->get_many(s->be, paths, n, bufs, lens);
	for (i = 0; i < n; i++)
		if ((r = store_get_all(s, paths[i], &bufs[i], &lens[i])) < 0) {
			while (i > 0)
				free(bufs[--i]);
			return r;
		}
	return STORE_OK;
}

void
store_abort(struct store *s)
{
	if (s->ops->abort != NULL)
		s->ops->abort(s->be);
}
