/*
 * fuzz.h -- the libFuzzer entry points every target defines.  The same
 * target links either with libFuzzer (--enable-fuzzing, clang) or with
 * replay.c, a plain main() that runs every file of the seed corpus once,
 * so "make check" replays the corpora on any compiler.
 */
#ifndef WARDEN_FUZZ_H
#define WARDEN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The directory holding the tree's sources (for rules and corpora). */
const char *fuzz_srcdir(void);

#endif
