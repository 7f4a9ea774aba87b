/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vigil: a conmon-compatible container monitor.  argv -> options -> monitor -> run -> exit code.
 */
#include <dirent.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"
#include "detach.h"
#include "diag.h"
#include "exit_file.h"
#include "fd_util.h"
#include "monitor.h"
#include "options.h"

/* The fds open at process start: closed before the exit files are written (§3.6). */
static GArray *snapshot_fds(void)
{
	GArray *fds = g_array_new(FALSE, FALSE, sizeof(int));
	DIR *d = opendir("/proc/self/fd");

	if (d == NULL)
		return fds;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		int fd = fd_parse(e->d_name);
		if (fd >= 0 && fd != dirfd(d))
			g_array_append_val(fds, fd);
	}
	closedir(d);
	return fds;
}

static int print_error(const GError *error)
{
	if (error->domain == OPTIONS_ERROR && error->code == OPTIONS_ERROR_PARSE)
		fprintf(stderr, "conmon: option parsing failed: %s\n", error->message);
	else if (error->domain == OPTIONS_ERROR && error->code == OPTIONS_ERROR_PLAIN)
		fprintf(stderr, "conmon: %s\n", error->message);
	else
		diag_error("%s", error->message);
	return 1;
}

/* The intermediate parent: record the daemon's pid (no newline, atomic) and leave (§3.2). */
static int write_conmon_pidfile(const char *path, pid_t pid)
{
	g_autofree char *content = g_strdup_printf("%d", pid);
	g_autoptr(GError) error = NULL;

	if (path && !g_file_set_contents(path, content, -1, &error)) {
		diag_error("Failed to write conmon pidfile: %s", error->message);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* A confined monitor's exit command spawner (exit_file.h): nothing else of main. */
	if (argc > 0 && strcmp(argv[0], EXIT_SPAWNER_ARGV0) == 0)
		return exit_spawner_main(argc, argv);

	g_autoptr(GArray) inherited = snapshot_fds();
	g_autoptr(Options) opts = options_new();
	g_autoptr(GError) error = NULL;
	DiagLevel level = DIAG_WARN;

	/*
	 * The character set only (GOption turns string arguments from it into UTF-8). Messages stay
	 * in English as conmon's do, and numbers keep the C format that every reader of the metrics
	 * and exit.json files parses (LC_NUMERIC would write "0,25"). Fewer locale files mapped, too.
	 */
	setlocale(LC_CTYPE, "");
	umask(0022);
	diag_install_glib_handler();
	if (!options_parse(opts, argc, argv, &error))
		return print_error(error);
	if (opts->help) {
		g_autofree char *help = options_help();
		fputs(help, stdout);
		return 0;
	}
	if (opts->version) {
		printf("conmon version %s\ncommit: %s\nvigil version %s\n", CONMON_COMPAT_VERSION, VIGIL_COMMIT,
		       VIGIL_VERSION);
		return 0;
	}
	if (!options_validate(opts, &error))
		return print_error(error);
	if (opts->log_level)
		(void)diag_parse_level(opts->log_level, &level);
	diag_set_level(level);
	if (opts->syslog) {
		g_autofree char *tag =
			opts->log_tag ? g_strdup_printf("%s: %s", opts->cid, opts->log_tag) : g_strdup(opts->cid);
		diag_set_syslog(true, tag);
	}

	g_autoptr(Monitor) mon = monitor_new(opts, g_steal_pointer(&inherited));
	if (!monitor_prepare(mon, &error))
		return print_error(error);
	if (!opts->sync) {
		/* The engine's process waits in detach_begin() for the pidfile, then exits (detach.h). */
		Detach det;
		fflush(NULL);
		int r = detach_begin(&det);
		if (r < 0) {
			diag_error_errno(r, "Failed to fork the monitor");
			return 1;
		}
		detach_end(&det, write_conmon_pidfile(opts->conmon_pidfile, getpid()));
	}
	int status = monitor_run(mon, &error);
	if (error != NULL) {
		print_error(error);
		status = 1;
	} else {
		status &= 0xff;
	}
	return monitor_finish(mon, status);
}
