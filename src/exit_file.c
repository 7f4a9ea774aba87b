/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exit_file: status mapping, atomic exit files and the exit command.
 */
#include "exit_file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "fd_util.h"
#include "fs_util.h"

int exit_status_from_wait(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return -1;
}

gboolean exit_file_write(const char *dir, const char *name, int status, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", status);
	int r = atomic_write_file(path, buf, (size_t)len, 0644);

	if (r < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to write %s to exit file '%s': %s", buf,
			    path, g_strerror(-r));
		return FALSE;
	}
	return TRUE;
}

static void child_reset_signals(void)
{
	sigset_t all;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
}

static void child_write_oom_score_adj(const char *value)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, value, strlen(value));
		(void)close(fd);
	}
}

int exit_command_run(const ExitCommand *cmd)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	int status = 0;
	pid_t pid;

	g_ptr_array_add(argv, (char *)cmd->path);
	for (char *const *a = cmd->args; a && *a; a++)
		g_ptr_array_add(argv, *a);
	g_ptr_array_add(argv, NULL);

	if (prctl(PR_SET_CHILD_SUBREAPER, 0) < 0)
		diag_warn_errno(errno, "Failed to disable the child subreaper, ignoring");
	pid = fork();
	if (pid < 0)
		return diag_error_errno(errno, "Failed to fork the exit command");
	if (pid == 0) {
		child_reset_signals();
		if (cmd->delay > 0)
			sleep((unsigned)cmd->delay);
		if (cmd->oom_score_adj)
			child_write_oom_score_adj(cmd->oom_score_adj);
		execv(cmd->path, (char **)argv->pdata);
		static const char msg[] = "[conmon:e]: Failed to exec the exit command\n";
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(1);
	}
	/* Wait for the command and anything else still ours (§9.4). */
	for (;;) {
		int ws;
		pid_t r = waitpid(-1, &ws, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (r == pid)
			status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	}
	return status;
}
