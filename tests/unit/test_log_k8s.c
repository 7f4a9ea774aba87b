/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for log_k8s.c (interface.md §8.2, §8.6): the pure timestamp, record-splitting and
 * record-formatting functions, and the writer on real files in a g_mkdtemp directory (size cap,
 * rotation, reopen, global cap, modes).
 */
#include <stdlib.h>
#include <time.h>

#include "log_k8s.h"
#include "unit.h"

/* 2026-11-23T04:54:06Z, the instant of the contract's example */
#define T0 ((time_t)1795409646)

/* ---- k8s_log_format_timestamp ---------------------------------------------------------------- */

static struct tm make_tm(int year, int mon, int mday, int hour, int min, int sec, long gmtoff)
{
	struct tm tm = {0};

	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_gmtoff = gmtoff;
	return tm;
}

static void check_ts(const struct tm *tm, long nsec, const char *want)
{
	char out[K8S_TS_LEN + 8];

	memset(out, '#', sizeof(out));
	k8s_log_format_timestamp(out, nsec, tm);
	assert_memory_equal(out, want, K8S_TS_LEN);
	/* exactly K8S_TS_LEN bytes are written, no NUL */
	for (size_t i = K8S_TS_LEN; i < sizeof(out); i++)
		assert_int_equal(out[i], '#');
}

static void test_timestamp_len(void **state)
{
	assert_int_equal(K8S_TS_LEN, strlen("2026-11-23T04:54:06.917765952+00:00"));
	/* timestamp + " stdout " is the fixed 43-byte prefix; + tag and space = 45 */
	assert_int_equal(K8S_RECORD_OVERHEAD, 45);
	assert_int_equal(K8S_MAX_CONTENT, 8192);
}

static void test_timestamp_utc(void **state)
{
	struct tm tm = make_tm(2026, 11, 23, 4, 54, 6, 0);

	check_ts(&tm, 917765952, "2026-11-23T04:54:06.917765952+00:00");
}

static void test_timestamp_minus_12(void **state)
{
	struct tm tm = make_tm(2026, 11, 22, 16, 54, 6, -12 * 3600);

	check_ts(&tm, 917765952, "2026-11-22T16:54:06.917765952-12:00");
}

static void test_timestamp_plus_0530(void **state)
{
	struct tm tm = make_tm(2026, 11, 23, 10, 24, 6, 5 * 3600 + 30 * 60);

	check_ts(&tm, 917765952, "2026-11-23T10:24:06.917765952+05:30");
}

static void test_timestamp_other_offsets(void **state)
{
	struct tm a = make_tm(2026, 1, 2, 3, 4, 5, -(3 * 3600 + 30 * 60));
	struct tm b = make_tm(2026, 1, 2, 3, 4, 5, 14 * 3600);
	struct tm c = make_tm(2026, 1, 2, 3, 4, 5, 45 * 60);

	check_ts(&a, 6, "2026-01-02T03:04:05.000000006-03:30");
	check_ts(&b, 6, "2026-01-02T03:04:05.000000006+14:00");
	check_ts(&c, 6, "2026-01-02T03:04:05.000000006+00:45");
}

/* Always 9 fractional digits, zero-padded. */
static void test_timestamp_nanoseconds(void **state)
{
	struct tm tm = make_tm(2026, 11, 23, 4, 54, 6, 0);

	check_ts(&tm, 0, "2026-11-23T04:54:06.000000000+00:00");
	check_ts(&tm, 1, "2026-11-23T04:54:06.000000001+00:00");
	check_ts(&tm, 1000, "2026-11-23T04:54:06.000001000+00:00");
	check_ts(&tm, 100000000, "2026-11-23T04:54:06.100000000+00:00");
	check_ts(&tm, 999999999, "2026-11-23T04:54:06.999999999+00:00");
}

static void test_timestamp_edges(void **state)
{
	struct tm epoch = make_tm(1970, 1, 1, 0, 0, 0, 0);
	struct tm end = make_tm(9999, 12, 31, 23, 59, 59, 0);

	/* the clock-failure fallback of §8.2 */
	check_ts(&epoch, 0, "1970-01-01T00:00:00.000000000+00:00");
	check_ts(&end, 123, "9999-12-31T23:59:59.000000123+00:00");
}

