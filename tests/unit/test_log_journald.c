/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for log_journald.c (interface.md §8.3): journald_build_fields(), the field layout of
 * one journal entry in conmon's order with its exact values.
 */
#include "log_journald.h"
#include "unit.h"

#define CID   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CID12 "0123456789ab"

/* The fields as "NAME=value" strings (values may hold NUL bytes: compare with lengths). */
static void check_fields_len(const JournaldFields *f, const char *const *want, const size_t *want_len, size_t n)
{
	if (f->n != n) {
		for (size_t i = 0; i < f->n; i++)
			print_message("# field %zu: %.*s\n", i, (int)f->iov[i].iov_len,
				      (const char *)f->iov[i].iov_base);
		fail_msg("%zu fields, expected %zu", f->n, n);
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = want_len ? want_len[i] : strlen(want[i]);
		if (f->iov[i].iov_len != len || memcmp(f->iov[i].iov_base, want[i], len) != 0)
			fail_msg("field %zu is '%.*s' (%zu bytes), expected '%.*s' (%zu bytes)", i,
				 (int)f->iov[i].iov_len, (const char *)f->iov[i].iov_base, f->iov[i].iov_len, (int)len,
				 want[i], len);
	}
}

static void check_fields(const JournaldFields *f, const char *const *want, size_t n)
{
	check_fields_len(f, want, NULL, n);
}

static void build(JournaldFields *f, const JournaldConfig *cfg, LogStream stream, bool partial, const char *msg)
{
	journald_build_fields(f, cfg, stream, partial, msg, strlen(msg));
}

/* All optional fields absent: MESSAGE (with its newline), ID_FULL, PRIORITY 6, 12-char id, identifier = id. */
static void test_minimal_stdout(void **state)
{
	const JournaldConfig cfg = {.cid = CID};
	JournaldFields f;
	static const char *const want[] = {
		"MESSAGE=hello world\n", "CONTAINER_ID_FULL=" CID,   "PRIORITY=6",
		"CONTAINER_ID=" CID12,	 "SYSLOG_IDENTIFIER=" CID12,
	};

	build(&f, &cfg, LOG_STREAM_STDOUT, false, "hello world\n");
	check_fields(&f, want, G_N_ELEMENTS(want));
	journald_fields_clear(&f);
}

/* stderr is PRIORITY=3. */
static void test_stderr_priority(void **state)
{
	const JournaldConfig cfg = {.cid = CID};
	JournaldFields f;
	static const char *const want[] = {
		"MESSAGE=oops\n",      "CONTAINER_ID_FULL=" CID,   "PRIORITY=3",
		"CONTAINER_ID=" CID12, "SYSLOG_IDENTIFIER=" CID12,
	};

	build(&f, &cfg, LOG_STREAM_STDERR, false, "oops\n");
	check_fields(&f, want, G_N_ELEMENTS(want));
	journald_fields_clear(&f);
}

/* The full order: TAG before NAME, identifier = tag, partial flag, then the labels in order. */
static void test_full_order(void **state)
{
	char *labels[] = {"APP=web", "TEAM=core", NULL};
	const JournaldConfig cfg = {.cid = CID, .name = "myctr", .tag = "mytag", .labels = labels};
	JournaldFields f;
	static const char *const want[] = {
		"MESSAGE=part",
		"CONTAINER_ID_FULL=" CID,
		"PRIORITY=3",
		"CONTAINER_ID=" CID12,
		"CONTAINER_TAG=mytag",
		"CONTAINER_NAME=myctr",
		"SYSLOG_IDENTIFIER=mytag",
		"CONTAINER_PARTIAL_MESSAGE=true",
		"APP=web",
		"TEAM=core",
	};

	build(&f, &cfg, LOG_STREAM_STDERR, true, "part");
	check_fields(&f, want, G_N_ELEMENTS(want));
	journald_fields_clear(&f);
}

/* SYSLOG_IDENTIFIER: the tag, else the name, else the 12-char id. */
static void test_syslog_identifier(void **state)
{
	JournaldFields f;

	{
		const JournaldConfig cfg = {.cid = CID, .name = "only-name"};
		static const char *const want[] = {
			"MESSAGE=x\n",	       "CONTAINER_ID_FULL=" CID,   "PRIORITY=6",
			"CONTAINER_ID=" CID12, "CONTAINER_NAME=only-name", "SYSLOG_IDENTIFIER=only-name",
		};
		build(&f, &cfg, LOG_STREAM_STDOUT, false, "x\n");
		check_fields(&f, want, G_N_ELEMENTS(want));
		journald_fields_clear(&f);
	}
	{
		const JournaldConfig cfg = {.cid = CID, .tag = "only-tag"};
		static const char *const want[] = {
			"MESSAGE=x\n",	       "CONTAINER_ID_FULL=" CID, "PRIORITY=6",
			"CONTAINER_ID=" CID12, "CONTAINER_TAG=only-tag", "SYSLOG_IDENTIFIER=only-tag",
		};
		build(&f, &cfg, LOG_STREAM_STDOUT, false, "x\n");
		check_fields(&f, want, G_N_ELEMENTS(want));
		journald_fields_clear(&f);
	}
}

