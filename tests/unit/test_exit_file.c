/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for exit_file.c (interface.md §9): the wait-status mapping of §9.2 on real children,
 * the atomic exit file of §9.1 in a g_mkdtemp directory, and the exit command's status (§9.4).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <yajl/yajl_tree.h>

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

	if (!exit_file_write(f->dir, "0123456789abcdef", status, false, -1, &error))
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
	assert_true(exit_file_write(f->dir, "exit", 7, true, -1, &error));
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

	assert_false(exit_file_write(missing, "cid", 3, false, -1, &error));
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

/* ---- the exit record (--exit-json, man/exit-record.schema.json) ------------------------------- */

/* The schema's keys, in the man page's order. */
static const char *const record_keys[] = {
	"version",   "exit_code",     "signaled",     "signal",	      "oom_killed",    "oom_kill_count",
	"timed_out", "start_time_ns", "exit_time_ns", "bytes_logged", "bytes_dropped",
};

/* What one record must contain; signal 0 means JSON null. */
typedef struct WantRecord {
	long long exit_code;
	bool signaled;
	long long signal;
	bool oom_killed;
	long long oom_kill_count;
	bool timed_out;
	long long start_time_ns, exit_time_ns;
	long long logged[2], dropped[2];
} WantRecord;

static yajl_val record_get(yajl_val obj, const char *key)
{
	const char *path[] = {key, NULL};
	yajl_val v = yajl_tree_get(obj, path, yajl_t_any);

	if (v == NULL)
		fail_msg("exit record has no \"%s\"", key);
	return v;
}

static void check_int(yajl_val obj, const char *key, long long want)
{
	yajl_val v = record_get(obj, key);

	if (!YAJL_IS_INTEGER(v))
		fail_msg("\"%s\" is not an integer", key);
	if (YAJL_GET_INTEGER(v) != want)
		fail_msg("\"%s\" is %lld, expected %lld", key, YAJL_GET_INTEGER(v), want);
}

static void check_bool(yajl_val obj, const char *key, bool want)
{
	yajl_val v = record_get(obj, key);

	if (!(want ? YAJL_IS_TRUE(v) : YAJL_IS_FALSE(v)))
		fail_msg("\"%s\" is not %s", key, want ? "true" : "false");
}

/* A {"stdout": N, "stderr": N} object with exactly those keys. */
static void check_streams(yajl_val obj, const char *key, const long long want[2])
{
	yajl_val v = record_get(obj, key);

	if (!YAJL_IS_OBJECT(v))
		fail_msg("\"%s\" is not an object", key);
	assert_int_equal(v->u.object.len, 2);
	check_int(v, "stdout", want[0]);
	check_int(v, "stderr", want[1]);
}

static void check_record(const ExitRecord *rec, const WantRecord *want)
{
	size_t len = 12345;
	g_autofree char *json = exit_record_to_json(rec, &len);
	char err[256] = "";

	assert_non_null(json);
	/* one line: the length covers the text and its single newline */
	assert_int_equal(len, strlen(json));
	assert_true(len > 2 && json[len - 1] == '\n');
	assert_null(memchr(json, '\n', len - 1));

	yajl_val obj = yajl_tree_parse(json, err, sizeof(err));
	if (obj == NULL)
		fail_msg("exit record is not JSON (%s): %s", err, json);
	if (!YAJL_IS_OBJECT(obj)) {
		yajl_tree_free(obj);
		fail_msg("exit record is not an object: %s", json);
	}
	/* exactly the schema's keys (additionalProperties: false), in the documented order */
	assert_int_equal(obj->u.object.len, G_N_ELEMENTS(record_keys));
	for (size_t i = 0; i < G_N_ELEMENTS(record_keys); i++)
		assert_string_equal(obj->u.object.keys[i], record_keys[i]);

	check_int(obj, "version", 1);
	check_int(obj, "exit_code", want->exit_code);
	check_bool(obj, "signaled", want->signaled);
	if (want->signal == 0)
		assert_true(YAJL_IS_NULL(record_get(obj, "signal")));
	else
		check_int(obj, "signal", want->signal);
	check_bool(obj, "oom_killed", want->oom_killed);
	check_int(obj, "oom_kill_count", want->oom_kill_count);
	check_bool(obj, "timed_out", want->timed_out);
	check_int(obj, "start_time_ns", want->start_time_ns);
	check_int(obj, "exit_time_ns", want->exit_time_ns);
	check_streams(obj, "bytes_logged", want->logged);
	check_streams(obj, "bytes_dropped", want->dropped);
	yajl_tree_free(obj);
}

