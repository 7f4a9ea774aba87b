/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oom: OOM-kill detection for the container's cgroup (interface.md §10).
 *
 * cgroup v1 (and hybrid): memory.oom_control + an eventfd registered in cgroup.event_control; an event
 * that only says the cgroup was removed is ignored.  cgroup v2: memory.events watched with inotify,
 * separate "oom" and "oom_kill" counters, a missing file skipped quietly, one last check at the end.
 * The parsers are pure.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

/* Parse memory.events text: the "oom" and "oom_kill" counters (0 when absent).  Returns 0 or -EINVAL. */
int oom_parse_memory_events(const char *text, uint64_t *ret_oom, uint64_t *ret_oom_kill);

/*
 * From /proc/PID/cgroup text, the path of the v2 ("0::") entry (v2 = true) or of the v1 hierarchy whose
 * controller list contains "memory".  Returns 0 and a new string in *ret, or -ENOENT.
 */
int oom_cgroup_path(const char *proc_cgroup, bool v2, char **ret);

typedef struct OomWatch OomWatch;

/*
 * Start watching the memory cgroup of pid.  on_oom(user_data) runs for every OOM event seen.  Returns
 * NULL (after a warning or quietly, as §10 says) when there is nothing to watch.
 */
OomWatch *oom_watch_new(pid_t pid, void (*on_oom)(void *user_data), void *user_data);
/* The final check after the main loop: events not yet dispatched when the container exited.  Accepts NULL. */
void oom_watch_final_check(OomWatch *w);
/* OOM kills seen since the watch started (v2: oom_kill counter delta; v1: events).  Accepts NULL. */
uint64_t oom_watch_kill_count(const OomWatch *w);
/* The cgroup directory whose memory files the watch reads, or NULL (for the sandbox's rules). */
const char *oom_watch_dir(const OomWatch *w);
void oom_watch_free(OomWatch *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OomWatch, oom_watch_free)

/* Create the empty "oom" file (0644, never truncated) in dir.  Returns 0 or -errno. */
int oom_write_file(const char *dir);
