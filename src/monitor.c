/* SPDX-License-Identifier: Apache-2.0 */
/*
 * monitor: lifecycle of one container or exec session (interface.md §3, §4, §9).
 */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "attach.h"
#include "console.h"
#include "ctl_fifo.h"
#include "diag.h"
#include "exit_file.h"
#include "fd_util.h"
#include "fs_util.h"
#include "log_journald.h"
#include "log_k8s.h"
#include "mem_release.h"
#include "metrics.h"
#include "notify.h"
#include "oom.h"
#include "runtime.h"
#include "sandbox.h"
#include "signals.h"
#include "stdio_relay.h"
#include "sync_msg.h"

#define RUNTIME_MSG_MAX 8191

typedef struct CachedChild {
	pid_t pid;
	int wstatus;
} CachedChild;

struct Monitor {
	/* owned objects and strings */
	const Options *opts;
	char *bundle; /* -b, or the cwd for create/restore (vigil never chdirs) */
	GArray *inherited_fds;
	char *oom_score_adj; /* the value found at start, restored in children */
	char *container_pidfile;
	LogSinks sinks;
	Signals *signals;
	StdioRelay *relay;
	AttachServer *attach;
	CtlFifos *ctl;
	Console *console;
	OomWatch *oom;
	NotifyRelay *notify;
	GByteArray *stdin_pending;
	GArray *unknown_children;
	IdleRelease idle_release; /* gives a burst's buffers back once output is quiet again */
	Metrics *metrics;	  /* --metrics-dir, or NULL */
	ExitSpawner spawner;	  /* --sandbox with an exit command: who runs it (exit_file.h) */
	GError *error;
	int64_t monitor_start_ns;
	int64_t start_time_ns;
	int64_t exit_time_ns;
	/* fds */
	int start_fd;
	int exit_slot;	  /* prepared_file_open() in the exit dir, or -1 */
	int persist_slot; /* the same in the persist dir */
	int sync_fd;
	int attach_pipe_fd;
	int devnull_fd;
	int stdin_w;   /* container stdin, ours to write */
	int master_fd; /* the pty master (borrowed from stdin_w's open file), -1 until received */
	/* the terminal size asked for before the pty master exists, or -1 */
	int pending_rows;
	int pending_cols;
	/* children */
	pid_t runtime_pid;
	pid_t container_pid;
	int runtime_wstatus;
	int container_wstatus;
	/* main loop sources */
	guint stdin_source;
	guint timeout_source;
	guint flush_source;   /* idle source writing out batched log records */
	guint recheck_source; /* probe of a container that is not our child (§3.5) */
	guint metrics_source; /* --metrics-interval */
	/* counters only the metrics read */
	uint64_t stdin_bytes;
	/* state */
	bool oom_seen;
	bool resize_warned;
	bool stdin_close_pending;
	bool runtime_done;
	bool container_done;
	bool container_gone; /* not our child and no longer exists: status 0 (§3.5) */
	bool timed_out;
	bool exit_command_armed;
};

/*
 * After a burst (reads of at least STDIO_COALESCE_BELOW bytes, or as much attach input), the pages
 * it touched go back to the kernel once output has been quiet for one to two of these periods:
 * the read buffer, the log batch, and the heap the attach queues and stdin bytes used.
 */
#define MONITOR_RELEASE_MS 500

static void release_memory(void *data)
{
	Monitor *mon = data;
	size_t n = stdio_relay_release_memory(mon->relay) + log_sinks_release_memory(&mon->sinks) +
		   attach_server_release_memory(mon->attach);

	if (mon->stdin_pending->len == 0) {
		g_byte_array_unref(mon->stdin_pending);
		mon->stdin_pending = g_byte_array_new();
	}
	mem_release_heap();
	diag_debug("Output is quiet again: gave back %zu bytes of buffers and the free heap", n);
}

Monitor *monitor_new(const Options *opts, GArray *inherited_fds)
{
	Monitor *mon = g_new0(Monitor, 1);

	mon->opts = opts;
	mon->bundle = opts->bundle ? g_strdup(opts->bundle) : g_get_current_dir();
	mon->inherited_fds = inherited_fds;
	mon->start_fd = mon->sync_fd = mon->attach_pipe_fd = mon->devnull_fd = mon->stdin_w = -1;
	mon->master_fd = mon->exit_slot = mon->persist_slot = -1;
	mon->pending_rows = mon->pending_cols = -1;
	mon->spawner.fd = -1;
	mon->unknown_children = g_array_new(FALSE, FALSE, sizeof(CachedChild));
	mon->stdin_pending = g_byte_array_new();
	mem_release_init();
	idle_release_init(&mon->idle_release, MONITOR_RELEASE_MS, release_memory, mon);
	mon->monitor_start_ns = g_get_real_time() * 1000;
	return mon;
}

