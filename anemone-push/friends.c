/*
 * anemone-push -r A -r B ...: one stream to several repositories
 * (push_fan()).  Each repository that cannot be opened or drops out is
 * named on stderr; the others still get the snapshot.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/push.h"
#include "error.h"
#include "human.h"
#include "push_tool.h"

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
		remember(r[i], res[i].id);
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

/* Close every repository open in R, then exit 1 with WHY. */
static void __attribute__((noreturn))
give_up(struct repo **r, int n, const char *why)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i] != NULL)
			repo_close(r[i]);
	errx(1, "%s", why);
}

int
push_friends(const char **url, int n, const char *keyfile,
    const struct store_opts *so, const char *name, double slow, int quiet,
    char **cmd)
{
	struct producer pr = { NULL, -1, 0 };
	struct repo *r[FAN_MAX], *open[FAN_MAX];
	struct push_result res[FAN_MAX], got[FAN_MAX];
	char why[1024];
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
	if (k == 0)
		give_up(r, n, "no repository answers");
	if (cmd != NULL && producer_start(&pr, cmd) < 0)
		give_up(r, n, lasterr());
	rc = push_fan(open, k, pr.fd, name, slow, NULL, producer_ok, &pr, got);
	snprintf(why, sizeof(why), "%s", lasterr());
	if (cmd != NULL)
		producer_wait(&pr);	/* reaped by the gate, or now */
	if (rc < 0)
		give_up(r, n, why);
	for (i = 0, k = 0; i < n; i++)
		if (r[i] != NULL)
			res[i] = got[k++];
	rc = report(name, url, n, r, res, quiet);
	for (i = 0; i < n; i++)
		if (r[i] != NULL)
			repo_close(r[i]);
	return rc;
}
