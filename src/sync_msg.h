/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sync_msg: the JSON records written to _OCI_SYNCPIPE and _OCI_ATTACHPIPE (interface.md §4.4).
 * Pure builders on yajl_gen.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

/* "data" with --api-version, else "pid" (create/restore) or "exit_code" (legacy exec). */
const char *sync_msg_key(bool api_version, bool exec);

/*
 * Build one record: {"KEY": N} or {"KEY": N, "message": "TEXT"} and a newline.  The message (len bytes,
 * may contain NULs or invalid UTF-8) is made valid UTF-8 and JSON-escaped by yajl, solidus included.
 * A NULL or empty message is left out.  Returns a new string (caller frees) and its length in *ret_len.
 */
char *sync_msg_build(const char *key, int value, const char *message, size_t len, size_t *ret_len);
