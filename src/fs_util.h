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
 * Write len bytes to path atomically: a temporary "<path>.XXXXXX" in the same directory, then rename
 * over path; with durable, fsync before the rename (the file must survive a crash of the machine).
 * The file gets mode (before umask).  Returns 0 or -errno; the temporary file is removed on failure.
 */
int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode, bool durable);

/*
 * A file made ahead of time and named later: an unnamed O_TMPFILE inode in dir with mode (before
 * umask).  Returns the fd (O_CLOEXEC) or -errno (for example a filesystem without O_TMPFILE).
 * Nothing is left in dir if it is never committed.
 */
int prepared_file_open(const char *dir, mode_t mode);
/*
 * Write len bytes into a prepared file (fsync with durable) and give it the name path atomically:
 * linked straight to path, or, when path exists, linked under a temporary name that is renamed over
 * it.  Returns 0 or -errno; on failure nothing new is left in the directory.  fd stays open.
 */
int prepared_file_commit(int fd, const char *path, const void *data, size_t len, bool durable);

/* Read a whole small file as a NUL-terminated string.  Returns 0 (caller owns *ret) or -errno. */
int read_small_file(const char *path, size_t max, char **ret);

/*
 * The checks conmon 2.2 makes before rotating a log (interface.md §8.4): path shorter than PATH_MAX
 * without "../" or "/.."; the file not a symlink; when it does not exist, its directory not
 * world-writable, owned by root or by uid, with no symlinked component; and, when allowlist is
 * non-empty, inside one of its directories.  fd, when >= 0, must still be the file at path.
 * Returns 0, or -errno with a reason in *ret_why (static string).
 */
int log_path_check(const char *path, int fd, char *const *allowlist, uid_t uid, const char **ret_why);
