/*
 * anemone-push with -F: one stream to several repositories (push_fan()).
 * Each repository that cannot be opened or drops out is named on stderr;
 * the others still get the snapshot.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/push.h"
#include "error.h"
#include "friends.h"
#include "human.h"

/* Print the outcome; the exit status (anemone-push(1)). */
static int
report(const char *name, const char **url, int n, struct repo **r,
    const struct push_result *res, int quiet)
{
	char in[16], stored[16];
	int i, nok = 0;

	for (i = 0; i < n; i++) {
		if (r[i] == NULL)
			continue;
		if (!res[i].ok) {
			warnx("%s: %s", url[i], res[i].err);
			continue;
		}
		nok++;
		printf("%s %s\n", res[i].id, url[i]);
		if (quiet)
			continue;
		human_size(in, res[i].st.in_bytes);
		human_size(stored, res[i].st.stored);
		fprintf(stderr, "%s@%s: %s: read %s, stored %s, %llu of %llu "
		    "chunks new", name, res[i].id, url[i], in, stored,
		    (unsigned long long)res[i].st.new_chunks,
		    (unsigned long long)res[i].st.chunks);
		if (res[i].st.reused_packs > 0)
			fprintf(stderr, ", %u packs of an interrupted push "
			    "reused", res[i].st.reused_packs);
		fputc('\n', stderr);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	if (!quiet || nok < n)
		fprintf(stderr, "anemone-push: %s: %d of %d repositories got "
		    "the snapshot\n", name, nok, n);
	return nok == n ? 0 : nok == 0 ? 1 : 3;
}

int
push_friends(const char **url, int n, const char *keyfile,
    const struct store_opts *so, const char *name, double slow, int quiet)
{
	struct repo *r[FAN_MAX], *open[FAN_MAX];
	struct push_result res[FAN_MAX], got[FAN_MAX];
	int i, k = 0, created, rc;

	for (i = 0; i < n; i++) {
		r[i] = repo_open_opts(url[i], keyfile, 1, &created, so);
		if (r[i] == NULL)
			warnx("%s: %s", url[i], lasterr());
		else {
			if (created && !quiet)
				fprintf(stderr, "anemone-push: initialised a "
				    "new repository at %s\n", url[i]);
			open[k++] = r[i];
		}
	}
	memset(res, 0, sizeof(res));
	if (k > 0 && push_fan(open, k, 0, name, slow, NULL, NULL, got) < 0) {
		for (i = 0; i < n; i++)
			if (r[i] != NULL)
				repo_close(r[i]);
		errx(1, "%s", lasterr());
	}
	for (i = 0, k = 0; i < n; i++)
		if (r[i] != NULL)
			res[i] = got[k++];
	rc = report(name, url, n, r, res, quiet);
	for (i = 0; i < n; i++)
		if (r[i] != NULL)
			repo_close(r[i]);
	return rc;
}