void monitor_free(Monitor *mon)
{
	if (mon == NULL)
		return;
	if (mon->timeout_source)
		g_source_remove(mon->timeout_source);
	if (mon->flush_source)
		g_source_remove(mon->flush_source);
	if (mon->recheck_source)
		g_source_remove(mon->recheck_source);
	if (mon->stdin_source)
		g_source_remove(mon->stdin_source);
	if (mon->metrics_source)
		g_source_remove(mon->metrics_source);
	g_clear_pointer(&mon->metrics, metrics_free);
	idle_release_fini(&mon->idle_release);
	g_clear_pointer(&mon->attach, attach_server_free);
	g_clear_pointer(&mon->ctl, ctl_fifos_free);
	g_clear_pointer(&mon->console, console_free);
	g_clear_pointer(&mon->oom, oom_watch_free);
	g_clear_pointer(&mon->notify, notify_relay_free);
	g_clear_pointer(&mon->relay, stdio_relay_free);
	g_clear_pointer(&mon->signals, signals_free);
	log_sinks_clear(&mon->sinks);
	closep(&mon->start_fd);
	closep(&mon->sync_fd);
	closep(&mon->attach_pipe_fd);
	closep(&mon->devnull_fd);
	closep(&mon->stdin_w);
	closep(&mon->exit_slot);
	closep(&mon->persist_slot);
	exit_spawner_cancel(&mon->spawner);
	g_array_unref(mon->unknown_children);
	g_byte_array_unref(mon->stdin_pending);
	if (mon->inherited_fds)
		g_array_unref(mon->inherited_fds);
	g_free(mon->oom_score_adj);
	g_free(mon->bundle);
	g_free(mon->container_pidfile);
	g_clear_error(&mon->error);
	g_free(mon);
}

/* Close one of the engine's fds early and forget it, so that the final sweep of inherited fds cannot
 * close an fd of ours that reused its number. */
static void close_inherited(Monitor *mon, int *fd)
{
	for (guint i = 0; *fd >= 0 && mon->inherited_fds && i < mon->inherited_fds->len; i++) {
		if (g_array_index(mon->inherited_fds, int, i) == *fd) {
			g_array_remove_index_fast(mon->inherited_fds, i);
			break;
		}
	}
	closep(fd);
}

/* ---- before daemonizing ---------------------------------------------------------------------- */

static void monitor_lower_oom_score(Monitor *mon)
{
	g_autofree char *old = NULL;
	int r = read_small_file("/proc/self/oom_score_adj", 32, &old);

	if (r >= 0)
		mon->oom_score_adj = g_strdup(g_strstrip(old));
	cleanup_close int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "-1000", 5) < 0)
		diag_debug_errno(errno, "failed to write to /proc/self/oom_score_adj");
}

static gboolean env_fd(const char *name, int *ret_fd, GError **error)
{
	const char *v = getenv(name);
	int fd;

	*ret_fd = -1;
	if (v == NULL)
		return TRUE;
	fd = fd_parse(v);
	if (fd < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_INVALID, "unable to parse %s", name);
		return FALSE;
	}
	if (fd == 0) /* conmon treats fd 0 as "not set" */
		return TRUE;
	(void)fd_set_cloexec(fd, true);
	*ret_fd = fd;
	return TRUE;
}

static gboolean monitor_setup_endpoints(Monitor *mon, GError **error);

gboolean monitor_prepare(Monitor *mon, GError **error)
{
	const Options *opts = mon->opts;
	char buf[8192];
	ssize_t n;

	const char *paths[] = {opts->log.k8s_path, opts->log.json_path};
	K8sLog **writers[] = {&mon->sinks.k8s, &mon->sinks.json};
	for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
		if (paths[i] == NULL)
			continue;
		K8sLogConfig cfg = {
			.path = paths[i],
			.format = i == 0 ? LOG_FILE_FORMAT_K8S : LOG_FILE_FORMAT_JSON,
			.size_max = opts->log_size_max,
			.global_size_max = opts->log_global_size_max,
			.rotate = opts->log_rotate,
			.max_files = opts->log_max_files,
			.allowlist = opts->log_allowlist_dirs,
			.defer_flush = true, /* written when the loop goes idle: one write for many reads */
		};
		*writers[i] = k8s_log_open(&cfg, error);
		if (*writers[i] == NULL)
			return FALSE;
	}
	if (opts->log_rate_limit) {
		uint64_t rate, burst;
		if (!rate_limit_parse(opts->log_rate_limit, &rate, &burst, error))
			return FALSE;
		rate_limit_init(&mon->sinks.rate, rate, burst, g_get_real_time() * 1000);
	}
	if (opts->log.journald) {
		JournaldConfig jcfg = {
			.cid = opts->cid,
			.name = opts->name,
			.tag = opts->log_tag,
			.labels = opts->log_labels,
			.no_partial_message = opts->no_container_partial_message,
			.priority_prefix = opts->log_journald_priority,
		};
		mon->sinks.journald = journald_log_new(&jcfg);
	}
	if (opts->metrics_dir) {
		mon->metrics = metrics_open(opts->metrics_dir, opts->cid, opts->exec, opts->cuuid, error);
		if (mon->metrics == NULL)
			return FALSE;
		mon->sinks.count_lines = true;
	}
	monitor_lower_oom_score(mon);
	signals_early_setup();
	if (!env_fd("_OCI_STARTPIPE", &mon->start_fd, error))
		return FALSE;
	if (mon->start_fd >= 0) {
		do
			n = read(mon->start_fd, buf, sizeof(buf));
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "start-pipe read failed: %s",
				    g_strerror(errno));
			return FALSE;
		}
		if (!opts->exec_attach)
			close_inherited(mon, &mon->start_fd);
	}
	mon->devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (mon->devnull_fd < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to open /dev/null: %s", g_strerror(errno));
		return FALSE;
	}
	return monitor_setup_endpoints(mon, error);
}

/* ---- sync pipe -------------------------------------------------------------------------------- */

