/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for runtime.c: the runtime argv in the exact order of interface.md §4.2 for create,
 * restore and exec, built from parsed command lines; the default pid file (§4.1); the pid file reader.
 */
#include "options.h"
#include "runtime.h"
#include "unit.h"

#define RT "/usr/sbin/runc"

static Options *parse_ok(const char *const *argv)
{
	g_autoptr(Options) o = options_new();
	g_autoptr(GError) error = NULL;
	int argc = 0;

	while (argv[argc])
		argc++;
	if (!options_parse(o, argc, (char **)argv, &error))
		fail_msg("parse: %s", error->message);
	return g_steal_pointer(&o);
}

static void assert_argv(char **got, const char *const *want)
{
	g_autofree char *g = g_strjoinv(" ", got);
	g_autofree char *w = g_strjoinv(" ", (char **)want);

	/* compare element by element, print both on a mismatch */
	if (g_strv_length(got) != g_strv_length((char **)want))
		fail_msg("argv\n  %s\nexpected\n  %s", g, w);
	for (size_t i = 0; want[i]; i++)
		if (strcmp(got[i], want[i]) != 0)
			fail_msg("argv[%zu] '%s' != '%s'\n  %s\nexpected\n  %s", i, got[i], want[i], g, w);
}

static void test_create_minimal(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[]){"conmon", "-c", "ctr", "-r", RT, "-b", "/b", NULL});
	g_auto(GStrv) argv = runtime_build_argv(o, "/b/pidfile", NULL);

	assert_argv(argv, (const char *[]){RT, "create", "--bundle", "/b", "--pid-file", "/b/pidfile", "ctr", NULL});
}

static void test_create_full(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[]){"conmon",
							 "-c",
							 "ctr",
							 "-r",
							 RT,
							 "-b",
							 "/b",
							 "-s",
							 "--runtime-arg",
							 "--root",
							 "--runtime-arg",
							 "/run/r",
							 "--runtime-arg=--log-format=json",
							 "--no-pivot",
							 "--no-new-keyring",
							 "--runtime-opt",
							 "--preserve-fds",
							 "--runtime-opt",
							 "2",
							 "-t",
							 NULL});
	g_auto(GStrv) argv = runtime_build_argv(o, "/p", "/tmp/conmon-term.abc123");

	assert_argv(argv, (const char *[]){RT, "--systemd-cgroup", "--root", "/run/r", "--log-format=json", "create",
					   "--bundle", "/b", "--pid-file", "/p", "--no-pivot", "--no-new-keyring",
					   "--preserve-fds", "2", "--console-socket", "/tmp/conmon-term.abc123", "ctr",
					   NULL});
}

static void test_restore_full(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[]){"conmon",
							 "-c",
							 "ctr",
							 "-r",
							 RT,
							 "-b",
							 "/b",
							 "-s",
							 "--runtime-arg",
							 "--root=/run/r",
							 "--restore",
							 "/ckpt",
							 "--no-pivot",
							 "--no-new-keyring",
							 "--runtime-opt",
							 "--tcp-established",
							 "--restore-arg",
							 "--file-locks",
							 "-t",
							 NULL});
	g_auto(GStrv) argv = runtime_build_argv(o, "/p", "/tmp/sock");

	assert_argv(argv, (const char *[]){RT,
					   "--systemd-cgroup",
					   "--root=/run/r",
					   "restore",
					   "--bundle",
					   "/b",
					   "--pid-file",
					   "/p",
					   "--no-pivot",
					   "--no-new-keyring",
					   "--detach",
					   "--image-path",
					   "/ckpt",
					   "--work-path",
					   "/b",
					   "--tcp-established",
					   "--file-locks",
					   "--console-socket",
					   "/tmp/sock",
					   "ctr",
					   NULL});
}

static void test_restore_minimal(void **state)
{
	g_autoptr(Options) o =
		parse_ok((const char *[]){"conmon", "-c", "ctr", "-r", RT, "-b", "/b", "--restore", "/ckpt", NULL});
	g_auto(GStrv) argv = runtime_build_argv(o, "/p", NULL);

	assert_argv(argv, (const char *[]){RT, "restore", "--bundle", "/b", "--pid-file", "/p", "--detach",
					   "--image-path", "/ckpt", "--work-path", "/b", "ctr", NULL});
}

