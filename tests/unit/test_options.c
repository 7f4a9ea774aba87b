/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for options.c: GOption semantics of interface.md §1.1 over many argv vectors, the
 * option table of §1.2, the validation order and messages of §1.3, and --help (§14.5).
 */
#include <stdlib.h>
#include <sys/wait.h>

#include "config.h"
#include "options.h"
#include "unit.h"

#define CID  "0123456789abcdef0123" /* longer than 12 characters: journald accepts it */
#define MAXV 48
/* argv with argv[0] = "conmon", NULL-terminated. */
#define A(...)                              \
	{                                   \
		"conmon", __VA_ARGS__, NULL \
	}

static gboolean parse(Options *o, const char *const *argv, GError **error)
{
	return options_parse(o, (int)g_strv_length((char **)argv), (char **)argv, error);
}

/* Parse, fail the test with GOption's message if it does not parse. */
static Options *parse_ok(const char *const *argv)
{
	g_autoptr(Options) o = options_new();
	g_autoptr(GError) error = NULL;

	if (!parse(o, argv, &error))
		fail_msg("unexpected parse error: %s", error->message);
	return g_steal_pointer(&o);
}

static void assert_strv(char **got, const char *const *want)
{
	size_t n = want ? g_strv_length((char **)want) : 0;

	if (n == 0) {
		assert_true(got == NULL || got[0] == NULL);
		return;
	}
	assert_non_null(got);
	assert_int_equal(g_strv_length(got), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(got[i], want[i]);
}

/* ---- §1.1 parsing rules ---------------------------------------------------------------------- */

static void test_defaults(void **state)
{
	g_autoptr(Options) o = options_new();

	assert_int_equal(o->log_size_max, -1);
	assert_int_equal(o->log_global_size_max, -1);
	assert_int_equal(o->log_max_files, 1);
	assert_int_equal(o->timeout, 0);
	assert_int_equal(o->exit_delay, 0);
	assert_false(o->api_version);
	assert_null(o->cid);
}

/* The value is always the next argv element, even when it starts with '-'. */
static void test_values_starting_with_dash(void **state)
{
	const char *argv[] =
		A("--runtime-arg", "--log-format=json", "--runtime-opt", "--preserve-fds", "--runtime-opt", "2",
		  "--exit-command-arg", "--root", "--exit-command-arg", "/var/lib/containers", "--log-size-max", "-1",
		  "-c", "-cid-with-dash", "--log-global-size-max", "-5", "--timeout", "-3", "-n", "--name");
	g_autoptr(Options) o = parse_ok(argv);

	assert_strv(o->runtime_args, (const char *[]){"--log-format=json", NULL});
	assert_strv(o->runtime_opts, (const char *[]){"--preserve-fds", "2", NULL});
	assert_strv(o->exit_command_args, (const char *[]){"--root", "/var/lib/containers", NULL});
	assert_int_equal(o->log_size_max, -1);
	assert_int_equal(o->log_global_size_max, -5);
	assert_int_equal(o->timeout, -3);
	assert_string_equal(o->cid, "-cid-with-dash");
	assert_string_equal(o->name, "--name");
}

static void test_api_version_forms(void **state)
{
	const char *const *const vectors[] = {
		(const char *[])A("--api-version", "1", "-c", "x"),
		(const char *[])A("--api-version=1", "-c", "x"),
		(const char *[])A("-c", "x", "--api-version"),
		(const char *[])A("--api-version", "-c", "x"),
	};

	for (size_t i = 0; i < G_N_ELEMENTS(vectors); i++) {
		g_autoptr(Options) o = parse_ok(vectors[i]);
		assert_true(o->api_version);
		assert_string_equal(o->cid, "x");
	}
	/* Without it: the legacy protocol. */
	g_autoptr(Options) legacy = parse_ok((const char *[])A("-c", "x"));
	assert_false(legacy->api_version);
}

/* Podman 4.3.1's own order puts "--api-version 1" first and the "1" must not end option parsing. */
static void test_api_version_then_options(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[])A("--api-version", "1", "-c", "a", "-u", "b", "-r", "/bin/true",
							  "-b", "/bundle", "--full-attach"));

	assert_true(o->api_version);
	assert_string_equal(o->cid, "a");
	assert_string_equal(o->cuuid, "b");
	assert_string_equal(o->runtime, "/bin/true");
	assert_string_equal(o->bundle, "/bundle");
	assert_true(o->full_attach);
}