static void monitor_sync_send(Monitor *mon, int fd_kind, int value, const char *msg, size_t len)
{
	int *fd = fd_kind ? &mon->attach_pipe_fd : &mon->sync_fd;
	const char *key = fd_kind ? "data" : sync_msg_key(mon->opts->api_version, mon->opts->exec);
	size_t out_len;

	if (*fd < 0)
		return;
	g_autofree char *rec = sync_msg_build(key, value, msg, len, &out_len);
	int r = write_all(*fd, rec, out_len);
	if (r == -EPIPE)
		close_inherited(mon, fd); /* the engine went away: nothing to tell */
	else if (r < 0)
		diag_warn_errno(r, "Unable to send a message to the parent");
}

/* ---- children, signals ------------------------------------------------------------------------ */

static void on_child_exited(void *data, pid_t pid, int wstatus)
{
	Monitor *mon = data;

	if (pid == mon->runtime_pid && !mon->runtime_done) {
		mon->runtime_done = true;
		mon->runtime_wstatus = wstatus;
		diag_debug("runtime %d exited with status %d", pid, exit_status_from_wait(wstatus));
	} else if (mon->container_pid > 0 && pid == mon->container_pid) {
		mon->container_done = true;
		mon->exit_time_ns = g_get_real_time() * 1000;
		mon->container_wstatus = wstatus;
		diag_debug("container %d exited with status %d", pid, exit_status_from_wait(wstatus));
	} else if (mon->container_pid == 0) {
		CachedChild c = {pid, wstatus};
		g_array_append_val(mon->unknown_children, c);
	}
}

static gboolean recheck_container(gpointer data)
{
	Monitor *mon = data;

	mon->recheck_source = 0;
	signals_reap(mon->signals);
	return G_SOURCE_REMOVE;
}

static void on_no_children(void *data)
{
	Monitor *mon = data;

	if (mon->container_pid <= 0 || mon->container_done)
		return;
	/* Alive but not our child (some systemd setups, §3.5): look again later. */
	if (kill(mon->container_pid, 0) == 0) {
		if (mon->recheck_source == 0) /* one probe at a time, whatever triggered this reap */
			mon->recheck_source = g_timeout_add(1000, recheck_container, mon);
		return;
	}
	mon->container_done = true;
	mon->container_gone = true;
}

/*
 * The exit command's spawner (--sandbox) is a child that outlives the container, so the reaper never
 * sees ECHILD: ask about the container itself.
 */
