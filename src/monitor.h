/* SPDX-License-Identifier: Apache-2.0 */
/*
 * monitor: the Monitor context.  It owns the validated options (borrowed), the main loop, every fd the
 * monitor opens, the log sinks, the attach server, the FIFOs, the runtime and container pids and
 * statuses, and the first fatal error.  main.c drives it:
 *
 *   monitor_prepare()  before daemonizing (§3.1 steps 2-6): log file, oom_score_adj, start pipe;
 *                      and steps 9, 10, 14 early: engine pipes, notify relay, attach socket, FIFOs,
 *                      console socket (a failure is then an error exit of the engine's child)
 *   [detach_begin() in main.c unless --sync: detach.h]
 *   monitor_run()      in the daemon: runtime, sync pipe, main loop, exit files (§3.1 11-18, §9.1)
 *   monitor_finish()   the exit command (§9.4); returns the process exit status
 */
#pragma once

#include <sys/types.h>

#include <glib.h>

#include "options.h"

typedef struct Monitor Monitor;

/* opts is borrowed and must outlive the monitor.  inherited_fds: fds open at process start (owned). */
Monitor *monitor_new(const Options *opts, GArray *inherited_fds);
void monitor_free(Monitor *mon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Monitor, monitor_free)

/* Everything before the daemonizing fork.  FALSE + error (printed by main as a fatal message). */
gboolean monitor_prepare(Monitor *mon, GError **error);

/*
 * The daemon's work.  Returns the container status (§9.2) or -1, and sets *error on a fatal error
 * (the status is then meaningless and the process exits 1).
 */
int monitor_run(Monitor *mon, GError **error);

/* Run the exit command if one is registered; returns the process exit status for main. */
int monitor_finish(Monitor *mon, int status);
