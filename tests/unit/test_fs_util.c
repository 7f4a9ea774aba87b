/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for fs_util.c in a g_mkdtemp directory: atomic_write_file (content, modes under umask,
 * replacement by rename, no temporary files left on success or failure), prepared files (O_TMPFILE
 * made early, named at commit) and read_small_file.
 */
#include <fcntl.h>
#include <unistd.h>

#include "fs_util.h"
#include "unit.h"

typedef UnitDir Fixture;

static int fixture_setup(void **state)
{
	*state = unit_dir_new("file");
	return 0;
}

static int fixture_teardown(void **state)
{
	unit_dir_free(*state);
	return 0;
}

static void assert_only_file(const Fixture *f)
{
	g_autofree char *names = unit_list_dir(f->dir);

	assert_string_equal(names, "file");
}

static void test_content(void **state)
{
	Fixture *f = *state;
	size_t len;

	assert_int_equal(atomic_write_file(f->path, "12345", 5, 0644, true), 0);
	g_autofree char *got = unit_read_file(f->path, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(got, "12345", 5);
	assert_only_file(f);
}

/* The conmon pid file and exit files carry no newline; binary content is written as is. */
static void test_binary_and_empty(void **state)
{
	Fixture *f = *state;
	static const char bin[] = {'a', '\0', '\n', '\xff', 'z'};
	size_t len;

	assert_int_equal(atomic_write_file(f->path, bin, sizeof(bin), 0644, true), 0);
	g_autofree char *got = unit_read_file(f->path, &len);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(got, bin, sizeof(bin));

	assert_int_equal(atomic_write_file(f->path, "", 0, 0644, true), 0);
	g_autofree char *empty = unit_read_file(f->path, &len);
	assert_int_equal(len, 0);
	assert_string_equal(empty, "");
	assert_only_file(f);
}

static void test_large(void **state)
{
	Fixture *f = *state;
	const size_t n = 3 * 1024 * 1024 + 7;
	g_autofree char *data = g_malloc(n);
	size_t len;

	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i % 251);
	assert_int_equal(atomic_write_file(f->path, data, n, 0644, true), 0);
	g_autofree char *got = unit_read_file(f->path, &len);
	assert_int_equal(len, n);
	assert_memory_equal(got, data, n);
	assert_only_file(f);
}

/* mode & ~umask, as open(O_CREAT) would give. */
static void test_modes(void **state)
{
	static const struct {
		mode_t umask;
		mode_t mode;
		mode_t want;
	} cases[] = {
		{022, 0644, 0644}, {022, 0666, 0644}, {022, 0600, 0600}, {077, 0644, 0600},
		{0, 0666, 0666},   {027, 0666, 0640}, {022, 0640, 0640},
	};
	Fixture *f = *state;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		umask(cases[i].umask);
		assert_int_equal(atomic_write_file(f->path, "x", 1, cases[i].mode, false), 0);
		umask(022);
		if (unit_file_mode(f->path) != cases[i].want)
			fail_msg("umask %03o mode %03o: got %03o, expected %03o", cases[i].umask, cases[i].mode,
				 unit_file_mode(f->path), cases[i].want);
	}
	assert_only_file(f);
}

/* An existing file is replaced by rename: new inode, old readers keep the old content. */
static void test_replace(void **state)
{
	Fixture *f = *state;
	struct stat before, after;
	FILE *old;
	char buf[16] = "";

	unit_write_file(f->path, "old", 0600);
	assert_int_equal(stat(f->path, &before), 0);
	old = fopen(f->path, "r");
	assert_non_null(old);
	assert_int_equal(atomic_write_file(f->path, "new", 3, 0644, true), 0);
	assert_int_equal(stat(f->path, &after), 0);
	assert_true(before.st_ino != after.st_ino);
	assert_int_equal(after.st_mode & 07777, 0644);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, old), 3);
	assert_string_equal(buf, "old");
	fclose(old);
	g_autofree char *got = unit_read_file(f->path, NULL);
	assert_string_equal(got, "new");
	assert_only_file(f);
}

/* A missing directory: -ENOENT and nothing created anywhere. */
static void test_missing_dir(void **state)
{
	Fixture *f = *state;
	g_autofree char *path = g_build_filename(f->dir, "missing", "file", NULL);

	assert_int_equal(atomic_write_file(path, "x", 1, 0644, true), -ENOENT);
	g_autofree char *names = unit_list_dir(f->dir);
	assert_string_equal(names, "");
}

