/*
 * mlfi.h -- the milter front door: the only module that includes
 * <libmilter/mfapi.h>.
 */
#ifndef WARDEN_MLFI_H
#define WARDEN_MLFI_H

#include <stdbool.h>

/*
 * Run the daemon with the installed snapshot until SIGTERM/SIGINT.
 * config_path is re-read on SIGUSR1.  Returns the process exit code.
 */
int mlfi_run(const char *config_path, bool foreground);
/* Connections open right now (for graceful stop and tests). */
unsigned mlfi_active(void);
/*
 * Whether the payload of a macro packet (p[0..n), after its command
 * byte) is a macro class byte and complete NUL-terminated name/value
 * pairs; the daemon ends a session that sends one that is not.
 */
bool mlfi_macros_ok(const char *p, size_t n);

#endif
