/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: journald entry encoding.  The first bytes choose the options; the rest is the
 * message.  The datagram must read back (journal_native.h) as MESSAGE holding the input exactly,
 * every field NAME=VALUE with a non-empty name, and the label values intact. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fuzz_sandbox.h"
#include "journal_native.h"
#include "log_journald.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_sandbox_enter();
	char *labels[] = {"FOO=bar", "BAZ=", "NL=a\nb", NULL};
	uint8_t flags = size > 0 ? data[0] : 0;
	JournaldConfig cfg = {
		.cid = "0123456789abcdef0123456789abcdef",
		.name = (flags & 1) ? "name" : NULL,
		.tag = (flags & 2) ? "tag" : NULL,
		.labels = (flags & 4) ? labels : NULL,
		.no_partial_message = flags & 8,
	};
	JournaldEncoder *enc = journald_encoder_new(&cfg);
	GString *out = g_string_new(NULL);
	JournaldFields f;
	const char *msg = size > 0 ? (const char *)data + 1 : "";
	size_t len = size > 0 ? size - 1 : 0;

	journald_encode(enc, out, (flags >> 4) & 7, flags & 128, msg, len);
	if (!journal_decode(out->str, out->len, &f) || f.n < 8 || f.iov[0].iov_len != 8 + len ||
	    memcmp(f.iov[0].iov_base, "MESSAGE=", 8) != 0 || memcmp((char *)f.iov[0].iov_base + 8, msg, len) != 0)
		abort();
	for (size_t i = 1; i < f.n; i++) {
		const char *eq = memchr(f.iov[i].iov_base, '=', f.iov[i].iov_len);
		if (eq == NULL || eq == f.iov[i].iov_base)
			abort();
	}
	if ((flags & 4) && (f.iov[f.n - 4].iov_len != 6 || memcmp(f.iov[f.n - 4].iov_base, "NL=a\nb", 6) != 0))
		abort();
	journald_fields_clear(&f);
	g_string_free(out, TRUE);
	journald_encoder_free(enc);
	(void)journald_priority_prefix(msg, len);
	return 0;
}
