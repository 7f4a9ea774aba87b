/* SPDX-License-Identifier: Apache-2.0 */
/*
 * options: GOptionEntry table, parse and validation in the order of interface.md §1.3.
 */
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "rate_limit.h"

GQuark options_error_quark(void)
{
	return g_quark_from_static_string("vigil-options-error-quark");
}

Options *options_new(void)
{
	Options *opts = g_new0(Options, 1);
	opts->log_size_max = -1;
	opts->log_global_size_max = -1;
	opts->log_max_files = 1;
	opts->metrics_interval = METRICS_INTERVAL_UNSET;
	return opts;
}

void options_free(Options *opts)
{
	if (opts == NULL)
		return;
	char **strs[] = {&opts->cid,
			 &opts->cuuid,
			 &opts->name,
			 &opts->runtime,
			 &opts->bundle,
			 &opts->container_pidfile,
			 &opts->restore,
			 &opts->socket_dir_path,
			 &opts->log_tag,
			 &opts->log_level,
			 &opts->conmon_pidfile,
			 &opts->exit_dir,
			 &opts->persist_dir,
			 &opts->exit_command,
			 &opts->exec_process_spec,
			 &opts->sdnotify_socket,
			 &opts->seccomp_notify_socket,
			 &opts->seccomp_notify_plugins,
			 &opts->log_rate_limit,
			 &opts->metrics_dir};
	for (size_t i = 0; i < G_N_ELEMENTS(strs); i++)
		g_free(*strs[i]);
	g_strfreev(opts->runtime_args);
	g_strfreev(opts->runtime_opts);
	g_strfreev(opts->log_paths);
	g_strfreev(opts->log_labels);
	g_strfreev(opts->log_allowlist_dirs);
	g_strfreev(opts->exit_command_args);
	log_config_clear(&opts->log);
	g_free(opts);
}

static gboolean api_version_cb(const char *name, const char *value, gpointer data, GError **error)
{
	Options *opts = data;
	/* A flag: "--api-version 1" leaves "1" as an ignored positional, "--api-version=1" lands here. */
	opts->api_version = TRUE;
	return TRUE;
}

#define E_STR(l, s, field, desc)                                       \
	{                                                              \
		l, s, 0, G_OPTION_ARG_STRING, &opts->field, desc, NULL \
	}
#define E_HSTR(l, field, desc)                                                            \
	{                                                                                 \
		l, 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opts->field, desc, NULL \
	}
#define E_ARR(l, s, field, desc)                                             \
	{                                                                    \
		l, s, 0, G_OPTION_ARG_STRING_ARRAY, &opts->field, desc, NULL \
	}
#define E_HARR(l, field, desc)                                                                  \
	{                                                                                       \
		l, 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING_ARRAY, &opts->field, desc, NULL \
	}
#define E_FLAG(l, s, field, desc)                                    \
	{                                                            \
		l, s, 0, G_OPTION_ARG_NONE, &opts->field, desc, NULL \
	}
#define E_INT(l, s, field, desc)                                    \
	{                                                           \
		l, s, 0, G_OPTION_ARG_INT, &opts->field, desc, NULL \
	}
#define E_INT64(l, s, field, desc)                                    \
	{                                                             \
		l, s, 0, G_OPTION_ARG_INT64, &opts->field, desc, NULL \
	}