/* ---- k8s_log_next_record --------------------------------------------------------------------- */

static void check_next(const char *data, size_t len, size_t want_n, bool want_partial)
{
	bool partial = !want_partial;
	size_t n = k8s_log_next_record(data, len, &partial);

	assert_int_equal(n, want_n);
	assert_int_equal(partial, want_partial);
}

static void test_next_simple(void **state)
{
	check_next("hello\npartial", 13, 6, false);
	check_next("partial", 7, 7, true);
	check_next("\n", 1, 1, false);
	check_next("\n\n\n", 3, 1, false);
	check_next("x", 1, 1, true);
	check_next("ab\r\n", 4, 4, false);
}

/* NUL bytes are content like any other byte. */
static void test_next_nul_bytes(void **state)
{
	static const char data[] = {'a', '\0', 'b', '\n', '\0', 'c'};

	check_next(data, 6, 4, false);
	check_next(data + 4, 2, 2, true);
	check_next("\0\0\0", 3, 3, true);
}

static void test_next_8192_boundaries(void **state)
{
	g_autofree char *buf = g_malloc(K8S_MAX_CONTENT + 16);

	/* a line of exactly 8192 bytes including its newline: one F record */
	memset(buf, 'x', K8S_MAX_CONTENT + 16);
	buf[K8S_MAX_CONTENT - 1] = '\n';
	check_next(buf, K8S_MAX_CONTENT, K8S_MAX_CONTENT, false);
	check_next(buf, K8S_MAX_CONTENT + 16, K8S_MAX_CONTENT, false);

	/* 8192 bytes then the newline (an 8193-byte line): P of 8192, then F of just "\n" */
	memset(buf, 'x', K8S_MAX_CONTENT + 16);
	buf[K8S_MAX_CONTENT] = '\n';
	check_next(buf, K8S_MAX_CONTENT + 1, K8S_MAX_CONTENT, true);
	check_next(buf + K8S_MAX_CONTENT, 1, 1, false);

	/* 8193 bytes, no newline: P 8192, P 1 */
	memset(buf, 'x', K8S_MAX_CONTENT + 16);
	check_next(buf, K8S_MAX_CONTENT + 1, K8S_MAX_CONTENT, true);
	check_next(buf + K8S_MAX_CONTENT, 1, 1, true);

	/* exactly 8192 bytes, no newline: one P */
	check_next(buf, K8S_MAX_CONTENT, K8S_MAX_CONTENT, true);
}

/* ---- k8s_log_format_record ------------------------------------------------------------------- */

static const char TS[] = "2026-11-23T04:54:06.917765952+00:00";

static void check_record(LogStream stream, bool partial, const char *content, size_t len, const char *want,
			 size_t want_len)
{
	g_autofree char *out = g_malloc(K8S_RECORD_OVERHEAD + len + 1 + 8);
	size_t n = k8s_log_format_record(out, TS, stream, partial, content, len);

	assert_int_equal(n, want_len);
	assert_memory_equal(out, want, want_len);
	/* size accounting of §8.2: content + 45, plus 1 for P */
	assert_int_equal(n, K8S_RECORD_OVERHEAD + len + (partial ? 1 : 0));
}

static void test_format_full(void **state)
{
	static const char want[] = "2026-11-23T04:54:06.917765952+00:00 stdout F hello\n";

	check_record(LOG_STREAM_STDOUT, false, "hello\n", 6, want, sizeof(want) - 1);
}

static void test_format_partial(void **state)
{
	static const char want[] = "2026-11-23T04:54:06.917765952+00:00 stdout P partial\n";

	check_record(LOG_STREAM_STDOUT, true, "partial", 7, want, sizeof(want) - 1);
}

static void test_format_stderr(void **state)
{
	static const char want[] = "2026-11-23T04:54:06.917765952+00:00 stderr F err\n";

	check_record(LOG_STREAM_STDERR, false, "err\n", 4, want, sizeof(want) - 1);
}

static void test_format_empty_line(void **state)
{
	static const char want[] = "2026-11-23T04:54:06.917765952+00:00 stdout F \n";

	check_record(LOG_STREAM_STDOUT, false, "\n", 1, want, sizeof(want) - 1);
}

