/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: ctl and winsz line parsing.  Any accepted line must satisfy the contract's ranges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_fifo.h"
#include "fuzz_sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_sandbox_enter();
	char *line = strndup((const char *)data, size); /* a line never holds a NUL */
	CtlMsg m;
	int rows, cols;

	if (line == NULL)
		return 0;
	if (ctl_fifo_parse_line(line, &m) == 0) {
		if ((m.type != 1 && m.type != 2) || m.a < 0 || m.a > CTL_WINSZ_MAX || m.b < 0 || m.b > CTL_WINSZ_MAX)
			abort();
	}
	if (ctl_fifo_parse_winsz(line, &rows, &cols) == 0) {
		if (rows < 0 || rows > CTL_WINSZ_MAX || cols < 0 || cols > CTL_WINSZ_MAX)
			abort();
	}
	free(line);
	return 0;
}