static GOptionContext *options_context(Options *opts, bool for_help)
{
	/* The table: interface.md §1.2, in conmon's order so that --help reads the same. */
	GOptionEntry entries[] = {
		{"api-version", 0, G_OPTION_FLAG_OPTIONAL_ARG | G_OPTION_FLAG_NOALIAS, G_OPTION_ARG_CALLBACK,
		 (gpointer)api_version_cb, "Conmon API version to use", NULL},
		E_FLAG("terminal", 't', terminal, "Allocate a pseudo-TTY. The default is false"),
		E_FLAG("stdin", 'i', stdin_open, "Open up a pipe to pass stdin to the container"),
		E_FLAG("leave-stdin-open", 0, leave_stdin_open, "Leave stdin open when attached client disconnects"),
		E_STR("cid", 'c', cid, "Identification of Container"),
		E_STR("cuuid", 'u', cuuid, "Container UUID"),
		E_STR("name", 'n', name, "Container name"),
		E_STR("runtime", 'r', runtime, "Path to the OCI runtime binary"),
		E_FLAG("no-new-keyring", 0, no_new_keyring, "Do not create a new session keyring for the container"),
		E_FLAG("no-pivot", 0, no_pivot, "Do not use pivot_root"),
		E_FLAG("replace-listen-pid", 0, replace_listen_pid, "Replace listen pid if set for oci-runtime pid"),
		E_STR("bundle", 'b', bundle, "Location of the OCI Bundle path"),
		E_STR("container-pidfile", 'p', container_pidfile, "PID file for the initial pid inside of container"),
		E_HSTR("pidfile", container_pidfile, "PID file for the initial pid inside of container (deprecated)"),
		E_STR("conmon-pidfile", 'P', conmon_pidfile, "PID file for the conmon process"),
		E_FLAG("systemd-cgroup", 's', systemd_cgroup,
		       "Enable systemd cgroup manager, rather then use the cgroupfs directly"),
		E_FLAG("exec", 'e', exec, "Exec a command into a running container"),
		E_FLAG("exec-attach", 0, exec_attach, "Attach to an exec session"),
		E_STR("exec-process-spec", 0, exec_process_spec, "Path to the process spec for execution"),
		E_STR("exit-dir", 0, exit_dir, "Path to the directory where exit files are written"),
		E_STR("persist-dir", '0', persist_dir,
		      "Persistent directory for a container that can be used for storing container data"),
		E_STR("exit-command", 0, exit_command,
		      "Path to the program to execute when the container terminates its execution"),
		E_ARR("exit-command-arg", 0, exit_command_args,
		      "Additional arg to pass to the exit command.  Can be specified multiple times"),
		E_INT("exit-delay", 0, exit_delay, "Delay before invoking the exit command (in seconds)"),
		E_STR("restore", 0, restore, "Restore a container from a checkpoint"),
		E_HARR("restore-arg", runtime_opts,
		       "Additional arg to pass to the restore command. Can be specified multiple times. (DEPRECATED)"),
		E_ARR("runtime-opt", 0, runtime_opts,
		      "Additional opts to pass to the restore or exec command. Can be specified multiple times"),
		E_ARR("runtime-arg", 0, runtime_args,
		      "Additional arg to pass to the runtime. Can be specified multiple times"),
		E_FLAG("no-sync-log", 0, no_sync_log, "Do not manually call sync on logs after container shutdown"),
		E_STR("socket-dir-path", 0, socket_dir_path, "Location of container attach sockets"),
		E_ARR("log-path", 'l', log_paths, "Log file path"),
		E_INT64("log-size-max", 0, log_size_max, "Maximum size of log file"),
		E_INT64("log-global-size-max", 0, log_global_size_max, "Maximum size of all log files"),
		E_STR("log-tag", 0, log_tag, "Additional tag to use for logging"),
		E_ARR("log-label", 0, log_labels,
		      "Additional label to include in logs. Can be specified multiple times"),
		E_FLAG("no-container-partial-message", 0, no_container_partial_message,
		       "Disable CONTAINER_PARTIAL_MESSAGE in journald"),
		E_FLAG("log-rotate", 0, log_rotate,
		       "Rotate log files instead of truncating when --log-size-max is reached"),
		E_INT("log-max-files", 0, log_max_files,
		      "Number of backup log files to keep with --log-rotate (default: 1)"),
		E_ARR("log-allowlist-dir", 0, log_allowlist_dirs,
		      "Allowed log directory. Can be specified multiple times"),
		E_STR("log-level", 0, log_level, "Print debug logs based on log level"),
		E_FLAG("sync", 0, sync, "Keep the main conmon process as its child by only forking once"),
		E_FLAG("syslog", 0, syslog, "Log to syslog (use with cgroupfs cgroup manager)"),
		E_INT("timeout", 'T', timeout, "Kill container after specified timeout in seconds."),
		E_FLAG("version", 0, version, "Print the version and exit"),
		E_FLAG("full-attach", 0, full_attach,
		       "Don't truncate the path to the attach socket. This option causes conmon to ignore --socket-dir-path"),
		E_STR("sdnotify-socket", 0, sdnotify_socket,
		      "Path to the host's sd-notify socket to relay messages to"),
		E_STR("seccomp-notify-socket", 0, seccomp_notify_socket,
		      "Path to the socket where the seccomp notification fd is received (not supported)"),
		E_STR("seccomp-notify-plugins", 0, seccomp_notify_plugins,
		      "Plugins to use for managing the seccomp notifications (not supported)"),
		E_FLAG("exit-json", 0, exit_json,
		       "vigil: also write exit.json (exit code, signal, OOM kill, timeout, times, bytes logged) beside the exit file"),
		E_FLAG("log-journald-priority", 0, log_journald_priority,
		       "vigil: journald takes PRIORITY from a leading <N> (0-7) on each line, as conmon 2.2 does"),
		E_STR("log-rate-limit", 0, log_rate_limit,
		      "vigil: log at most RATE bytes per second per container, with bursts of BURST bytes (RATE[:BURST])"),
		E_STR("metrics-dir", 0, metrics_dir,
		      "vigil: keep Prometheus text-format metrics in DIR/vigil-<cid>.prom (node_exporter's textfile collector)"),
		E_INT("metrics-interval", 0, metrics_interval,
		      "vigil: seconds between updates of the metrics file (default 15, at least 1)"),
		E_FLAG("metrics-keep", 0, metrics_keep, "vigil: keep the metrics file after the exit command ran"),
		E_FLAG("sandbox", 0, sandbox,
		       "vigil: once the container runs, confine the monitor (no_new_privs, capabilities, Landlock, seccomp)"),
		/* GOption's own help would exit() inside the parser; these set a flag main acts on. */
		{"help", 'h', G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opts->help, "Show help options", NULL},
		{"help-all", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opts->help, "Show all help options", NULL},
		{"help-usage", '?', G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opts->help, "Show help options", NULL},
		{NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	GOptionContext *ctx = g_option_context_new("- container monitor, a drop-in for conmon");
	GOptionGroup *group = g_option_group_new("vigil", "vigil options", "Show vigil options", opts, NULL);

	/* For printing, GOption's own help entries stand in for the last three flags above. */
	if (for_help)
		entries[G_N_ELEMENTS(entries) - 4] = entries[G_N_ELEMENTS(entries) - 1];
	g_option_group_add_entries(group, entries);
	g_option_context_set_main_group(ctx, group);
	g_option_context_set_help_enabled(ctx, for_help);
	return ctx;
}

gboolean options_parse(Options *opts, int argc, char **argv, GError **error)
{
	g_autoptr(GOptionContext) ctx = options_context(opts, false);
	/* GOption edits the vector it parses; give it a shallow copy. */
	g_autofree char **copy = g_new0(char *, argc + 1);
	int n = argc;
	g_autoptr(GError) local = NULL;

	for (int i = 0; i < argc; i++)
		copy[i] = argv[i];
	g_set_prgname("vigil");
	if (!g_option_context_parse(ctx, &n, &copy, &local)) {
		g_set_error(error, OPTIONS_ERROR, OPTIONS_ERROR_PARSE, "%s", local->message);
		return FALSE;
	}
	/* Positional arguments (the "1" after --api-version) are ignored on purpose. */
	return TRUE;
}

char *options_help(void)
{
	g_autoptr(Options) opts = options_new();
	g_autoptr(GOptionContext) ctx = options_context(opts, true);
	g_set_prgname("vigil");
	return g_option_context_get_help(ctx, TRUE, NULL);
}

#define fail(code, ...)                                               \
	do {                                                          \
		g_set_error(error, OPTIONS_ERROR, code, __VA_ARGS__); \
		return FALSE;                                         \
	} while (0)

/*
 * --log-label NAME=VALUE: exactly one '=', a non-empty NAME of A-Z, 0-9 and '_'.  The three messages
 * are the ones engines and conmon's own suite look for, one per way a label can be wrong.
 */
static gboolean validate_labels(char **labels, GError **error)
{
	for (char **l = labels; l && *l; l++) {
		const char *eq = strchr(*l, '=');
		if (eq == NULL || eq == *l)
			fail(OPTIONS_ERROR_FATAL,
			     "Container labels must be in format LABEL=VALUE (no LABEL present in '%s')", *l);
		if (strchr(eq + 1, '=') != NULL)
			fail(OPTIONS_ERROR_FATAL,
			     "Container labels must be in format LABEL=VALUE (none or more than one '=' present in '%s')",
			     *l);
		for (const char *c = *l; c < eq; c++)
			if (!g_ascii_isupper(*c) && !g_ascii_isdigit(*c) && *c != '_')
				fail(OPTIONS_ERROR_FATAL,
				     "Container label names must contain only uppercase letters, numbers and underscore "
				     "(in '%s')",
				     *l);
	}
	return TRUE;
}

static gboolean validate_logging(Options *opts, GError **error)
{
	if (opts->log_paths == NULL || opts->log_paths[0] == NULL)
		fail(OPTIONS_ERROR_FATAL, "Log driver not provided. Use --log-path");
	if (!log_config_parse(&opts->log, (const char *const *)opts->log_paths, error))
		return FALSE;
	if (opts->log.journald) {
#if !USE_JOURNALD
		fail(OPTIONS_ERROR_FATAL, "Include journald in compilation path to log to systemd journal");
#endif
		if (strlen(opts->cid) <= 12)
			fail(OPTIONS_ERROR_FATAL, "Container ID must be longer than 12 characters");
	}
	if (!opts->log.journald && opts->log.k8s_path != NULL) {
		if (opts->log_tag != NULL)
			fail(OPTIONS_ERROR_FATAL, "k8s-file doesn't support --log-tag");
		if (opts->log_labels != NULL)
			fail(OPTIONS_ERROR_FATAL, "k8s-file doesn't support --log-label");
	}
	if (!validate_labels(opts->log_labels, error))
		return FALSE;
	if (opts->no_container_partial_message && !opts->log.journald)
		diag_warn("--no-container-partial-message has no effect without journald log driver");
	return TRUE;
}

/* --metrics-dir, --metrics-interval, --metrics-keep and their environment variables (vigil, opt-in). */
static gboolean validate_metrics(Options *opts, GError **error)
{
	const char *env;

	if (opts->metrics_dir == NULL && (env = g_getenv("VIGIL_METRICS_DIR")) != NULL && *env != '\0')
		opts->metrics_dir = g_strdup(env);
	if (opts->metrics_interval == METRICS_INTERVAL_UNSET && (env = g_getenv("VIGIL_METRICS_INTERVAL")) != NULL) {
		gint64 v;
		if (!g_ascii_string_to_signed(env, 10, 1, INT_MAX, &v, NULL))
			fail(OPTIONS_ERROR_FATAL,
			     "VIGIL_METRICS_INTERVAL must be a number of seconds, at least 1, got '%s'", env);
		opts->metrics_interval = (int)v;
	}
	if (opts->metrics_interval == METRICS_INTERVAL_UNSET)
		opts->metrics_interval = METRICS_INTERVAL_DEFAULT;
	if (opts->metrics_interval < 1)
		fail(OPTIONS_ERROR_FATAL, "--metrics-interval must be at least 1 second, got %d",
		     opts->metrics_interval);
	if (g_strcmp0(g_getenv("VIGIL_METRICS_KEEP"), "1") == 0)
		opts->metrics_keep = TRUE;
	if (opts->metrics_dir != NULL && *opts->metrics_dir == '\0')
		fail(OPTIONS_ERROR_FATAL, "--metrics-dir must not be empty");
	return TRUE;
}

gboolean options_validate(Options *opts, GError **error)
{
	DiagLevel level;

	g_return_val_if_fail(opts != NULL, FALSE);
	/* §1.3 step 2 */
	if (opts->log_max_files < 0)
		fail(OPTIONS_ERROR_PLAIN, "--log-max-files must be non-negative, got %d", opts->log_max_files);
	if (opts->log_rotate && opts->log_max_files == 0)
		fail(OPTIONS_ERROR_PLAIN, "log-max-files must be at least 1 when log-rotate is enabled");
	/* 3 */
	if (opts->cid == NULL)
		fail(OPTIONS_ERROR_PLAIN, "Container ID not provided. Use --cid");
	/* 4 */
	if (opts->log_level != NULL && diag_parse_level(opts->log_level, &level) < 0)
		fail(OPTIONS_ERROR_FATAL, "No such log level %s", opts->log_level);
	/* 5, 6 */
	if (opts->restore != NULL && opts->exec)
		fail(OPTIONS_ERROR_FATAL, "Cannot use 'exec' and 'restore' at the same time");
	if (opts->exec_attach && !opts->exec)
		fail(OPTIONS_ERROR_FATAL, "Attach can only be specified with exec");
	if (opts->exec_attach && !opts->api_version)
		fail(OPTIONS_ERROR_FATAL, "Attach can only be specified for a non-legacy exec session");
	/* 7: legacy exec (CRI-O ExecSync) needs no -u */
	if (opts->cuuid == NULL && (!opts->exec || opts->api_version))
		fail(OPTIONS_ERROR_FATAL, "Container UUID not provided. Use --cuuid");
	/* 8 */
	if (opts->runtime == NULL)
		fail(OPTIONS_ERROR_FATAL, "Runtime path not provided. Use --runtime");
	if (access(opts->runtime, X_OK) < 0)
		fail(OPTIONS_ERROR_FATAL, "Runtime path %s is not valid %s", opts->runtime, g_strerror(errno));
	/* 9, 10 */
	if (opts->exec && opts->exec_process_spec == NULL)
		fail(OPTIONS_ERROR_FATAL, "Exec process spec path not provided. Use --exec-process-spec");
	if (opts->exit_delay < 0)
		fail(OPTIONS_ERROR_FATAL, "--exit-delay must be non-negative, got %d", opts->exit_delay);
	/* 11: the driver syntax; the k8s file itself is opened by the monitor right after. */
	if (!validate_logging(opts, error))
		return FALSE;
	/* Engines can only add environment variables (containers.conf conmon_env_vars, CRI-O monitor_env). */
	if (g_strcmp0(g_getenv("VIGIL_EXIT_JSON"), "1") == 0)
		opts->exit_json = TRUE;
	if (g_strcmp0(g_getenv("VIGIL_JOURNALD_PRIORITY"), "1") == 0)
		opts->log_journald_priority = TRUE;
	const char *sandbox = g_getenv("VIGIL_SANDBOX");
	if (sandbox != NULL && *sandbox != '\0') {
		if (g_strcmp0(sandbox, "1") == 0)
			opts->sandbox = TRUE;
		else if (g_strcmp0(sandbox, "0") != 0)
			fail(OPTIONS_ERROR_FATAL, "VIGIL_SANDBOX must be 1 or 0, got '%s'", sandbox);
	}
	if (opts->log_rate_limit == NULL && g_getenv("VIGIL_LOG_RATE_LIMIT"))
		opts->log_rate_limit = g_strdup(g_getenv("VIGIL_LOG_RATE_LIMIT"));
	if (opts->log_rate_limit) {
		uint64_t rate, burst;
		g_autoptr(GError) local = NULL;
		if (!rate_limit_parse(opts->log_rate_limit, &rate, &burst, &local))
			fail(OPTIONS_ERROR_FATAL, "%s", local->message);
	}
	if (!validate_metrics(opts, error))
		return FALSE;
	/* §13: accepted so old argv parses, refused at use. */
	if (opts->seccomp_notify_socket != NULL)
		fail(OPTIONS_ERROR_FATAL, "--seccomp-notify-socket: seccomp notify is not supported");
	return TRUE;
}