static void test_format_tty_line(void **state)
{
	static const char want[] = "2026-11-23T04:54:06.917765952+00:00 stdout F after\r\n";

	check_record(LOG_STREAM_STDOUT, false, "after\r\n", 7, want, sizeof(want) - 1);
}

static void test_format_nul_bytes(void **state)
{
	static const char content[] = {'a', '\0', 'b', '\n'};
	static const char want[] = "2026-11-23T04:54:06.917765952+00:00 stderr F a\0b\n";

	check_record(LOG_STREAM_STDERR, false, content, sizeof(content), want, sizeof(want) - 1);
}

/* ---- the writer ------------------------------------------------------------------------------ */

typedef UnitDir Fixture;

static int fixture_setup(void **state)
{
	*state = unit_dir_new("ctr.log");
	return 0;
}

static int fixture_teardown(void **state)
{
	unit_dir_free(*state);
	return 0;
}

static K8sLog *open_log(const char *path, int64_t size_max, int64_t global_max, bool rotate, int max_files)
{
	const K8sLogConfig cfg = {
		.path = path,
		.size_max = size_max,
		.global_size_max = global_max,
		.rotate = rotate,
		.max_files = max_files,
	};
	g_autoptr(GError) error = NULL;
	K8sLog *log = k8s_log_open(&cfg, &error);

	if (log == NULL)
		fail_msg("k8s_log_open: %s", error->message);
	return log;
}

static void put(K8sLog *log, LogStream stream, time_t sec, long nsec, const char *data)
{
	const struct timespec ts = {.tv_sec = sec, .tv_nsec = nsec};

	k8s_log_write(log, stream, &ts, data, strlen(data));
}

/* One record as the writer formats it at T0 + 0 ns in UTC. */
static char *rec(const char *stream, char tag, const char *content)
{
	return g_strdup_printf("2026-11-23T04:54:06.000000000+00:00 %s %c %s%s", stream, tag, content,
			       tag == 'P' ? "\n" : "");
}

/* The concatenation of the records "<c>\n" for each character c of lines, all at T0 in UTC. */
static char *recs(const char *lines)
{
	GString *s = g_string_new(NULL);

	for (const char *c = lines; *c; c++) {
		char content[3] = {*c, '\n', '\0'};
		g_autofree char *r = rec("stdout", 'F', content);
		g_string_append(s, r);
	}
	return g_string_free(s, FALSE);
}

static void assert_file(const char *path, const char *want)
{
	size_t len;
	g_autofree char *got = unit_read_file(path, &len);

	if (len != strlen(want) || memcmp(got, want, len) != 0)
		fail_msg("'%s' holds\n%s\nexpected\n%s", path, got, want);
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void test_writer_contract_example(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, -1, -1, false, 1);

	put(log, LOG_STREAM_STDOUT, T0, 917765952, "hello\npartial");
	put(log, LOG_STREAM_STDOUT, T0 + 1, 118997756, " done\n");
	put(log, LOG_STREAM_STDERR, T0 + 1, 119069283, "err\n");
	k8s_log_finish(log, true);
	assert_file(f->path, "2026-11-23T04:54:06.917765952+00:00 stdout F hello\n"
			     "2026-11-23T04:54:06.917765952+00:00 stdout P partial\n"
			     "2026-11-23T04:54:07.118997756+00:00 stdout F  done\n"
			     "2026-11-23T04:54:07.119069283+00:00 stderr F err\n");
	assert_int_equal(k8s_log_file_bytes(log), file_size(f->path));
}

/* Every line of one read gets the read's timestamp; a new read in the same second gets its own ns. */
static void test_writer_timestamp_per_chunk(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, -1, -1, false, 1);

	put(log, LOG_STREAM_STDOUT, T0, 5, "a\nb\n\nc");
	put(log, LOG_STREAM_STDOUT, T0, 123456789, "d\n");
	assert_file(f->path, "2026-11-23T04:54:06.000000005+00:00 stdout F a\n"
			     "2026-11-23T04:54:06.000000005+00:00 stdout F b\n"
			     "2026-11-23T04:54:06.000000005+00:00 stdout F \n"
			     "2026-11-23T04:54:06.000000005+00:00 stdout P c\n"
			     "2026-11-23T04:54:06.123456789+00:00 stdout F d\n");
}

