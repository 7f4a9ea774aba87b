/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exit_file: status mapping, atomic exit files and the exit command.
 */
#include "exit_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "config.h"
#include "diag.h"
#include "fd_util.h"
#include "fs_util.h"
#include "json_util.h"

int exit_status_from_wait(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return -1;
}

gboolean exit_file_write(const char *dir, const char *name, int status, bool durable, int prepared, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", status);
	int r = prepared >= 0 ? prepared_file_commit(prepared, path, buf, (size_t)len, durable) : -EBADF;

	if (r < 0)
		r = atomic_write_file(path, buf, (size_t)len, 0644, durable);

	if (r < 0) {
		diag_debug("Exit file '%s' could not be written", path); /* the contract's text has no path (§9.1) */
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to write %s to exit file: %s", buf,
			    g_strerror(-r));
		return FALSE;
	}
	return TRUE;
}

static void gen_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

static void gen_streams(yajl_gen g, const char *key, const uint64_t v[2])
{
	gen_key(g, key);
	yajl_gen_map_open(g);
	gen_key(g, "stdout");
	yajl_gen_integer(g, (long long)v[0]);
	gen_key(g, "stderr");
	yajl_gen_integer(g, (long long)v[1]);
	yajl_gen_map_close(g);
}

char *exit_record_to_json(const ExitRecord *rec, size_t *ret_len)
{
	g_autoptr(YajlGen) g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	if (g == NULL)
		return NULL;
	yajl_gen_map_open(g);
	gen_key(g, "version");
	yajl_gen_integer(g, 1);
	gen_key(g, "exit_code");
	yajl_gen_integer(g, rec->exit_code);
	gen_key(g, "signaled");
	yajl_gen_bool(g, rec->signal > 0);
	gen_key(g, "signal");
	if (rec->signal > 0)
		yajl_gen_integer(g, rec->signal);
	else
		yajl_gen_null(g);
	gen_key(g, "oom_killed");
	yajl_gen_bool(g, rec->oom_killed);
	gen_key(g, "oom_kill_count");
	yajl_gen_integer(g, (long long)rec->oom_kill_count);
	gen_key(g, "timed_out");
	yajl_gen_bool(g, rec->timed_out);
	gen_key(g, "start_time_ns");
	yajl_gen_integer(g, rec->start_time_ns);
	gen_key(g, "exit_time_ns");
	yajl_gen_integer(g, rec->exit_time_ns);
	gen_streams(g, "bytes_logged", rec->bytes_logged);
	gen_streams(g, "bytes_dropped", rec->bytes_dropped);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		return NULL;
	char *out = g_malloc(len + 2);
	memcpy(out, buf, len);
	out[len] = '\n';
	out[len + 1] = '\0';
	if (ret_len)
		*ret_len = len + 1;
	return out;
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

/* Wait for pid and for anything else still ours (§9.4); pid's exit status, 0 if it was not seen. */
static int wait_all(pid_t pid)
{
	int status = 0;

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

static void stop_subreaping(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 0) < 0)
		diag_warn_errno(errno, "Failed to disable the child subreaper, ignoring");
}

/* The exit command's process, once forked: never returns. */
static void exit_command_exec(const char *path, char *const *argv, int delay, const char *oom_score_adj)
{
	child_reset_signals();
	if (delay > 0)
		sleep((unsigned)delay);
	if (oom_score_adj)
		child_write_oom_score_adj(oom_score_adj);
	execv(path, argv);
	static const char msg[] = "[conmon:e]: Failed to exec the exit command\n";
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

int exit_command_run(const ExitCommand *cmd)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	pid_t pid;

	g_ptr_array_add(argv, (char *)cmd->path);
	for (char *const *a = cmd->args; a && *a; a++)
		g_ptr_array_add(argv, *a);
	g_ptr_array_add(argv, NULL);

	stop_subreaping();
	pid = fork();
	if (pid < 0)
		return diag_error_errno(errno, "Failed to fork the exit command");
	if (pid == 0)
		exit_command_exec(cmd->path, (char *const *)argv->pdata, cmd->delay, cmd->oom_score_adj);
	return wait_all(pid);
}

