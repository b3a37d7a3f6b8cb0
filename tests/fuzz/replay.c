/*
 * replay.c -- run a fuzz target over files without libFuzzer.
 *
 *   replay_NAME [FILE_OR_DIR...]
 *
 * With no arguments, replays $srcdir/tests/fuzz/corpus/NAME, where NAME is
 * the program's name without its "replay_" prefix.  Exit 0 when every
 * input ran (a crash or sanitizer report ends the process non-zero).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int ran;

static void
replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (fp == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf == NULL || (n > 0 && fread(buf, 1, (size_t)n, fp) != (size_t)n)) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		exit(1);
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	ran++;
}

static void
replay_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		int n = scandir(path, &ents, NULL, alphasort);

		for (int i = 0; i < n; i++) {
			if (ents[i]->d_name[0] != '.') {
				char sub[4096];

				snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
				replay_path(sub);
			}
			free(ents[i]);
		}
		free(ents);
	} else if (S_ISREG(st.st_mode))
		replay_file(path);
}

const char *
fuzz_srcdir(void)
{
	const char *s = getenv("srcdir");

	return s != NULL && *s ? s : ".";
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	if (strncmp(base, "lt-", 3) == 0)
		base += 3;
	if (strncmp(base, "replay_", 7) == 0)
		base += 7;
	LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1)
		for (int i = 1; i < argc; i++)
			replay_path(argv[i]);
	else {
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
		    fuzz_srcdir(), base);
		replay_path(dir);
	}
	printf("replay %s: %d input(s) ran\n", base, ran);
	return ran > 0 ? 0 : 1;
}