static void on_children_left(void *data)
{
	Monitor *mon = data;
	siginfo_t si;

	if (mon->spawner.pid <= 0 || mon->container_pid <= 0 || mon->container_done)
		return;
	if (waitid(P_PID, (id_t)mon->container_pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
		on_no_children(mon);
}

static void on_forward(void *data, int signo)
{
	Monitor *mon = data;

	diag_info("Forwarding signal %d", signo);
	if (mon->container_pid > 0 && kill(mon->container_pid, signo) == 0)
		return;
	if (mon->runtime_pid > 0 && !mon->runtime_done) {
		if (kill(mon->runtime_pid, signo) == 0)
			return;
		if (errno == ESRCH && mon->container_pid > 0 && kill(mon->container_pid, signo) == 0)
			return;
	}
	signals_reap(mon->signals);
}

/* ---- container output and input --------------------------------------------------------------- */

static gboolean flush_logs(gpointer data)
{
	Monitor *mon = data;

	mon->flush_source = 0;
	(void)log_sinks_flush(&mon->sinks);
	return G_SOURCE_REMOVE;
}

static void on_output(void *data, LogStream stream, const struct timespec *now, const char *buf, size_t len)
{
	Monitor *mon = data;

	if (len >= STDIO_COALESCE_BELOW)
		idle_release_mark(&mon->idle_release);
	log_sinks_write(&mon->sinks, stream, now, buf, len);
	/* The records reach the file once nothing else is ready: at once for a quiet container, batched
	 * across reads while output keeps coming. */
	if (mon->flush_source == 0)
		mon->flush_source = g_idle_add(flush_logs, mon);
	if (mon->attach)
		attach_server_broadcast(mon->attach, stream, buf, len);
}

static void on_backpressure(void *data, bool on)
{
	Monitor *mon = data;
	if (mon->relay)
		stdio_relay_set_paused(mon->relay, on);
}

static void stdin_close(Monitor *mon)
{
	if (mon->stdin_source) {
		g_source_remove(mon->stdin_source);
		mon->stdin_source = 0;
	}
	g_byte_array_set_size(mon->stdin_pending, 0);
	/* With a terminal only our input side goes; resizes keep working through the output dup. */
	if (mon->master_fd >= 0 && mon->master_fd == mon->stdin_w)
		mon->master_fd = mon->relay ? stdio_relay_fd(mon->relay, LOG_STREAM_STDOUT) : -1;
	closep(&mon->stdin_w);
}

/* Write what is pending; true when nothing is left (or stdin is gone). */
static bool stdin_flush(Monitor *mon)
{
	GByteArray *p = mon->stdin_pending;

	while (p->len > 0 && mon->stdin_w >= 0) {
		ssize_t n = write(mon->stdin_w, p->data, p->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n < 0) {
			diag_debug_errno(errno, "Container stdin is closed, dropping input");
			stdin_close(mon);
			break;
		}
		g_byte_array_remove_range(p, 0, (guint)n);
	}
	g_byte_array_set_size(p, 0);
	if (mon->stdin_close_pending)
		stdin_close(mon);
	return true;
}

static gboolean stdin_writable(int fd, GIOCondition cond, gpointer data)
{
	Monitor *mon = data;

	if (!stdin_flush(mon))
		return G_SOURCE_CONTINUE;
	mon->stdin_source = 0;
	if (mon->attach)
		attach_server_resume_input(mon->attach);
	return G_SOURCE_REMOVE;
}

static bool on_input(void *data, const char *buf, size_t len)
{
	Monitor *mon = data;

	mon->stdin_bytes += len;
	if (len >= STDIO_COALESCE_BELOW)
		idle_release_mark(&mon->idle_release);
	if (mon->opts->terminal && mon->master_fd < 0 && !mon->stdin_close_pending) {
		/* Before the pty master exists: keep the bytes, hold the clients (§5.2). */
		g_byte_array_append(mon->stdin_pending, (const guint8 *)buf, (guint)len);
		return false;
	}
	if (mon->stdin_w < 0) {
		/*
		 * No stdin (none at all, or closed): the bytes are dropped.  conmon reads such a client once
		 * and then leaves it unread (§5.3), which also leaves its hang-up unnoticed; reading on and
		 * dropping loses nothing the container could have read.
		 */
		return true;
	}
	g_byte_array_append(mon->stdin_pending, (const guint8 *)buf, (guint)len);
	if (stdin_flush(mon))
		return true;
	/* The container is not reading: hold every client until it does (no loss, no spin). */
	if (mon->stdin_source == 0)
		mon->stdin_source = g_unix_fd_add(mon->stdin_w, G_IO_OUT | G_IO_ERR, stdin_writable, mon);
	return false;
}

static void on_client_eof(void *data)
{
	Monitor *mon = data;

	if (!mon->opts->stdin_open || mon->opts->leave_stdin_open || mon->stdin_w < 0)
		return;
	mon->stdin_close_pending = true;
	if (mon->stdin_pending->len == 0)
		stdin_close(mon);
}

static void on_reopen(void *data)
{
	Monitor *mon = data;
	log_sinks_reopen(&mon->sinks);
}

static void on_resize(void *data, int rows, int cols)
{
	Monitor *mon = data;
	int r;

	if (mon->opts->terminal && mon->master_fd < 0) {
		mon->pending_rows = rows; /* applied when the pty master arrives */
		mon->pending_cols = cols;
		return;
	}
	r = mon->master_fd >= 0 ? console_set_winsize(mon->master_fd, rows, cols) : -ENOTTY;
	/* Once: a burst of resizes for a container without a terminal must not flood the logs. */
	if (r < 0 && !mon->resize_warned)
		diag_warn_errno(r, "Failed to resize the terminal to %dx%d", rows, cols);
	mon->resize_warned = r < 0;
}

#ifdef VIGIL_TEST_HOOKS
/* Test builds: run the sandbox probe and leave its report in the exit dir (or persist dir). */
static void on_probe(void *data, int flags)
{
	Monitor *mon = data;
	const Options *opts = mon->opts;
	g_autofree char *report =
		sandbox_probe((flags & CTL_PROBE_PTRACE) ? mon->container_pid : 0, (flags & CTL_PROBE_EXEC) != 0);
	g_autofree char *name = g_strconcat(opts->cid, ".probe", NULL);
	const char *dir = opts->exit_dir ? opts->exit_dir : opts->persist_dir;
	if (dir == NULL)
		return;
	g_autofree char *path = g_build_filename(dir, name, NULL);
	int r = atomic_write_file(path, report, strlen(report), 0644, false);
	if (r < 0)
		diag_warn_errno(r, "Failed to write '%s'", path);
}
#endif

/* §10: the empty oom file in the persist dir and in the bundle, never in the cwd. */
static void on_oom(void *data)
{
	Monitor *mon = data;
	const Options *opts = mon->opts;
	const char *dirs[] = {opts->persist_dir, mon->bundle};

	mon->oom_seen = true;
	diag_info("OOM event for the container");
	for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
		int r = dirs[i] ? oom_write_file(dirs[i]) : 0;
		if (r < 0)
			diag_warn_errno(r, "Failed to write the oom file in '%s'", dirs[i]);
	}
}

static void on_master(void *data, int fd)
{
	Monitor *mon = data;
	int out = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	console_setup_master(fd);
	if (out < 0) {
		diag_error_errno(errno, "Failed to duplicate the console file descriptor");
		(void)close(fd);
		return;
	}
	(void)fd_set_nonblock(fd, true);
	mon->master_fd = fd;
	mon->stdin_w = fd;
	stdio_relay_set_stdout(mon->relay, out, true);
	if (mon->pending_rows >= 0) /* a resize that came before the terminal (§5.2, §7) */
		(void)console_set_winsize(fd, mon->pending_rows, mon->pending_cols);
	/* Input that arrived before the master: write it now, then let clients talk again. */
	if (stdin_flush(mon)) {
		if (mon->attach)
			attach_server_resume_input(mon->attach);
	} else if (mon->stdin_source == 0) {
		mon->stdin_source = g_unix_fd_add(mon->stdin_w, G_IO_OUT | G_IO_ERR, stdin_writable, mon);
	}
}

/* ---- the run ---------------------------------------------------------------------------------- */

static gboolean on_timeout(gpointer data)
{
	Monitor *mon = data;

	mon->timeout_source = 0;
	if (!mon->container_done)
		mon->timed_out = true;
	return G_SOURCE_REMOVE;
}

static void iterate_until(Monitor *mon, bool (*done)(const Monitor *mon))
{
	while (!done(mon) && mon->error == NULL)
		g_main_context_iteration(NULL, TRUE);
}

static bool runtime_finished(const Monitor *mon)
{
	return mon->runtime_done;
}

static bool container_finished(const Monitor *mon)
{
	if (mon->timed_out)
		return true;
	if (!mon->container_done)
		return false;
	/* exec with a terminal: wait for the runtime too (§3.5) */
	if (mon->opts->exec && mon->opts->terminal && mon->opts->api_version && !mon->runtime_done)
		return false;
	return true;
}

static gboolean make_pipe(int fds[2], GError **error)
{
	if (pipe2(fds, O_CLOEXEC) < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to create a pipe: %s", g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* §3.1 steps 11-12: the daemon's own stdio and session. */
static gboolean monitor_setup_process(Monitor *mon, GError **error)
{
	if (!mon->opts->log.passthrough)
		for (int fd = 0; fd <= 2; fd++)
			(void)dup2(mon->devnull_fd, fd);
	(void)setsid();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to set as subreaper: %s",
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* §6, §7: the attach socket and the FIFOs, when there is a bundle and output is ours. */
static gboolean monitor_setup_attach(Monitor *mon, GError **error)
{
	const Options *opts = mon->opts;
	static const AttachCallbacks acb = {
		.on_input = on_input,
		.on_client_eof = on_client_eof,
		.backpressure = on_backpressure,
	};
	static const CtlCallbacks ccb = {
		.resize = on_resize,
		.reopen = on_reopen,
#ifdef VIGIL_TEST_HOOKS
		.probe = on_probe,
#endif
	};

	/* Legacy exec (CRI-O ExecSync) has no bundle and so no socket or FIFOs (§11). */
	if (opts->log.passthrough || (opts->bundle == NULL && opts->exec))
		return TRUE;
	AttachConfig cfg = {
		.bundle = mon->bundle,
		.socket_dir =
			opts->full_attach ? NULL : (opts->socket_dir_path ? opts->socket_dir_path : "/var/run/crio"),
		.cuuid = opts->cuuid,
	};
	mon->attach = attach_server_new(&cfg, &acb, mon, error);
	if (mon->attach == NULL)
		return FALSE;
	mon->ctl = ctl_fifos_new(mon->bundle, &ccb, mon, error);
	if (mon->ctl == NULL)
		return FALSE;
	if (opts->exec_attach)
		monitor_sync_send(mon, 1, 0, NULL, 0);
	return TRUE;
}

/*
 * §3.1 steps 9, 10 and 14, done before daemonizing (conmon does them in the daemon): the engine's
 * pipes, the notify relay, the attach socket, the FIFOs and the console socket.  A failure here
 * reaches the engine as a message on stderr and a non-zero exit of the process it started, not as
 * a bare EOF on the sync pipe; and the files exist when the engine's wait() returns.  The daemon
 * inherits the sockets and FIFOs; the engine's process exits without freeing anything (detach.h).
 */
static gboolean monitor_setup_endpoints(Monitor *mon, GError **error)
{
	const Options *opts = mon->opts;

	if (opts->sdnotify_socket) {
		mon->notify = notify_relay_new(mon->bundle, opts->sdnotify_socket, error);
		if (mon->notify == NULL)
			return FALSE;
	}
	if (!env_fd("_OCI_SYNCPIPE", &mon->sync_fd, error))
		return FALSE;
	if (opts->exec_attach) {
		if (!env_fd("_OCI_ATTACHPIPE", &mon->attach_pipe_fd, error))
			return FALSE;
		if (mon->attach_pipe_fd < 0) {
			g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
				    "--attach specified but _OCI_ATTACHPIPE was not");
			return FALSE;
		}
	}
	/*
	 * The exit files' inodes, made now: at exit they only get their content and a name, which
	 * takes the most expensive filesystem step (allocating an inode) off the exit path.  Best
	 * effort: where O_TMPFILE is missing they are written the usual way.
	 */
	if (opts->exit_dir)
		mon->exit_slot = prepared_file_open(opts->exit_dir, 0644);
	if (opts->persist_dir)
		mon->persist_slot = prepared_file_open(opts->persist_dir, 0644);
	if (opts->terminal) {
		mon->console = console_new(error);
		if (mon->console == NULL)
			return FALSE;
	}
	return monitor_setup_attach(mon, error);
}

static gboolean monitor_start_runtime(Monitor *mon, GError **error)
{
	const Options *opts = mon->opts;
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
	static const SignalCallbacks scb = {
		.child_exited = on_child_exited,
		.no_children = on_no_children,
		.children_left = on_children_left,
		.forward = on_forward,
	};
	static const StdioCallbacks stdio_cb = {.on_output = on_output};
	g_auto(GStrv) argv = NULL;

	if (!opts->log.passthrough) {
		bool pipes = !opts->terminal;
		if ((pipes && opts->stdin_open && !make_pipe(in, error)) || (pipes && !make_pipe(out, error)) ||
		    !make_pipe(err, error))
			return FALSE;
		if (in[1] >= 0)
			(void)fd_set_nonblock(in[1], true);
		/* The output pipes keep the default size until a burst (stdio_relay.c). */
		mon->stdin_w = in[1];
		mon->relay = stdio_relay_new(out[0], err[0], &stdio_cb, mon);
	}
	mon->signals = signals_new(&scb, mon, error);
	if (mon->signals == NULL)
		goto fail;
	mon->container_pidfile =
		opts->container_pidfile ? g_strdup(opts->container_pidfile) : runtime_default_pidfile(opts->cid);
	argv = runtime_build_argv(opts, mon->container_pidfile, mon->console ? console_path(mon->console) : NULL);
	if (diag_get_level() >= DIAG_TRACE) {
		g_autofree char *joined = g_strjoinv(" ", argv);
		diag_trace("Running runtime: %s", joined);
	}
	RuntimeSpawn spec = {
		.argv = argv,
		.passthrough = opts->log.passthrough,
		.stdin_fd = in[0],
		.stdout_fd = out[1],
		.stderr_fd = err[1],
		.devnull_fd = mon->devnull_fd,
		.start_fd = mon->start_fd,
		.replace_listen_pid = opts->replace_listen_pid,
		.oom_score_adj = mon->oom_score_adj,
		.sigmask = signals_original_mask(mon->signals),
	};
	mon->runtime_pid = runtime_spawn(&spec);
	closep(&in[0]);
	closep(&out[1]);
	closep(&err[1]);
	close_inherited(mon, &mon->start_fd);
	if (mon->runtime_pid < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to fork the runtime: %s",
			    g_strerror(-mon->runtime_pid));
		return FALSE;
	}
	/* From here on the exit command runs whatever happens (§9.4). */
	mon->exit_command_armed = true;
	if (opts->log.passthrough)
		for (int fd = 0; fd <= 2; fd++)
			(void)dup2(mon->devnull_fd, fd);
	signals_attach(mon->signals);
	if (mon->console)
		console_watch(mon->console, on_master, mon);
	return TRUE;
fail:
	closep(&in[0]);
	closep(&out[1]);
	closep(&err[1]);
	return FALSE;
}

/* The runtime's stderr, read once without blocking (the sync-pipe failure message). */
static char *read_runtime_error(Monitor *mon, size_t *ret_len)
{
	int fd = mon->relay ? stdio_relay_fd(mon->relay, LOG_STREAM_STDERR) : -1;
	char *buf = g_malloc0(RUNTIME_MSG_MAX + 1);
	ssize_t n = -1;

	if (fd >= 0)
		do
			n = read(fd, buf, RUNTIME_MSG_MAX);
		while (n < 0 && errno == EINTR);
	*ret_len = n > 0 ? (size_t)n : 0;
	return buf;
}

/* §4.4: after the runtime returned; reports the pid, or the failure record and an error. */
static gboolean monitor_check_runtime(Monitor *mon, GError **error)
{
	const Options *opts = mon->opts;
	int status = exit_status_from_wait(mon->runtime_wstatus);
	pid_t pid = 0;
	int r = runtime_read_pidfile(mon->container_pidfile, &pid);
	size_t len;

	/* exec: only a non-zero status without a pid file is a failure (§17.1). */
	if (status != 0 && (!opts->exec || r < 0)) {
		g_autofree char *msg = read_runtime_error(mon, &len);
		monitor_sync_send(mon, 0, -1, msg, len);
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to create container: exit status %d",
			    status);
		return FALSE;
	}
	if (mon->console && mon->master_fd < 0 && mon->relay) {
		/* The runtime may have sent the master just before it exited. */
		int fd = console_try_receive(mon->console);
		if (fd >= 0)
			on_master(mon, fd);
	}
	if (opts->terminal && mon->master_fd < 0 && mon->relay) {
		static const char msg[] = "Runtime did not set up terminal";
		monitor_sync_send(mon, 0, -1, msg, sizeof(msg) - 1);
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "%s", msg);
		return FALSE;
	}
	g_clear_pointer(&mon->console, console_free);
	if (r < 0) {
		g_autofree char *msg = read_runtime_error(mon, &len);
		g_autofree char *text = len ? NULL
					    : g_strdup_printf("Failed to read pid file '%s': %s",
							      mon->container_pidfile, g_strerror(-r));
		monitor_sync_send(mon, 0, -1, len ? msg : text, len ? len : strlen(text));
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to read pid file '%s': %s",
			    mon->container_pidfile, g_strerror(-r));
		return FALSE;
	}
	mon->container_pid = pid;
	mon->start_time_ns = g_get_real_time() * 1000;
	diag_debug("container pid is %d", pid);
	if (!opts->exec || opts->api_version)
		monitor_sync_send(mon, 0, pid, NULL, 0);
	/* Replay children that exited before the pid was known (§3.5). */
	for (guint i = 0; i < mon->unknown_children->len; i++) {
		CachedChild *c = &g_array_index(mon->unknown_children, CachedChild, i);
		if (c->pid == pid)
			on_child_exited(mon, c->pid, c->wstatus);
	}
	g_array_set_size(mon->unknown_children, 0);
	return TRUE;
}