static void test_writer_long_line(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, -1, -1, false, 1);
	const size_t n = K8S_MAX_CONTENT + 100;
	g_autofree char *line = g_malloc(n + 2);
	g_autofree char *want = NULL;
	size_t len;
	g_autofree char *got = NULL;

	memset(line, 'x', n);
	line[n] = '\n';
	line[n + 1] = '\0';
	put(log, LOG_STREAM_STDOUT, T0, 0, line);
	got = unit_read_file(f->path, &len);
	/* P with 8192 bytes (+ the added newline), then F with the other 100 and the newline */
	assert_int_equal(len, (K8S_RECORD_OVERHEAD + K8S_MAX_CONTENT + 1) + (K8S_RECORD_OVERHEAD + 101));
	assert_memory_equal(got, "2026-11-23T04:54:06.000000000+00:00 stdout P xxx", 48);
	assert_int_equal(got[K8S_RECORD_OVERHEAD + K8S_MAX_CONTENT], '\n');
	want = rec("stdout", 'F', line + K8S_MAX_CONTENT);
	assert_string_equal(got + K8S_RECORD_OVERHEAD + K8S_MAX_CONTENT + 1, want);
}

static void test_writer_tz(void **state)
{
	static const struct {
		const char *tz;
		const char *want;
	} zones[] = {
		{"UTC0", "2026-11-23T04:54:06.000000042+00:00 stdout F x\n"},
		{"GMT+12", "2026-11-22T16:54:06.000000042-12:00 stdout F x\n"},
		{"IST-5:30", "2026-11-23T10:24:06.000000042+05:30 stdout F x\n"},
	};
	Fixture *f = *state;

	for (size_t i = 0; i < G_N_ELEMENTS(zones); i++) {
		g_autofree char *path = g_strdup_printf("%s.%zu", f->path, i);
		K8sLog *log;

		setenv("TZ", zones[i].tz, 1);
		tzset();
		log = open_log(path, -1, -1, false, 1);
		put(log, LOG_STREAM_STDOUT, T0, 42, "x\n");
		k8s_log_free(log);
		setenv("TZ", "UTC0", 1);
		tzset();
		assert_file(path, zones[i].want);
	}
}

static void test_writer_mode_on_creation(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, -1, -1, false, 1);

	assert_int_equal(unit_file_mode(f->path), 0640);
	assert_int_equal(file_size(f->path), 0);
	assert_int_equal(k8s_log_file_bytes(log), 0);
}

static void test_writer_existing_mode_kept(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = NULL;

	unit_write_file(f->path, "old\n", 0600);
	log = open_log(f->path, -1, -1, false, 1);
	assert_int_equal(unit_file_mode(f->path), 0600);
	put(log, LOG_STREAM_STDOUT, T0, 0, "new\n");
	g_autofree char *r = rec("stdout", 'F', "new\n");
	g_autofree char *want = g_strconcat("old\n", r, NULL);
	assert_file(f->path, want);
}

static void test_writer_open_failure(void **state)
{
	Fixture *f = *state;
	g_autofree char *path = g_build_filename(f->dir, "missing", "ctr.log", NULL);
	const K8sLogConfig cfg = {.path = path, .size_max = -1, .global_size_max = -1, .max_files = 1};
	g_autoptr(GError) error = NULL;
	K8sLog *log = k8s_log_open(&cfg, &error);

	assert_null(log);
	assert_non_null(error);
	/* §1.3 step 11 */
	assert_string_equal(error->message, "Failed to open log file No such file or directory");
}

/* §8.2: the counters start at the size of an existing file (2.1.10+). */
static void test_writer_counter_starts_at_file_size(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = NULL;
	char old[101];

	memset(old, 'o', 99);
	old[99] = '\n';
	old[100] = '\0';
	unit_write_file(f->path, old, 0640);
	log = open_log(f->path, 150, -1, false, 1);
	assert_int_equal(k8s_log_file_bytes(log), 100);

	put(log, LOG_STREAM_STDOUT, T0, 0, "1\n"); /* 100 + 47 = 147 <= 150: appended */
	assert_int_equal(k8s_log_file_bytes(log), 147);
	g_autofree char *r1 = recs("1");
	g_autofree char *want = g_strconcat(old, r1, NULL);
	assert_file(f->path, want);

	put(log, LOG_STREAM_STDOUT, T0, 0, "2\n"); /* 147 + 47 > 150: a fresh file */
	g_autofree char *r2 = recs("2");
	assert_file(f->path, r2);
	assert_int_equal(k8s_log_file_bytes(log), 47);
}

