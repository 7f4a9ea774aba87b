/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_util: one JSON string encoder for every place that writes JSON text by hand around it (the
 * sync-pipe records, json-file log records).  Depends on nothing else in the tree.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>
#include <yajl/yajl_gen.h>

/* g_autoptr(YajlGen) for a yajl_gen handle (yajl_gen is a pointer typedef). */
typedef struct yajl_gen_t YajlGen;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(YajlGen, yajl_gen_free)

/*
 * Append s (len bytes, may hold NULs or invalid UTF-8) to out as a quoted JSON string: invalid
 * sequences and NUL become U+FFFD, yajl escapes the rest (solidus included), and DEL becomes \u007f
 * as conmon 2.2 writes it.  Returns false only if yajl could not be set up (out is left unchanged).
 */
bool json_append_string(GString *out, const char *s, size_t len);
