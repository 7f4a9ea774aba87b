/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: memory.events and /proc/PID/cgroup parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fuzz_sandbox.h"
#include "oom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_sandbox_enter();
	g_autofree char *text = g_strndup((const char *)data, size);
	uint64_t oom, kill;
	char *path = NULL;

	(void)oom_parse_memory_events(text, &oom, &kill);
	for (int v2 = 0; v2 <= 1; v2++) {
		if (oom_cgroup_path(text, v2, &path) == 0) {
			if (strstr(text, path) == NULL) /* the path is a piece of the input */
				abort();
			g_free(path);
			path = NULL;
		}
	}
	return 0;
}
