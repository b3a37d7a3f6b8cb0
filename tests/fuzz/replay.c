/*
 * replay.c -- run a fuzz target over files without libFuzzer.
 *
 *   replay_NAME [FILE_OR_DIR...]
 *
 * With no arguments, replays $srcdir/tests/fuzz/corpus/NAME, where NAME is
 * the program's name without its "replay_" prefix.  Exit 0 when every
 * input ran (a crash or sanitizer report ends the process non-zero).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../load/walk.h"	/* the same walk as wdload's */

static int ran;

static void
replay_file(const char *path, void *arg)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;

	(void)arg;
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
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (walk_files("replay", argv[i], replay_file, NULL) < 0)
				return 1;
	} else {
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
		    fuzz_srcdir(), base);
		if (walk_files("replay", dir, replay_file, NULL) < 0)
			return 1;
	}
	printf("replay %s: %d input(s) ran\n", base, ran);
	return ran > 0 ? 0 : 1;
}
