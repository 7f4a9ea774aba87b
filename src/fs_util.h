/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_util: atomic file writes and small path helpers.  Depends on nothing else in the tree.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <glib.h>

/*
 * Write len bytes to path atomically: a temporary "<path>.XXXXXX" in the same directory, fsync, then
 * rename over path.  The file gets mode (before umask).  Returns 0 or -errno; the temporary file is
 * removed on failure.
 */
int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* Read a whole small file as a NUL-terminated string.  Returns 0 (caller owns *ret) or -errno. */
int read_small_file(const char *path, size_t max, char **ret);
