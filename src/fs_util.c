/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_util: atomic_write_file() and read_small_file().
 */
#include "fs_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd_util.h"

int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	g_autofree char *tmp = g_strconcat(path, ".XXXXXX", NULL);
	cleanup_close int fd = -1;
	int r;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, mode & ~mask) < 0)
		goto fail;
	r = write_all(fd, data, len);
	if (r < 0) {
		errno = -r;
		goto fail;
	}
	if (fsync(fd) < 0 || rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	r = -errno;
	(void)unlink(tmp);
	return r;
}

int read_small_file(const char *path, size_t max, char **ret)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	g_autofree char *buf = g_malloc(max + 1);
	ssize_t n = read_full(fd, buf, max);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	*ret = g_steal_pointer(&buf);
	return 0;
}