/* --log-size-max (truncate): before each record, current + record > cap starts a fresh file. */
static void test_writer_truncate_within_chunk(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, 100, -1, false, 1);
	g_autofree char *want = recs("5");

	/* records of 47 bytes: two fit in 100 */
	put(log, LOG_STREAM_STDOUT, T0, 0, "1\n2\n3\n4\n5\n");
	assert_file(f->path, want);
	assert_int_equal(k8s_log_file_bytes(log), 47);
	g_autofree char *names = unit_list_dir(f->dir);
	assert_string_equal(names, "ctr.log"); /* no .tmp left behind */
	assert_int_equal(unit_file_mode(f->path), 0640);
}

static void test_writer_truncate_keeps_records_whole(void **state)
{
	Fixture *f = *state;
	const int64_t cap = 120;
	g_autoptr(K8sLog) log = open_log(f->path, cap, -1, false, 1);

	for (int i = 0; i < 25; i++) {
		char line[3] = {(char)('a' + i), '\n', '\0'};
		size_t len;

		put(log, LOG_STREAM_STDOUT, T0, 0, line);
		g_autofree char *got = unit_read_file(f->path, &len);
		assert_true(len <= (size_t)cap);
		assert_int_equal(len % 47, 0);
		assert_int_equal(k8s_log_file_bytes(log), len);
		/* the file always ends with the last record, complete */
		char one[2] = {line[0], '\0'};
		g_autofree char *last = recs(one);
		assert_memory_equal(got + len - 47, last, 47);
		/* and starts with a record */
		assert_memory_equal(got, "2026-11-23T04:54:06.000000000+00:00 stdout F ", 45);
	}
}

/* A record that makes the file exactly as large as the cap still fits: only "> cap" starts a new file. */
static void test_writer_truncate_exact_fit(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, 94, -1, false, 1);
	g_autofree char *two = recs("12");
	g_autofree char *three = recs("3");

	put(log, LOG_STREAM_STDOUT, T0, 0, "1\n2\n");
	assert_file(f->path, two);
	assert_int_equal(k8s_log_file_bytes(log), 94);
	put(log, LOG_STREAM_STDOUT, T0, 0, "3\n");
	assert_file(f->path, three);
}

/* A record larger than the cap still goes whole into the fresh file. */
static void test_writer_oversize_record(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, 50, -1, false, 1);
	char line[202];

	memset(line, 'y', 200);
	line[200] = '\n';
	line[201] = '\0';
	put(log, LOG_STREAM_STDOUT, T0, 0, "1\n");
	put(log, LOG_STREAM_STDOUT, T0, 0, line);
	g_autofree char *want = rec("stdout", 'F', line);
	assert_file(f->path, want);
	assert_int_equal(file_size(f->path), K8S_RECORD_OVERHEAD + 201);
	put(log, LOG_STREAM_STDOUT, T0, 0, "2\n");
	g_autofree char *want2 = recs("2");
	assert_file(f->path, want2);
}

static char *sibling(const Fixture *f, int i)
{
	return g_strdup_printf("%s.%d", f->path, i);
}

static void test_writer_rotate_one(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, 100, -1, true, 1);
	g_autofree char *p1 = sibling(f, 1);

	for (const char *c = "123"; *c; c++) {
		char line[3] = {*c, '\n', '\0'};
		put(log, LOG_STREAM_STDOUT, T0, 0, line);
	}
	g_autofree char *a = recs("3");
	g_autofree char *b = recs("12");
	assert_file(f->path, a);
	assert_file(p1, b);

	put(log, LOG_STREAM_STDOUT, T0, 0, "4\n");
	put(log, LOG_STREAM_STDOUT, T0, 0, "5\n");
	g_autofree char *c5 = recs("5");
	g_autofree char *c34 = recs("34");
	assert_file(f->path, c5);
	assert_file(p1, c34);
	g_autofree char *names = unit_list_dir(f->dir);
	assert_string_equal(names, "ctr.log,ctr.log.1");
	assert_int_equal(unit_file_mode(f->path), 0640);
}

