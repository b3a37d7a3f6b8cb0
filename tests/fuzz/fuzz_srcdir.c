/*
 * fuzz_srcdir.c -- where the sources are, for libFuzzer builds (replay.c
 * has its own): $srcdir, else the current directory.
 */
#include <stdlib.h>

#include "fuzz.h"

const char *
fuzz_srcdir(void)
{
	const char *s = getenv("srcdir");

	return s != NULL && *s ? s : ".";
}
