/*
 * Unit tests of the client's state file (lib/backup/state*.c): the text
 * round trip, every rejection with its exact message, the comparison
 * with what a repository shows, and the file's place, mode and updates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/state.h"
#include "error.h"
#include "tap.h"

#define R "00112233445566778899aabbccddeeff"
#define HEAD "anemone-state 1\nrepo " R "\n"

static const uint8_t rid[REPO_ID_LEN] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
	0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

static int
parse(const char *text, struct state *st)
{
	return state_parse(text, strlen(text), "st", rid, st);
}

static void
rejects(const char *text, const char *want)
{
	struct state st;
	int rc = parse(text, &st);

	if (!ok(rc == -1 && strcmp(lasterr(), want) == 0, "rejected: %s", want))
		printf("#   got %d: %s\n", rc, rc < 0 ? lasterr() : "");
}

static void
test_text(void)
{
	const char *in = HEAD
	    "fedcba9876543210 2000000000000000000 laptop\n"
	    "0123456789abcdef 1764787637000000000 laptop\n"
	    "1111111111111111 0 db.dump-2026_12\n";
	const char *canon = HEAD
	    "1111111111111111 0 db.dump-2026_12\n"
	    "0123456789abcdef 1764787637000000000 laptop\n"
	    "fedcba9876543210 2000000000000000000 laptop\n";
	struct state st;
	char *out;
	size_t n;

	ok(parse(in, &st) == 0 && st.n == 3, "three snapshots parse");
	ok(st.v[0].time_ns == 2000000000000000000ull &&
	    strcmp(st.v[2].name, "db.dump-2026_12") == 0 &&
	    st.v[1].id[0] == 0x01 && st.v[1].id[7] == 0xef, "fields read");
	ok(state_format(&st, &out, &n) == 0 && n == strlen(canon) &&
	    memcmp(out, canon, n) == 0, "written sorted by name, time, id");
	free(out);
	state_free(&st);
	ok(parse(HEAD, &st) == 0 && st.n == 0, "no snapshots yet");
	ok(state_parse(HEAD, strlen(HEAD), "st", NULL, &st) == 0 &&
	    memcmp(st.repo_id, rid, REPO_ID_LEN) == 0, "any repository");
	ok(parse(HEAD "0123456789abcdef 18446744073709551615 a\n", &st) == 0 &&
	    st.v[0].time_ns == UINT64_MAX, "the largest time");
	state_free(&st);
}

static void
test_rejects(void)
{
	rejects("", "st:1:1: no newline at the end of the file");
	rejects("anemone-state 2\n", "st:1:1: not an anemone state file "
	    "(want \"anemone-state 1\")");
	rejects("anemone-state 1\r\n", "st:1:1: not an anemone state file "
	    "(want \"anemone-state 1\")");
	rejects("anemone-state 1\nrepo\n", "st:2:1: want \"repo\" and the "
	    "repository id");
	rejects("anemone-state 1\nrepo 0011\n", "st:2:6: bad repository id "
	    "(want 32 lowercase hex digits)");
	rejects("anemone-state 1\nrepo " R " \n", "st:2:38: trailing characters");
	rejects("anemone-state 1\nrepo ffffffffffffffffffffffffffffffff\n",
	    "st:2:6: the state of another repository");
	rejects(HEAD "0123456789abcdef 1 a", "st:3:21: no newline at the end of "
	    "the file");
	rejects(HEAD "0123456789ABCDEF 1 a\n", "st:3:1: bad snapshot id (want 16 "
	    "lowercase hex digits)");
	rejects(HEAD "0123456789abcde 1 a\n", "st:3:1: bad snapshot id (want 16 "
	    "lowercase hex digits)");
	rejects(HEAD "0123456789abcdef\n", "st:3:17: want one space");
	rejects(HEAD "0123456789abcdef 01 a\n", "st:3:18: bad time (want "
	    "nanoseconds since 1970 in decimal)");
	rejects(HEAD "0123456789abcdef -1 a\n", "st:3:18: bad time (want "
	    "nanoseconds since 1970 in decimal)");
	rejects(HEAD "0123456789abcdef 18446744073709551616 a\n", "st:3:18: "
	    "time out of range");
	rejects(HEAD "0123456789abcdef 1x a\n", "st:3:19: want one space");
	rejects(HEAD "0123456789abcdef 1  a\n", "st:3:20: bad snapshot name");
	rejects(HEAD "0123456789abcdef 1 .a\n", "st:3:20: bad snapshot name");
	rejects(HEAD "0123456789abcdef 1 a b\n", "st:3:20: bad snapshot name");
	rejects(HEAD "0123456789abcdef 1 a\r\n", "st:3:20: bad snapshot name");
	rejects(HEAD "0123456789abcdef 1 \n", "st:3:20: bad snapshot name");
	rejects(HEAD "0123456789abcdef 1 a\n0123456789abcdef 2 b\n",
	    "st: snapshot 0123456789abcdef listed twice");
}

/* A repository record. */
static struct snapshot
rec(const char *idhex, uint64_t t, const char *name)
{
	struct snapshot s;

	memset(&s, 0, sizeof(s));
	hex_decode(s.snap_id, idhex, SNAP_ID_LEN);
	s.time_ns = t;
	snprintf(s.name, sizeof(s.name), "%s", name);
	return s;
}

