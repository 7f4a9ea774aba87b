/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for sync_msg.c: the sync-pipe records of interface.md §4.4 (keys, exact bytes, JSON
 * escaping), checked byte for byte and through yajl's own parser.
 */
#include <limits.h>

#include <yajl/yajl_tree.h>

#include "sync_msg.h"
#include "unit.h"

typedef struct yajl_val_s YajlVal;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(YajlVal, yajl_tree_free)

static void test_keys(void **state)
{
	assert_string_equal(sync_msg_key(true, false), "data");
	assert_string_equal(sync_msg_key(true, true), "data");
	assert_string_equal(sync_msg_key(false, false), "pid");
	assert_string_equal(sync_msg_key(false, true), "exit_code");
}

/* Build and compare with the exact bytes; ret_len must be the byte count. */
static void check_build(const char *key, int value, const char *msg, size_t len, const char *want)
{
	size_t got_len = 0;
	g_autofree char *got = sync_msg_build(key, value, msg, len, &got_len);

	assert_string_equal(got, want);
	assert_int_equal(got_len, strlen(want));
}

static void test_exact_records(void **state)
{
	check_build("data", 123, NULL, 0, "{\"data\": 123}\n");
	check_build("pid", 5, NULL, 0, "{\"pid\": 5}\n");
	check_build("exit_code", -1, "command timed out", 17,
		    "{\"exit_code\": -1, \"message\": \"command timed out\"}\n");
	check_build("data", -1, "command timed out", 17, "{\"data\": -1, \"message\": \"command timed out\"}\n");
	check_build("data", 0, NULL, 0, "{\"data\": 0}\n");
	check_build("exit_code", 137, NULL, 0, "{\"exit_code\": 137}\n");
	check_build("pid", -1, "Runtime did not set up terminal", 31,
		    "{\"pid\": -1, \"message\": \"Runtime did not set up terminal\"}\n");
	check_build("data", INT_MAX, NULL, 0, "{\"data\": 2147483647}\n");
	check_build("data", INT_MIN, NULL, 0, "{\"data\": -2147483648}\n");
}

/* 2.2.0+: an empty message is left out. */
static void test_empty_message_left_out(void **state)
{
	check_build("data", -1, "", 0, "{\"data\": -1}\n");
	check_build("pid", -1, "ignored", 0, "{\"pid\": -1}\n");
	check_build("pid", -1, NULL, 0, "{\"pid\": -1}\n");
}

static void test_ret_len_optional(void **state)
{
	g_autofree char *got = sync_msg_build("pid", 42, "x", 1, NULL);

	assert_string_equal(got, "{\"pid\": 42, \"message\": \"x\"}\n");
}

/* The escapes of §4.4 (main/2.2.x): backslash, quote, solidus; \n \r \t \b \f. */
static void test_escapes(void **state)
{
	static const char msg[] = "a\"b\\c/d\ne\tf\rg\bh\fi";

	check_build("data", -1, msg, sizeof(msg) - 1,
		    "{\"data\": -1, \"message\": \"a\\\"b\\\\c\\/d\\ne\\tf\\rg\\bh\\fi\"}\n");
}

/* The runtime's own error text, as podman sees it (checked on 2.1.6, escaping of 2.2.x). */
static void test_runtime_stderr_example(void **state)
{
	static const char msg[] = "exec failed: unable to start container process: exec: \"foo\": executable file "
				  "not found in $PATH\n";

	check_build("data", -1, msg, sizeof(msg) - 1,
		    "{\"data\": -1, \"message\": \"exec failed: unable to start container process: exec: \\\"foo\\\": "
		    "executable file not found in $PATH\\n\"}\n");
}

/* Build and compare with want, ignoring the case of ASCII letters (the hex digits of \u escapes). */
static bool build_matches_ci(const char *msg, size_t len, const char *want)
{
	g_autofree char *got = sync_msg_build("data", 1, msg, len, NULL);
	bool ok = g_ascii_strcasecmp(got, want) == 0;

	if (!ok)
		print_message("# got      %s# expected %s", got, want);
	return ok;
}

/* Other bytes < 0x20 become \u00XX (hex digits compared without regard to case). */
static void test_control_chars(void **state)
{
	static const char msg[] = "\x01\x07\x10\x19\x1b\x1f.";

	assert_true(build_matches_ci(msg, sizeof(msg) - 1,
				     "{\"data\": 1, \"message\": \"\\u0001\\u0007\\u0010\\u0019\\u001b\\u001f.\"}\n"));
}

/* §4.4: 0x7f becomes \u007f as well. */
static void test_del_escaped(void **state)
{
	assert_true(build_matches_ci("a\x7f", 2, "{\"data\": 1, \"message\": \"a\\u007f\"}\n"));
}