static void test_long_option_equals_form(void **state)
{
	g_autoptr(Options) o =
		parse_ok((const char *[])A("--cid=a", "--runtime=/r", "--timeout=10", "--log-path=/l",
					   "--runtime-arg=--root=/x", "--log-size-max=4096", "--exit-delay=7"));

	assert_string_equal(o->cid, "a");
	assert_string_equal(o->runtime, "/r");
	assert_int_equal(o->timeout, 10);
	assert_strv(o->log_paths, (const char *[]){"/l", NULL});
	assert_strv(o->runtime_args, (const char *[]){"--root=/x", NULL});
	assert_int_equal(o->log_size_max, 4096);
	assert_int_equal(o->exit_delay, 7);
}

static void test_string_last_wins(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[])A("-c", "first", "--cid", "second", "--cid=third", "-r", "/a",
							  "-r", "/b", "--log-level", "debug", "--log-level", "info",
							  "-p", "/p1", "--pidfile", "/p2"));

	assert_string_equal(o->cid, "third");
	assert_string_equal(o->runtime, "/b");
	assert_string_equal(o->log_level, "info");
	/* --pidfile is a hidden alias of -p: the same field, so the last one wins. */
	assert_string_equal(o->container_pidfile, "/p2");
}

static void test_arrays_accumulate_in_order(void **state)
{
	g_autoptr(Options) o = parse_ok(
		(const char *[])A("-l", "k8s-file:/a", "--log-path", "journald", "--log-path=/b", "--runtime-arg", "r1",
				  "--runtime-arg", "r2", "--runtime-opt", "o1", "--restore-arg", "o2", "--runtime-opt",
				  "o3", "--exit-command-arg", "e1", "--exit-command-arg", "e2", "--log-label", "A=1",
				  "--log-label", "B=2", "--log-allowlist-dir", "/d1", "--log-allowlist-dir", "/d2"));

	assert_strv(o->log_paths, (const char *[]){"k8s-file:/a", "journald", "/b", NULL});
	assert_strv(o->runtime_args, (const char *[]){"r1", "r2", NULL});
	/* --restore-arg is an alias of --runtime-opt: one list, in argv order. */
	assert_strv(o->runtime_opts, (const char *[]){"o1", "o2", "o3", NULL});
	assert_strv(o->exit_command_args, (const char *[]){"e1", "e2", NULL});
	assert_strv(o->log_labels, (const char *[]){"A=1", "B=2", NULL});
	assert_strv(o->log_allowlist_dirs, (const char *[]){"/d1", "/d2", NULL});
}

static void test_integers(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[])A(
		"--timeout", "2147483647", "--exit-delay", "0", "--log-max-files", "-2147483648", "--log-size-max",
		"9223372036854775807", "--log-global-size-max", "-9223372036854775808"));

	assert_int_equal(o->timeout, G_MAXINT);
	assert_int_equal(o->exit_delay, 0);
	assert_int_equal(o->log_max_files, G_MININT);
	assert_true(o->log_size_max == G_MAXINT64);
	assert_true(o->log_global_size_max == G_MININT64);

	g_autoptr(Options) p = parse_ok((const char *[])A("-T", "5", "--log-max-files", "3", "--log-size-max", "0"));
	assert_int_equal(p->timeout, 5);
	assert_int_equal(p->log_max_files, 3);
	assert_int_equal(p->log_size_max, 0);
}

static void test_double_dash_ends_options(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[])A("-c", "a", "--", "-c", "b", "--bogus", "--timeout", "x"));

	assert_string_equal(o->cid, "a");
	assert_int_equal(o->timeout, 0);
}

static void test_positionals_ignored(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[])A("stray", "-c", "a", "1", "another", "-t"));

	assert_string_equal(o->cid, "a");
	assert_true(o->terminal);
}

static void test_short_options(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[])A("-c", "cid", "-u", "uuid", "-n", "name", "-r", "/rt", "-b",
							  "/bundle", "-p", "/pid", "-P", "/conmon.pid", "-0",
							  "/persist", "-l", "/log", "-T", "9", "-ti", "-s", "-e"));

	assert_string_equal(o->cid, "cid");
	assert_string_equal(o->cuuid, "uuid");
	assert_string_equal(o->name, "name");
	assert_string_equal(o->runtime, "/rt");
	assert_string_equal(o->bundle, "/bundle");
	assert_string_equal(o->container_pidfile, "/pid");
	assert_string_equal(o->conmon_pidfile, "/conmon.pid");
	assert_string_equal(o->persist_dir, "/persist");
	assert_strv(o->log_paths, (const char *[]){"/log", NULL});
	assert_int_equal(o->timeout, 9);
	assert_true(o->terminal);
	assert_true(o->stdin_open);
	assert_true(o->systemd_cgroup);
	assert_true(o->exec);
}

#define FIELD(name) offsetof(Options, name)

typedef struct FlagField {
	const char *flag;
	size_t field; /* offset of the Options member it sets */
} FlagField;

