/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: journald field vector.  The first bytes choose the options; the rest is the
 * message.  Every field must be KEY=VALUE with MESSAGE first and holding the input exactly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "log_journald.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *labels[] = {"FOO=bar", "BAZ=", NULL};
	uint8_t flags = size > 0 ? data[0] : 0;
	JournaldConfig cfg = {
		.cid = "0123456789abcdef0123456789abcdef",
		.name = (flags & 1) ? "name" : NULL,
		.tag = (flags & 2) ? "tag" : NULL,
		.labels = (flags & 4) ? labels : NULL,
		.no_partial_message = flags & 8,
	};
	JournaldFields f;
	const char *msg = size > 0 ? (const char *)data + 1 : "";
	size_t len = size > 0 ? size - 1 : 0;

	journald_build_fields(&f, &cfg, (flags & 16) ? LOG_STREAM_STDERR : LOG_STREAM_STDOUT, flags & 32, msg, len);
	if (f.n < 5 || f.iov[0].iov_len != 8 + len || memcmp(f.iov[0].iov_base, "MESSAGE=", 8) != 0 ||
	    memcmp((char *)f.iov[0].iov_base + 8, msg, len) != 0)
		abort();
	for (size_t i = 1; i < f.n; i++) {
		const char *eq = memchr(f.iov[i].iov_base, '=', f.iov[i].iov_len);
		if (eq == NULL || eq == f.iov[i].iov_base)
			abort();
	}
	journald_fields_clear(&f);
	(void)journald_priority_prefix(msg, len);
	return 0;
}
