/*
 * fuzz_config -- the config parser on arbitrary text.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct config *c;
	struct diag d;

	memcpy(text, data, size);
	text[size] = '\0';
	diag_init(&d);
	c = config_load_string("fuzz.conf", text, &d);
	/* Either a config or at least one error, never neither. */
	if (c == NULL && diag_nerrors(&d) == 0)
		abort();
	config_free(c);
	diag_free(&d);
	free(text);
	return 0;
}
