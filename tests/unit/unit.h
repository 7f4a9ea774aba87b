/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unit: small helpers shared by the cmocka unit tests (temporary directories, whole-file reads).
 * It includes what <cmocka.h> needs before it (<setjmp.h>, <stdarg.h>, <stddef.h>), so tests may
 * include it in any order.
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>

/* A fresh private directory under $TMPDIR; caller frees the path and removes it with unit_rm_dir(). */
static inline char *unit_mkdtemp(void)
{
	g_autofree char *tmpl = g_build_filename(g_get_tmp_dir(), "vigil-unit-XXXXXX", NULL);
	char *dir = g_mkdtemp(tmpl);

	assert_non_null(dir);
	return g_steal_pointer(&tmpl);
}

/* Remove a directory and the plain entries in it (tests never create subdirectories in it). */
static inline void unit_rm_dir(const char *dir)
{
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		g_autofree char *p = g_build_filename(dir, e->d_name, NULL);
		if (unlink(p) < 0)
			(void)rmdir(p);
	}
	closedir(d);
	(void)rmdir(dir);
}

/* The fixture of the tests that work on real files: a g_mkdtemp directory and one path in it. */
typedef struct UnitDir {
	char *dir;
	char *path; /* dir/name, or NULL */
} UnitDir;

static inline UnitDir *unit_dir_new(const char *name)
{
	UnitDir *d = g_new0(UnitDir, 1);

	d->dir = unit_mkdtemp();
	d->path = name ? g_build_filename(d->dir, name, NULL) : NULL;
	return d;
}

static inline void unit_dir_free(UnitDir *d)
{
	unit_rm_dir(d->dir);
	g_free(d->dir);
	g_free(d->path);
	g_free(d);
}

static inline int unit_cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted names in dir, joined with ",": "a,a.1,b".  Caller frees. */
static inline char *unit_list_dir(const char *dir)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	DIR *d = opendir(dir);

	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			g_ptr_array_add(names, g_strdup(e->d_name));
	closedir(d);
	g_ptr_array_sort(names, unit_cmp_names);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(",", (char **)names->pdata);
}

/* Whole file contents (may contain NULs); *ret_len gets the length.  Fails the test if unreadable. */
static inline char *unit_read_file(const char *path, size_t *ret_len)
{
	g_autoptr(GError) error = NULL;
	char *buf = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &buf, &len, &error))
		fail_msg("cannot read '%s': %s", path, error->message);
	if (ret_len)
		*ret_len = len;
	return buf;
}

static inline void unit_write_file(const char *path, const char *data, mode_t mode)
{
	g_autoptr(GError) error = NULL;

	if (!g_file_set_contents(path, data, -1, &error))
		fail_msg("cannot write '%s': %s", path, error->message);
	assert_int_equal(chmod(path, mode), 0);
}

static inline mode_t unit_file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static inline bool unit_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}
