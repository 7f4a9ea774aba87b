/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for exit_file.c (interface.md §9): the wait-status mapping of §9.2 on real children,
 * the atomic exit file of §9.1 in a g_mkdtemp directory, and the exit command's status (§9.4).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "exit_file.h"
#include "unit.h"

/* ---- §9.2 status mapping --------------------------------------------------------------------- */

/* Fork a child that ends the given way and return its real wait status. */
static int child_status(int exit_code, int sig)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (sig) {
			signal(sig, SIG_DFL);
			raise(sig);
		}
		_exit(exit_code);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_status_exit_codes(void **state)
{
	static const int codes[] = {0, 1, 3, 7, 125, 126, 127, 128, 255};

	for (size_t i = 0; i < G_N_ELEMENTS(codes); i++)
		assert_int_equal(exit_status_from_wait(child_status(codes[i], 0)), codes[i]);
}

/* Killed by signal n -> 128 + n (runc kill KILL -> 137). */
static void test_status_signals(void **state)
{
	assert_int_equal(exit_status_from_wait(child_status(0, SIGKILL)), 137);
	assert_int_equal(exit_status_from_wait(child_status(0, SIGTERM)), 143);
	assert_int_equal(exit_status_from_wait(child_status(0, SIGINT)), 130);
	assert_int_equal(exit_status_from_wait(child_status(0, SIGHUP)), 129);
	assert_int_equal(exit_status_from_wait(child_status(0, SIGUSR1)), 128 + SIGUSR1);
}

/* A core-dumping signal maps the same way (the core flag is not part of the number). */
static void test_status_core_dump_flag(void **state)
{
	/* the kernel's encoding: termsig in the low 7 bits, 0x80 = core dumped */
	assert_int_equal(exit_status_from_wait(SIGSEGV | 0x80), 128 + SIGSEGV);
	assert_int_equal(exit_status_from_wait(SIGABRT), 128 + SIGABRT);
	/* exit code in bits 8..15 */
	assert_int_equal(exit_status_from_wait(42 << 8), 42);
}

/* ---- §9.1 exit files ------------------------------------------------------------------------- */

typedef UnitDir Fixture;

static int fixture_setup(void **state)
{
	*state = unit_dir_new(NULL);
	return 0;
}

static int fixture_teardown(void **state)
{
	unit_dir_free(*state);
	return 0;
}

static void check_exit_file(const Fixture *f, int status, const char *want)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(f->dir, "0123456789abcdef", NULL);
	g_autofree char *got = NULL;
	g_autofree char *names = NULL;
	size_t len;

	if (!exit_file_write(f->dir, "0123456789abcdef", status, &error))
		fail_msg("exit_file_write: %s", error->message);
	got = unit_read_file(path, &len);
	/* decimal, no newline */
	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
	assert_int_equal(unit_file_mode(path), 0644);
	/* atomic: nothing but the file itself in the directory */
	names = unit_list_dir(f->dir);
	assert_string_equal(names, "0123456789abcdef");
}

static void test_exit_file_values(void **state)
{
	Fixture *f = *state;

	check_exit_file(f, 0, "0");
	check_exit_file(f, 3, "3");
	check_exit_file(f, 137, "137");
	check_exit_file(f, 255, "255");
	check_exit_file(f, -1, "-1");
}

/* Replacing an existing exit file goes through rename: a new inode (IN_MOVED_TO for watchers). */
static void test_exit_file_replaced_atomically(void **state)
{
	Fixture *f = *state;
	g_autofree char *path = g_build_filename(f->dir, "exit", NULL);
	g_autoptr(GError) error = NULL;
	struct stat before, after;

	unit_write_file(path, "old content\n", 0600);
	assert_int_equal(stat(path, &before), 0);
	assert_true(exit_file_write(f->dir, "exit", 7, &error));
	assert_int_equal(stat(path, &after), 0);
	assert_true(before.st_ino != after.st_ino);
	g_autofree char *got = unit_read_file(path, NULL);
	assert_string_equal(got, "7");
	assert_int_equal(after.st_mode & 07777, 0644);
	g_autofree char *names = unit_list_dir(f->dir);
	assert_string_equal(names, "exit");
}

/* A write failure names the status and the errno text (§9.1: "Failed to write <s> to exit file: <err>"). */
static void test_exit_file_failure(void **state)
{
	Fixture *f = *state;
	g_autofree char *missing = g_build_filename(f->dir, "no-such-dir", NULL);
	g_autoptr(GError) error = NULL;

	assert_false(exit_file_write(missing, "cid", 3, &error));
	assert_non_null(error);
	assert_true(g_str_has_prefix(error->message, "Failed to write 3 to exit file"));
	assert_true(g_str_has_suffix(error->message, ": No such file or directory"));
	assert_false(unit_exists(missing));
	g_autofree char *names = unit_list_dir(f->dir);
	assert_string_equal(names, "");
}

/* ---- §9.4 exit command ----------------------------------------------------------------------- */

static void test_exit_command_status(void **state)
{
	char *const args[] = {"-c", "exit 3", NULL};
	const ExitCommand cmd = {.path = "/bin/sh", .args = args};

	assert_int_equal(exit_command_run(&cmd), 3);
}

static void test_exit_command_args_no_shell(void **state)
{
	Fixture *f = *state;
	g_autofree char *out = g_build_filename(f->dir, "args", NULL);
	/* argv[1..] reach the program unchanged, no word splitting or globbing */
	char *const args[] = {"-c", "printf '%s|' \"$@\" > \"$0\"", out, "a b", "*", "--root", NULL};
	const ExitCommand cmd = {.path = "/bin/sh", .args = args};

	assert_int_equal(exit_command_run(&cmd), 0);
	g_autofree char *got = unit_read_file(out, NULL);
	assert_string_equal(got, "a b|*|--root|");
}

/* execv, no PATH search: a bare name cannot be run, and that is exit status 1. */
static void test_exit_command_exec_failure(void **state)
{
	const ExitCommand cmd = {.path = "true"};

	assert_int_equal(exit_command_run(&cmd), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_exit_codes),
		cmocka_unit_test(test_status_signals),
		cmocka_unit_test(test_status_core_dump_flag),
		cmocka_unit_test_setup_teardown(test_exit_file_values, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_exit_file_replaced_atomically, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_exit_file_failure, fixture_setup, fixture_teardown),
		cmocka_unit_test(test_exit_command_status),
		cmocka_unit_test_setup_teardown(test_exit_command_args_no_shell, fixture_setup, fixture_teardown),
		cmocka_unit_test(test_exit_command_exec_failure),
	};

	umask(022);
	return cmocka_run_group_tests_name("exit_file", tests, NULL, NULL);
}