static void close_inherited_fds(Monitor *mon)
{
	for (guint i = 0; mon->inherited_fds && i < mon->inherited_fds->len; i++) {
		int fd = g_array_index(mon->inherited_fds, int, i);
		if (fd <= 2 || fd == mon->sync_fd)
			continue;
		if (fd == mon->attach_pipe_fd)
			mon->attach_pipe_fd = -1;
		(void)close(fd);
	}
}

/* The signal that ended the container, as the exit files report it (0: none). */
static int exit_signal(const Monitor *mon)
{
	return !mon->timed_out && !mon->container_gone && WIFSIGNALED(mon->container_wstatus)
		       ? WTERMSIG(mon->container_wstatus)
		       : 0;
}

/* --metrics-dir: the counters, from the modules that keep them, into the file (metrics.h). */
static void metrics_update(Monitor *mon, bool exited, int status)
{
	const Options *opts = mon->opts;
	const K8sLog *file = log_sinks_file(&mon->sinks);
	const K8sLogStats *fs = file ? k8s_log_stats(file) : NULL;
	MetricsSnapshot s = {
		.container_id = opts->cid,
		.container_name = opts->name ? opts->name : "",
		.exec = opts->exec,
		.exec_id = metrics_exec_id(mon->metrics),
		.log_rotations = fs ? fs->rotations : 0,
		.log_reopens = fs ? fs->reopens : 0,
		.log_file_bytes = file ? k8s_log_file_bytes(file) : -1,
		.attach_clients = mon->attach ? attach_server_client_count(mon->attach) : 0,
		.attach_clients_total = attach_server_clients_total(mon->attach),
		.stdin_bytes = mon->stdin_bytes,
		.oom_kills = oom_watch_kill_count(mon->oom),
		.notify_messages = notify_relay_count(mon->notify),
		.start_time_seconds = (double)mon->monitor_start_ns / 1e9,
		.exited = exited,
		.exit_code = status,
		.exit_signal = exited ? exit_signal(mon) : 0,
	};

	for (int i = 0; i < _LOG_STREAM_MAX; i++) {
		s.stream_bytes[i] = mon->sinks.bytes[i];
		s.stream_lines[i] = log_sinks_lines(&mon->sinks, (LogStream)i);
		s.dropped[i][METRICS_DROP_RATE_LIMIT] = mon->sinks.rate_dropped_total[i];
		s.dropped[i][METRICS_DROP_GLOBAL_SIZE_MAX] = mon->sinks.global_dropped[i];
		s.dropped[i][METRICS_DROP_LOG_SIZE_MAX] = fs ? fs->truncated[i] : 0;
		s.dropped[i][METRICS_DROP_WRITE_ERROR] = fs ? fs->write_failed[i] : 0;
	}
	metrics_read_self(&s);
	(void)metrics_write(mon->metrics, &s);
}

