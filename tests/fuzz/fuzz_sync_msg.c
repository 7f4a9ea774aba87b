/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: sync-pipe records.  Every record must be one line of valid JSON with the key and
 * value given, and a valid-UTF-8 message without NULs must round-trip exactly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <yajl/yajl_tree.h>

#include "fuzz_sandbox.h"
#include "sync_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_sandbox_enter();
	size_t len;
	int value = size > 0 ? (int)data[0] - 128 : 0;
	g_autofree char *rec = sync_msg_build("data", value, (const char *)data, size, &len);
	char err[256];

	if (len == 0 || rec[len - 1] != '\n' || memchr(rec, '\n', len - 1) != NULL)
		abort();
	rec[len - 1] = '\0';
	yajl_val tree = yajl_tree_parse(rec, err, sizeof(err));
	if (tree == NULL)
		abort();
	const char *kpath[] = {"data", NULL};
	yajl_val v = yajl_tree_get(tree, kpath, yajl_t_number);
	if (v == NULL || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) != value)
		abort();
	const char *mpath[] = {"message", NULL};
	yajl_val m = yajl_tree_get(tree, mpath, yajl_t_string);
	if (size > 0 && m == NULL)
		abort();
	if (size > 0 && memchr(data, '\0', size) == NULL && g_utf8_validate((const char *)data, (gssize)size, NULL)) {
		const char *got = YAJL_GET_STRING(m);
		if (strlen(got) != size || memcmp(got, data, size) != 0)
			abort();
	}
	yajl_tree_free(tree);
	return 0;
}