/* Each flag alone sets its own field and nothing else. */
static void test_every_long_flag(void **state)
{
	static const FlagField flags[] = {
		{"--terminal", FIELD(terminal)},
		{"--stdin", FIELD(stdin_open)},
		{"--leave-stdin-open", FIELD(leave_stdin_open)},
		{"--no-new-keyring", FIELD(no_new_keyring)},
		{"--no-pivot", FIELD(no_pivot)},
		{"--replace-listen-pid", FIELD(replace_listen_pid)},
		{"--systemd-cgroup", FIELD(systemd_cgroup)},
		{"--exec", FIELD(exec)},
		{"--exec-attach", FIELD(exec_attach)},
		{"--no-sync-log", FIELD(no_sync_log)},
		{"--no-container-partial-message", FIELD(no_container_partial_message)},
		{"--log-rotate", FIELD(log_rotate)},
		{"--sync", FIELD(sync)},
		{"--syslog", FIELD(syslog)},
		{"--version", FIELD(version)},
		{"--full-attach", FIELD(full_attach)},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(flags); i++) {
		g_autoptr(Options) o = parse_ok((const char *[]){"conmon", flags[i].flag, NULL});

		for (size_t j = 0; j < G_N_ELEMENTS(flags); j++)
			assert_int_equal(*(gboolean *)((char *)o + flags[j].field), i == j);
	}
}

static void test_every_long_string(void **state)
{
	static const FlagField strings[] = {
		{"--cid", FIELD(cid)},
		{"--cuuid", FIELD(cuuid)},
		{"--name", FIELD(name)},
		{"--runtime", FIELD(runtime)},
		{"--bundle", FIELD(bundle)},
		{"--container-pidfile", FIELD(container_pidfile)},
		{"--conmon-pidfile", FIELD(conmon_pidfile)},
		{"--exec-process-spec", FIELD(exec_process_spec)},
		{"--exit-dir", FIELD(exit_dir)},
		{"--persist-dir", FIELD(persist_dir)},
		{"--exit-command", FIELD(exit_command)},
		{"--restore", FIELD(restore)},
		{"--socket-dir-path", FIELD(socket_dir_path)},
		{"--log-tag", FIELD(log_tag)},
		{"--log-level", FIELD(log_level)},
		{"--sdnotify-socket", FIELD(sdnotify_socket)},
		{"--seccomp-notify-socket", FIELD(seccomp_notify_socket)},
		{"--seccomp-notify-plugins", FIELD(seccomp_notify_plugins)},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(strings); i++) {
		g_autofree char *value = g_strdup_printf("value-of%s", strings[i].flag);
		g_autoptr(Options) o = parse_ok((const char *[]){"conmon", strings[i].flag, value, NULL});
		const char *got = *(char **)((char *)o + strings[i].field);

		assert_non_null(got);
		assert_string_equal(got, value);
	}
}

/* Empty values are values: "--log-path ''" is parsed (and rejected later by §8.1). */
static void test_empty_values(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[])A("-l", "", "--cid", ""));

	assert_strv(o->log_paths, (const char *[]){"", NULL});
	assert_string_equal(o->cid, "");
}

/* --version parses even when every required option is missing (§1.3 step 1). */
static void test_version_alone(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[])A("--version"));

	assert_true(o->version);
	assert_null(o->cid);
}

typedef struct ParseError {
	const char *argv[MAXV];
	const char *message; /* GLib's exact text (C locale) */
} ParseError;

static const ParseError parse_errors[] = {
	/* §1.1: short options take only "-x value"; GOption reads the 'c' of "-cfoo" as taking the next element */
	{A("-cfoo", "-r", "/bin/true"), "Unknown option -cfoo"},
	{A("-cfoo"), "Missing argument for -c"},
	{A("--bogus"), "Unknown option --bogus"},
	{A("-c", "a", "--no-such-option", "x"), "Unknown option --no-such-option"},
	{A("-Z"), "Unknown option -Z"},
	{A("-c"), "Missing argument for -c"},
	{A("--cid"), "Missing argument for --cid"},
	{A("-c", "a", "--runtime-arg"), "Missing argument for --runtime-arg"},
	{A("--timeout", "abc"), "Cannot parse integer value “abc” for --timeout"},
	{A("--timeout", "10x"), "Cannot parse integer value “10x” for --timeout"},
	{A("--timeout", ""), "Cannot parse integer value “” for --timeout"},
	{A("-T", "1.5"), "Cannot parse integer value “1.5” for -T"},
	{A("--timeout", "2147483648"), "Integer value “2147483648” for --timeout out of range"},
	{A("--exit-delay", "-2147483649"), "Integer value “-2147483649” for --exit-delay out of range"},
	{A("--log-max-files", "2147483648"), "Integer value “2147483648” for --log-max-files out of range"},
	{A("--log-size-max", "9223372036854775808"),
	 "Integer value “9223372036854775808” for --log-size-max out of range"},
	{A("--log-global-size-max", "-9223372036854775809"),
	 "Integer value “-9223372036854775809” for --log-global-size-max out of range"},
	{A("--log-size-max", "1k"), "Cannot parse integer value “1k” for --log-size-max"},
};

