/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for diag.c (interface.md §8.7): --log-level names, the return convention of
 * diag_log(), level filtering and the conmon-style stderr prefixes.
 */
#include <fcntl.h>

#include "diag.h"
#include "unit.h"

typedef struct LevelCase {
	const char *name;
	int want; /* a DiagLevel, or -1 for -EINVAL */
} LevelCase;

static const LevelCase level_cases[] = {
	{"error", DIAG_ERROR},
	{"fatal", DIAG_ERROR},
	{"panic", DIAG_ERROR},
	{"warn", DIAG_WARN},
	{"warning", DIAG_WARN},
	{"info", DIAG_INFO},
	{"debug", DIAG_DEBUG},
	{"trace", DIAG_TRACE},
	/* case-insensitive */
	{"ERROR", DIAG_ERROR},
	{"Fatal", DIAG_ERROR},
	{"PANIC", DIAG_ERROR},
	{"Warning", DIAG_WARN},
	{"WARN", DIAG_WARN},
	{"Info", DIAG_INFO},
	{"DeBuG", DIAG_DEBUG},
	{"TRACE", DIAG_TRACE},
	/* anything else is fatal */
	{"", -1},
	{"err", -1},
	{"verbose", -1},
	{"warn ", -1},
	{" info", -1},
	{"debug2", -1},
	{"0", -1},
	{"notice", -1},
};

static void test_parse_level(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(level_cases); i++) {
		DiagLevel level = (DiagLevel)77;
		int r = diag_parse_level(level_cases[i].name, &level);
		bool ok = level_cases[i].want < 0 ? r == -EINVAL && level == (DiagLevel)77
						  : r == 0 && (int)level == level_cases[i].want;
		if (!ok) {
			print_message("# '%s': r=%d level=%d, expected %d\n", level_cases[i].name, r, (int)level,
				      level_cases[i].want);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* Run fn with stderr captured; returns what it printed. */
static char *capture_stderr(void (*fn)(void))
{
	g_autofree char *tmpl = g_build_filename(g_get_tmp_dir(), "vigil-diag-XXXXXX", NULL);
	int fd = g_mkstemp(tmpl);
	int saved;
	g_autofree char *out = NULL;

	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	fn();
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(fd);
	out = unit_read_file(tmpl, NULL);
	unlink(tmpl);
	return g_steal_pointer(&out);
}

static void emit_all(void)
{
	diag_error("e %d", 1);
	diag_warn("w %s", "two");
	diag_info("i");
	diag_debug("d");
	diag_trace("t");
}

static void emit_errno(void)
{
	(void)diag_error_errno(ENOENT, "Failed to open '%s'", "/x");
	(void)diag_warn_errno(-EPIPE, "Failed to write");
}

static void test_default_level_warn(void **state)
{
	diag_set_level(DIAG_WARN);
	g_autofree char *out = capture_stderr(emit_all);

	assert_string_equal(out, "[conmon:e]: e 1\n[conmon:w]: w two\n");
}

static void test_level_error_only(void **state)
{
	diag_set_level(DIAG_ERROR);
	g_autofree char *out = capture_stderr(emit_all);

	assert_string_equal(out, "[conmon:e]: e 1\n");
	diag_set_level(DIAG_WARN);
}

static void test_level_debug(void **state)
{
	diag_set_level(DIAG_DEBUG);
	g_autofree char *out = capture_stderr(emit_all);

	assert_string_equal(out, "[conmon:e]: e 1\n[conmon:w]: w two\n[conmon:i]: i\n[conmon:d]: d\n");
	diag_set_level(DIAG_WARN);
}

/* trace prints debug and trace messages with the [conmon:d] prefix (the source location may follow). */
static void test_level_trace(void **state)
{
	diag_set_level(DIAG_TRACE);
	g_autofree char *out = capture_stderr(emit_all);
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);

	diag_set_level(DIAG_WARN);
	assert_int_equal(g_strv_length(lines), 6);
	assert_true(g_str_has_prefix(lines[0], "[conmon:e]: e 1"));
	assert_true(g_str_has_prefix(lines[1], "[conmon:w]: w two"));
	assert_true(g_str_has_prefix(lines[2], "[conmon:i]: i"));
	assert_true(g_str_has_prefix(lines[3], "[conmon:d]: d"));
	assert_true(g_str_has_prefix(lines[4], "[conmon:d]: t"));
	assert_string_equal(lines[5], "");
}

/* The errno text is appended; the sign of err does not matter. */
static void test_errno_text(void **state)
{
	diag_set_level(DIAG_WARN);
	g_autofree char *out = capture_stderr(emit_errno);

	assert_string_equal(out, "[conmon:e]: Failed to open '/x': No such file or directory\n"
				 "[conmon:w]: Failed to write: Broken pipe\n");
}

/* diag_log returns -abs(err), printed or not, and keeps errno. */
static void test_return_value(void **state)
{
	diag_set_level(DIAG_ERROR);
	errno = EXDEV;
	assert_int_equal(diag_debug_errno(EIO, "quiet"), -EIO);
	assert_int_equal(diag_debug_errno(-EIO, "quiet"), -EIO);
	assert_int_equal(diag_debug("quiet"), 0);
	assert_int_equal(errno, EXDEV);
	diag_set_level(DIAG_WARN);
	assert_int_equal(diag_get_level(), DIAG_WARN);
}

static void test_error_quark(void **state)
{
	assert_true(VIGIL_ERROR != 0);
	assert_true(VIGIL_ERROR == vigil_error_quark());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_level),	 cmocka_unit_test(test_default_level_warn),
		cmocka_unit_test(test_level_error_only), cmocka_unit_test(test_level_debug),
		cmocka_unit_test(test_level_trace),	 cmocka_unit_test(test_errno_text),
		cmocka_unit_test(test_return_value),	 cmocka_unit_test(test_error_quark),
	};

	return cmocka_run_group_tests_name("diag", tests, NULL, NULL);
}
