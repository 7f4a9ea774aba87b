/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runtime: argv builder (pure), the runtime child, and reading the container pid file.
 */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd_util.h"
#include "fs_util.h"

char *runtime_default_pidfile(const char *cid)
{
	g_autofree char *cwd = g_get_current_dir();
	g_autofree char *name = g_strconcat("pidfile-", cid, NULL);
	return g_build_filename(cwd, name, NULL);
}

static void add_all(GPtrArray *argv, char *const *list)
{
	for (char *const *p = list; p && *p; p++)
		g_ptr_array_add(argv, g_strdup(*p));
}

char **runtime_build_argv(const Options *opts, const char *container_pidfile, const char *console_socket)
{
	GPtrArray *argv = g_ptr_array_new();
	g_autofree char *cwd = opts->bundle ? NULL : g_get_current_dir();
	const char *bundle = opts->bundle ? opts->bundle : cwd;

	g_ptr_array_add(argv, g_strdup(opts->runtime));
	if (!opts->exec && opts->systemd_cgroup)
		g_ptr_array_add(argv, g_strdup("--systemd-cgroup"));
	add_all(argv, opts->runtime_args);
	if (opts->exec) {
		g_ptr_array_add(argv, g_strdup("exec"));
		g_ptr_array_add(argv, g_strdup("--pid-file"));
		g_ptr_array_add(argv, g_strdup(container_pidfile));
		g_ptr_array_add(argv, g_strdup("--process"));
		g_ptr_array_add(argv, g_strdup(opts->exec_process_spec));
		g_ptr_array_add(argv, g_strdup("--detach"));
	} else {
		g_ptr_array_add(argv, g_strdup(opts->restore ? "restore" : "create"));
		g_ptr_array_add(argv, g_strdup("--bundle"));
		g_ptr_array_add(argv, g_strdup(bundle));
		g_ptr_array_add(argv, g_strdup("--pid-file"));
		g_ptr_array_add(argv, g_strdup(container_pidfile));
		if (opts->no_pivot)
			g_ptr_array_add(argv, g_strdup("--no-pivot"));
		if (opts->no_new_keyring)
			g_ptr_array_add(argv, g_strdup("--no-new-keyring"));
		if (opts->restore) {
			g_ptr_array_add(argv, g_strdup("--detach"));
			g_ptr_array_add(argv, g_strdup("--image-path"));
			g_ptr_array_add(argv, g_strdup(opts->restore));
			g_ptr_array_add(argv, g_strdup("--work-path"));
			g_ptr_array_add(argv, g_strdup(bundle));
		}
	}
	add_all(argv, opts->runtime_opts);
	if (console_socket) {
		g_ptr_array_add(argv, g_strdup("--console-socket"));
		g_ptr_array_add(argv, g_strdup(console_socket));
	}
	g_ptr_array_add(argv, g_strdup(opts->cid));
	g_ptr_array_add(argv, NULL);
	return (char **)g_ptr_array_free(argv, FALSE);
}

/* Async-signal-safe diagnostics for the child between fork and exec. */
static void child_die(const char *msg, int code) __attribute__((noreturn));
static void child_die(const char *msg, int code)
{
	(void)!write(STDERR_FILENO, "[conmon:e]: ", 12);
	(void)!write(STDERR_FILENO, msg, strlen(msg));
	(void)!write(STDERR_FILENO, "\n", 1);
	_exit(code);
}

static void child_dup(int from, int to)
{
	struct stat st;

	if (dup2(from, to) < 0)
		child_die("Failed to set up the runtime's stdio", 127);
	/* A non-root container user must be able to reopen /dev/stdout (§4.3). */
	if (fstat(to, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fchmod(to, 0777);
}

static void child_listen_pid(bool replace)
{
	const char *v = getenv("LISTEN_PID");
	char buf[24];
	char *end = NULL;
	long pid;

	if (v == NULL)
		return;
	errno = 0;
	pid = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || pid <= 0)
		child_die("Invalid LISTEN_PID", 1);
	if (replace || pid == (long)getppid()) {
		snprintf(buf, sizeof(buf), "%d", (int)getpid());
		setenv("LISTEN_PID", buf, 1);
	}
}

/* The runtime child, between fork or clone and exec.  Never returns. */
static void child_run(const RuntimeSpawn *spec) __attribute__((noreturn));
static void child_run(const RuntimeSpawn *spec)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)sigprocmask(SIG_SETMASK, spec->sigmask, NULL);
	if (!spec->passthrough) {
		child_dup(spec->stdin_fd >= 0 ? spec->stdin_fd : spec->devnull_fd, STDIN_FILENO);
		child_dup(spec->stdout_fd >= 0 ? spec->stdout_fd : spec->devnull_fd, STDOUT_FILENO);
		child_dup(spec->stderr_fd, STDERR_FILENO);
	}
	child_listen_pid(spec->replace_listen_pid);
	if (spec->start_fd >= 0) {
		char buf[8192];
		ssize_t n;
		do
			n = read(spec->start_fd, buf, sizeof(buf));
		while (n < 0 && errno == EINTR);
		if (n < 0)
			child_die("start-pipe read failed", 1);
		(void)close(spec->start_fd);
	}
	if (spec->oom_score_adj) {
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, spec->oom_score_adj, strlen(spec->oom_score_adj));
			(void)close(fd);
		}
	}
	execv(spec->argv[0], spec->argv);
	child_die("Failed to exec the runtime", 127);
}

static int child_entry(void *arg)
{
	child_run(arg);
}

#define CHILD_STACK_SIZE ((size_t)64 * 1024)

/* AddressSanitizer cannot follow a switch to another stack (it reports false positives): fork(). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VIGIL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(VIGIL_ASAN)
#define VIGIL_ASAN 1
#endif
#ifndef VIGIL_ASAN
#define VIGIL_ASAN 0
#endif

pid_t runtime_spawn(const RuntimeSpawn *spec)
{
	/*
	 * Usually the child only makes system calls before execv() (no allocation, no stdio, and no
	 * signal handler is installed at this point: signals_new() reset SIGTERM's), so it can share
	 * the monitor's memory, as posix_spawn() does: clone(CLONE_VM | CLONE_VFORK) on a stack of
	 * its own.  No page tables are copied and the monitor takes no copy-on-write faults
	 * afterwards.  Waiting for the start pipe or rewriting LISTEN_PID (setenv allocates) needs a
	 * copy of its own: fork().
	 */
	if (VIGIL_ASAN || spec->start_fd >= 0 || getenv("LISTEN_PID") != NULL) {
		pid_t pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0)
			child_run(spec);
		return pid;
	}
	g_autofree char *stack = g_malloc(CHILD_STACK_SIZE);
	pid_t pid = clone(child_entry, stack + CHILD_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)spec);
	return pid < 0 ? -errno : pid;
}

int runtime_read_pidfile(const char *path, pid_t *ret_pid)
{
	g_autofree char *buf = NULL;
	char *end = NULL;
	long v;
	int r = read_small_file(path, 64, &buf);

	if (r < 0)
		return r;
	g_strstrip(buf);
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || *end != '\0' || v <= 0 || v > INT32_MAX)
		return -EINVAL;
	*ret_pid = (pid_t)v;
	return 0;
}