static void test_parse_errors(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(parse_errors); i++) {
		g_autoptr(Options) o = options_new();
		g_autoptr(GError) error = NULL;
		const ParseError *c = &parse_errors[i];

		if (parse(o, c->argv, &error)) {
			print_message("# case %zu (%s): parsed, expected '%s'\n", i, c->argv[1], c->message);
			failures++;
		} else if (error->domain != OPTIONS_ERROR || error->code != OPTIONS_ERROR_PARSE ||
			   strcmp(error->message, c->message) != 0) {
			print_message("# case %zu: got '%s' (code %d), expected '%s'\n", i, error->message, error->code,
				      c->message);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- §1.2: the option sets the engines really pass ------------------------------------------ */

static void test_podman_create_argv(void **state)
{
	const char *argv[] =
		A("--api-version", "1", "-c", CID, "-u", CID, "-r", "/bin/true", "-b", "/ud", "-p", "/run/pidfile",
		  "-n", "web", "--exit-dir", "/run/exits", "--full-attach", "--runtime-arg", "--root", "--runtime-arg",
		  "/run/runc", "-s", "-l", "k8s-file:/ud/ctr.log", "--log-level", "warning", "--syslog",
		  "--log-size-max", "1048576", "--runtime-arg", "--log-format=json", "--runtime-arg", "--log",
		  "--runtime-arg=/run/oci-log", "-t", "--timeout=30", "--conmon-pidfile", "/run/conmon.pid",
		  "--exit-command", "/usr/bin/podman", "--exit-command-arg", "--root", "--exit-command-arg",
		  "/var/lib/containers/storage", "--runtime-opt", "--preserve-fds", "--runtime-opt", "1");
	g_autoptr(Options) o = parse_ok(argv);
	g_autoptr(GError) error = NULL;

	assert_true(o->api_version);
	assert_strv(o->runtime_args,
		    (const char *[]){"--root", "/run/runc", "--log-format=json", "--log", "/run/oci-log", NULL});
	assert_strv(o->runtime_opts, (const char *[]){"--preserve-fds", "1", NULL});
	assert_strv(o->exit_command_args, (const char *[]){"--root", "/var/lib/containers/storage", NULL});
	assert_int_equal(o->timeout, 30);
	assert_int_equal(o->log_size_max, 1048576);
	if (!options_validate(o, &error))
		fail_msg("validate: %s", error->message);
	assert_string_equal(o->log.k8s_path, "/ud/ctr.log");
	assert_false(o->log.journald);
}

static void test_podman_exec_argv(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[])A(
		"--api-version", "1", "-c", CID, "-u", "sess", "-r", "/bin/true", "-b", "/ud/sess", "-p",
		"/eb/exec_pid", "-n", "web", "--exit-dir", "/eb/exit", "--full-attach", "-l", "none", "--log-level",
		"error", "-t", "-i", "-e", "--exec-attach", "--exec-process-spec", "/eb/exec-process-123",
		"--exit-command", "/usr/bin/podman", "--exit-delay", "300"));
	g_autoptr(GError) error = NULL;

	if (!options_validate(o, &error))
		fail_msg("validate: %s", error->message);
	assert_true(o->exec && o->exec_attach && o->api_version);
	assert_int_equal(o->exit_delay, 300);
	assert_null(o->log.k8s_path);
	assert_false(o->log.journald);
	assert_false(o->log.passthrough);
}

/* CRI-O ExecSync: legacy exec, no -u, no -b. */
static void test_crio_execsync_argv(void **state)
{
	g_autoptr(Options) o = parse_ok((const char *[])A(
		"-c", CID, "-n", "k8s_ctr", "-r", "/bin/true", "-p", "/tmp/pid", "-e", "-l", "/tmp/exec.log",
		"--socket-dir-path", "/var/run/crio", "--log-level", "info", "--sync", "--log-global-size-max",
		"16777216", "-T", "5", "--exec-process-spec", "/tmp/spec", "--runtime-arg", "--root=/run/runc"));
	g_autoptr(GError) error = NULL;

	if (!options_validate(o, &error))
		fail_msg("validate: %s", error->message);
	assert_null(o->cuuid);
	assert_false(o->api_version);
	assert_true(o->sync);
	assert_int_equal(o->log_global_size_max, 16777216);
	assert_string_equal(o->log.k8s_path, "/tmp/exec.log");
}

