/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the command line.  The input is split on NUL bytes into argv; parsing and
 * validation must never crash, and -l values must be parsed consistently. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "diag.h"
#include "fuzz_sandbox.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_sandbox_enter();
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(Options) opts = options_new();
	g_autoptr(GError) error = NULL;
	size_t start = 0;

	diag_set_level(DIAG_ERROR - 1 < 0 ? DIAG_ERROR : DIAG_ERROR);
	g_ptr_array_add(argv, g_strdup("vigil"));
	for (size_t i = 0; i <= size && argv->len < 64; i++) {
		if (i == size || data[i] == '\0') {
			g_ptr_array_add(argv, g_strndup((const char *)data + start, i - start));
			start = i + 1;
		}
	}
	/* A real runtime path keeps validation going past the access(X_OK) check. */
	g_ptr_array_add(argv, g_strdup("--runtime"));
	g_ptr_array_add(argv, g_strdup("/bin/true"));
	if (options_parse(opts, (int)argv->len, (char **)argv->pdata, &error) && options_validate(opts, &error)) {
		if (opts->cid == NULL || opts->log_paths == NULL)
			abort(); /* validation must have required them */
	}
	return 0;
}
