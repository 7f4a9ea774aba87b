/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: k8s-file records.  The input is split into records the way the writer does, each
 * record is formatted, then parsed back by an independent reader; the stream rebuilt from the records
 * (P: content without the added newline, F: content with its newline) must equal the input, and every
 * record must carry at most K8S_MAX_CONTENT bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "fuzz_sandbox.h"
#include "log_k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse one record at p (up to end); returns the next record's start or NULL on a malformed record. */
static const char *parse_record(const char *p, const char *end, GString *stream)
{
	if ((size_t)(end - p) < K8S_RECORD_OVERHEAD)
		return NULL;
	/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+HH:MM" */
	if (p[4] != '-' || p[10] != 'T' || p[19] != '.' || (p[29] != '+' && p[29] != '-') || p[32] != ':')
		return NULL;
	p += K8S_TS_LEN;
	if (memcmp(p, " stdout ", 8) != 0)
		return NULL;
	p += 8;
	bool partial = *p == 'P';
	if ((*p != 'P' && *p != 'F') || p[1] != ' ')
		return NULL;
	p += 2;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		return NULL;
	size_t content = (size_t)(nl - p) + (partial ? 0 : 1);
	if (content > K8S_MAX_CONTENT)
		abort();
	g_string_append_len(stream, p, (gssize)content);
	return nl + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_sandbox_enter();
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GString) rebuilt = g_string_new(NULL);
	g_autofree char *rec = g_malloc(K8S_RECORD_MAX);
	struct tm tm = {.tm_year = 126, .tm_mon = 10, .tm_mday = 23, .tm_gmtoff = -12 * 3600};
	char ts[K8S_TS_LEN];
	const char *p = (const char *)data;
	size_t left = size;

	k8s_log_format_timestamp(ts, 123456789, &tm);
	while (left > 0) {
		bool partial;
		size_t n = k8s_log_next_record(p, left, &partial);
		if (n == 0 || n > left || n > K8S_MAX_CONTENT)
			abort();
		size_t rl = k8s_log_format_record(rec, ts, LOG_STREAM_STDOUT, partial, p, n);
		if (rl != K8S_RECORD_OVERHEAD + n + (partial ? 1 : 0))
			abort();
		g_string_append_len(out, rec, (gssize)rl);
		p += n;
		left -= n;
	}
	const char *q = out->str;
	const char *end = out->str + out->len;
	while (q < end) {
		q = parse_record(q, end, rebuilt);
		if (q == NULL)
			abort();
	}
	if (rebuilt->len != size || memcmp(rebuilt->str, data, size) != 0)
		abort();
	return 0;
}