static gboolean on_metrics_timer(gpointer data)
{
	Monitor *mon = data;

	/* what the loop has batched counts as logged: flush it first, as the exit does */
	log_sinks_flush(&mon->sinks);
	metrics_update(mon, false, 0);
	return G_SOURCE_CONTINUE;
}

/* --exit-json: <persist-dir>/exit.json, else <exit-dir>/<cid>.json (both atomic). */
static void write_exit_json(Monitor *mon, int status)
{
	const Options *opts = mon->opts;
	ExitRecord rec = {
		.exit_code = status,
		.signal = exit_signal(mon),
		.oom_killed = mon->oom_seen,
		.oom_kill_count = oom_watch_kill_count(mon->oom),
		.timed_out = mon->timed_out,
		.start_time_ns = mon->start_time_ns,
		.exit_time_ns = mon->exit_time_ns ? mon->exit_time_ns : g_get_real_time() * 1000,
	};
	g_autofree char *path = NULL;
	size_t len;

	memcpy(rec.bytes_logged, mon->sinks.bytes, sizeof(rec.bytes_logged));
	memcpy(rec.bytes_dropped, mon->sinks.dropped, sizeof(rec.bytes_dropped));
	if (opts->persist_dir)
		path = g_build_filename(opts->persist_dir, "exit.json", NULL);
	else if (opts->exit_dir) {
		g_autofree char *name = g_strconcat(opts->cid, ".json", NULL);
		path = g_build_filename(opts->exit_dir, name, NULL);
	} else
		return;
	g_autofree char *json = exit_record_to_json(&rec, &len);
	int r = json ? atomic_write_file(path, json, len, 0644, opts->persist_dir != NULL) : -ENOMEM;
	if (r < 0)
		diag_warn_errno(r, "Failed to write '%s'", path);
}