/* CONTAINER_PARTIAL_MESSAGE=true only for partial entries, never with --no-container-partial-message. */
static void test_partial_flag(void **state)
{
	JournaldFields f;
	const JournaldConfig cfg = {.cid = CID, .name = "n"};
	const JournaldConfig nopart = {.cid = CID, .name = "n", .no_partial_message = true};
	static const char *const partial[] = {
		"MESSAGE=no newline",
		"CONTAINER_ID_FULL=" CID,
		"PRIORITY=6",
		"CONTAINER_ID=" CID12,
		"CONTAINER_NAME=n",
		"SYSLOG_IDENTIFIER=n",
		"CONTAINER_PARTIAL_MESSAGE=true",
	};
	static const char *const full[] = {
		"MESSAGE=no newline",  "CONTAINER_ID_FULL=" CID, "PRIORITY=6",
		"CONTAINER_ID=" CID12, "CONTAINER_NAME=n",	 "SYSLOG_IDENTIFIER=n",
	};

	build(&f, &cfg, LOG_STREAM_STDOUT, true, "no newline");
	check_fields(&f, partial, G_N_ELEMENTS(partial));
	journald_fields_clear(&f);
	build(&f, &cfg, LOG_STREAM_STDOUT, false, "no newline");
	check_fields(&f, full, G_N_ELEMENTS(full));
	journald_fields_clear(&f);
	build(&f, &nopart, LOG_STREAM_STDOUT, true, "no newline");
	check_fields(&f, full, G_N_ELEMENTS(full));
	journald_fields_clear(&f);
	build(&f, &nopart, LOG_STREAM_STDOUT, false, "no newline");
	check_fields(&f, full, G_N_ELEMENTS(full));
	journald_fields_clear(&f);
}

/* MESSAGE carries exactly len bytes: NUL bytes inside are kept, nothing is trimmed or added. */
static void test_message_bytes(void **state)
{
	const JournaldConfig cfg = {.cid = CID};
	JournaldFields f;
	const char msg[] = "a\0b\0\0c\n";
	const char want_msg[] = "MESSAGE=a\0b\0\0c\n";
	const char *const want[] = {want_msg, "CONTAINER_ID_FULL=" CID, "PRIORITY=6", "CONTAINER_ID=" CID12,
				    "SYSLOG_IDENTIFIER=" CID12};
	const size_t want_len[] = {sizeof(want_msg) - 1, strlen(want[1]), strlen(want[2]), strlen(want[3]),
				   strlen(want[4])};

	journald_build_fields(&f, &cfg, LOG_STREAM_STDOUT, false, msg, sizeof(msg) - 1);
	check_fields_len(&f, want, want_len, G_N_ELEMENTS(want));
	journald_fields_clear(&f);

	/* only len bytes of msg are used */
	journald_build_fields(&f, &cfg, LOG_STREAM_STDOUT, true, "abcdef", 3);
	assert_int_equal(f.iov[0].iov_len, strlen("MESSAGE=abc"));
	assert_memory_equal(f.iov[0].iov_base, "MESSAGE=abc", strlen("MESSAGE=abc"));
	journald_fields_clear(&f);

	/* an empty message, a bare newline, leading/trailing blanks kept */
	journald_build_fields(&f, &cfg, LOG_STREAM_STDOUT, false, "", 0);
	assert_int_equal(f.iov[0].iov_len, strlen("MESSAGE="));
	assert_memory_equal(f.iov[0].iov_base, "MESSAGE=", 8);
	journald_fields_clear(&f);
	build(&f, &cfg, LOG_STREAM_STDERR, false, "  spaced \r\n");
	assert_int_equal(f.iov[0].iov_len, strlen("MESSAGE=  spaced \r\n"));
	assert_memory_equal(f.iov[0].iov_base, "MESSAGE=  spaced \r\n", f.iov[0].iov_len);
	journald_fields_clear(&f);

	/* a full 8192-byte partial buffer */
	g_autofree char *big = g_malloc(JOURNALD_PARTIAL_MAX);
	memset(big, 'z', JOURNALD_PARTIAL_MAX);
	journald_build_fields(&f, &cfg, LOG_STREAM_STDOUT, true, big, JOURNALD_PARTIAL_MAX);
	assert_int_equal(f.iov[0].iov_len, 8 + JOURNALD_PARTIAL_MAX);
	assert_memory_equal((char *)f.iov[0].iov_base + 8, big, JOURNALD_PARTIAL_MAX);
	journald_fields_clear(&f);
}