/* ---- §1.3 validation order and messages ------------------------------------------------------ */

typedef enum { EXACT, SUBSTR } Match;

#define MUST_PASS (-1) /* the argv must validate */
#define ANY_CODE  (-2) /* any OPTIONS_ERROR code */

typedef struct ValidateCase {
	const char *name;
	const char *argv[MAXV];
	int code; /* an OptionsErrorCode, MUST_PASS or ANY_CODE */
	Match match;
	const char *message;
} ValidateCase;

/*
 * A cascade: the first row has an error at every step; each next row fixes the earliest one, so the
 * table checks both every message and that each step is reported before all later ones.
 */
static const ValidateCase cascade[] = {
	/* the text upstream's test/06-log-management.bats greps for */
	{"2: negative --log-max-files",
	 A("--log-max-files", "-1", "--log-level", "bogus", "--restore", "/ckpt", "-e", "--exec-attach", "--exit-delay",
	   "-1"),
	 OPTIONS_ERROR_PLAIN, SUBSTR, "log-max-files must be non-negative"},
	{"3: missing --cid",
	 A("--log-level", "bogus", "--restore", "/ckpt", "-e", "--exec-attach", "--exit-delay", "-1"), ANY_CODE, EXACT,
	 "Container ID not provided. Use --cid"},
	{"4: unknown --log-level",
	 A("-c", CID, "--log-level", "bogus", "--restore", "/ckpt", "-e", "--exec-attach", "--exit-delay", "-1"),
	 OPTIONS_ERROR_FATAL, EXACT, "No such log level bogus"},
	{"5: exec and restore", A("-c", CID, "--restore", "/ckpt", "-e", "--exec-attach", "--exit-delay", "-1"),
	 OPTIONS_ERROR_FATAL, EXACT, "Cannot use 'exec' and 'restore' at the same time"},
	{"6: attach on legacy exec", A("-c", CID, "-e", "--exec-attach", "--exit-delay", "-1"), OPTIONS_ERROR_FATAL,
	 EXACT, "Attach can only be specified for a non-legacy exec session"},
	{"7: missing --cuuid", A("-c", CID, "-e", "--exec-attach", "--api-version", "--exit-delay", "-1"),
	 OPTIONS_ERROR_FATAL, EXACT, "Container UUID not provided. Use --cuuid"},
	{"8: missing --runtime", A("-c", CID, "-u", CID, "-e", "--exec-attach", "--api-version", "--exit-delay", "-1"),
	 OPTIONS_ERROR_FATAL, EXACT, "Runtime path not provided. Use --runtime"},
	{"9: missing --exec-process-spec",
	 A("-c", CID, "-u", CID, "-r", "/bin/true", "-e", "--exec-attach", "--api-version", "--exit-delay", "-1"),
	 OPTIONS_ERROR_FATAL, EXACT, "Exec process spec path not provided. Use --exec-process-spec"},
	/* the contract fixes no text here (conmon: "Delay before invoking exit command must be greater than or equal to
	   0") */
	{"10: negative --exit-delay",
	 A("-c", CID, "-u", CID, "-r", "/bin/true", "-e", "--exec-attach", "--api-version", "--exec-process-spec",
	   "/spec", "--exit-delay", "-1"),
	 OPTIONS_ERROR_FATAL, SUBSTR, "elay"},
	{"11: no -l",
	 A("-c", CID, "-u", CID, "-r", "/bin/true", "-e", "--exec-attach", "--api-version", "--exec-process-spec",
	   "/spec"),
	 OPTIONS_ERROR_FATAL, EXACT, "Log driver not provided. Use --log-path"},
	{"valid",
	 A("-c", CID, "-u", CID, "-r", "/bin/true", "-e", "--exec-attach", "--api-version", "--exec-process-spec",
	   "/spec", "-l", "none"),
	 MUST_PASS, EXACT, NULL},
};

/* -c, -u and an executable -r: what every create needs */
#define BASE "-c", CID, "-u", CID, "-r", "/bin/true"

