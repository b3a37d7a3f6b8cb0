/*
 * walk.h -- the files under a directory, in name order: the message
 * files wdload (tests/load/) loads and the inputs the fuzz replays
 * (tests/fuzz/replay.c) run, walked the same way by both.
 */
#ifndef WARDEN_TESTS_WALK_H
#define WARDEN_TESTS_WALK_H

/*
 * Call fn for path if it is a regular file, or for every regular file
 * under it if it is a directory, sorted by name at each level, leaving
 * out names that start with a dot; other kinds of file are passed over.
 * When a path cannot be looked at, prints "PROG: PATH: error" and
 * returns -1 at once; otherwise 0.
 */
int	walk_files(const char *prog, const char *path,
	    void (*fn)(const char *path, void *arg), void *arg);

#endif
