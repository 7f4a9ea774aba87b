/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for log_sink.c: the -l/--log-path syntax of interface.md §8.1 (log_config_parse).
 */
#include "log_sink.h"
#include "options.h"
#include "unit.h"

#define MAXV 8

typedef struct LogCase {
	const char *values[MAXV]; /* the -l values in argv order, NULL-terminated */
	const char *error;	  /* exact message, or NULL when it must parse */
	const char *k8s_path;	  /* expected k8s-file path, or NULL for none */
	bool journald;
	bool passthrough;
} LogCase;

static const LogCase cases[] = {
	/* k8s-file */
	{{"k8s-file:/var/log/ctr.log"}, NULL, "/var/log/ctr.log", false, false},
	{{"/var/log/ctr.log"}, NULL, "/var/log/ctr.log", false, false},
	{{"relative.log"}, NULL, "relative.log", false, false},
	{{":/p"}, NULL, "/p", false, false},
	/* json-file is not an alias: a file of that name */
	{{"json-file"}, NULL, "json-file", false, false},
	/* ":none" and ":journald" are files named none and journald */
	{{":none"}, NULL, "none", false, false},
	{{":journald"}, NULL, "journald", false, false},
	{{":passthrough"}, NULL, "passthrough", false, false},
	/* later colons are lost */
	{{"k8s-file:/a:b"}, NULL, "/a", false, false},
	{{"k8s-file:/a:b:c"}, NULL, "/a", false, false},
	{{":/a:b"}, NULL, "/a", false, false},
	/* journald, path ignored */
	{{"journald"}, NULL, NULL, true, false},
	{{"journald:"}, NULL, NULL, true, false},
	{{"journald:ANY"}, NULL, NULL, true, false},
	{{"journald:/some/path:x"}, NULL, NULL, true, false},
	/* passthrough */
	{{"passthrough"}, NULL, NULL, false, true},
	/* none, off, null: nothing (also with a trailing colon, as upstream's 01-basic.bats runs them) */
	{{"none"}, NULL, NULL, false, false},
	{{"off"}, NULL, NULL, false, false},
	{{"null"}, NULL, NULL, false, false},
	{{"none:"}, NULL, NULL, false, false},
	{{"off:"}, NULL, NULL, false, false},
	{{"null:"}, NULL, NULL, false, false},
	/* errors */
	{{"k8s-file"}, "k8s-file requires a filename", NULL, false, false},
	{{"k8s-file:"}, "k8s-file requires a filename", NULL, false, false},
	{{""}, "log-path must not be empty", NULL, false, false},
	{{":"}, "log-path must not be empty", NULL, false, false},
	{{"invalid:/x"}, "No such log driver invalid", NULL, false, false},
	{{"invalid:"}, "No such log driver invalid", NULL, false, false},
	{{"syslog:/x"}, "No such log driver syslog", NULL, false, false},
	/* a plain path with a colon hits the unknown-driver error */
	{{"/var/log/a:b"}, "No such log driver /var/log/a", NULL, false, false},
	/* several values: all drivers active, the last k8s-file path wins */
	{{"k8s-file:/a", "journald"}, NULL, "/a", true, false},
	{{"journald:", "k8s-file:/a"}, NULL, "/a", true, false},
	{{"k8s-file:/a", "/b"}, NULL, "/b", false, false},
	{{"/a", ":/b", "k8s-file:/c"}, NULL, "/c", false, false},
	/* none keeps the other drivers */
	{{"k8s-file:/a", "none"}, NULL, "/a", false, false},
	{{"none", "k8s-file:/a"}, NULL, "/a", false, false},
	{{"journald", "off", "null"}, NULL, NULL, true, false},
	{{"passthrough", "k8s-file:/a"}, NULL, "/a", false, true},
	/* one bad value fails the whole list */
	{{"k8s-file:/a", "invalid:/x"}, "No such log driver invalid", NULL, false, false},
	{{"journald", "k8s-file:"}, "k8s-file requires a filename", NULL, false, false},
};

static char *describe(const LogCase *c)
{
	return g_strjoinv(" -l ", (char **)c->values);
}

static void test_log_path_table(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const LogCase *c = &cases[i];
		g_autofree char *what = describe(c);
		g_autoptr(GError) error = NULL;
		LogConfig cfg = {0};
		gboolean ok = log_config_parse(&cfg, c->values, &error);

		if (c->error != NULL) {
			if (ok) {
				print_message("# -l %s: parsed, expected '%s'\n", what, c->error);
				failures++;
			} else if (error->domain != OPTIONS_ERROR || error->code != OPTIONS_ERROR_FATAL ||
				   strcmp(error->message, c->error) != 0) {
				print_message("# -l %s: got '%s' (code %d), expected '%s'\n", what, error->message,
					      error->code, c->error);
				failures++;
			}
		} else if (!ok) {
			print_message("# -l %s: unexpected error '%s'\n", what, error->message);
			failures++;
		} else if (g_strcmp0(cfg.k8s_path, c->k8s_path) != 0 || cfg.journald != c->journald ||
			   cfg.passthrough != c->passthrough) {
			print_message("# -l %s: got k8s=%s journald=%d passthrough=%d, expected k8s=%s journald=%d "
				      "passthrough=%d\n",
				      what, cfg.k8s_path ? cfg.k8s_path : "(none)", cfg.journald, cfg.passthrough,
				      c->k8s_path ? c->k8s_path : "(none)", c->journald, c->passthrough);
			failures++;
		}
		log_config_clear(&cfg);
	}
	assert_int_equal(failures, 0);
}

static void test_empty_list(void **state)
{
	const char *const none[] = {NULL};
	LogConfig cfg = {0};

	assert_true(log_config_parse(&cfg, none, NULL));
	assert_null(cfg.k8s_path);
	assert_false(cfg.journald);
	assert_false(cfg.passthrough);
}

static void test_clear_resets(void **state)
{
	const char *const values[] = {"k8s-file:/a", "journald", "passthrough", NULL};
	LogConfig cfg = {0};

	assert_true(log_config_parse(&cfg, values, NULL));
	assert_string_equal(cfg.k8s_path, "/a");
	log_config_clear(&cfg);
	assert_null(cfg.k8s_path);
	assert_false(cfg.journald);
	assert_false(cfg.passthrough);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_path_table),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_clear_resets),
	};

	return cmocka_run_group_tests_name("log_sink", tests, NULL, NULL);
}
