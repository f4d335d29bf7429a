/*
 * Printing members: `tar tv` columns for a person, tab-separated fields
 * for a script.  Paths and link targets are escaped as GNU tar's default
 * quoting does, so that one member is one line whatever its name holds.
 */
#include <stdio.h>
#include <time.h>

#include "pull.h"

void
put_escaped(FILE *f, const uint8_t *p, size_t n)
{
	static const char esc[] = "\a\b\f\n\r\t\v";
	static const char let[] = "abfnrtv";
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (p[i] == '\\') {
			fputs("\\\\", f);
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			putc(p[i], f);
		} else {
			for (k = 0; esc[k] != '\0' && esc[k] != p[i]; k++)
				;
			if (esc[k] != '\0' && p[i] != 0)
				fprintf(f, "\\%c", let[k]);
			else
				fprintf(f, "\\%03o", p[i]);
		}
	}
}

void
mode_string(char out[11], const struct cat_entry *e)
{
	static const char rwx[] = "rwxrwxrwx";
	uint32_t m = e->mode;
	int i;

	out[0] = e->type;
	for (i = 0; i < 9; i++)
		out[1 + i] = m & (0400u >> i) ? rwx[i] : '-';
	if (m & 04000)
		out[3] = m & 0100 ? 's' : 'S';
	if (m & 02000)
		out[6] = m & 010 ? 's' : 'S';
	if (m & 01000)
		out[9] = m & 01 ? 't' : 'T';
	out[10] = '\0';
}

void
iso_time(char out[32], int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		snprintf(out, 32, "%lld", (long long)sec);
	else
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
owner(FILE *f, const struct cat_entry *e)
{
	if (e->uname_len > 0)
		put_escaped(f, e->uname, e->uname_len);
	else
		fprintf(f, "%llu", (unsigned long long)e->uid);
	putc('/', f);
	if (e->gname_len > 0)
		put_escaped(f, e->gname, e->gname_len);
	else
		fprintf(f, "%llu", (unsigned long long)e->gid);
}

static void
size_field(char out[48], const struct cat_entry *e)
{
	if (e->type == CT_CHAR || e->type == CT_BLOCK)
		snprintf(out, 48, "%u,%u", e->devmajor, e->devminor);
	else
		snprintf(out, 48, "%llu", (unsigned long long)e->size);
}

void
show_member(FILE *f, const struct cat_entry *e, int tty)
{
	char mode[11], sz[48], t[32];
	time_t sec = (time_t)e->mtime;
	struct tm tm;

	mode_string(mode, e);
	size_field(sz, e);
	if (!tty) {
		iso_time(t, e->mtime);
		fprintf(f, "%s\t%llu\t%llu\t", mode,
		    (unsigned long long)e->uid, (unsigned long long)e->gid);
		put_escaped(f, e->uname, e->uname_len);
		putc('\t', f);
		put_escaped(f, e->gname, e->gname_len);
		fprintf(f, "\t%s\t%s\t", sz, t);
		put_escaped(f, e->path, e->path_len);
		putc('\t', f);
		put_escaped(f, e->link, e->link_len);
		putc('\n', f);
		return;
	}
	if (localtime_r(&sec, &tm) == NULL)
		snprintf(t, sizeof(t), "%lld", (long long)e->mtime);
	else
		strftime(t, sizeof(t), "%Y-%m-%d %H:%M", &tm);
	fprintf(f, "%s ", mode);
	owner(f, e);
	fprintf(f, " %8s %s ", sz, t);
	put_escaped(f, e->path, e->path_len);
	if (e->type == CT_SYMLINK)
		fputs(" -> ", f);
	else if (e->type == CT_HARDLINK)
		fputs(" link to ", f);
	put_escaped(f, e->link, e->link_len);
	putc('\n', f);
}
