/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sync_msg: record builder.  yajl escapes the message; the framing keeps conmon's exact spacing
 * ("{\"data\": 1}"), which yajl_gen's compact or beautified modes would not produce.
 */
#include "sync_msg.h"

#include <string.h>

#include "json_util.h"

const char *sync_msg_key(bool api_version, bool exec)
{
	if (api_version)
		return "data";
	return exec ? "exit_code" : "pid";
}

char *sync_msg_build(const char *key, int value, const char *message, size_t len, size_t *ret_len)
{
	GString *out = g_string_sized_new(64 + len * 2);

	g_string_append_printf(out, "{\"%s\": %d", key, value);
	if (message != NULL && len > 0) {
		g_string_append(out, ", \"message\": ");
		if (!json_append_string(out, message, len))
			g_string_append(out, "\"\"");
	}
	g_string_append(out, "}\n");
	if (ret_len)
		*ret_len = out->len;
	return g_string_free(out, FALSE);
}