static void test_writer_rotate_three(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, 100, -1, true, 3);

	for (const char *c = "123456789"; *c; c++) {
		char line[3] = {*c, '\n', '\0'};
		put(log, LOG_STREAM_STDOUT, T0, 0, line);
	}
	g_autofree char *p1 = sibling(f, 1);
	g_autofree char *p2 = sibling(f, 2);
	g_autofree char *p3 = sibling(f, 3);
	g_autofree char *w0 = recs("9");
	g_autofree char *w1 = recs("78");
	g_autofree char *w2 = recs("56");
	g_autofree char *w3 = recs("34"); /* "12" fell off the end */
	assert_file(f->path, w0);
	assert_file(p1, w1);
	assert_file(p2, w2);
	assert_file(p3, w3);
	g_autofree char *names = unit_list_dir(f->dir);
	assert_string_equal(names, "ctr.log,ctr.log.1,ctr.log.2,ctr.log.3");
	assert_int_equal(unit_file_mode(f->path), 0640);
}

/* §8.6: ctl type 2 makes a fresh file at the path, even when the path was deleted meanwhile. */
static void test_writer_reopen_after_delete(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, -1, -1, false, 1);

	put(log, LOG_STREAM_STDOUT, T0, 0, "a\n");
	assert_int_equal(unlink(f->path), 0);
	k8s_log_reopen(log);
	assert_true(unit_exists(f->path));
	assert_int_equal(file_size(f->path), 0);
	assert_int_equal(unit_file_mode(f->path), 0640);
	assert_int_equal(k8s_log_file_bytes(log), 0);
	put(log, LOG_STREAM_STDOUT, T0, 0, "b\n");
	g_autofree char *want = recs("b");
	assert_file(f->path, want);
	g_autofree char *names = unit_list_dir(f->dir);
	assert_string_equal(names, "ctr.log");
}

/* The kubelet renamed the file away: the reopen starts a new one at the path; the old one is untouched. */
static void test_writer_reopen_after_rename(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, -1, -1, false, 1);
	g_autofree char *moved = g_strconcat(f->path, ".20261123", NULL);

	put(log, LOG_STREAM_STDOUT, T0, 0, "a\n");
	assert_int_equal(rename(f->path, moved), 0);
	k8s_log_reopen(log);
	put(log, LOG_STREAM_STDOUT, T0, 0, "b\n");
	g_autofree char *wa = recs("a");
	g_autofree char *wb = recs("b");
	assert_file(moved, wa);
	assert_file(f->path, wb);
}

static void test_writer_reopen_truncates(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, -1, -1, false, 1);

	put(log, LOG_STREAM_STDOUT, T0, 0, "a\nb\n");
	k8s_log_reopen(log);
	assert_int_equal(file_size(f->path), 0);
	assert_int_equal(k8s_log_file_bytes(log), 0);
	g_autofree char *names = unit_list_dir(f->dir);
	assert_string_equal(names, "ctr.log");
}

static void test_writer_reopen_rotate_after_delete(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, -1, -1, true, 2);

	put(log, LOG_STREAM_STDOUT, T0, 0, "a\n");
	assert_int_equal(unlink(f->path), 0);
	k8s_log_reopen(log);
	assert_true(unit_exists(f->path));
	assert_int_equal(unit_file_mode(f->path), 0640);
	put(log, LOG_STREAM_STDOUT, T0, 0, "b\n");
	g_autofree char *want = recs("b");
	assert_file(f->path, want);
	g_autofree char *names = unit_list_dir(f->dir);
	assert_string_equal(names, "ctr.log");
}

static void test_writer_reopen_rotate(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, -1, -1, true, 2);
	g_autofree char *p1 = sibling(f, 1);

	put(log, LOG_STREAM_STDOUT, T0, 0, "a\n");
	k8s_log_reopen(log);
	put(log, LOG_STREAM_STDOUT, T0, 0, "b\n");
	g_autofree char *wa = recs("a");
	g_autofree char *wb = recs("b");
	assert_file(p1, wa);
	assert_file(f->path, wb);
}

