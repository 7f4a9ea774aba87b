/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for metrics.c: the exposition text (HELP and TYPE for every family, the labels on every
 * sample, label escaping, per-stream and per-reason samples, the exit-only families), newline
 * counting, and the file: atomic replacement, mode 0644, no temporary left, the exec file name, a
 * bad directory refused with a message naming --metrics-dir.
 */
#include <fcntl.h>

#include "metrics.h"
#include "unit.h"

static MetricsSnapshot sample(void)
{
	MetricsSnapshot s = {
		.container_id = "abc",
		.container_name = "web",
		.exec_id = "",
		.stream_bytes = {1004, 7},
		.stream_lines = {100, 0},
		.log_rotations = 2,
		.log_reopens = 1,
		.log_file_bytes = 4000,
		.attach_clients = 1,
		.attach_clients_total = 3,
		.stdin_bytes = 8,
		.oom_kills = 0,
		.notify_messages = 2,
		.cpu_user_seconds = 0.25,
		.resident_bytes = 4096,
		.open_fds = 9,
		.start_time_seconds = 1700000000.5,
	};
	s.dropped[LOG_STREAM_STDOUT][METRICS_DROP_RATE_LIMIT] = 11;
	s.dropped[LOG_STREAM_STDERR][METRICS_DROP_LOG_SIZE_MAX] = 12;
	return s;
}

static const char BASE[] = "container_id=\"abc\",container_name=\"web\",exec=\"0\",exec_id=\"\"";

/* The line of out that starts with prefix (NULL if none). */
static const char *line_with(const char *out, const char *prefix)
{
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (g_str_has_prefix(p, prefix))
			return p;
	return NULL;
}

static void assert_sample(const char *out, const char *name, const char *extra, const char *value)
{
	g_autofree char *want = extra ? g_strdup_printf("%s{%s,%s} %s\n", name, BASE, extra, value)
				      : g_strdup_printf("%s{%s} %s\n", name, BASE, value);
	if (strstr(out, want) == NULL)
		fail_msg("missing sample: %s", want);
}

static void test_format(void **state)
{
	MetricsSnapshot s = sample();
	g_autoptr(GString) out = g_string_new(NULL);

	(void)state;
	metrics_format(out, &s);
	assert_sample(out->str, "vigil_stream_bytes_total", "stream=\"stdout\"", "1004");
	assert_sample(out->str, "vigil_stream_bytes_total", "stream=\"stderr\"", "7");
	assert_sample(out->str, "vigil_stream_lines_total", "stream=\"stdout\"", "100");
	assert_sample(out->str, "vigil_log_dropped_bytes_total", "stream=\"stdout\",reason=\"rate_limit\"", "11");
	assert_sample(out->str, "vigil_log_dropped_bytes_total", "stream=\"stderr\",reason=\"log_size_max\"", "12");
	assert_sample(out->str, "vigil_log_dropped_bytes_total", "stream=\"stderr\",reason=\"write_error\"", "0");
	assert_sample(out->str, "vigil_log_rotations_total", NULL, "2");
	assert_sample(out->str, "vigil_log_reopens_total", NULL, "1");
	assert_sample(out->str, "vigil_log_file_bytes", NULL, "4000");
	assert_sample(out->str, "vigil_attach_clients_connected", NULL, "1");
	assert_sample(out->str, "vigil_attach_connections_total", NULL, "3");
	assert_sample(out->str, "vigil_stdin_bytes_total", NULL, "8");
	assert_sample(out->str, "vigil_sd_notify_messages_total", NULL, "2");
	assert_sample(out->str, "vigil_cpu_seconds_total", "mode=\"user\"", "0.250000");
	assert_sample(out->str, "vigil_start_time_seconds", NULL, "1700000000.500000");
	assert_non_null(strstr(out->str, "vigil_info{"
					 "container_id=\"abc\""));
	/* not exited: no exit families */
	assert_null(strstr(out->str, "vigil_container_exit_code"));
	/* every sample's family has HELP and TYPE lines before it */
	for (const char *p = out->str; *p; p = strchr(p, '\n') + 1) {
		if (*p == '#')
			continue;
		g_autofree char *name = g_strndup(p, strcspn(p, "{ "));
		g_autofree char *help = g_strdup_printf("# HELP %s ", name);
		g_autofree char *type = g_strdup_printf("# TYPE %s ", name);
		const char *h = line_with(out->str, help), *t = line_with(out->str, type);
		if (h == NULL || t == NULL || h > p || t > p)
			fail_msg("no HELP/TYPE before %s", name);
		/* counters end in _total, gauges do not */
		assert_int_equal(g_str_has_suffix(name, "_total"), g_str_has_prefix(t + strlen(type), "counter"));
	}
	/* exited: the exit code and signal */
	s.exited = true;
	s.exit_code = 137;
	s.exit_signal = 9;
	g_string_truncate(out, 0);
	metrics_format(out, &s);
	assert_sample(out->str, "vigil_container_exit_code", NULL, "137");
	assert_sample(out->str, "vigil_container_exit_signal", NULL, "9");
	/* no file log: no file size */
	s.log_file_bytes = -1;
	g_string_truncate(out, 0);
	metrics_format(out, &s);
	assert_null(strstr(out->str, "vigil_log_file_bytes"));
}

