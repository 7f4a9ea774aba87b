/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oom: cgroup v1 eventfd and v2 memory.events watchers.
 */
#include "oom.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <glib-unix.h>

#include "diag.h"
#include "fd_util.h"
#include "fs_util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

struct OomWatch {
	bool v2;
	int fd; /* eventfd (v1) or inotify (v2) */
	int control_fd;
	guint source;
	char *dir; /* the cgroup directory */
	uint64_t last_oom;
	uint64_t last_oom_kill;
	uint64_t base_oom_kill; /* v2: the counter when the watch started */
	uint64_t events;	/* v1: OOM events seen */
	void (*on_oom)(void *user_data);
	void *user_data;
};

int oom_parse_memory_events(const char *text, uint64_t *ret_oom, uint64_t *ret_oom_kill)
{
	uint64_t oom = 0, kill = 0;
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (char **l = lines; *l; l++) {
		char *sp = strchr(*l, ' ');
		char *end = NULL;
		uint64_t v;
		if (**l == '\0')
			continue;
		if (sp == NULL || !g_ascii_isdigit(sp[1]))
			return -EINVAL;
		errno = 0;
		v = g_ascii_strtoull(sp + 1, &end, 10);
		if (errno != 0 || (*end != '\0' && !g_ascii_isspace(*end)))
			return -EINVAL;
		if ((size_t)(sp - *l) == 3 && strncmp(*l, "oom", 3) == 0)
			oom = v;
		else if ((size_t)(sp - *l) == 8 && strncmp(*l, "oom_kill", 8) == 0)
			kill = v;
	}
	*ret_oom = oom;
	*ret_oom_kill = kill;
	return 0;
}

int oom_cgroup_path(const char *proc_cgroup, bool v2, char **ret)
{
	g_auto(GStrv) lines = g_strsplit(proc_cgroup, "\n", -1);

	for (char **l = lines; *l; l++) {
		/* hierarchy-ID:controller-list:path */
		char *c1 = strchr(*l, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		g_autofree char *ctrls = g_strndup(c1 + 1, (size_t)(c2 - c1 - 1));
		bool match = false;
		if (v2) {
			match = strncmp(*l, "0:", 2) == 0 && *ctrls == '\0';
		} else {
			g_auto(GStrv) names = g_strsplit(ctrls, ",", -1);
			for (char **n = names; *n && !match; n++)
				match = strcmp(*n, "memory") == 0;
		}
		if (match) {
			*ret = g_strdup(c2 + 1);
			return 0;
		}
	}
	return -ENOENT;
}

int oom_write_file(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "oom", NULL);
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	(void)close(fd);
	return 0;
}

static void oom_check_events(OomWatch *w)
{
	g_autofree char *path = g_build_filename(w->dir, "memory.events", NULL);
	g_autofree char *text = NULL;
	uint64_t oom, kill;
	bool hit = false;

	int r = read_small_file(path, 4096, &text);
	if (r < 0) {
		/* The cgroup is gone: nothing more will come. */
		if (r == -ENOENT)
			diag_debug("Cgroup appears to have been removed, stopping OOM monitoring: %s", path);
		else
			diag_warn_errno(-r, "Failed to read '%s', stopping OOM monitoring", path);
		if (w->source) {
			g_source_remove(w->source);
			w->source = 0;
		}
		return;
	}
	if (oom_parse_memory_events(text, &oom, &kill) < 0)
		return;
	if (oom > 0 && oom != w->last_oom) {
		w->last_oom = oom;
		hit = true;
	}
	if (kill > 0 && kill != w->last_oom_kill) {
		w->last_oom_kill = kill;
		hit = true;
	}
	if (hit)
		w->on_oom(w->user_data);
}

static gboolean oom_ready(int fd, GIOCondition cond, gpointer data)
{
	OomWatch *w = data;

	if (w->v2) {
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		oom_check_events(w);
		return w->source ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
	}
	uint64_t count = 0;
	if (read(fd, &count, sizeof(count)) != sizeof(count))
		return G_SOURCE_CONTINUE;
	g_autofree char *ctl = g_build_filename(w->dir, "cgroup.event_control", NULL);
	if (count == 1 && access(ctl, F_OK) < 0) {
		/* Only the cgroup's removal (§10). */
		diag_debug("Cgroup appears to have been removed, stopping OOM monitoring: %s", w->dir);
		w->source = 0;
		return G_SOURCE_REMOVE;
	}
	w->events += count; /* an eventfd read sums every notification since the last one */
	w->on_oom(w->user_data);
	return G_SOURCE_CONTINUE;
}