/* --log-global-size-max: once the lifetime total reaches G, the rest of the chunk and later output are dropped. */
static void test_writer_global_max(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, -1, 100, false, 1);
	g_autofree char *want = recs("123");

	/* 0 < 100, 47 < 100, 94 < 100 (this record overshoots), 141 >= 100: dropped */
	put(log, LOG_STREAM_STDOUT, T0, 0, "1\n2\n3\n4\n5\n");
	assert_file(f->path, want);
	put(log, LOG_STREAM_STDOUT, T0, 0, "6\n");
	put(log, LOG_STREAM_STDERR, T0, 0, "7\n");
	assert_file(f->path, want);
}

/* Reaching the global cap exactly ("total >= G") stops logging. */
static void test_writer_global_max_exact(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, -1, 94, false, 1);
	g_autofree char *want = recs("12");

	put(log, LOG_STREAM_STDOUT, T0, 0, "1\n2\n3\n");
	assert_file(f->path, want);
}

/* The global total counts over truncations: it is a lifetime budget. */
static void test_writer_global_max_across_truncation(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, 100, 150, false, 1);
	g_autofree char *want = recs("34");

	for (const char *c = "123456"; *c; c++) {
		char line[3] = {*c, '\n', '\0'};
		put(log, LOG_STREAM_STDOUT, T0, 0, line);
	}
	assert_file(f->path, want);
	/* a reopen does not give the budget back */
	k8s_log_reopen(log);
	put(log, LOG_STREAM_STDOUT, T0, 0, "7\n");
	assert_int_equal(file_size(f->path), 0);
}

static void test_writer_zero_means_unlimited(void **state)
{
	Fixture *f = *state;
	g_autoptr(K8sLog) log = open_log(f->path, 0, 0, false, 1);
	g_autofree char *want = recs("12345");

	put(log, LOG_STREAM_STDOUT, T0, 0, "1\n2\n3\n4\n5\n");
	assert_file(f->path, want);
	put(log, LOG_STREAM_STDOUT, T0, 0, "");
	assert_file(f->path, want);
}

/* ---- the writer against a model built from the pure functions ---------------------------------- */

/* What the writer must produce, record by record, in truncate mode (no rotation). */
typedef struct Model {
	GString *file;
	int64_t size_max;
	int64_t global_max;
	int64_t file_bytes;
	int64_t total;
	bool global_full;
} Model;

static void model_write(Model *m, LogStream stream, const struct timespec *now, const char *data, size_t len)
{
	char ts[K8S_TS_LEN];
	char *out = g_malloc(K8S_RECORD_MAX);
	struct tm tm;

	localtime_r(&now->tv_sec, &tm);
	k8s_log_format_timestamp(ts, now->tv_nsec, &tm);
	while (len > 0 && !m->global_full) {
		bool partial;
		size_t n = k8s_log_next_record(data, len, &partial);
		size_t rl = k8s_log_format_record(out, ts, stream, partial, data, n);

		if (m->global_max > 0 && m->total >= m->global_max) {
			m->global_full = true;
			break;
		}
		if (m->size_max > 0 && m->file_bytes + (int64_t)rl > m->size_max) {
			g_string_truncate(m->file, 0);
			m->file_bytes = 0;
		}
		g_string_append_len(m->file, out, (gssize)rl);
		m->file_bytes += (int64_t)rl;
		m->total += (int64_t)rl;
		data += n;
		len -= n;
	}
	g_free(out);
}

/* One read's worth of output: lines of mixed lengths (mostly short, some past K8S_MAX_CONTENT), maybe
 * ending without a newline. */
static void random_chunk(GRand *rnd, GString *chunk)
{
	int lines = g_rand_int_range(rnd, 1, 400);

	g_string_truncate(chunk, 0);
	for (int i = 0; i < lines; i++) {
		int kind = g_rand_int_range(rnd, 0, 100);
		size_t n = kind < 80   ? (size_t)g_rand_int_range(rnd, 0, 200)
			   : kind < 97 ? (size_t)g_rand_int_range(rnd, 200, 5000)
				       : (size_t)g_rand_int_range(rnd, 8000, 20000);
		for (size_t j = 0; j < n; j++)
			g_string_append_c(chunk, (char)('!' + (j * 7 + (size_t)i) % 90));
		if (i < lines - 1 || g_rand_boolean(rnd))
			g_string_append_c(chunk, '\n');
	}
}

