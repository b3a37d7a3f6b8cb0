/*
 * fuzz_init.c -- the initializer of the targets that need nothing set up
 * but quiet logging (config, headers, html); the others define their own.
 */
#include "autoconfig.h"

#include "fuzz.h"
#include "log.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_CRIT);
	return 0;
}
