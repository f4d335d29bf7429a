/*
 * main() for fuzz targets outside libFuzzer: replay every file named on
 * the command line (or every file in a named directory) through
 * LLVMFuzzerTestOneInput.  make check runs the committed corpora this way
 * under ASan+UBSan; a crash or sanitizer report fails the test.
 */
#include <dirent.h>
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay(const char *path)
{
	FILE *f;
	uint8_t *buf;
	long len;

	if ((f = fopen(path, "rb")) == NULL)
		err(1, "%s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		err(1, "%s", path);
	if ((buf = malloc(len ? (size_t)len : 1)) == NULL)
		err(1, "malloc");
	if (fread(buf, 1, (size_t)len, f) != (size_t)len)
		errx(1, "%s: short read", path);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 1;
}

int
main(int argc, char **argv)
{
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;
		char p[4096];

		if (stat(argv[i], &st) != 0)
			err(1, "%s", argv[i]);
		if (!S_ISDIR(st.st_mode)) {
			n += replay(argv[i]);
			continue;
		}
		if ((d = opendir(argv[i])) == NULL)
			err(1, "%s", argv[i]);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
			n += replay(p);
		}
		closedir(d);
	}
	printf("%d inputs replayed\n", n);
	return 0;
}