static void check_against_model(const char *path, const Model *m, K8sLog *log)
{
	size_t len;
	g_autofree char *got = unit_read_file(path, &len);

	assert_int_equal(len, m->file->len);
	assert_memory_equal(got, m->file->str, len);
	assert_int_equal(k8s_log_file_bytes(log), m->file_bytes);
}

/*
 * Many megabytes in random reads on both streams, with and without batching across reads, under no
 * cap, a file cap and a global cap: the file holds exactly the model's records at every flush.  This
 * crosses the batch's end many times and puts records right at each cap.
 */
static void test_writer_matches_model(void **state)
{
	Fixture *f = *state;
	const struct {
		int64_t size_max, global_max;
		bool defer;
	} cases[] = {
		{-1, -1, false},
		{-1, -1, true},
		{100000, -1, true},
		{3000, -1, false},
		{-1, 3000000, true},
		{250000, 2000000, true},
		{K8S_RECORD_OVERHEAD + 1, -1, true},
	};
	g_autoptr(GString) chunk = g_string_new(NULL);

	for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
		g_autoptr(GRand) rnd = g_rand_new_with_seed((guint32)(c + 1));
		Model m = {
			.file = g_string_new(NULL), .size_max = cases[c].size_max, .global_max = cases[c].global_max};
		const K8sLogConfig cfg = {
			.path = f->path,
			.size_max = cases[c].size_max,
			.global_size_max = cases[c].global_max,
			.max_files = 1,
			.defer_flush = cases[c].defer,
		};
		g_autoptr(GError) error = NULL;
		(void)unlink(f->path);
		g_autoptr(K8sLog) log = k8s_log_open(&cfg, &error);
		assert_non_null(log);
		size_t written = 0;

		for (int i = 0; written < 6u * 1024 * 1024; i++) {
			const struct timespec now = {.tv_sec = T0 + i / 50, .tv_nsec = (i * 7919L) % 1000000000L};
			LogStream stream = g_rand_boolean(rnd) ? LOG_STREAM_STDOUT : LOG_STREAM_STDERR;

			random_chunk(rnd, chunk);
			k8s_log_write(log, stream, &now, chunk->str, chunk->len);
			model_write(&m, stream, &now, chunk->str, chunk->len);
			written += chunk->len;
			if (i % 37 == 0) {
				k8s_log_flush(log);
				check_against_model(f->path, &m, log);
			}
		}
		k8s_log_finish(log, false);
		check_against_model(f->path, &m, log);
		if (cases[c].global_max > 0)
			assert_true(m.global_full);
		g_string_free(m.file, TRUE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timestamp_len),
		cmocka_unit_test(test_timestamp_utc),
		cmocka_unit_test(test_timestamp_minus_12),
		cmocka_unit_test(test_timestamp_plus_0530),
		cmocka_unit_test(test_timestamp_other_offsets),
		cmocka_unit_test(test_timestamp_nanoseconds),
		cmocka_unit_test(test_timestamp_edges),
		cmocka_unit_test(test_next_simple),
		cmocka_unit_test(test_next_nul_bytes),
		cmocka_unit_test(test_next_8192_boundaries),
		cmocka_unit_test(test_format_full),
		cmocka_unit_test(test_format_partial),
		cmocka_unit_test(test_format_stderr),
		cmocka_unit_test(test_format_empty_line),
		cmocka_unit_test(test_format_tty_line),
		cmocka_unit_test(test_format_nul_bytes),
		cmocka_unit_test_setup_teardown(test_writer_contract_example, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_timestamp_per_chunk, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_long_line, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_tz, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_mode_on_creation, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_existing_mode_kept, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_open_failure, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_counter_starts_at_file_size, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_truncate_within_chunk, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_truncate_keeps_records_whole, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_truncate_exact_fit, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_oversize_record, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_rotate_one, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_rotate_three, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_reopen_after_delete, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_reopen_after_rename, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_reopen_truncates, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_reopen_rotate_after_delete, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_reopen_rotate, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_global_max, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_global_max_exact, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_global_max_across_truncation, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_zero_means_unlimited, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_writer_matches_model, fixture_setup, fixture_teardown),
	};

	/* The process umask of vigil (§3.1) and a fixed zone for the writer's localtime_r(). */
	umask(022);
	setenv("TZ", "UTC0", 1);
	tzset();
	return cmocka_run_group_tests_name("log_k8s", tests, NULL, NULL);
}