/* The rename fails (the target is a non-empty directory): an error, and the temporary file is gone. */
static void test_rename_failure_cleans_up(void **state)
{
	Fixture *f = *state;
	g_autofree char *inner = g_build_filename(f->path, "keep", NULL);
	int r;

	assert_int_equal(mkdir(f->path, 0755), 0);
	unit_write_file(inner, "x", 0644);
	r = atomic_write_file(f->path, "data", 4, 0644, true);
	assert_true(r == -EISDIR || r == -ENOTEMPTY || r == -EEXIST);
	g_autofree char *names = unit_list_dir(f->dir);
	assert_string_equal(names, "file");
	assert_int_equal(unlink(inner), 0);
	assert_int_equal(rmdir(f->path), 0);
}

/* A prepared file is invisible until committed, then holds exactly the data with its mode. */
static void test_prepared_commit(void **state)
{
	Fixture *f = *state;
	struct stat st;
	int fd = prepared_file_open(f->dir, 0644);

	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	g_autofree char *before = unit_list_dir(f->dir);
	assert_string_equal(before, "");
	assert_int_equal(prepared_file_commit(fd, f->path, "137", 3, false), 0);
	g_autofree char *got = unit_read_file(f->path, NULL);
	assert_string_equal(got, "137");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_nlink, 1);
	assert_only_file(f);
	(void)close(fd);
}

/* An existing file is replaced atomically (a reader never sees it missing or empty); no temporary left. */
static void test_prepared_replaces(void **state)
{
	Fixture *f = *state;
	FILE *old;
	char buf[16] = "";
	int fd = prepared_file_open(f->dir, 0644);

	assert_true(fd >= 0);
	unit_write_file(f->path, "old", 0600);
	old = fopen(f->path, "r");
	assert_non_null(old);
	assert_int_equal(prepared_file_commit(fd, f->path, "0", 1, true), 0);
	g_autofree char *got = unit_read_file(f->path, NULL);
	assert_string_equal(got, "0");
	assert_int_equal(unit_file_mode(f->path), 0644);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, old), 3);
	assert_string_equal(buf, "old");
	fclose(old);
	assert_only_file(f);
	(void)close(fd);
}

/* Never committed: nothing is left.  A missing directory: -ENOENT.  A name in a missing directory
 * at commit: an error, nothing created. */
static void test_prepared_failures(void **state)
{
	Fixture *f = *state;
	g_autofree char *missing = g_build_filename(f->dir, "missing", NULL);
	g_autofree char *missing_file = g_build_filename(f->dir, "missing", "file", NULL);
	int fd = prepared_file_open(f->dir, 0644);

	assert_true(fd >= 0);
	(void)close(fd);
	g_autofree char *names = unit_list_dir(f->dir);
	assert_string_equal(names, "");
	assert_int_equal(prepared_file_open(missing, 0644), -ENOENT);
	fd = prepared_file_open(f->dir, 0644);
	assert_true(fd >= 0);
	assert_int_equal(prepared_file_commit(fd, missing_file, "1", 1, false), -ENOENT);
	(void)close(fd);
	g_autofree char *after = unit_list_dir(f->dir);
	assert_string_equal(after, "");
}

static void test_read_small_file(void **state)
{
	Fixture *f = *state;
	g_autofree char *missing = g_build_filename(f->dir, "missing", NULL);
	char *got = NULL;

	unit_write_file(f->path, "12345\n", 0644);
	assert_int_equal(read_small_file(f->path, 64, &got), 0);
	assert_string_equal(got, "12345\n");
	g_free(got);
	got = NULL;
	/* at most max bytes, NUL-terminated */
	assert_int_equal(read_small_file(f->path, 3, &got), 0);
	assert_string_equal(got, "123");
	g_free(got);
	got = NULL;
	assert_int_equal(read_small_file(missing, 64, &got), -ENOENT);
	assert_null(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_content, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_binary_and_empty, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_large, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_modes, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_replace, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rename_failure_cleans_up, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_prepared_commit, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_prepared_replaces, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_prepared_failures, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_read_small_file, fixture_setup, fixture_teardown),
	};

	umask(022);
	return cmocka_run_group_tests_name("fs_util", tests, NULL, NULL);
}