/* §9.1 steps 2-9.  Returns the status. */
static int monitor_exit_sequence(Monitor *mon, GError **error)
{
	const Options *opts = mon->opts;
	int status;

	idle_release_fini(&mon->idle_release); /* the end frees everything anyway */
	oom_watch_final_check(mon->oom);
	if (mon->relay && !mon->timed_out)
		stdio_relay_drain(mon->relay);
	log_sinks_finish(&mon->sinks, !opts->no_sync_log);
	if (mon->timed_out) {
		/* the container alone if its group cannot be signalled (a sandboxed monitor may signal
		 * only the group the container had when the sandbox applied) */
		pid_t pgid = getpgid(mon->container_pid);
		if (pgid <= 1 || kill(-pgid, SIGKILL) < 0)
			(void)kill(mon->container_pid, SIGKILL);
		status = -1;
	} else if (mon->container_gone) {
		status = 0;
	} else {
		status = exit_status_from_wait(mon->container_wstatus);
	}
	if (mon->attach) {
		attach_server_flush(mon->attach, 5000);
		attach_server_close_clients(mon->attach);
	}
	g_clear_pointer(&mon->signals, signals_free);
	close_inherited_fds(mon);
	if (opts->exit_json)
		write_exit_json(mon, status);
	if (mon->metrics) {
		if (mon->metrics_source)
			g_source_remove(mon->metrics_source);
		mon->metrics_source = 0;
		metrics_update(mon, true, status);
	}
	if (opts->persist_dir && !exit_file_write(opts->persist_dir, "exit", status, true, mon->persist_slot, error))
		return status;
	if (opts->exit_dir && !exit_file_write(opts->exit_dir, opts->cid, status, false, mon->exit_slot, error))
		return status;
	if (opts->exec) {
		static const char timed_out[] = "command timed out";
		if (mon->timed_out)
			monitor_sync_send(mon, 0, -1, timed_out, sizeof(timed_out) - 1);
		else
			monitor_sync_send(mon, 0, status, NULL, 0);
	}
	g_clear_pointer(&mon->attach, attach_server_free);
	return status;
}

static void add_dir(GPtrArray *dirs, const char *dir)
{
	if (dir != NULL)
		g_ptr_array_add(dirs, g_strdup(dir));
}

