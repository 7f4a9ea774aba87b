/* SPDX-License-Identifier: Apache-2.0 */
/*
 * options: the conmon-compatible command line (interface.md §1).
 *
 * options_parse() fills an Options from argv with GOption semantics (values may start with '-',
 * repeatable options accumulate in order, --api-version tolerates a following "1" and "=1").
 * options_validate() is pure: it checks §1.3 steps 2-10 and the -l syntax of §8.1, in that order,
 * and fills opts->log (the parsed drivers).  Neither touches the file system except access(X_OK)
 * on the runtime, which is part of the contract's validation order.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "log_sink.h"

typedef struct Options {
	/* identity */
	char *cid;
	char *cuuid;
	char *name;
	/* runtime invocation */
	char *runtime;
	char *bundle;
	char *container_pidfile;
	char **runtime_args;
	char **runtime_opts;
	gboolean systemd_cgroup;
	gboolean no_pivot;
	gboolean no_new_keyring;
	char *restore;
	gboolean replace_listen_pid;
	/* stdio, terminal, attach */
	gboolean terminal;
	gboolean stdin_open;
	gboolean leave_stdin_open;
	char *socket_dir_path;
	gboolean full_attach;
	/* logging */
	char **log_paths;
	gint64 log_size_max;
	gint64 log_global_size_max;
	char *log_tag;
	char **log_labels;
	gboolean no_container_partial_message;
	gboolean log_rotate;
	int log_max_files;
	char **log_allowlist_dirs;
	gboolean no_sync_log;
	char *log_level;
	gboolean syslog;
	/* process model, exit */
	char *conmon_pidfile;
	gboolean sync;
	char *exit_dir;
	char *persist_dir;
	char *exit_command;
	char **exit_command_args;
	int exit_delay;
	int timeout;
	/* exec */
	gboolean exec;
	char *exec_process_spec;
	gboolean exec_attach;
	gboolean api_version;
	/* systemd, misc */
	char *sdnotify_socket;
	char *seccomp_notify_socket;
	char *seccomp_notify_plugins;
	gboolean version;
	gboolean help; /* -h, --help, --help-all, -?: main prints options_help() and exits 0 */
	/* vigil extensions (opt-in) */
	gboolean exit_json;
	gboolean log_journald_priority;
	char *log_rate_limit; /* "RATE[:BURST]" */
	char *metrics_dir;    /* Prometheus text files for node_exporter (metrics.h) */
	int metrics_interval; /* seconds between updates; options_validate() sets the default */
	gboolean metrics_keep;
	gboolean sandbox; /* --sandbox, VIGIL_SANDBOX=1: confine the monitor once the container runs (sandbox.h) */

	/* derived by options_validate() */
	LogConfig log;
} Options;

#define METRICS_INTERVAL_DEFAULT 15
#define METRICS_INTERVAL_UNSET	 INT_MIN /* neither --metrics-interval nor VIGIL_METRICS_INTERVAL */

typedef enum {
	OPTIONS_ERROR_PARSE, /* GOption failure: "conmon: option parsing failed: ..." */
	OPTIONS_ERROR_PLAIN, /* printed as "conmon: <message>" (§1.3 step 2) */
	OPTIONS_ERROR_FATAL, /* printed as "[conmon:e]: <message>" */
} OptionsErrorCode;

#define OPTIONS_ERROR (options_error_quark())
GQuark options_error_quark(void);

Options *options_new(void);
void options_free(Options *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Options, options_free)

/* Parse argv (not modified).  Returns FALSE with OPTIONS_ERROR_PARSE on a GOption error. */
gboolean options_parse(Options *opts, int argc, char **argv, GError **error);

/* The GOption help text (what --help prints). Caller owns the string. */
char *options_help(void);

/* §1.3 steps 2-10 and §8.1; see the header comment.  Returns FALSE with an OPTIONS_ERROR. */
gboolean options_validate(Options *opts, GError **error);