static void
test_check(void)
{
	struct state st;
	struct snapshot v[3] = {
		rec("1111111111111111", 1764700000000000000ull, "laptop"),
		rec("2222222222222222", 1764786400000000000ull, "laptop"),
		rec("3333333333333333", 1764786400000000000ull, "db"),
	};
	uint8_t ids[3][SNAP_ID_LEN], (*bad)[SNAP_ID_LEN];
	long n;
	int i;

	for (i = 0; i < 3; i++)
		memcpy(ids[i], v[i].snap_id, SNAP_ID_LEN);
	parse(HEAD "1111111111111111 1764700000000000000 laptop\n"
	    "2222222222222222 1764786400000000000 laptop\n"
	    "4444444444444444 1764790000000000000 laptop\n", &st);
	n = state_check(&st, "repo", (const uint8_t (*)[SNAP_ID_LEN])ids, 3,
	    v, 3, &bad);
	is_int(n, 1, "the newest laptop hidden: one problem");
	ok(n == 1 && bad[0][0] == 0x44, "its id returned");
	ok(strcmp(lasterr(), "repo: snapshot laptop@4444444444444444 of "
	    "2025-12-03T19:26:40Z, which this client saw, is missing; the "
	    "newest laptop there is 2222222222222222 of 2025-12-03T18:26:40Z")
	    == 0, "the message names both: %s", lasterr());
	free(bad);
	state_free(&st);

	parse(HEAD "1111111111111111 1764700000000000000 laptop\n"
	    "5555555555555555 1764700000000000000 mail\n"
	    "6666666666666666 1764700000000000001 mail\n", &st);
	n = state_check(&st, "repo", (const uint8_t (*)[SNAP_ID_LEN])ids, 3,
	    v, 3, &bad);
	is_int(n, 2, "every mail gone: two problems");
	ok(strcmp(lasterr(), "repo: snapshot mail@6666666666666666 of "
	    "2025-12-02T18:26:40Z, which this client saw, is missing, and the "
	    "repository shows no mail at all (and 1 more)") == 0,
	    "the newest named, the other counted: %s", lasterr());
	free(bad);
	state_free(&st);

	parse(HEAD "3333333333333333 1764786400000000000 laptop\n", &st);
	n = state_check(&st, "repo", (const uint8_t (*)[SNAP_ID_LEN])ids, 3,
	    v, 3, &bad);
	ok(n == 1 && strcmp(lasterr(), "repo: snapshot 3333333333333333 was "
	    "laptop of 2025-12-03T18:26:40Z when this client saw it, now the "
	    "repository shows db of 2025-12-03T18:26:40Z") == 0,
	    "a record that changed: %s", lasterr());
	free(bad);
	n = state_check(&st, "repo", (const uint8_t (*)[SNAP_ID_LEN])ids, 3,
	    NULL, 0, &bad);
	ok(n == 0 && bad == NULL, "listed, record unread: no verdict");
	state_free(&st);

	parse(HEAD "4444444444444444 1764790000000000000 laptop\n", &st);
	n = state_check(&st, "repo", (const uint8_t (*)[SNAP_ID_LEN])ids, 3,
	    NULL, 0, &bad);
	ok(n == 1 && strcmp(lasterr(), "repo: snapshot laptop@4444444444444444 "
	    "of 2025-12-03T19:26:40Z, which this client saw, is missing") == 0,
	    "records unknown: the listing alone: %s", lasterr());
	free(bad);
	state_free(&st);

	parse(HEAD "1111111111111111 1764700000000000000 laptop\n", &st);
	n = state_check(&st, "repo", (const uint8_t (*)[SNAP_ID_LEN])ids, 3,
	    v, 3, &bad);
	ok(n == 0 && bad == NULL, "all remembered snapshots there");
	state_free(&st);
}