static void add_parent(GPtrArray *dirs, const char *path)
{
	if (path != NULL)
		g_ptr_array_add(dirs, g_path_get_dirname(path));
}

static ExitCommand monitor_exit_command(const Monitor *mon)
{
	const Options *opts = mon->opts;
	return (ExitCommand){
		.path = opts->exit_command,
		.args = opts->exit_command_args,
		.delay = opts->exit_delay,
		.oom_score_adj = mon->oom_score_adj,
	};
}

/*
 * --sandbox: every path the monitor opens from now on is known; start the exit command's spawner,
 * then confine (sandbox.h).  A failure leaves the monitor running as it was: the container is
 * already running and must not lose its monitor.
 */
static void monitor_confine(Monitor *mon)
{
	const Options *opts = mon->opts;
	g_autoptr(GPtrArray) write = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) remove = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) read = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;

	if (opts->exit_command) {
		ExitCommand cmd = monitor_exit_command(mon);
		if (exit_spawner_start(&cmd, &mon->spawner) < 0) {
			diag_warn("sandbox: not confining the monitor, since it could not run the exit command");
			return;
		}
	}
	/* the logs (new files on rotation and reopen), exit files, oom files, metrics */
	add_parent(write, opts->log.k8s_path);
	add_parent(write, opts->log.json_path);
	add_dir(write, opts->exit_dir);
	add_dir(write, opts->persist_dir);
	add_dir(write, opts->metrics_dir);
	if (mon->attach || mon->notify || !opts->exec)
		add_dir(write, mon->bundle); /* the oom file; the attach socket and notify dir go at exit */
	g_ptr_array_add(write, NULL);
	/* the attach socket's link */
	if (mon->attach && !opts->full_attach)
		add_dir(remove, opts->socket_dir_path ? opts->socket_dir_path : "/var/run/crio");
	g_ptr_array_add(remove, NULL);
	/* memory.events of the container's cgroup, and /proc/self (metrics) */
	add_dir(read, oom_watch_dir(mon->oom));
	add_dir(read, "/proc/self");
	g_ptr_array_add(read, NULL);
	/* whom the monitor signals: the container (forwarded signals, -T), its process group (-T), and
	 * a runtime still running (an exec session's runc exec) */
	pid_t targets[3];
	size_t n_targets = 0;
	if (mon->container_pid > 0) {
		targets[n_targets++] = mon->container_pid;
		pid_t pgid = getpgid(mon->container_pid);
		if (pgid > 1)
			targets[n_targets++] = -pgid;
	}
	if (mon->runtime_pid > 0 && !mon->runtime_done)
		targets[n_targets++] = mon->runtime_pid;
	SandboxSpec spec = {
		.kill_targets = targets,
		.n_kill_targets = n_targets,
		.write_dirs = (const char *const *)write->pdata,
		.remove_dirs = (const char *const *)remove->pdata,
		.read_dirs = (const char *const *)read->pdata,
		/* an abstract NOTIFY_SOCKET of the host stays reachable */
		.scope_abstract_unix = opts->sdnotify_socket == NULL || opts->sdnotify_socket[0] != '@',
	};
	if (!sandbox_apply(&spec, &error))
		diag_warn("%s; the monitor goes on without the rest of the sandbox", error->message);
}

int monitor_run(Monitor *mon, GError **error)
{
	const Options *opts = mon->opts;

	if (!monitor_setup_process(mon, error) || !monitor_start_runtime(mon, error))
		return -1;
	iterate_until(mon, runtime_finished);
	if (!monitor_check_runtime(mon, error))
		return -1;
	if (mon->relay)
		stdio_relay_set_paused(mon->relay, false);
	if (!opts->exec)
		mon->oom = oom_watch_new(mon->container_pid, on_oom, mon);
	/* Start-up is over: the free heap it leaves goes back once the container has been quiet for a
	 * moment (the same release as after a burst). */
	idle_release_mark(&mon->idle_release);
	if (mon->metrics) {
		metrics_update(mon, false, 0);
		mon->metrics_source = g_timeout_add_seconds((guint)opts->metrics_interval, on_metrics_timer, mon);
	}
	/* Not g_timeout_add_seconds(): it rounds to whole seconds and may fire early. */
	if (opts->timeout > 0)
		mon->timeout_source = g_timeout_add((guint)MIN(opts->timeout, G_MAXINT / 1000) * 1000, on_timeout, mon);
	if (opts->sandbox)
		monitor_confine(mon);
	signals_reap(mon->signals); /* anything that ended while the pid was unknown */
	iterate_until(mon, container_finished);
	if (mon->error) {
		g_propagate_error(error, g_steal_pointer(&mon->error));
		return -1;
	}
	return monitor_exit_sequence(mon, error);
}

/* --metrics-dir: the file goes once the exit command ran (unless --metrics-keep). */
static void metrics_done(Monitor *mon)
{
	if (mon->metrics && !mon->opts->metrics_keep)
		metrics_remove(mon->metrics);
}

int monitor_finish(Monitor *mon, int status)
{
	const Options *opts = mon->opts;

	if (!mon->exit_command_armed || opts->exit_command == NULL) {
		exit_spawner_cancel(&mon->spawner);
		metrics_done(mon);
		return status;
	}
	ExitCommand cmd = monitor_exit_command(mon);
	g_clear_pointer(&mon->ctl, ctl_fifos_free);
	int r = mon->spawner.pid > 0 ? exit_spawner_run(&mon->spawner) : exit_command_run(&cmd);
	metrics_done(mon);
	return r > 0 ? r : status;
}
