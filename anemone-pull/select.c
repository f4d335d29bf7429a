/*
 * Finding snapshots: the list (-l), and NAME[@ID] to one record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "human.h"
#include "pull.h"

int
list_snapshots(struct repo *r, const char *name)
{
	struct snapshot *v;
	size_t n, i;
	char id[2 * SNAP_ID_LEN + 1], t[32], sz[16];
	int tty = isatty(1);

	if (repo_snapshots(r, &v, &n) < 0)
		return -1;
	if (tty)
		printf("%-16s  %-20s  %-20s  %10s\n", "ID", "NAME", "TIME", "SIZE");
	for (i = 0; i < n; i++) {
		if (name != NULL && strcmp(v[i].name, name) != 0)
			continue;
		hex_encode(id, v[i].snap_id, SNAP_ID_LEN);
		iso_time(t, (int64_t)(v[i].time_ns / 1000000000u));
		if (tty) {
			human_size(sz, v[i].size);
			printf("%-16s  %-20s  %-20s  %10s\n", id, v[i].name, t, sz);
		} else {
			printf("%s\t%s\t%s\t%llu\n", id, v[i].name, t,
			    (unsigned long long)v[i].size);
		}
	}
	snapshots_free(v, n);
	return 0;
}

/* Find NAME[@ID] (ID: a unique prefix of a snapshot id). */
int
select_snapshot(struct repo *r, const char *spec, struct snapshot *s)
{
	char name[NAME_MAX_LEN + 1], idhex[2 * SNAP_ID_LEN + 1] = "";
	const char *at = strchr(spec, '@');
	struct snapshot *v;
	char **names;
	size_t n, i, len, hit = 0;
	int rc, found = -1;

	len = at ? (size_t)(at - spec) : strlen(spec);
	if (len > NAME_MAX_LEN)
		return fail("bad snapshot name '%.*s'", (int)len, spec);
	memcpy(name, spec, len);
	name[len] = '\0';
	if (!fmt_snap_name_valid(name))
		return fail("bad snapshot name '%s'", name);
	if (at != NULL) {
		const char *id = at + 1;
		len = strlen(id);
		if (len < 4 || len > 2 * SNAP_ID_LEN || strspn(id,
		    "0123456789abcdef") != len)
			return fail("bad snapshot id '%s' (4 to 16 lowercase hex "
			    "digits)", id);
		rc = store_list(r->st, "snapshots", &names, &n);
		if (rc < 0 && rc != STORE_NOTFOUND)
			return -1;
		for (i = 0; i < n; i++) {
			if (strncmp(names[i], id, len) == 0) {
				hit++;
				snprintf(idhex, sizeof(idhex), "%s", names[i]);
			}
		}
		store_names_free(names, n);
		if (hit == 0)
			return fail("%s: no snapshot %s", r->st->url, spec);
		if (hit > 1)
			return fail("%s: snapshot id %s is ambiguous", r->st->url, id);
		if (repo_load_snapshot(r, idhex, s) < 0)
			return -1;
		if (strcmp(s->name, name) != 0) {
			fail("%s: snapshot %s is named %s, not %s", r->st->url,
			    idhex, s->name, name);
			snapshot_free(s);
			return -1;
		}
		return 0;
	}
	if (repo_snapshots(r, &v, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			found = (int)i;
	if (found < 0) {
		snapshots_free(v, n);
		return fail("%s: no snapshot named %s", r->st->url, name);
	}
	*s = v[found];
	v[found].lists = NULL;
	v[found].cat = NULL;
	snapshots_free(v, n);
	return 0;
}

