/*
 * libFuzzer target: the client's state file (lib/backup/state.c).  What
 * parses formats to a canonical text that parses back to the same text;
 * the check against a repository showing every other remembered snapshot
 * finds exactly the others.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backup/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_half(const struct state *st)
{
	uint8_t (*ids)[SNAP_ID_LEN], (*bad)[SNAP_ID_LEN];
	size_t i, n = 0;
	long cnt;

	if ((ids = malloc((st->n + 1) * SNAP_ID_LEN)) == NULL)
		return;
	for (i = 0; i < st->n; i += 2)
		memcpy(ids[n++], st->v[i].id, SNAP_ID_LEN);
	cnt = state_check(st, "fuzz", (const uint8_t (*)[SNAP_ID_LEN])ids, n,
	    NULL, 0, &bad);
	if (cnt != (long)(st->n - n))
		abort();
	free(bad);
	free(ids);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state st, st2;
	char *text, *text2;
	size_t n, n2;

	if (state_parse((const char *)data, size, "fuzz", NULL, &st) < 0)
		return 0;
	if (state_format(&st, &text, &n) < 0)
		abort();
	if (state_parse(text, n, "fuzz", st.repo_id, &st2) < 0 ||
	    st2.n != st.n || state_format(&st2, &text2, &n2) < 0 ||
	    n2 != n || memcmp(text, text2, n) != 0)
		abort();
	check_half(&st);
	free(text);
	free(text2);
	state_free(&st2);
	state_free(&st);
	return 0;
}
