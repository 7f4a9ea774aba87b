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

#include <yajl/yajl_gen.h>

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
