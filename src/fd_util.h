/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fd_util: file descriptor ownership and I/O helpers.  Depends on nothing else in the tree.
 * All functions return >= 0 on success and -errno on failure.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Close *fd if it is >= 0 and set it to -1; preserves errno.  For __attribute__((cleanup)). */
void closep(int *fd);
#define cleanup_close __attribute__((cleanup(closep)))

/* Return *fd and set it to -1: ownership moves to the caller. */
static inline int fd_take(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

int fd_set_nonblock(int fd, bool on);
int fd_set_cloexec(int fd, bool on);
/* Write all of buf, retrying EINTR and waiting (poll) on EAGAIN.  Returns 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);
/* The same; *ret_done: the bytes written, also when it fails. */
int write_all_progress(int fd, const void *buf, size_t len, size_t *ret_done);
/* Read until len bytes, EOF or an error; retries EINTR.  Returns bytes read or -errno. */
ssize_t read_full(int fd, void *buf, size_t len);
/* Parse a decimal fd number from a string (the whole string).  Returns fd or -EINVAL. */
int fd_parse(const char *s);