static bool oom_setup_v1(OomWatch *w)
{
	g_autofree char *ctl_path = g_build_filename(w->dir, "memory.oom_control", NULL);
	g_autofree char *ev_path = g_build_filename(w->dir, "cgroup.event_control", NULL);
	char buf[64];

	w->control_fd = open(ctl_path, O_RDONLY | O_CLOEXEC);
	if (w->control_fd < 0) {
		diag_warn_errno(errno, "Failed to open '%s', not watching for OOM kills", ctl_path);
		return false;
	}
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->fd < 0) {
		diag_warn_errno(errno, "Failed to create an eventfd, not watching for OOM kills");
		return false;
	}
	int n = snprintf(buf, sizeof(buf), "%d %d", w->fd, w->control_fd);
	cleanup_close int ev = open(ev_path, O_WRONLY | O_CLOEXEC);
	if (ev < 0 || write(ev, buf, (size_t)n) < 0)
		diag_warn_errno(errno, "Failed to write to '%s', ignoring", ev_path);
	return true;
}

static bool oom_setup_v2(OomWatch *w)
{
	g_autofree char *path = g_build_filename(w->dir, "memory.events", NULL);

	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		diag_warn_errno(errno, "Failed to create an inotify instance, not watching for OOM kills");
		return false;
	}
	if (inotify_add_watch(w->fd, path, IN_MODIFY) < 0) {
		diag_debug_errno(errno, "No '%s' to watch", path);
		return false; /* quietly: no memory controller here (§10) */
	}
	g_autofree char *text = NULL;
	/* Counts from before the watch (a reused cgroup) are not this container's OOM kills. */
	if (read_small_file(path, 4096, &text) == 0 &&
	    oom_parse_memory_events(text, &w->last_oom, &w->base_oom_kill) == 0)
		w->last_oom_kill = w->base_oom_kill;
	return true;
}

OomWatch *oom_watch_new(pid_t pid, void (*on_oom)(void *user_data), void *user_data)
{
	g_autoptr(OomWatch) w = g_new0(OomWatch, 1);
	g_autofree char *proc = g_strdup_printf("/proc/%d/cgroup", pid);
	g_autofree char *text = NULL;
	g_autofree char *rel = NULL;
	struct statfs sfs;

	w->fd = w->control_fd = -1;
	w->on_oom = on_oom;
	w->user_data = user_data;
	w->v2 = statfs(CGROUP_ROOT, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
	if (read_small_file(proc, 65536, &text) < 0 || oom_cgroup_path(text, w->v2, &rel) < 0) {
		diag_debug("No memory cgroup found for %d", pid);
		return NULL;
	}
	w->dir = w->v2 ? g_build_filename(CGROUP_ROOT, rel, NULL) : g_build_filename(CGROUP_ROOT, "memory", rel, NULL);
	if (!(w->v2 ? oom_setup_v2(w) : oom_setup_v1(w)))
		return NULL;
	w->source = g_unix_fd_add(w->fd, G_IO_IN, oom_ready, w);
	return g_steal_pointer(&w);
}

void oom_watch_final_check(OomWatch *w)
{
	if (w == NULL)
		return;
	if (w->v2)
		oom_check_events(w);
	else if (w->source)
		(void)oom_ready(w->fd, G_IO_IN, w); /* an event that came with the exit itself */
}

const char *oom_watch_dir(const OomWatch *w)
{
	return w ? w->dir : NULL;
}

uint64_t oom_watch_kill_count(const OomWatch *w)
{
	if (w == NULL)
		return 0;
	if (!w->v2)
		return w->events;
	return w->last_oom_kill > w->base_oom_kill ? w->last_oom_kill - w->base_oom_kill : 0;
}

void oom_watch_free(OomWatch *w)
{
	if (w == NULL)
		return;
	if (w->source)
		g_source_remove(w->source);
	closep(&w->fd);
	closep(&w->control_fd);
	g_free(w->dir);
	g_free(w);
}