static void test_label_escaping(void **state)
{
	MetricsSnapshot s = sample();
	g_autoptr(GString) out = g_string_new(NULL);

	(void)state;
	s.container_name = "a\"b\\c\nd";
	s.exec = true;
	s.exec_id = "x1";
	metrics_format(out, &s);
	assert_non_null(strstr(out->str, "container_name=\"a\\\"b\\\\c\\nd\",exec=\"1\",exec_id=\"x1\""));
	/* one sample per line: the newline in the name did not break a line */
	assert_null(strstr(out->str, "\nd\""));
}

static void test_count_lines(void **state)
{
	(void)state;
	assert_int_equal(metrics_count_lines("", 0), 0);
	assert_int_equal(metrics_count_lines("abc", 3), 0);
	assert_int_equal(metrics_count_lines("a\nb\n\n", 5), 3);
	g_autofree char *big = g_malloc(100000);
	for (size_t i = 0; i < 100000; i++)
		big[i] = i % 10 == 9 ? '\n' : 'x';
	assert_int_equal(metrics_count_lines(big, 100000), 10000);
	assert_int_equal(metrics_count_lines(big + 1, 99999 - 5), 9999);
}

static void test_file(void **state)
{
	g_autofree char *dir = unit_mkdtemp();
	g_autoptr(GError) error = NULL;
	MetricsSnapshot s = sample();
	struct stat st;

	(void)state;
	g_autoptr(Metrics) m = metrics_open(dir, "abc", false, NULL, &error);
	assert_non_null(m);
	assert_string_equal(metrics_file_name(m), "vigil-abc.prom");
	assert_string_equal(metrics_exec_id(m), "");
	assert_int_equal(metrics_write(m, &s), 0);
	g_autofree char *path = g_build_filename(dir, "vigil-abc.prom", NULL);
	g_autofree char *text = NULL;
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	assert_non_null(strstr(text, "vigil_stream_bytes_total{"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* replaced, not appended; nothing else in the directory */
	s.stream_bytes[0] = 5;
	assert_int_equal(metrics_write(m, &s), 0);
	g_free(text);
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	assert_non_null(strstr(text, "stream=\"stdout\"} 5\n"));
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	assert_string_equal(g_dir_read_name(d), "vigil-abc.prom");
	assert_null(g_dir_read_name(d));
	metrics_remove(m);
	assert_int_equal(access(path, F_OK), -1);
	metrics_remove(m); /* twice: quiet */

	/* an exec session: -u names it, or else the writer's PID */
	g_autoptr(Metrics) x = metrics_open(dir, "abc", true, "u1", &error);
	assert_string_equal(metrics_file_name(x), "vigil-abc-exec-u1.prom");
	g_autoptr(Metrics) y = metrics_open(dir, "abc", true, NULL, &error);
	g_autofree char *want = g_strdup_printf("vigil-abc-exec-%d.prom", (int)getpid());
	assert_string_equal(metrics_file_name(y), want);
	unit_rm_dir(dir);
}

static void test_bad_dir(void **state)
{
	g_autoptr(GError) error = NULL;

	(void)state;
	assert_null(metrics_open("/nonexistent/metrics", "abc", false, NULL, &error));
	assert_non_null(error);
	assert_string_equal(
		error->message,
		"Failed to open the metrics directory '/nonexistent/metrics' (--metrics-dir): No such file or directory");
	g_clear_error(&error);
	assert_null(metrics_open("/etc/passwd", "abc", false, NULL, &error));
	assert_non_null(strstr(error->message, "Not a directory"));
}

static void test_read_self(void **state)
{
	MetricsSnapshot s = {0};

	(void)state;
	metrics_read_self(&s);
	assert_true(s.resident_bytes > 0);
	/* no floor on open_fds: stdio may be closed (CI runs with no standard input); the count
	 * must follow an open, below */
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	MetricsSnapshot t = {0};
	metrics_read_self(&t);
	assert_int_equal(t.open_fds, s.open_fds + 1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),	    cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_count_lines), cmocka_unit_test(test_file),
		cmocka_unit_test(test_bad_dir),	    cmocka_unit_test(test_read_self),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
