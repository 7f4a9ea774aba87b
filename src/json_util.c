/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_util: UTF-8 repair and yajl string escaping.
 */
#include "json_util.h"

/* Replace every invalid sequence (and NUL) with U+FFFD, so yajl accepts the text. */
static GString *utf8_sanitize(const char *s, size_t len)
{
	GString *out = g_string_sized_new(len + 8);
	const char *p = s;
	const char *stop = s + len;

	while (p < stop) {
		const char *end = NULL;
		if (g_utf8_validate_len(p, (gsize)(stop - p), &end))
			end = stop;
		g_string_append_len(out, p, end - p);
		if (end < stop) {
			g_string_append(out, "\xEF\xBF\xBD");
			end++;
		}
		p = end;
	}
	return out;
}

bool json_append_string(GString *out, const char *s, size_t len)
{
	g_autoptr(YajlGen) gen = yajl_gen_alloc(NULL);
	g_autoptr(GString) valid = NULL;
	const unsigned char *buf;
	size_t buf_len;

	if (gen == NULL)
		return false;
	valid = utf8_sanitize(s, len);
	yajl_gen_config(gen, yajl_gen_escape_solidus, 1);
	if (yajl_gen_string(gen, (const unsigned char *)valid->str, valid->len) != yajl_gen_status_ok ||
	    yajl_gen_get_buf(gen, &buf, &buf_len) != yajl_gen_status_ok)
		return false;
	/* yajl leaves DEL raw; conmon 2.2 escapes it like the other control bytes (§4.4). */
	for (size_t i = 0; i < buf_len; i++) {
		if (buf[i] == 0x7f)
			g_string_append(out, "\\u007f");
		else
			g_string_append_c(out, (char)buf[i]);
	}
	return true;
}
