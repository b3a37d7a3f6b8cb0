/*
 * walk.c -- see walk.h.  Built into wdload and into every fuzz replay
 * program; keep it free of anything but libc.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "walk.h"

int
walk_files(const char *prog, const char *path,
    void (*fn)(const char *path, void *arg), void *arg)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		int n = scandir(path, &ents, NULL, alphasort), rc = 0;

		for (int i = 0; i < n; i++) {
			if (rc == 0 && ents[i]->d_name[0] != '.') {
				char sub[4096];

				snprintf(sub, sizeof(sub), "%s/%s", path,
				    ents[i]->d_name);
				rc = walk_files(prog, sub, fn, arg);
			}
			free(ents[i]);
		}
		if (n >= 0)
			free(ents);
		return rc;
	}
	if (S_ISREG(st.st_mode))
		fn(path, arg);
	return 0;
}
