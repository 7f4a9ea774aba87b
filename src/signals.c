/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signals: signalfd-based reaper and signal forwarding.
 */
#include "signals.h"

#include <errno.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "diag.h"
#include "fd_util.h"

struct Signals {
	SignalCallbacks cb;
	void *user_data;
	int fd;
	guint source;
	sigset_t original;
};

static void early_sigterm(int signo)
{
	_exit(1);
}

void signals_early_setup(void)
{
	struct sigaction sa = {.sa_handler = SIG_IGN};

	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = early_sigterm;
	(void)sigaction(SIGTERM, &sa, NULL);
}

Signals *signals_new(const SignalCallbacks *cb, void *user_data, GError **error)
{
	g_autoptr(Signals) s = g_new0(Signals, 1);
	sigset_t set;

	s->cb = *cb;
	s->user_data = user_data;
	s->fd = -1;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, &s->original) < 0 ||
	    (s->fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to set up signal handling: %s",
			    g_strerror(errno));
		return NULL;
	}
	/* The early SIGTERM handler is done; blocked signals now only reach the signalfd. */
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	return g_steal_pointer(&s);
}

void signals_free(Signals *s)
{
	if (s == NULL)
		return;
	if (s->source)
		g_source_remove(s->source);
	closep(&s->fd);
	(void)sigprocmask(SIG_SETMASK, &s->original, NULL);
	g_free(s);
}

const sigset_t *signals_original_mask(const Signals *s)
{
	return &s->original;
}

void signals_reap(Signals *s)
{
	for (;;) {
		int ws;
		pid_t pid = waitpid(-1, &ws, WNOHANG);
		if (pid > 0) {
			s->cb.child_exited(s->user_data, pid, ws);
			continue;
		}
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0 && errno == ECHILD && s->cb.no_children)
			s->cb.no_children(s->user_data);
		else if (pid == 0 && s->cb.children_left)
			s->cb.children_left(s->user_data);
		return;
	}
}

static gboolean signals_dispatch(int fd, GIOCondition cond, gpointer data)
{
	Signals *s = data;
	struct signalfd_siginfo si;
	bool reap = false;

	for (;;) {
		ssize_t n = read(fd, &si, sizeof(si));
		if (n != sizeof(si))
			break;
		switch (si.ssi_signo) {
		case SIGCHLD:
		case SIGUSR1:
			reap = true;
			break;
		default:
			s->cb.forward(s->user_data, (int)si.ssi_signo);
			break;
		}
	}
	if (reap)
		signals_reap(s);
	return G_SOURCE_CONTINUE;
}

void signals_attach(Signals *s)
{
	if (s->source == 0)
		s->source = g_unix_fd_add(s->fd, G_IO_IN, signals_dispatch, s);
}