/* ---- the spawner of a confined monitor -------------------------------------------------------- */

#define SPAWNER_FD 3

int exit_spawner_start(const ExitCommand *cmd, ExitSpawner *ret)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	int sv[2];

	*ret = (ExitSpawner){.pid = 0, .fd = -1};
	/* argv: EXIT_SPAWNER_ARGV0 DELAY OOM_SCORE_ADJ|- PATH ARGS... */
	g_ptr_array_add(argv, g_strdup(EXIT_SPAWNER_ARGV0));
	g_ptr_array_add(argv, g_strdup_printf("%d", MAX(cmd->delay, 0)));
	g_ptr_array_add(argv, g_strdup(cmd->oom_score_adj ? cmd->oom_score_adj : "-"));
	g_ptr_array_add(argv, g_strdup(cmd->path));
	for (char *const *a = cmd->args; a && *a; a++)
		g_ptr_array_add(argv, g_strdup(*a));
	g_ptr_array_add(argv, NULL);

	/* The small helper (exit_spawner.c) beside this binary, then where it is installed; this
	 * binary itself if neither runs. */
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *self_dir = self ? g_path_get_dirname(self) : NULL;
	g_autofree char *beside = self_dir ? g_build_filename(self_dir, EXIT_SPAWNER_ARGV0, NULL) : NULL;
	const char *installed = VIGIL_LIBEXECDIR "/" EXIT_SPAWNER_ARGV0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return diag_error_errno(errno, "Failed to create the exit command's socket");
	pid_t pid = fork();
	if (pid < 0) {
		int r = diag_error_errno(errno, "Failed to start the exit command's spawner");
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		/* only async-signal-safe calls from here */
		if (sv[1] == SPAWNER_FD ? fcntl(SPAWNER_FD, F_SETFD, 0) < 0 : dup2(sv[1], SPAWNER_FD) < 0)
			_exit(127);
		(void)syscall(SYS_close_range, SPAWNER_FD + 1, ~0U, 0);
		if (beside)
			execv(beside, (char *const *)argv->pdata);
		execv(installed, (char *const *)argv->pdata);
		execv("/proc/self/exe", (char *const *)argv->pdata);
		static const char msg[] = "[conmon:e]: Failed to start the exit command's spawner\n";
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(127);
	}
	close(sv[1]);
	*ret = (ExitSpawner){.pid = pid, .fd = sv[0]};
	return 0;
}

int exit_spawner_run(ExitSpawner *sp)
{
	static const char go = 'x';

	stop_subreaping();
	ssize_t n = send(sp->fd, &go, 1, MSG_NOSIGNAL);
	int err = errno;
	closep(&sp->fd);
	if (n != 1) {
		/* it is gone (killed, or it could not start): there is nobody left to run the command */
		diag_error_errno(err, "The exit command's spawner (pid %d) is gone; the exit command did not run",
				 (int)sp->pid);
		(void)wait_all(sp->pid);
		return -EPIPE;
	}
	return wait_all(sp->pid);
}

void exit_spawner_cancel(ExitSpawner *sp)
{
	closep(&sp->fd);
}

int exit_spawner_main(int argc, char **argv)
{
	char go = 0;
	ssize_t n;

	if (argc < 4)
		return 127;
	do
		n = read(SPAWNER_FD, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || go != 'x')
		return 0; /* the monitor ended without an exit command */
	(void)close(SPAWNER_FD);
	const char *adj = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
	long delay = strtol(argv[1], NULL, 10); /* written by exit_spawner_start: a plain number */
	exit_command_exec(argv[3], argv + 3, (int)CLAMP(delay, 0, INT_MAX), adj);
	return 1;
}