static struct state_snap
snap(const char *idhex, uint64_t t, const char *name)
{
	struct state_snap s;

	memset(&s, 0, sizeof(s));
	hex_decode(s.id, idhex, SNAP_ID_LEN);
	s.time_ns = t;
	snprintf(s.name, sizeof(s.name), "%s", name);
	return s;
}

static int
file_is(const char *path, const char *want)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return n == strlen(want) && memcmp(buf, want, n) == 0;
}

static void
test_file(const char *tmp)
{
	struct state_snap a[2] = { snap("0123456789abcdef", 5, "laptop"),
		snap("1111111111111111", 7, "db") };
	uint8_t drop[1][SNAP_ID_LEN];
	struct state st;
	struct stat sb, sb2;
	char *path, dir[512];
	int rc;

	snprintf(dir, sizeof(dir), "%s/xdg", tmp);
	setenv("XDG_STATE_HOME", dir, 1);
	ok(state_path(rid, &path) == 0 && strcmp(path + strlen(dir),
	    "/anemone/" R) == 0, "under $XDG_STATE_HOME/anemone");
	ok(state_load(path, rid, &st) == 0 && st.n == 0, "no file: empty");
	state_free(&st);
	umask(022);
	ok(state_update(path, rid, a, 2, NULL, 0) == 0 &&
	    file_is(path, HEAD "1111111111111111 7 db\n"
	    "0123456789abcdef 5 laptop\n"), "written");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "file 0600");
	*strrchr(path, '/') = '\0';
	ok(stat(path, &sb2) == 0 && (sb2.st_mode & 0777) == 0700, "folder 0700");
	path[strlen(path)] = '/';
	ok(state_update(path, rid, a, 1, NULL, 0) == 0 && stat(path, &sb2) == 0
	    && sb2.st_ino == sb.st_ino, "nothing new: not rewritten");
	a[0].time_ns = 6;
	hex_decode(drop[0], "1111111111111111", SNAP_ID_LEN);
	ok(state_update(path, rid, a, 1, (const uint8_t (*)[SNAP_ID_LEN])drop,
	    1) == 0 && file_is(path, HEAD "0123456789abcdef 6 laptop\n"),
	    "updated and forgotten");
	ok(stat(path, &sb2) == 0 && sb2.st_ino != sb.st_ino, "a new file "
	    "renamed into place");
	ok(state_load(path, rid, &st) == 0 && st.n == 1, "read back");
	state_free(&st);
	{
		FILE *f = fopen(path, "a");
		fputs("junk\n", f);
		fclose(f);
	}
	ok(state_load(path, rid, &st) == -1, "a damaged file is an error");
	snprintf(dir, sizeof(dir), "%s:4:1: bad snapshot id (want 16 "
	    "lowercase hex digits) (a damaged state file: remove it to start "
	    "afresh; a restore never needs it)", path);
	ok(strcmp(lasterr(), dir) == 0, "naming it: %s", lasterr());
	ok(state_update(path, rid, a, 1, NULL, 0) == -1 && file_is(path, HEAD
	    "0123456789abcdef 6 laptop\njunk\n"), "and never overwritten");
	free(path);

	unsetenv("XDG_STATE_HOME");
	setenv("HOME", tmp, 1);
	snprintf(dir, sizeof(dir), "%s/.local/state/anemone/" R, tmp);
	rc = state_path(rid, &path);
	ok(rc == 0 && strcmp(path, geteuid() == 0 ? "/var/lib/anemone/" R :
	    dir) == 0, "without XDG_STATE_HOME: %s", path);
	free(path);
	setenv("XDG_STATE_HOME", "relative", 1);
	rc = state_path(rid, &path);
	ok(rc == 0 && strncmp(path, "relative", 8) != 0,
	    "a relative XDG_STATE_HOME is ignored: %s", path);
	free(path);
}

int
main(void)
{
	char tmp[] = "/tmp/anemone-state.XXXXXX", cmd[64];

	test_text();
	test_rejects();
	test_check();
	if (mkdtemp(tmp) == NULL)
		return 1;
	test_file(tmp);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		return 1;
	return done_testing();
}
