/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fd_util: close/take helpers, flag toggles and full-write/read loops.
 */
#include "fd_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void)close(*fd); /* never retried: on Linux the fd is gone even on EINTR */
		errno = saved;
	}
	*fd = -1;
}

static int fd_toggle_flag(int fd, int get, int set, int flag, bool on)
{
	int flags = fcntl(fd, get);
	if (flags < 0)
		return -errno;
	int nflags = on ? (flags | flag) : (flags & ~flag);
	if (nflags != flags && fcntl(fd, set, nflags) < 0)
		return -errno;
	return 0;
}

int fd_set_nonblock(int fd, bool on)
{
	return fd_toggle_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

int fd_set_cloexec(int fd, bool on)
{
	return fd_toggle_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

int write_all(int fd, const void *buf, size_t len)
{
	size_t done;

	return write_all_progress(fd, buf, len, &done);
}

int write_all_progress(int fd, const void *buf, size_t len, size_t *ret_done)
{
	const char *p = buf;

	*ret_done = 0;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS) {
				struct pollfd pfd = {.fd = fd, .events = POLLOUT};
				if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
					return -errno;
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
		*ret_done += (size_t)n;
	}
	return 0;
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int fd_parse(const char *s)
{
	char *end = NULL;
	long v;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > INT_MAX)
		return -EINVAL;
	return (int)v;
}