/* exec: never --systemd-cgroup, --no-pivot or --no-new-keyring; no --tty (2.1.11+). */
static void test_exec_full(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[]){"conmon",
							 "-c",
							 "ctr",
							 "-r",
							 RT,
							 "-b",
							 "/eb",
							 "-s",
							 "--no-pivot",
							 "--no-new-keyring",
							 "--runtime-arg",
							 "--root=/run/r",
							 "-e",
							 "--exec-process-spec",
							 "/eb/spec",
							 "--runtime-opt",
							 "--preserve-fds",
							 "--runtime-opt",
							 "1",
							 "-t",
							 NULL});
	g_auto(GStrv) argv = runtime_build_argv(o, "/eb/exec_pid", "/tmp/sock");

	assert_argv(argv,
		    (const char *[]){RT, "--root=/run/r", "exec", "--pid-file", "/eb/exec_pid", "--process", "/eb/spec",
				     "--detach", "--preserve-fds", "1", "--console-socket", "/tmp/sock", "ctr", NULL});
}

static void test_exec_minimal(void **state)
{
	g_autoptr(Options) o =
		parse_ok((const char *[]){"conmon", "-c", "ctr", "-r", RT, "-e", "--exec-process-spec", "/spec", NULL});
	g_auto(GStrv) argv = runtime_build_argv(o, "/p", NULL);

	assert_argv(argv,
		    (const char *[]){RT, "exec", "--pid-file", "/p", "--process", "/spec", "--detach", "ctr", NULL});
}

/* Values that look like options are passed through as they are, in order. */
static void test_args_keep_order(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[]){"conmon", "-c", "ctr", "-r", RT, "-b", "/b", "--runtime-arg",
							 "b", "--runtime-arg", "a", "--runtime-opt", "z",
							 "--runtime-opt", "y", "--runtime-arg", "c", NULL});
	g_auto(GStrv) argv = runtime_build_argv(o, "/p", NULL);

	assert_argv(argv, (const char *[]){RT, "b", "a", "c", "create", "--bundle", "/b", "--pid-file", "/p", "z", "y",
					   "ctr", NULL});
}

/* §4.1: without -b, the bundle is the working directory for create and restore. */
static void test_bundle_defaults_to_cwd(void **state)
{
	g_autofree char *cwd = g_get_current_dir();
	g_autoptr(Options) o = parse_ok((const char *[]){"conmon", "-c", "ctr", "-r", RT, NULL});
	g_auto(GStrv) argv = runtime_build_argv(o, "/p", NULL);

	assert_argv(argv, (const char *[]){RT, "create", "--bundle", cwd, "--pid-file", "/p", "ctr", NULL});

	g_autoptr(Options) r = parse_ok((const char *[]){"conmon", "-c", "ctr", "-r", RT, "--restore", "/k", NULL});
	g_auto(GStrv) rargv = runtime_build_argv(r, "/p", NULL);
	assert_argv(rargv, (const char *[]){RT, "restore", "--bundle", cwd, "--pid-file", "/p", "--detach",
					    "--image-path", "/k", "--work-path", cwd, "ctr", NULL});
}

static void test_default_pidfile(void **state)
{
	g_autofree char *cwd = g_get_current_dir();
	g_autofree char *want = g_strdup_printf("%s/pidfile-abc123", cwd);
	g_autofree char *got = runtime_default_pidfile("abc123");

	assert_string_equal(got, want);
}

static void test_read_pidfile(void **state)
{
	static const struct {
		const char *content;
		int r;
		pid_t pid;
	} cases[] = {
		{"12345", 0, 12345},	       {"12345\n", 0, 12345},	   {"1", 0, 1},	       {"", -EINVAL, 0},
		{"abc", -EINVAL, 0},	       {"0", -EINVAL, 0},	   {"-5", -EINVAL, 0}, {"12x", -EINVAL, 0},
		{"2147483647", 0, 2147483647}, {"2147483648", -EINVAL, 0},
	};
	g_autofree char *dir = unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "pidfile", NULL);
	g_autofree char *missing = g_build_filename(dir, "missing", NULL);
	int failures = 0;
	pid_t pid;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		int r;

		unit_write_file(path, cases[i].content, 0644);
		pid = -77;
		r = runtime_read_pidfile(path, &pid);
		if (r != cases[i].r || (r == 0 && pid != cases[i].pid)) {
			print_message("# pid file '%s': r=%d pid=%d, expected r=%d pid=%d\n", cases[i].content, r,
				      (int)pid, cases[i].r, (int)cases[i].pid);
			failures++;
		}
	}
	if (runtime_read_pidfile(missing, &pid) != -ENOENT)
		failures++;
	unit_rm_dir(dir);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_minimal),	cmocka_unit_test(test_create_full),
		cmocka_unit_test(test_restore_full),	cmocka_unit_test(test_restore_minimal),
		cmocka_unit_test(test_exec_full),	cmocka_unit_test(test_exec_minimal),
		cmocka_unit_test(test_args_keep_order), cmocka_unit_test(test_bundle_defaults_to_cwd),
		cmocka_unit_test(test_default_pidfile), cmocka_unit_test(test_read_pidfile),
	};

	return cmocka_run_group_tests_name("runtime", tests, NULL, NULL);
}