static const ValidateCase single[] = {
	{"--log-max-files 0 without rotation", A("--log-max-files", "0", BASE, "-l", "/x"), MUST_PASS, EXACT, NULL},
	{"--log-rotate --log-max-files 1", A("--log-rotate", "--log-max-files", "1", BASE, "-l", "/x"), MUST_PASS,
	 EXACT, NULL},
	/* step 2 comes before step 3 even for the rotate form */
	{"rotate error before missing cid", A("--log-rotate", "--log-max-files", "0"), OPTIONS_ERROR_PLAIN, SUBSTR,
	 "log-max-files"},
	/* step 6, first half: without -e */
	{"attach without exec", A("-c", CID, "--exec-attach"), OPTIONS_ERROR_FATAL, EXACT,
	 "Attach can only be specified with exec"},
	{"attach without exec or api", A("-c", CID, "--exec-attach", "--api-version"), OPTIONS_ERROR_FATAL, EXACT,
	 "Attach can only be specified with exec"},
	/* step 7: create needs -u, legacy exec does not */
	{"create without -u", A("-c", CID, "-r", "/bin/true", "-l", "/x"), OPTIONS_ERROR_FATAL, EXACT,
	 "Container UUID not provided. Use --cuuid"},
	{"legacy exec without -u", A("-c", CID, "-r", "/bin/true", "-e", "--exec-process-spec", "/s", "-l", "/x"),
	 MUST_PASS, EXACT, NULL},
	{"api exec without -u", A("-c", CID, "--api-version", "-r", "/bin/true", "-e", "--exec-process-spec", "/s"),
	 OPTIONS_ERROR_FATAL, EXACT, "Container UUID not provided. Use --cuuid"},
	/* step 11 and §8.1 through validate */
	{"empty -l", A(BASE, "-l", ""), OPTIONS_ERROR_FATAL, EXACT, "log-path must not be empty"},
	{"unknown driver", A(BASE, "-l", "k8s-file:/a", "-l", "invalid:/x"), OPTIONS_ERROR_FATAL, EXACT,
	 "No such log driver invalid"},
	{"k8s-file without file", A(BASE, "-l", "k8s-file:"), OPTIONS_ERROR_FATAL, EXACT,
	 "k8s-file requires a filename"},
#if USE_JOURNALD
	{"journald with a 12-character cid", A("-c", "abcdefghijkl", "-u", "u", "-r", "/bin/true", "-l", "journald:"),
	 OPTIONS_ERROR_FATAL, EXACT, "Container ID must be longer than 12 characters"},
	{"journald with a 13-character cid", A("-c", "abcdefghijklm", "-u", "u", "-r", "/bin/true", "-l", "journald"),
	 MUST_PASS, EXACT, NULL},
	{"journald plus k8s-file with --log-tag",
	 A(BASE, "-l", "k8s-file:/a", "-l", "journald", "--log-tag", "t", "--log-label", "A=1"), MUST_PASS, EXACT,
	 NULL},
#else
	{"journald not compiled in", A(BASE, "-l", "journald"), OPTIONS_ERROR_FATAL, EXACT,
	 "Include journald in compilation path to log to systemd journal"},
#endif
	/* §8.1: --log-tag / --log-label with k8s-file and no journald */
	{"k8s-file with --log-tag", A(BASE, "-l", "/a", "--log-tag", "t"), OPTIONS_ERROR_FATAL, SUBSTR, "log-tag"},
	{"k8s-file with --log-label", A(BASE, "-l", "/a", "--log-label", "A=1"), OPTIONS_ERROR_FATAL, SUBSTR,
	 "log-label"},
	/* §8.1 label syntax: exactly one '=', non-empty name of A-Z0-9_ */
	{"label ok", A(BASE, "-l", "none", "--log-label", "A_1=x y", "--log-label", "B="), MUST_PASS, EXACT, NULL},
	{"label lower case", A(BASE, "-l", "none", "--log-label", "a=b"), OPTIONS_ERROR_FATAL, EXACT,
	 "Container label names must contain only uppercase letters, numbers and underscore (in 'a=b')"},
	{"label without =", A(BASE, "-l", "none", "--log-label", "AB"), OPTIONS_ERROR_FATAL, EXACT,
	 "Container labels must be in format LABEL=VALUE (no LABEL present in 'AB')"},
	{"label with empty name", A(BASE, "-l", "none", "--log-label", "=x"), OPTIONS_ERROR_FATAL, EXACT,
	 "Container labels must be in format LABEL=VALUE (no LABEL present in '=x')"},
	{"label with two =", A(BASE, "-l", "none", "--log-label", "A=b=c"), OPTIONS_ERROR_FATAL, EXACT,
	 "Container labels must be in format LABEL=VALUE (none or more than one '=' present in 'A=b=c')"},
	{"label with dash", A(BASE, "-l", "none", "--log-label", "A-B=c"), OPTIONS_ERROR_FATAL, EXACT,
	 "Container label names must contain only uppercase letters, numbers and underscore (in 'A-B=c')"},
	/* §13: parsed, refused at use; the plugins option alone is harmless */
	{"seccomp notify socket", A(BASE, "-l", "none", "--seccomp-notify-socket", "/s"), OPTIONS_ERROR_FATAL, SUBSTR,
	 "not supported"},
	{"seccomp notify plugins", A(BASE, "-l", "none", "--seccomp-notify-plugins", "a.so:b.so"), MUST_PASS, EXACT,
	 NULL},
	/* §8.7: every logrus name and case-insensitivity */
	{"log level PANIC", A(BASE, "-l", "none", "--log-level", "PANIC"), MUST_PASS, EXACT, NULL},
	{"log level Warning", A(BASE, "-l", "none", "--log-level", "Warning"), MUST_PASS, EXACT, NULL},
	{"log level verbose", A(BASE, "-l", "none", "--log-level", "verbose"), OPTIONS_ERROR_FATAL, EXACT,
	 "No such log level verbose"},
	{"passthrough", A(BASE, "-l", "passthrough"), MUST_PASS, EXACT, NULL},
	{"no partial message without journald", A(BASE, "-l", "/a", "--no-container-partial-message"), MUST_PASS, EXACT,
	 NULL},
};

