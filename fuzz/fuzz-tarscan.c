/*
 * libFuzzer target: a stream read as a tar archive (backup/tarscan.c,
 * libarchive underneath), handed over in buffers of varying sizes as a
 * push hands over what it reads.  The catalogue it builds must parse and
 * add up to the extent it claims.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "backup/tarscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *p;
	size_t n, pos, step;
};

static ssize_t
mem_next(void *arg, const void **buf)
{
	struct mem *m = arg;
	size_t k = m->n - m->pos < m->step ? m->n - m->pos : m->step;

	*buf = m->p + m->pos;
	m->pos += k;
	m->step = m->step * 3 + 1;	/* uneven buffer boundaries */
	return (ssize_t)k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { data, size, 0, size > 0 ? 1u + data[0] % 700 : 1 };
	struct tar_src src = { mem_next, &m };
	struct tar_result res;
	struct cat_buf cat;
	struct cat_iter it;
	struct cat_entry e;
	uint64_t n = 0;
	int r;

	if (tarscan(&src, &cat, &res) < 0)
		abort();
	if (res.status == TAR_COMPLETE || res.status == TAR_TRUNCATED) {
		if (cat_open(&it, cat.p, cat.len) < 0)
			abort();
		while ((r = cat_next(&it, &e)) == 1)
			n++;
		if (r < 0 || n != res.members || it.off != cat.end ||
		    cat.end > size)
			abort();
	}
	cat_buf_free(&cat);
	return 0;
}
