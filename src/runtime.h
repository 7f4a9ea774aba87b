/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runtime: the OCI runtime invocation (interface.md §4.2, §4.3, §4.6).
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

#include "options.h"

/*
 * Build the runtime argv for create, restore or exec, in the exact order of §4.2.  console_socket is
 * the --console-socket path or NULL.  Pure.  Returns a NULL-terminated GStrv (caller frees).
 */
char **runtime_build_argv(const Options *opts, const char *container_pidfile, const char *console_socket);

/* The default container pid file when -p is absent: "<cwd>/pidfile-<cid>".  Caller frees. */
char *runtime_default_pidfile(const char *cid);

typedef struct RuntimeSpawn {
	char **argv;		   /* argv[0] is the runtime path, run with execv */
	bool passthrough;	   /* keep fds 0-2 as they are */
	int stdin_fd;		   /* container stdin (pipe read end), or -1 for /dev/null */
	int stdout_fd;		   /* container stdout (pipe write end), or -1 for /dev/null */
	int stderr_fd;		   /* container stderr (pipe write end) */
	int devnull_fd;		   /* an open /dev/null */
	int start_fd;		   /* with --exec-attach: second start-pipe read before exec, else -1 */
	bool replace_listen_pid;   /* --replace-listen-pid */
	const char *oom_score_adj; /* value to restore, or NULL */
	const sigset_t *sigmask;   /* signal mask to restore in the child */
} RuntimeSpawn;

/* Fork and exec the runtime.  Returns the child pid, or -errno (fork failure). */
pid_t runtime_spawn(const RuntimeSpawn *spec);

/* Read a pid file written by the runtime.  Returns 0 and *ret_pid, or -errno (-EINVAL: not a pid). */
int runtime_read_pidfile(const char *path, pid_t *ret_pid);