/* Parse a record with yajl; returns the tree and checks the single integer member. */
static YajlVal *parse_record(const char *line, const char *key, long long value)
{
	char err[256] = "";
	YajlVal *tree;
	const char *path[] = {key, NULL};
	YajlVal *v;

	assert_true(g_str_has_suffix(line, "}\n"));
	tree = yajl_tree_parse(line, err, sizeof(err));
	if (tree == NULL)
		fail_msg("yajl rejected %s: %s", line, err);
	assert_true(YAJL_IS_OBJECT(tree));
	v = yajl_tree_get(tree, path, yajl_t_number);
	assert_non_null(v);
	assert_true(YAJL_IS_INTEGER(v));
	assert_true(YAJL_GET_INTEGER(v) == value);
	return tree;
}

static const char *message_of(YajlVal *tree)
{
	const char *path[] = {"message", NULL};
	YajlVal *v = yajl_tree_get(tree, path, yajl_t_string);

	assert_non_null(v);
	return YAJL_GET_STRING(v);
}

/* Every ASCII byte 1..127 survives the trip through the JSON record. */
static void test_ascii_round_trip(void **state)
{
	char msg[128];
	g_autofree char *line = NULL;
	g_autoptr(YajlVal) tree = NULL;

	for (int i = 1; i < 128; i++)
		msg[i - 1] = (char)i;
	msg[127] = '\0';
	line = sync_msg_build("pid", -1, msg, 127, NULL);
	tree = parse_record(line, "pid", -1);
	assert_string_equal(message_of(tree), msg);
	/* the escaped record is still one line */
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
}

/* Valid UTF-8 is copied raw (not \u-escaped) and round-trips. */
static void test_utf8_raw(void **state)
{
	static const char msg[] = "h\xc3\xa9llo \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3";
	g_autofree char *line = NULL;
	g_autoptr(YajlVal) tree = NULL;

	check_build("data", -1, msg, sizeof(msg) - 1,
		    "{\"data\": -1, \"message\": \"h\xc3\xa9llo \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac "
		    "\xf0\x9f\x90\xb3\"}\n");
	line = sync_msg_build("data", -1, msg, sizeof(msg) - 1, NULL);
	tree = parse_record(line, "data", -1);
	assert_string_equal(message_of(tree), msg);
}

/* Invalid UTF-8 from the runtime's stderr still gives JSON that yajl accepts (style.md B9). */
static void test_invalid_utf8(void **state)
{
	static const char *const inputs[] = {
		"bad \xff\xfe end", "abc\xe2\x82", "\xc3\x28", "\x80", "\xed\xa0\x80 surrogate", "\xf8\x88\x80\x80\x80",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
		size_t len = 0;
		g_autofree char *line = sync_msg_build("exit_code", -1, inputs[i], strlen(inputs[i]), &len);
		g_autoptr(YajlVal) tree = NULL;
		const char *m;

		assert_int_equal(len, strlen(line));
		assert_true(g_utf8_validate(line, -1, NULL));
		tree = parse_record(line, "exit_code", -1);
		m = message_of(tree);
		assert_true(g_utf8_validate(m, -1, NULL));
		assert_non_null(strstr(m, "\xef\xbf\xbd")); /* U+FFFD marks the bad bytes */
	}
	/* the valid parts are kept as they were */
	static const char bad[] = "bad \xff\xfe end";
	g_autofree char *line = sync_msg_build("data", -1, bad, sizeof(bad) - 1, NULL);
	g_autoptr(YajlVal) tree = parse_record(line, "data", -1);
	assert_string_equal(message_of(tree), "bad \xef\xbf\xbd\xef\xbf\xbd end");
}

/* NUL bytes in the message: valid JSON, no raw NUL in the record, text on both sides kept. */
static void test_nul_bytes(void **state)
{
	static const char msg[] = {'a', '\0', 'b'};
	size_t len = 0;
	g_autofree char *line = sync_msg_build("data", -1, msg, sizeof(msg), &len);
	g_autoptr(YajlVal) tree = NULL;
	const char *m;

	assert_int_equal(len, strlen(line));
	tree = parse_record(line, "data", -1);
	m = message_of(tree);
	assert_int_equal(m[0], 'a');
	assert_int_equal(m[strlen(m) - 1], 'b');
	assert_true(strlen(m) >= 2);
}

/* The largest message conmon relays: 8191 bytes read once from the stderr pipe (§15). */
static void test_long_message(void **state)
{
	g_autofree char *msg = g_malloc(8192);
	g_autofree char *line = NULL;
	g_autoptr(YajlVal) tree = NULL;

	for (int i = 0; i < 8191; i++)
		msg[i] = (char)(' ' + i % 90);
	msg[8191] = '\0';
	line = sync_msg_build("pid", -1, msg, 8191, NULL);
	tree = parse_record(line, "pid", -1);
	assert_string_equal(message_of(tree), msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_exact_records),
		cmocka_unit_test(test_empty_message_left_out),
		cmocka_unit_test(test_ret_len_optional),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_runtime_stderr_example),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_del_escaped),
		cmocka_unit_test(test_ascii_round_trip),
		cmocka_unit_test(test_utf8_raw),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_long_message),
	};

	return cmocka_run_group_tests_name("sync_msg", tests, NULL, NULL);
}