/* CONTAINER_ID is the first 12 characters; a shorter cid is used whole. */
static void test_short_cid(void **state)
{
	const JournaldConfig cfg = {.cid = "abc"};
	JournaldFields f;
	static const char *const want[] = {
		"MESSAGE=m\n", "CONTAINER_ID_FULL=abc", "PRIORITY=6", "CONTAINER_ID=abc", "SYSLOG_IDENTIFIER=abc",
	};

	build(&f, &cfg, LOG_STREAM_STDOUT, false, "m\n");
	check_fields(&f, want, G_N_ELEMENTS(want));
	journald_fields_clear(&f);

	const JournaldConfig cfg12 = {.cid = "0123456789abX"};
	static const char *const want12[] = {
		"MESSAGE=m\n",
		"CONTAINER_ID_FULL=0123456789abX",
		"PRIORITY=6",
		"CONTAINER_ID=0123456789ab",
		"SYSLOG_IDENTIFIER=0123456789ab",
	};
	build(&f, &cfg12, LOG_STREAM_STDOUT, false, "m\n");
	check_fields(&f, want12, G_N_ELEMENTS(want12));
	journald_fields_clear(&f);
}

/* An empty label list adds no fields. */
static void test_labels_empty_list(void **state)
{
	char *labels[] = {NULL};
	const JournaldConfig cfg = {.cid = CID, .labels = labels};
	JournaldFields f;
	static const char *const want[] = {
		"MESSAGE=m\n",	       "CONTAINER_ID_FULL=" CID,   "PRIORITY=6",
		"CONTAINER_ID=" CID12, "SYSLOG_IDENTIFIER=" CID12,
	};

	build(&f, &cfg, LOG_STREAM_STDOUT, false, "m\n");
	check_fields(&f, want, G_N_ELEMENTS(want));
	journald_fields_clear(&f);
}

/* Every --log-label is sent (§8.3 "[each --log-label NAME=VALUE]"): many labels, all of them, in order. */
static void test_many_labels(void **state)
{
	enum { N = 64 };
	GPtrArray *labels = g_ptr_array_new_with_free_func(g_free);
	JournaldFields f;

	for (int i = 0; i < N; i++)
		g_ptr_array_add(labels, g_strdup_printf("LABEL_%02d=value %d", i, i));
	g_ptr_array_add(labels, NULL);
	const JournaldConfig cfg = {.cid = CID, .name = "n", .tag = "t", .labels = (char *const *)labels->pdata};

	build(&f, &cfg, LOG_STREAM_STDOUT, false, "m\n");
	/* 7 fields before the labels: MESSAGE, ID_FULL, PRIORITY, ID, TAG, NAME, SYSLOG_IDENTIFIER */
	size_t n = f.n, bad = SIZE_MAX;
	for (size_t i = 7; i < n; i++) {
		const char *l = g_ptr_array_index(labels, i - 7);
		if (i - 7 >= N || f.iov[i].iov_len != strlen(l) || memcmp(f.iov[i].iov_base, l, strlen(l)) != 0) {
			bad = i;
			break;
		}
	}
	journald_fields_clear(&f);
	g_ptr_array_unref(labels); /* before fail_msg, which does not return */
	if (n != 7 + N)
		fail_msg("%zu fields for %d labels: expected %d (labels silently dropped)", n, N, 7 + N);
	if (bad != SIZE_MAX)
		fail_msg("field %zu is not label %zu", bad, bad - 7);
}

/* journald_fields_clear() leaves an empty set that can be cleared again. */
static void test_clear_twice(void **state)
{
	const JournaldConfig cfg = {.cid = CID, .name = "n", .tag = "t"};
	JournaldFields f;

	build(&f, &cfg, LOG_STREAM_STDOUT, false, "m\n");
	journald_fields_clear(&f);
	assert_int_equal(f.n, 0);
	journald_fields_clear(&f);
	assert_int_equal(f.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_stdout), cmocka_unit_test(test_stderr_priority),
		cmocka_unit_test(test_full_order),     cmocka_unit_test(test_syslog_identifier),
		cmocka_unit_test(test_partial_flag),   cmocka_unit_test(test_message_bytes),
		cmocka_unit_test(test_short_cid),      cmocka_unit_test(test_labels_empty_list),
		cmocka_unit_test(test_many_labels),    cmocka_unit_test(test_clear_twice),
	};

	return cmocka_run_group_tests_name("log_journald", tests, NULL, NULL);
}
