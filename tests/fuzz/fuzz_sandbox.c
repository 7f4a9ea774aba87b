/* SPDX-License-Identifier: Apache-2.0 */
#include "fuzz_sandbox.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include <glib.h>

#include "sandbox.h"

void fuzz_sandbox_enter(void)
{
	static bool entered;
	const char *dir = getenv("VIGIL_FUZZ_SANDBOX");

	if (entered || dir == NULL || *dir == '\0')
		return;
	entered = true;
	const char *const write_dirs[] = {dir, NULL};
	const char *const none[] = {NULL};
	SandboxSpec spec = {
		.write_dirs = write_dirs,
		.remove_dirs = none,
		.read_dirs = none,
		.scope_abstract_unix = true,
	};
	g_autoptr(GError) error = NULL;
	if (!sandbox_apply(&spec, &error)) {
		fprintf(stderr, "fuzz_sandbox: %s\n", error->message);
		abort();
	}
	fprintf(stderr, "fuzz_sandbox: confined (writable: %s)\n", dir);
}
