/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sync_msg: record builder.  yajl escapes the message; the framing keeps conmon's exact spacing
 * ("{\"data\": 1}"), which yajl_gen's compact or beautified modes would not produce.
 */
#include "sync_msg.h"

#include <string.h>

#include <yajl/yajl_gen.h>

typedef struct yajl_gen_t YajlGen;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(YajlGen, yajl_gen_free)

const char *sync_msg_key(bool api_version, bool exec)
{
	if (api_version)
		return "data";
	return exec ? "exit_code" : "pid";
}

static bool json_append_string(GString *out, const char *s, size_t len)
{
	g_autoptr(YajlGen) gen = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t buf_len;

	if (gen == NULL)
		return false;
	yajl_gen_config(gen, yajl_gen_escape_solidus, 1);
	if (yajl_gen_string(gen, (const unsigned char *)s, len) != yajl_gen_status_ok)
		return false;
	if (yajl_gen_get_buf(gen, &buf, &buf_len) != yajl_gen_status_ok)
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

char *sync_msg_build(const char *key, int value, const char *message, size_t len, size_t *ret_len)
{
	GString *out = g_string_sized_new(64 + len * 2);

	g_string_append_printf(out, "{\"%s\": %d", key, value);
	if (message != NULL && len > 0) {
		g_autoptr(GString) valid = utf8_sanitize(message, len);
		g_string_append(out, ", \"message\": ");
		if (!json_append_string(out, valid->str, valid->len))
			g_string_append(out, "\"\"");
	}
	g_string_append(out, "}\n");
	if (ret_len)
		*ret_len = out->len;
	return g_string_free(out, FALSE);
}
