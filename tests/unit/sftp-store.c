/*
 * The SFTP store (lib/store/store_sftp.c) and its URL parser.
 *
 * With no arguments: TAP.  The URL tests always run; the store tests run
 * against a real sshd when ANEMONE_SFTP_URL names an empty repository
 * directory (tests/sftp-store.t starts one in a namespace and sets it,
 * with ANEMONE_SFTP_ID and ANEMONE_SFTP_KNOWN_HOSTS).
 *
 * With arguments, a small client for the shell tests' fault cases:
 *	sftp-store [-a] [-c] [-i KEY] [-k KNOWN] [-t SEC] URL CMD [ARGS]
 *	CMD: open | put NAME FILE | get NAME | size NAME | ls DIR
 * It prints lasterr() and exits 1 on an error (2 for usage).
 */
#include <err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "store/sftp_url.h"
#include "store/store.h"
#include "tap.h"

static void
url_ok(const char *url, const char *user, const char *host, int port, const char *path)
{
	struct sftp_url u;
	int r = sftp_url_parse(url, &u);

	if (!ok(r == 0, "parse %s", url)) {
		printf("#   %s\n", lasterr());
		return;
	}
	ok((user == NULL ? u.user == NULL : u.user && strcmp(u.user, user) == 0) &&
	    strcmp(u.host, host) == 0 && u.port == port && strcmp(u.path, path) == 0,
	    "  %s -> %s@%s:%d %s", url, u.user ? u.user : "-", u.host, u.port, u.path);
	sftp_url_free(&u);
}

static void
url_bad(const char *url, const char *msg)
{
	struct sftp_url u;
	int r = sftp_url_parse(url, &u);

	ok(r < 0 && strcmp(lasterr(), msg) == 0, "refuse %s", url);
	if (r == 0)
		sftp_url_free(&u);
	else if (strcmp(lasterr(), msg) != 0)
		printf("#   got  '%s'\n#   want '%s'\n", lasterr(), msg);
}

static void
url_tests(void)
{
	url_ok("sftp://h/p", NULL, "h", 22, "/p");
	url_ok("sftp://backup@10.8.0.2:2222/home/", "backup", "10.8.0.2", 2222, "/home");
	url_ok("sftp://u@[fe80::1]:22/~/repo", "u", "fe80::1", 22, "repo");
	url_ok("sftp://a%40b@host.example/x%20y", "a@b", "host.example", 22, "/x y");
	url_ok("sftp://h/~", NULL, "h", 22, ".");
	url_ok("sftp://h/~/", NULL, "h", 22, ".");
	url_ok("sftp://h/", NULL, "h", 22, "/");
	url_ok("sftp://x@y@h:65535/a/b", "x@y", "h", 65535, "/a/b");
	url_bad("sftp://h", "sftp://h: column 9: missing /path after the host");
	url_bad("ftp://h/x", "ftp://h/x: column 1: expected sftp://[user@]host[:port]/path");
	url_bad("sftp://h:0/x", "sftp://h:0/x: column 10: port must be 1..65535");
	url_bad("sftp://h:99999/x", "sftp://h:99999/x: column 10: port must be 1..65535");
	url_bad("sftp://h:/x", "sftp://h:/x: column 10: empty port");
	url_bad("sftp://@h/x", "sftp://@h/x: column 8: empty user name");
	url_bad("sftp://[::1/x", "sftp://[::1/x: column 8: '[' without ']'");
	url_bad("sftp://h/a/../b", "sftp://h/a/../b: column 9: empty, '.' or '..' path component");
	url_bad("sftp://h//b", "sftp://h//b: column 9: empty, '.' or '..' path component");
	url_bad("sftp://h/a%2Fb", "sftp://h/a%2Fb: column 11: '%2F' in a path");
	url_bad("sftp://h/a%zz", "sftp://h/a%zz: column 11: '%' needs two hex digits");
	url_bad("sftp://h/a%0a", "sftp://h/a%0a: column 11: control character");
	url_bad("sftp://h x/p", "sftp://h x/p: column 8: bad host name");
	url_bad("sftp://-oProxy/p", "sftp://-oProxy/p: column 8: bad host name");
	url_bad("sftp://h:22x/p", "sftp://h:22x/p: column 10: port must be 1..65535");
}

/* ---- live tests against a real sshd ---- */

static struct store_opts opts;

static uint8_t *
pattern(size_t n, unsigned seed)
{
	uint8_t *b = malloc(n ? n : 1);
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
	return b;
}

struct job {
	struct store *s;
	int n, fails;
};

static void *
worker(void *arg)
{
	struct job *j = arg;
	char name[64];
	size_t len = 300000 + (size_t)j->n * 1000;
	uint8_t *b = pattern(len, (unsigned)j->n), *back;
	size_t got;
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "par/%02d/f%d", j->n, i);
		if (store_put(j->s, name, b, len) != STORE_OK)
			j->fails++;
		else if (store_get_all(j->s, name, &back, &got) != 0 || got != len ||
		    memcmp(back, b, len) != 0)
			j->fails++;
		else
			free(back);
	}
	free(b);
	return NULL;
}

