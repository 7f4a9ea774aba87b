/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_util: atomic_write_file() and read_small_file().
 */
#include "fs_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd_util.h"

int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode, bool durable)
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
	if ((durable && fsync(fd) < 0) || rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	r = -errno;
	(void)unlink(tmp);
	return r;
}

int prepared_file_open(const char *dir, mode_t mode)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);

	return fd < 0 ? -errno : fd;
}

int prepared_file_commit(int fd, const char *path, const void *data, size_t len, bool durable)
{
	static unsigned counter;
	char proc[32];
	int r;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	r = write_all(fd, data, len);
	if (r < 0)
		return r;
	if (durable && fsync(fd) < 0)
		return -errno;
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	for (int attempt = 0; attempt < 16; attempt++) {
		g_autofree char *tmp = g_strdup_printf("%s.%d.%u", path, (int)getpid(), counter++);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) < 0) {
			if (errno == EEXIST)
				continue;
			return -errno;
		}
		if (rename(tmp, path) < 0) {
			r = -errno;
			(void)unlink(tmp);
			return r;
		}
		return 0;
	}
	return -EEXIST;
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

static bool path_has_symlink(const char *dir)
{
	g_autofree char *copy = g_strdup(dir);
	struct stat st;

	for (char *p = copy + 1;; p++) {
		bool end = *p == '\0';
		if (*p == '/' || end) {
			char saved = *p;
			*p = '\0';
			if (lstat(copy, &st) < 0 || S_ISLNK(st.st_mode))
				return true;
			*p = saved;
		}
		if (end)
			return false;
	}
}

static bool path_in_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || (n == 1 && dir[0] == '/'));
}

int log_path_check(const char *path, int fd, char *const *allowlist, uid_t uid, const char **ret_why)
{
	struct stat st, fst;

#define REFUSE(e, why)          \
	do {                    \
		*ret_why = why; \
		return -(e);    \
	} while (0)
	if (strlen(path) >= PATH_MAX)
		REFUSE(ENAMETOOLONG, "the path is too long");
	if (strstr(path, "../") || strstr(path, "/.."))
		REFUSE(EINVAL, "the path contains '..'");
	if (allowlist && allowlist[0]) {
		bool ok = false;
		for (char *const *d = allowlist; *d && !ok; d++)
			ok = path_in_dir(path, *d);
		if (!ok)
			REFUSE(EPERM, "the path is outside every --log-allowlist-dir");
	}
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			REFUSE(ELOOP, "the log file is a symlink");
		if (fd >= 0 && (fstat(fd, &fst) < 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino))
			REFUSE(ESTALE, "the open log file is no longer the file at the path");
		return 0;
	}
	g_autofree char *dir = g_path_get_dirname(path);
	if (stat(dir, &st) < 0)
		REFUSE(errno, "the log directory cannot be read");
	if (st.st_mode & S_IWOTH)
		REFUSE(EPERM, "the log directory is world-writable");
	if (st.st_uid != 0 && st.st_uid != uid)
		REFUSE(EPERM, "the log directory has another owner");
	if (path_has_symlink(dir))
		REFUSE(ELOOP, "the log directory path has a symlink");
	return 0;
#undef REFUSE
}
