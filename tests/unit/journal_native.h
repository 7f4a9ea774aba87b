/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A reader of journald's native protocol for the tests, the fuzzer and the micro-benchmark: the
 * inverse of journald_encode(), written from systemd's protocol description.  Each field comes back
 * as one "NAME=value" buffer (values may hold newlines and NUL bytes: use the lengths).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include <glib.h>

typedef struct JournaldFields {
	struct iovec *iov;
	size_t n;
} JournaldFields;

static inline void journald_fields_clear(JournaldFields *f)
{
	for (size_t i = 0; i < f->n; i++)
		g_free(f->iov[i].iov_base);
	g_clear_pointer(&f->iov, g_free);
	f->n = 0;
}

static inline void journal_fields_add(JournaldFields *f, const char *name, size_t nlen, const char *value, size_t vlen)
{
	char *s = g_malloc(nlen + 1 + vlen + 1);

	memcpy(s, name, nlen);
	s[nlen] = '=';
	memcpy(s + nlen + 1, value, vlen);
	s[nlen + 1 + vlen] = '\0';
	f->iov = g_renew(struct iovec, f->iov, f->n + 1);
	f->iov[f->n].iov_base = s;
	f->iov[f->n].iov_len = nlen + 1 + vlen;
	f->n++;
}

/* Parse one datagram into f (cleared first).  False if it is not well-formed. */
static inline bool journal_decode(const char *buf, size_t len, JournaldFields *f)
{
	const char *p = buf, *end = buf + len;

	memset(f, 0, sizeof(*f));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eq = memchr(p, '=', (size_t)(end - p));
		if (nl == NULL)
			return false;
		if (eq != NULL && eq < nl) {
			if (eq == p)
				return false;
			journal_fields_add(f, p, (size_t)(eq - p), eq + 1, (size_t)(nl - eq - 1));
			p = nl + 1;
			continue;
		}
		/* NAME \n le64 value \n */
		if (nl == p || (size_t)(end - nl - 1) < 8)
			return false;
		uint64_t v = 0;
		for (int i = 7; i >= 0; i--)
			v = (v << 8) | (uint8_t)nl[1 + i];
		const char *val = nl + 9;
		if (v > (uint64_t)(end - val) || (uint64_t)(end - val) - v < 1 || val[v] != '\n')
			return false;
		journal_fields_add(f, p, (size_t)(nl - p), val, (size_t)v);
		p = val + v + 1;
	}
	return true;
}