/* Returns true when the case behaves as the row says; prints why not otherwise. */
static bool run_validate_case(const ValidateCase *c)
{
	g_autoptr(Options) o = options_new();
	g_autoptr(GError) error = NULL;
	gboolean ok;
	bool match;

	if (!parse(o, c->argv, &error)) {
		print_message("# %s: parse error: %s\n", c->name, error->message);
		return false;
	}
	ok = options_validate(o, &error);
	if (c->code == MUST_PASS) {
		if (!ok)
			print_message("# %s: unexpected error '%s'\n", c->name, error->message);
		return ok;
	}
	if (ok) {
		print_message("# %s: validated, expected '%s'\n", c->name, c->message);
		return false;
	}
	if (error->domain != OPTIONS_ERROR || (c->code != ANY_CODE && error->code != c->code)) {
		print_message("# %s: error code %d, expected %d ('%s')\n", c->name, error->code, c->code,
			      error->message);
		return false;
	}
	match = c->match == EXACT ? strcmp(error->message, c->message) == 0
				  : strstr(error->message, c->message) != NULL;
	if (!match)
		print_message("# %s: got '%s', expected %s'%s'\n", c->name, error->message,
			      c->match == EXACT ? "" : "a message with ", c->message);
	return match;
}

static void run_validate_table(const ValidateCase *cases, size_t n)
{
	int failures = 0;

	for (size_t i = 0; i < n; i++)
		if (!run_validate_case(&cases[i]))
			failures++;
	assert_int_equal(failures, 0);
}

static void test_validate_cascade(void **state)
{
	run_validate_table(cascade, G_N_ELEMENTS(cascade));
}

static void test_validate_single(void **state)
{
	run_validate_table(single, G_N_ELEMENTS(single));
}

/* §1.2: a missing --cid is reported as "conmon: Container ID not provided. Use --cid", not "[conmon:e]: ". */
static void test_validate_missing_cid_prefix(void **state)
{
	static const ValidateCase c = {"missing --cid", A("-u", "u", "-r", "/bin/true", "-l", "none"),
				       OPTIONS_ERROR_PLAIN, EXACT, "Container ID not provided. Use --cid"};

	assert_true(run_validate_case(&c));
}

/*
 * §1.3 step 2, the rotate form.  The contract gives the "conmon: " prefix; the text is upstream's
 * (containers/conmon test/06-log-management.bats greps for it).
 */
static void test_validate_rotate_zero_message(void **state)
{
	static const ValidateCase c = {
		"--log-rotate with --log-max-files 0",
		A("--log-rotate", "--log-max-files", "0", "-c", CID, "-u", CID, "-r", "/bin/true", "-l", "/x"),
		OPTIONS_ERROR_PLAIN, SUBSTR, "log-max-files must be at least 1 when log-rotate is enabled"};

	assert_true(run_validate_case(&c));
}

/* §1.3 step 8: "Runtime path <p> is not valid <strerror>" (pexitf: the errno text after one space). */
static void test_validate_runtime_missing(void **state)
{
	static const ValidateCase c = {
		"runtime missing", A("-c", CID, "-u", CID, "-r", "/nonexistent/runc", "-l", "/x"), OPTIONS_ERROR_FATAL,
		EXACT, "Runtime path /nonexistent/runc is not valid No such file or directory"};

	assert_true(run_validate_case(&c));
}

/* Step 8 with a file that exists but is not executable: access(X_OK) fails even for root. */
static bool runtime_not_executable_case(void)
{
	g_autofree char *dir = unit_mkdtemp();
	g_autofree char *rt = g_build_filename(dir, "runc", NULL);
	g_autofree char *want = g_strdup_printf("Runtime path %s is not valid Permission denied", rt);
	ValidateCase c = {"runtime not executable", A("-c", CID, "-u", CID, "-r", rt, "-l", "none"),
			  OPTIONS_ERROR_FATAL, EXACT, want};
	bool ok;

	unit_write_file(rt, "#!/bin/sh\n", 0644);
	ok = run_validate_case(&c);
	unit_rm_dir(dir);
	return ok;
}