static void
live_tests(const char *url)
{
	struct store *s;
	uint8_t *big, *back, small[5] = "hello", buf[16];
	size_t bigsz = (size_t)24 << 20, got, n, i;
	uint64_t sz;
	char **names;
	pthread_t th[4];
	struct job jobs[4];
	int r;

	s = store_open(url, &opts);
	if (!ok(s != NULL, "open %s", url)) {
		printf("#   %s\n", lasterr());
		return;
	}
	is_int(store_put(s, "config", small, 5), STORE_OK, "put a top-level file");
	is_int(store_put(s, "config", small, 5), STORE_EXISTS, "put never replaces");
	ok(strstr(lasterr(), "/config: file exists") != NULL, "  and says so: %s", lasterr());
	is_int(store_size(s, "config", &sz), STORE_OK, "size");
	is_int((long long)sz, 5, "  is 5");
	memset(buf, 0, sizeof(buf));
	is_int(store_get(s, "config", 1, buf, 3), STORE_OK, "get a range");
	is_mem(buf, "ell", 3, "  bytes 1..3");
	is_int(store_get(s, "config", 3, buf, 3), STORE_ERR, "get past the end fails");
	ok(strstr(lasterr(), "file shorter than 6 bytes") != NULL, "  %s", lasterr());
	is_int(store_get(s, "nope", 0, buf, 1), STORE_NOTFOUND, "get of a missing file");
	is_int(store_size(s, "nope", &sz), STORE_NOTFOUND, "size of a missing file");
	is_int(store_list(s, "nodir", &names, &n), STORE_NOTFOUND, "list of a missing dir");

	big = pattern(bigsz, 7);
	is_int(store_put(s, "packs/ab/abcdef", big, bigsz), STORE_OK,
	    "put 24 MiB, creating the parents");
	r = store_get_all(s, "packs/ab/abcdef", &back, &got);
	ok(r == 0 && got == bigsz && memcmp(back, big, bigsz) == 0, "  reads back the same");
	if (r == 0)
		free(back);
	is_int(store_put(s, "packs/ab/empty", big, 0), STORE_OK, "put an empty file");
	r = store_get_all(s, "packs/ab/empty", &back, &got);
	ok(r == 0 && got == 0, "  reads back empty");
	if (r == 0)
		free(back);
	free(big);

	is_int(store_list(s, "packs/ab", &names, &n), STORE_OK, "list");
	ok(n == 2 && strcmp(names[0], "abcdef") == 0 && strcmp(names[1], "empty") == 0,
	    "  sorted, no temporary names (%zu)", n);
	store_names_free(names, n);
	is_int(store_list(s, "", &names, &n), STORE_OK, "list the root");
	ok(n == 2 && strcmp(names[0], "config") == 0 && strcmp(names[1], "packs") == 0,
	    "  config, packs");
	store_names_free(names, n);

	for (i = 0; i < 4; i++) {
		jobs[i] = (struct job){ s, (int)i, 0 };
		pthread_create(&th[i], NULL, worker, &jobs[i]);
	}
	r = 0;
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		r += jobs[i].fails;
	}
	is_int(r, 0, "4 threads put and get 20 files at once");
	store_close(s);
}

/* ---- command mode ---- */

static int
usage(void)
{
	fprintf(stderr, "usage: sftp-store [-ac] [-i key] [-k known_hosts] [-t sec] "
	    "URL open|put NAME FILE|get NAME|size NAME|ls DIR\n");
	return 2;
}

static int
command(int argc, char **argv)
{
	struct store_opts o = { .timeout = STORE_TIMEOUT_DEFAULT };
	struct store *s;
	int ch, r = 0;

	while ((ch = getopt(argc, argv, "aci:k:t:")) != -1) {
		switch (ch) {
		case 'a': o.accept_new = 1; break;
		case 'c': o.create = 1; break;
		case 'i': o.identity = optarg; break;
		case 'k': o.known_hosts = optarg; break;
		case 't': o.timeout = atoi(optarg); break;
		default: return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		return usage();
	if ((s = store_open(argv[0], &o)) == NULL)
		errx(1, "%s", lasterr());
	if (strcmp(argv[1], "open") == 0 && argc == 2)
		;
	else if (strcmp(argv[1], "put") == 0 && argc == 4) {
		FILE *f = fopen(argv[3], "rb");
		uint8_t *b;
		long len;

		if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
			err(1, "%s", argv[3]);
		rewind(f);
		b = malloc((size_t)len + 1);
		if (fread(b, 1, (size_t)len, f) != (size_t)len)
			err(1, "%s", argv[3]);
		fclose(f);
		r = store_put(s, argv[2], b, (size_t)len);
		free(b);
	} else if (strcmp(argv[1], "get") == 0 && argc == 3) {
		uint8_t *b;
		size_t len;

		if ((r = store_get_all(s, argv[2], &b, &len)) == 0) {
			fwrite(b, 1, len, stdout);
			free(b);
		}
	} else if (strcmp(argv[1], "size") == 0 && argc == 3) {
		uint64_t sz;

		if ((r = store_size(s, argv[2], &sz)) == 0)
			printf("%llu\n", (unsigned long long)sz);
	} else if (strcmp(argv[1], "ls") == 0 && argc == 3) {
		char **v;
		size_t n, i;

		if ((r = store_list(s, argv[2], &v, &n)) == 0) {
			for (i = 0; i < n; i++)
				printf("%s\n", v[i]);
			store_names_free(v, n);
		}
	} else {
		store_close(s);
		return usage();
	}
	if (r < 0) {
		fprintf(stderr, "sftp-store: %s\n", lasterr());
		store_close(s);
		return 1;
	}
	store_close(s);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *url = getenv("ANEMONE_SFTP_URL");

	if (argc > 1)
		return command(argc, argv);
	url_tests();
	if (url != NULL && *url) {
		opts.timeout = 20;
		opts.identity = getenv("ANEMONE_SFTP_ID");
		opts.known_hosts = getenv("ANEMONE_SFTP_KNOWN_HOSTS");
		live_tests(url);
	} else
		printf("# store tests skipped: ANEMONE_SFTP_URL is not set\n");
	return done_testing();
}