/* 2026-11-23T04:54:06Z in ns: beyond 2^53, so a double would lose digits */
#define T_START 1795409646917765952LL
#define T_EXIT	1795409649000000001LL

static void test_record_normal_exit(void **state)
{
	const ExitRecord rec = {
		.exit_code = 3,
		.start_time_ns = T_START,
		.exit_time_ns = T_EXIT,
		.bytes_logged = {12, 7},
	};
	const WantRecord want = {
		.exit_code = 3,
		.start_time_ns = T_START,
		.exit_time_ns = T_EXIT,
		.logged = {12, 7},
	};

	check_record(&rec, &want);
}

static void test_record_zero_exit(void **state)
{
	const ExitRecord rec = {0};
	const WantRecord want = {0};

	check_record(&rec, &want);
}

/* runc kill KILL: 137, signaled, signal 9. */
static void test_record_signal(void **state)
{
	const ExitRecord rec = {
		.exit_code = 137,
		.signal = 9,
		.start_time_ns = T_START,
		.exit_time_ns = T_EXIT,
		.bytes_logged = {0, 4096},
	};
	const WantRecord want = {
		.exit_code = 137,
		.signaled = true,
		.signal = 9,
		.start_time_ns = T_START,
		.exit_time_ns = T_EXIT,
		.logged = {0, 4096},
	};

	check_record(&rec, &want);
}

/* The kernel's OOM killer: SIGKILL plus the OOM fields. */
static void test_record_oom_kill(void **state)
{
	const ExitRecord rec = {
		.exit_code = 137,
		.signal = 9,
		.oom_killed = true,
		.oom_kill_count = 2,
		.start_time_ns = T_START,
		.exit_time_ns = T_EXIT,
	};
	const WantRecord want = {
		.exit_code = 137,
		.signaled = true,
		.signal = 9,
		.oom_killed = true,
		.oom_kill_count = 2,
		.start_time_ns = T_START,
		.exit_time_ns = T_EXIT,
	};

	check_record(&rec, &want);
}

/* --timeout: exit code -1, timed_out, no signal reported. */
static void test_record_timeout(void **state)
{
	const ExitRecord rec = {
		.exit_code = -1,
		.timed_out = true,
		.start_time_ns = T_START,
		.exit_time_ns = T_EXIT,
		.bytes_logged = {5, 0},
		.bytes_dropped = {1, 0},
	};
	const WantRecord want = {
		.exit_code = -1,
		.timed_out = true,
		.start_time_ns = T_START,
		.exit_time_ns = T_EXIT,
		.logged = {5, 0},
		.dropped = {1, 0},
	};

	check_record(&rec, &want);
}

/* Large byte counters (beyond 32 bits) and the dropped counters per stream. */
static void test_record_big_counters(void **state)
{
	const ExitRecord rec = {
		.exit_code = 255,
		.start_time_ns = T_START,
		.exit_time_ns = T_EXIT,
		.bytes_logged = {10000000000ULL, 3},
		.bytes_dropped = {9999000000ULL, 2},
	};
	const WantRecord want = {
		.exit_code = 255,
		.start_time_ns = T_START,
		.exit_time_ns = T_EXIT,
		.logged = {10000000000LL, 3},
		.dropped = {9999000000LL, 2},
	};

	check_record(&rec, &want);
}

/* ret_len may be NULL. */
static void test_record_no_len(void **state)
{
	const ExitRecord rec = {.exit_code = 1};
	g_autofree char *json = exit_record_to_json(&rec, NULL);

	assert_non_null(json);
	assert_true(g_str_has_prefix(json, "{\"version\":1,\"exit_code\":1,"));
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
		cmocka_unit_test(test_record_normal_exit),
		cmocka_unit_test(test_record_zero_exit),
		cmocka_unit_test(test_record_signal),
		cmocka_unit_test(test_record_oom_kill),
		cmocka_unit_test(test_record_timeout),
		cmocka_unit_test(test_record_big_counters),
		cmocka_unit_test(test_record_no_len),
	};

	umask(022);
	return cmocka_run_group_tests_name("exit_file", tests, NULL, NULL);
}