static void test_validate_runtime_not_executable(void **state)
{
	assert_true(runtime_not_executable_case());
}

/* validate fills opts->log from -l (§8.1): the last k8s-file path, later colons dropped. */
static void test_validate_fills_log_config(void **state)
{
	g_autoptr(Options) o = parse_ok(
		(const char *[])A("-c", CID, "-u", CID, "-r", "/bin/true", "-l", "/first", "-l", "k8s-file:/a:b"));
	g_autoptr(GError) error = NULL;

	if (!options_validate(o, &error))
		fail_msg("validate: %s", error->message);
	assert_string_equal(o->log.k8s_path, "/a");
	assert_false(o->log.journald);
	assert_false(o->log.passthrough);
}

/* ---- §14.5 --help ---------------------------------------------------------------------------- */

static void test_help_text(void **state)
{
	g_autofree char *help = options_help();

	assert_non_null(strstr(help, "Usage:"));
	assert_non_null(strstr(help, "  vigil [OPTION…] - container monitor, a drop-in for conmon\n"));
	assert_null(strstr(help, "conmon utility"));
	/* CRI-O greps --help for this one */
	assert_non_null(strstr(help, "--log-global-size-max"));
	assert_non_null(strstr(help, "--api-version"));
	assert_non_null(strstr(help, "-c, --cid"));
	assert_non_null(strstr(help, "-0, --persist-dir"));
	assert_non_null(strstr(help, "-T, --timeout"));
	assert_non_null(strstr(help, "--help"));
	assert_null(strstr(help, " --pidfile")); /* hidden, deprecated alias of -p */
}

/* §1.2: --restore-arg is a hidden, deprecated alias of --runtime-opt (upstream marks it G_OPTION_FLAG_HIDDEN). */
static void test_help_hides_restore_arg(void **state)
{
	char *help = options_help();
	bool listed = strstr(help, "--restore-arg") != NULL;

	g_free(help);
	assert_false(listed);
}

static void test_help_never_exits(void **state)
{
	/* options_parse() never exits: the help flags set opts->help and main prints options_help(). */
	static const char *const flags[] = {"-h", "--help", "--help-all", "-?"};

	for (size_t i = 0; i < G_N_ELEMENTS(flags); i++) {
		g_autoptr(Options) opts = options_new();
		g_autoptr(GError) error = NULL;
		const char *argv[] = {"conmon", flags[i], "-c", "x", NULL};

		assert_true(options_parse(opts, 4, (char **)argv, &error));
		assert_null(error);
		assert_true(opts->help);
	}
	/* A short-option group with -? in it (found by fuzzing) is an error, not an exit. */
	{
		g_autoptr(Options) opts = options_new();
		g_autoptr(GError) error = NULL;
		const char *argv[] = {"conmon", "-u?cid", NULL};
		assert_false(options_parse(opts, 2, (char **)argv, &error));
		assert_non_null(error);
	}
	g_autofree char *help = options_help();
	assert_true(g_str_has_prefix(help, "Usage:"));
	assert_non_null(strstr(help, "--log-global-size-max"));
	assert_non_null(strstr(help, "Help Options:"));
	assert_non_null(strstr(help, "Application Options:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values_starting_with_dash),
		cmocka_unit_test(test_api_version_forms),
		cmocka_unit_test(test_api_version_then_options),
		cmocka_unit_test(test_long_option_equals_form),
		cmocka_unit_test(test_string_last_wins),
		cmocka_unit_test(test_arrays_accumulate_in_order),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_double_dash_ends_options),
		cmocka_unit_test(test_positionals_ignored),
		cmocka_unit_test(test_short_options),
		cmocka_unit_test(test_every_long_flag),
		cmocka_unit_test(test_every_long_string),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_version_alone),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_podman_create_argv),
		cmocka_unit_test(test_podman_exec_argv),
		cmocka_unit_test(test_crio_execsync_argv),
		cmocka_unit_test(test_validate_cascade),
		cmocka_unit_test(test_validate_single),
		cmocka_unit_test(test_validate_missing_cid_prefix),
		cmocka_unit_test(test_validate_rotate_zero_message),
		cmocka_unit_test(test_validate_runtime_missing),
		cmocka_unit_test(test_validate_runtime_not_executable),
		cmocka_unit_test(test_validate_fills_log_config),
		cmocka_unit_test(test_help_text),
		cmocka_unit_test(test_help_hides_restore_arg),
		cmocka_unit_test(test_help_never_exits),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
