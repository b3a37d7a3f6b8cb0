/*
 * cli.h -- the subcommands of the one "warden" binary.
 */
#ifndef WARDEN_CLI_H
#define WARDEN_CLI_H

/* Exit codes of warden scan and warden lint. */
#define EXIT_JUDGED	0	/* every file judged / config clean */
#define EXIT_UNREADABLE	1	/* a file could not be read / lint found problems */
#define EXIT_USAGE	2	/* usage or configuration error */

int cli_main(int argc, char **argv);
/* learn.c: "warden learn". */
int cli_learn(int argc, char **argv, const char *default_config);
/* lint's lines on the statistical filter: off, abstaining, or its
 * store's counts. */
struct snapshot;
struct diag;
void learn_summary(const struct snapshot *snap, struct diag *d);

#endif
