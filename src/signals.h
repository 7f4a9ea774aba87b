/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signals: the one reaper and the forwarded signals (interface.md §3.4, §3.5).
 *
 * SIGCHLD, SIGUSR1, SIGTERM, SIGINT and SIGQUIT are blocked and read through one signalfd watched by
 * the main loop.  SIGCHLD and SIGUSR1 trigger a waitpid(-1, WNOHANG) pass; the others are handed to
 * the forward callback.  Nothing else in the tree calls waitpid() while the loop runs.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

typedef struct SignalCallbacks {
	/* A child was reaped: pid and its raw wait status. */
	void (*child_exited)(void *user_data, pid_t pid, int wstatus);
	/* waitpid() said ECHILD: there is no child left at all. */
	void (*no_children)(void *user_data);
	/* optional: a reap ended with children still running (none of them had ended) */
	void (*children_left)(void *user_data);
	/* SIGTERM, SIGINT or SIGQUIT arrived. */
	void (*forward)(void *user_data, int signo);
} SignalCallbacks;

typedef struct Signals Signals;

/*
 * Before the runtime fork: SIGPIPE ignored, and SIGTERM makes the process _exit(1) (§3.4).
 */
void signals_early_setup(void);

/* Block the set and create the signalfd (watched once signals_attach() is called).  NULL on error. */
Signals *signals_new(const SignalCallbacks *cb, void *user_data, GError **error);
void signals_free(Signals *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Signals, signals_free)

/* The mask in force before signals_new(): what children get back before exec. */
const sigset_t *signals_original_mask(const Signals *s);
/* Start watching the signalfd in the default main context. */
void signals_attach(Signals *s);
/* One reap pass (also run on every SIGCHLD). */
void signals_reap(Signals *s);
