/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for oom.c (interface.md §10): the pure parsers of memory.events and /proc/PID/cgroup,
 * the oom file, and the watcher's counter logic end to end on files this test writes.
 *
 * oom_watch_new() takes a pid and reads the fixed paths /proc/PID/cgroup and /sys/fs/cgroup/...  To
 * drive it over files of our own, the test process enters a private mount namespace (root only; the
 * host's mounts are never touched) and there:
 *   - bind-mounts a file of ours over /proc/<own pid>/cgroup;
 *   - v2: makes sure /sys/fs/cgroup is a cgroup2 mount (statfs says CGROUP2_SUPER_MAGIC) and lets the
 *     "0::" path climb out of it with "/../../.." into a g_mkdtemp directory, where memory.events is an
 *     ordinary file: writing it gives the IN_MODIFY events the kernel would give;
 *   - v1: mounts a tmpfs on /sys/fs/cgroup (not cgroup2 -> the v1 path) holding memory/<path>/
 *     memory.oom_control and cgroup.event_control as ordinary files; vigil registers its eventfd there
 *     ("<efd> <oomfd>"), and the test plays the kernel by writing counts to that eventfd.
 * Without the privileges for that, those tests are skipped (the parsers are still tested).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include "diag.h"
#include "oom.h"
#include "unit.h"

/* ---- oom_parse_memory_events ----------------------------------------------------------------- */

static void check_events(const char *text, uint64_t want_oom, uint64_t want_kill)
{
	uint64_t oom = 12345, kill = 12345;

	assert_int_equal(oom_parse_memory_events(text, &oom, &kill), 0);
	assert_int_equal(oom, want_oom);
	assert_int_equal(kill, want_kill);
}

/* A real memory.events (5.x+ kernels): both counters, oom_group_kill not confused with oom_kill. */
static void test_events_kernel_format(void **state)
{
	check_events("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 7\n", 3, 2);
	check_events("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n", 0, 0);
	/* order does not matter, no trailing newline */
	check_events("oom_kill 9\noom 4", 4, 9);
	check_events("oom_group_kill 5\noom_kill 1\noom 1\n", 1, 1);
}

/* Missing keys count as 0; an empty file is valid. */
static void test_events_missing_keys(void **state)
{
	check_events("", 0, 0);
	check_events("\n", 0, 0);
	check_events("low 1\nhigh 2\nmax 3\n", 0, 0);
	check_events("oom 5\n", 5, 0);
	check_events("oom_kill 6\n", 0, 6);
	/* the counters are 64-bit */
	check_events("oom 18446744073709551615\noom_kill 4294967296\n", UINT64_MAX, 4294967296ULL);
}

/* Text that is not "key value" lines is rejected. */
static void test_events_garbage(void **state)
{
	static const char *const bad[] = {
		"oom abc\n",
		"oom\n",
		"oom_kill\noom 1\n",
		"this is not memory.events",
		"oom 1\ngarbage\n",
		"oom_kill x1\n",
		/* not a counter (not UINT64_MAX), trailing junk, beyond 64 bits */
		"oom -1\n",
		"oom 5x\n",
		"oom_kill 18446744073709551616\n",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint64_t oom, kill;
		int r = oom_parse_memory_events(bad[i], &oom, &kill);
		if (r != -EINVAL)
			fail_msg("oom_parse_memory_events(\"%s\") = %d, expected -EINVAL", bad[i], r);
	}
}

/* ---- oom_cgroup_path ------------------------------------------------------------------------- */

static void check_path(const char *proc, bool v2, const char *want)
{
	g_autofree char *got = NULL;
	int r = oom_cgroup_path(proc, v2, &got);

	if (want == NULL) {
		if (r != -ENOENT)
			fail_msg("oom_cgroup_path(\"%s\", v2=%d) = %d ('%s'), expected -ENOENT", proc, v2, r,
				 got ? got : "(null)");
		return;
	}
	if (r != 0)
		fail_msg("oom_cgroup_path(\"%s\", v2=%d) = %d, expected '%s'", proc, v2, r, want);
	assert_string_equal(got, want);
}

/* This host's shape: hybrid, v1 controllers plus the empty v2 hierarchy. */
#define HYBRID                                                                                          \
	"12:pids:/user.slice\n11:cpu,cpuacct:/user.slice\n9:name=systemd:/user.slice/session-1.scope\n" \
	"7:memory:/user.slice/user-0.slice/session-1.scope\n1:blkio:/\n0::/user.slice/session-1.scope\n"

static void test_path_v2(void **state)
{
	check_path("0::/user.slice/user-1000.slice/session-2.scope\n", true,
		   "/user.slice/user-1000.slice/session-2.scope");
	check_path("0::/\n", true, "/");
	check_path("0::/machine.slice/libpod-abc.scope", true, "/machine.slice/libpod-abc.scope");
	check_path(HYBRID, true, "/user.slice/session-1.scope");
	/* only the path after the second colon, which may itself contain colons */
	check_path("0::/a:b/c\n", true, "/a:b/c");
	/* no v2 entry */
	check_path("4:memory:/x\n1:cpu:/\n", true, NULL);
	check_path("", true, NULL);
	/* hierarchy 0 with a controller list is not the v2 entry; "10::" is not "0::" */
	check_path("10::/not-v2\n", true, NULL);
}

static void test_path_v1_memory(void **state)
{
	check_path("4:memory:/x\n", false, "/x");
	check_path("7:cpu,memory:/y\n", false, "/y");
	check_path("7:memory,cpu:/y2\n", false, "/y2");
	check_path("3:cpu,memory,blkio:/y3", false, "/y3");
	check_path(HYBRID, false, "/user.slice/user-0.slice/session-1.scope");
	check_path("12:memory:/\n", false, "/");
	check_path("4:memory:/p:q\n", false, "/p:q");
}

/* Only the exact controller name "memory" in the comma list counts. */
static void test_path_v1_not_memory(void **state)
{
	check_path("5:memory_foo:/z\n", false, NULL);
	check_path("5:foo_memory:/z\n", false, NULL);
	check_path("5:cpu,memoryx:/z\n", false, NULL);
	check_path("5:name=memory:/z\n", false, NULL);
	check_path("0::/only-v2\n", false, NULL);
	check_path("1:cpu:/\n2:pids:/\n", false, NULL);
	check_path("", false, NULL);
	/* a non-matching entry before the real one is skipped */
	check_path("5:memory_foo:/wrong\n6:cpu,memory:/right\n", false, "/right");
}

/* ---- oom_write_file -------------------------------------------------------------------------- */

static int dir_setup(void **state)
{
	*state = unit_dir_new("oom");
	return 0;
}

static int dir_teardown(void **state)
{
	unit_dir_free(*state);
	return 0;
}

static void test_write_file(void **state)
{
	UnitDir *d = *state;
	size_t len;

	assert_int_equal(oom_write_file(d->dir), 0);
	g_autofree char *got = unit_read_file(d->path, &len);
	assert_int_equal(len, 0);
	assert_string_equal(got, "");
	assert_int_equal(unit_file_mode(d->path), 0644);
	/* created again: still there, nothing else in the directory */
	assert_int_equal(oom_write_file(d->dir), 0);
	g_autofree char *names = unit_list_dir(d->dir);
	assert_string_equal(names, "oom");
}

/* open(O_CREAT) without O_TRUNC: an existing file is never truncated or written to. */
static void test_write_file_never_truncates(void **state)
{
	UnitDir *d = *state;

	unit_write_file(d->path, "keep", 0600);
	assert_int_equal(oom_write_file(d->dir), 0);
	g_autofree char *got = unit_read_file(d->path, NULL);
	assert_string_equal(got, "keep");
	assert_int_equal(unit_file_mode(d->path), 0600);
}

static void test_write_file_missing_dir(void **state)
{
	UnitDir *d = *state;
	g_autofree char *missing = g_build_filename(d->dir, "gone", NULL);

	assert_int_equal(oom_write_file(missing), -ENOENT);
}

/* ---- the watcher over fake cgroup files ------------------------------------------------------ */

/* The test process is in a private mount namespace (group setup), so the mounts below stay ours. */
static bool ns_ok;

typedef struct Fake {
	char *dir;	   /* g_mkdtemp: v2 memory.events lives here */
	char *cg_dir;	   /* the cgroup directory vigil should watch */
	char *proc_target; /* /proc/<pid>/cgroup */
	bool proc_mounted;
	bool cg_mounted;      /* something of ours is mounted on /sys/fs/cgroup */
	const char *why_skip; /* set when the fake cannot be built */
	int calls;	      /* on_oom calls */
} Fake;

static void on_oom(void *data)
{
	Fake *f = data;
	f->calls++;
}

static void fake_set_proc(Fake *f, const char *content)
{
	g_autofree char *src = g_build_filename(f->dir, "proc-cgroup", NULL);

	unit_write_file(src, content, 0644);
	f->proc_target = g_strdup_printf("/proc/%d/cgroup", (int)getpid());
	if (mount(src, f->proc_target, "none", MS_BIND, NULL) < 0) {
		f->why_skip = "cannot bind-mount over /proc/PID/cgroup";
		return;
	}
	f->proc_mounted = true;
	/* sanity: vigil will read our text */
	g_autofree char *back = unit_read_file(f->proc_target, NULL);
	assert_string_equal(back, content);
}

static bool is_cgroup2(const char *path)
{
	struct statfs sfs;
	return statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static int v2_setup(void **state)
{
	Fake *f = g_new0(Fake, 1);

	*state = f;
	f->dir = unit_mkdtemp();
	f->cg_dir = g_strdup(f->dir);
	if (!ns_ok) {
		f->why_skip = "no private mount namespace (needs CAP_SYS_ADMIN)";
		return 0;
	}
	if (!is_cgroup2("/sys/fs/cgroup")) {
		/* hybrid/v1 host: a cgroup2 mount of our own, or a bind of the unified hierarchy */
		if (mount("none", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0 ||
		    mount("/sys/fs/cgroup/unified", "/sys/fs/cgroup", "none", MS_BIND, NULL) == 0)
			f->cg_mounted = true;
		if (!is_cgroup2("/sys/fs/cgroup")) {
			f->why_skip = "cannot make /sys/fs/cgroup a cgroup2 mount";
			return 0;
		}
	}
	/* /sys/fs/cgroup + "/../../.." is "/": the v2 path leads into our directory */
	g_autofree char *proc =
		g_strdup_printf("1:name=systemd:/elsewhere\n4:memory:/elsewhere\n0::/../../..%s\n", f->dir);
	fake_set_proc(f, proc);
	return 0;
}

static int v1_setup(void **state)
{
	Fake *f = g_new0(Fake, 1);

	*state = f;
	f->dir = unit_mkdtemp();
	f->cg_dir = g_strdup("/sys/fs/cgroup/memory/vigil-unit/ctr");
	if (!ns_ok) {
		f->why_skip = "no private mount namespace (needs CAP_SYS_ADMIN)";
		return 0;
	}
	if (mount("tmpfs", "/sys/fs/cgroup", "tmpfs", 0, "mode=0755") < 0) {
		f->why_skip = "cannot mount a tmpfs on /sys/fs/cgroup";
		return 0;
	}
	f->cg_mounted = true;
	assert_false(is_cgroup2("/sys/fs/cgroup"));
	assert_int_equal(g_mkdir_with_parents(f->cg_dir, 0755), 0);
	g_autofree char *ctl = g_build_filename(f->cg_dir, "memory.oom_control", NULL);
	g_autofree char *ev = g_build_filename(f->cg_dir, "cgroup.event_control", NULL);
	unit_write_file(ctl, "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", 0644);
	unit_write_file(ev, "", 0644);
	/* a look-alike controller first: only the exact "memory" entry may be used */
	fake_set_proc(f, "0::/\n5:memory_foo:/wrong\n7:cpu,memory:/vigil-unit/ctr\n1:cpu:/\n");
	return 0;
}

static int fake_teardown(void **state)
{
	Fake *f = *state;

	/* drop whatever the watchers left in the default context */
	while (g_main_context_iteration(NULL, FALSE))
		;
	if (f->proc_mounted)
		(void)umount2(f->proc_target, MNT_DETACH);
	if (f->cg_mounted)
		(void)umount2("/sys/fs/cgroup", MNT_DETACH);
	unit_rm_dir(f->dir);
	g_free(f->dir);
	g_free(f->cg_dir);
	g_free(f->proc_target);
	g_free(f);
	return 0;
}

#define FAKE_OR_SKIP(f)                                                  \
	do {                                                             \
		if ((f)->why_skip) {                                     \
			print_message("# skipped: %s\n", (f)->why_skip); \
			skip();                                          \
		}                                                        \
	} while (0)

/* Write memory.events in place (O_TRUNC + write: IN_MODIFY on the watched inode, as the kernel). */
static void write_events(Fake *f, const char *text)
{
	g_autofree char *path = g_build_filename(f->cg_dir, "memory.events", NULL);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Run the default main context until f->calls reaches want, or for at most ms milliseconds. */
static void pump(Fake *f, int want, int ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;

	while (g_get_monotonic_time() < deadline) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		if (want >= 0 && f->calls >= want)
			return;
		g_usleep(2000);
	}
}

/* Dispatch what is pending and make sure no callback comes. */
static void pump_quiet(Fake *f, int calls)
{
	pump(f, -1, 150);
	assert_int_equal(f->calls, calls);
}

static void pump_until(Fake *f, int calls)
{
	pump(f, calls, 3000);
	assert_int_equal(f->calls, calls);
}

#define ZERO_EVENTS "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"

/* §10 v2 step 3: each change of a non-zero counter is an OOM event; kills are counted from oom_kill. */
static void test_v2_counters(void **state)
{
	Fake *f = *state;

	FAKE_OR_SKIP(f);
	write_events(f, ZERO_EVENTS);
	g_autoptr(OomWatch) w = oom_watch_new(getpid(), on_oom, f);
	assert_non_null(w);
	pump_quiet(f, 0);
	assert_int_equal(oom_watch_kill_count(w), 0);

	/* a kill */
	write_events(f, "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\noom_group_kill 0\n");
	pump_until(f, 1);
	assert_int_equal(oom_watch_kill_count(w), 1);

	/* memory.max hit without a kill: "oom" alone also reports (no kill counted) */
	write_events(f, "low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\noom_group_kill 0\n");
	pump_until(f, 2);
	assert_int_equal(oom_watch_kill_count(w), 1);

	/* other counters changing is not an OOM */
	write_events(f, "low 3\nhigh 4\nmax 10\noom 2\noom_kill 1\noom_group_kill 0\n");
	pump_quiet(f, 2);

	/* a second kill */
	write_events(f, "low 3\nhigh 4\nmax 11\noom 3\noom_kill 2\noom_group_kill 0\n");
	pump_until(f, 3);
	assert_int_equal(oom_watch_kill_count(w), 2);

	/* the final check sees nothing new */
	oom_watch_final_check(w);
	assert_int_equal(f->calls, 3);
	assert_int_equal(oom_watch_kill_count(w), 2);
}

/* Separate counters (2.2.0+, #426): an oom_kill value equal to the last "oom" value is still news. */
static void test_v2_separate_counters(void **state)
{
	Fake *f = *state;

	FAKE_OR_SKIP(f);
	write_events(f, ZERO_EVENTS);
	g_autoptr(OomWatch) w = oom_watch_new(getpid(), on_oom, f);
	assert_non_null(w);
	write_events(f, "oom 1\noom_kill 0\n");
	pump_until(f, 1);
	assert_int_equal(oom_watch_kill_count(w), 0);
	write_events(f, "oom 1\noom_kill 1\n");
	pump_until(f, 2);
	assert_int_equal(oom_watch_kill_count(w), 1);
}

/* Kills that happened before the watch started are not counted (the count is a delta). */
static void test_v2_preexisting_kills_not_counted(void **state)
{
	Fake *f = *state;

	FAKE_OR_SKIP(f);
	write_events(f, "oom 4\noom_kill 4\n");
	g_autoptr(OomWatch) w = oom_watch_new(getpid(), on_oom, f);
	assert_non_null(w);
	write_events(f, "oom 5\noom_kill 5\n");
	pump_until(f, 1);
	assert_int_equal(oom_watch_kill_count(w), 1);
}

/* §9.1 step 1: the final check catches a kill whose inotify event was never dispatched. */
static void test_v2_final_check(void **state)
{
	Fake *f = *state;

	FAKE_OR_SKIP(f);
	write_events(f, ZERO_EVENTS);
	g_autoptr(OomWatch) w = oom_watch_new(getpid(), on_oom, f);
	assert_non_null(w);
	write_events(f, "oom 1\noom_kill 1\n");
	/* no main-loop iteration in between */
	oom_watch_final_check(w);
	assert_int_equal(f->calls, 1);
	assert_int_equal(oom_watch_kill_count(w), 1);
	/* the pending inotify event now finds the same values: not reported twice */
	pump_quiet(f, 1);
	oom_watch_final_check(w);
	assert_int_equal(f->calls, 1);
}

/* A memory.events the parser rejects is skipped; the next good one counts. */
static void test_v2_garbage_skipped(void **state)
{
	Fake *f = *state;

	FAKE_OR_SKIP(f);
	write_events(f, ZERO_EVENTS);
	g_autoptr(OomWatch) w = oom_watch_new(getpid(), on_oom, f);
	assert_non_null(w);
	write_events(f, "oom lots\n");
	pump_quiet(f, 0);
	write_events(f, "oom 1\noom_kill 1\n");
	pump_until(f, 1);
	assert_int_equal(oom_watch_kill_count(w), 1);
}

/* capture_stderr() takes a plain function: the Fake is reached through these statics */
static Fake *missing_fake;
static Fake *removed_fake;

static void pump_removed(void)
{
	pump_quiet(removed_fake, 0);
}

static void new_watch_missing_events(void)
{
	OomWatch *w = oom_watch_new(getpid(), on_oom, missing_fake);

	assert_null(w);
}

static char *capture_stderr(void (*fn)(void))
{
	g_autofree char *tmpl = g_build_filename(g_get_tmp_dir(), "vigil-oom-XXXXXX", NULL);
	int fd = g_mkstemp(tmpl);
	int saved;

	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	fn();
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(fd);
	char *out = unit_read_file(tmpl, NULL);
	unlink(tmpl);
	return out;
}

/* Step 3: when memory.events is gone the cgroup was removed; the watch stops, the final check is quiet. */
static void test_v2_cgroup_removed(void **state)
{
	Fake *f = *state;
	g_autofree char *path = g_build_filename(f->cg_dir, "memory.events", NULL);

	FAKE_OR_SKIP(f);
	write_events(f, ZERO_EVENTS);
	g_autoptr(OomWatch) w = oom_watch_new(getpid(), on_oom, f);
	assert_non_null(w);
	assert_int_equal(unlink(path), 0);
	/* the debug line conmon's suite looks for (the words matter, not the prefix) */
	diag_set_level(DIAG_DEBUG);
	removed_fake = f;
	g_autofree char *err = capture_stderr(pump_removed);
	diag_set_level(DIAG_WARN);
	if (strstr(err, "Cgroup appears to have been removed, stopping OOM monitoring: ") == NULL)
		fail_msg("no removal debug line; stderr was '%s'", err);
	oom_watch_final_check(w);
	assert_int_equal(f->calls, 0);
	assert_int_equal(oom_watch_kill_count(w), 0);
}

/* Step 2 (2.2.0+): no memory.events (no memory controller) -> nothing to watch, quietly. */
static void test_v2_missing_file_quiet(void **state)
{
	Fake *f = *state;

	FAKE_OR_SKIP(f);
	diag_set_level(DIAG_WARN);
	missing_fake = f;
	g_autofree char *err = capture_stderr(new_watch_missing_events);
	assert_string_equal(err, "");
	/* the NULL watch is accepted everywhere */
	oom_watch_final_check(NULL);
	assert_int_equal(oom_watch_kill_count(NULL), 0);
	oom_watch_free(NULL);
	assert_int_equal(f->calls, 0);
}

/* The fds named in "<efd> <oomfd>" as written to cgroup.event_control. */
static void v1_registered_fds(Fake *f, int *efd, int *cfd)
{
	g_autofree char *ev = g_build_filename(f->cg_dir, "cgroup.event_control", NULL);
	g_autofree char *text = unit_read_file(ev, NULL);
	char end;

	if (sscanf(text, "%d %d%c", efd, cfd, &end) != 2)
		fail_msg("cgroup.event_control holds '%s', expected \"<efd> <oomfd>\"", text);
}

static void kernel_signals(int efd, uint64_t count)
{
	assert_int_equal(write(efd, &count, sizeof(count)), sizeof(count));
}

/* §10 v1 step 2: an eventfd and memory.oom_control registered in cgroup.event_control. */
static void test_v1_registration(void **state)
{
	Fake *f = *state;
	int efd, cfd;

	FAKE_OR_SKIP(f);
	g_autoptr(OomWatch) w = oom_watch_new(getpid(), on_oom, f);
	assert_non_null(w);
	v1_registered_fds(f, &efd, &cfd);
	g_autofree char *fdpath = g_strdup_printf("/proc/self/fd/%d", efd);
	g_autofree char *target = g_file_read_link(fdpath, NULL);
	assert_non_null(target);
	assert_string_equal(target, "anon_inode:[eventfd]");
	g_autofree char *cpath = g_strdup_printf("/proc/self/fd/%d", cfd);
	g_autofree char *ctarget = g_file_read_link(cpath, NULL);
	g_autofree char *want = g_build_filename(f->cg_dir, "memory.oom_control", NULL);
	assert_non_null(ctarget);
	assert_string_equal(ctarget, want);
	/* both close-on-exec (§3.6: every fd vigil opens) */
	assert_true(fcntl(efd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(cfd, F_GETFD) & FD_CLOEXEC);
	pump_quiet(f, 0);
	assert_int_equal(oom_watch_kill_count(w), 0);
}

/* Step 3: each eventfd wakeup while the cgroup exists is an OOM. */
static void test_v1_events(void **state)
{
	Fake *f = *state;
	int efd, cfd;

	FAKE_OR_SKIP(f);
	g_autoptr(OomWatch) w = oom_watch_new(getpid(), on_oom, f);
	assert_non_null(w);
	v1_registered_fds(f, &efd, &cfd);
	kernel_signals(efd, 1);
	pump_until(f, 1);
	assert_int_equal(oom_watch_kill_count(w), 1);
	kernel_signals(efd, 1);
	pump_until(f, 2);
	assert_int_equal(oom_watch_kill_count(w), 2);
}

/* One wakeup can carry several events (the eventfd counter adds up): each one is an OOM event seen. */
static void test_v1_coalesced_events(void **state)
{
	Fake *f = *state;
	int efd, cfd;

	FAKE_OR_SKIP(f);
	OomWatch *w = oom_watch_new(getpid(), on_oom, f);
	assert_non_null(w);
	v1_registered_fds(f, &efd, &cfd);
	/* three notifications before vigil got to read the eventfd */
	kernel_signals(efd, 1);
	kernel_signals(efd, 1);
	kernel_signals(efd, 1);
	pump(f, 1, 3000);
	assert_true(f->calls >= 1);
	pump_quiet(f, f->calls);
	uint64_t n = oom_watch_kill_count(w);
	oom_watch_free(w); /* before fail_msg, which does not return */
	if (n != 3)
		fail_msg("3 OOM events in one eventfd read counted as %" PRIu64, n);
}

/* Step 3: count 1 with cgroup.event_control gone is the cgroup's removal, not an OOM. */
static void test_v1_removal_ignored(void **state)
{
	Fake *f = *state;
	g_autofree char *ev = g_build_filename(f->cg_dir, "cgroup.event_control", NULL);
	int efd, cfd;

	FAKE_OR_SKIP(f);
	g_autoptr(OomWatch) w = oom_watch_new(getpid(), on_oom, f);
	assert_non_null(w);
	v1_registered_fds(f, &efd, &cfd);
	assert_int_equal(unlink(ev), 0);
	kernel_signals(efd, 1);
	diag_set_level(DIAG_DEBUG);
	removed_fake = f;
	g_autofree char *err = capture_stderr(pump_removed);
	diag_set_level(DIAG_WARN);
	if (strstr(err, "Cgroup appears to have been removed, stopping OOM monitoring: ") == NULL)
		fail_msg("no removal debug line; stderr was '%s'", err);
	oom_watch_final_check(w);
	assert_int_equal(f->calls, 0);
	assert_int_equal(oom_watch_kill_count(w), 0);
}

/* An OOM that came with the exit itself (not dispatched yet) is seen by the final check. */
static void test_v1_final_check(void **state)
{
	Fake *f = *state;
	int efd, cfd;

	FAKE_OR_SKIP(f);
	g_autoptr(OomWatch) w = oom_watch_new(getpid(), on_oom, f);
	assert_non_null(w);
	v1_registered_fds(f, &efd, &cfd);
	kernel_signals(efd, 1);
	oom_watch_final_check(w);
	assert_int_equal(f->calls, 1);
	assert_int_equal(oom_watch_kill_count(w), 1);
	pump_quiet(f, 1);
}

static int group_setup(void **state)
{
	/* a private mount namespace for the fake-cgroup tests; nothing propagates back to the host */
	ns_ok = unshare(CLONE_NEWNS) == 0 && mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_kernel_format),
		cmocka_unit_test(test_events_missing_keys),
		cmocka_unit_test(test_events_garbage),
		cmocka_unit_test(test_path_v2),
		cmocka_unit_test(test_path_v1_memory),
		cmocka_unit_test(test_path_v1_not_memory),
		cmocka_unit_test_setup_teardown(test_write_file, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_write_file_never_truncates, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_write_file_missing_dir, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_v2_counters, v2_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v2_separate_counters, v2_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v2_preexisting_kills_not_counted, v2_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v2_final_check, v2_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v2_garbage_skipped, v2_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v2_cgroup_removed, v2_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v2_missing_file_quiet, v2_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v1_registration, v1_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v1_events, v1_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v1_coalesced_events, v1_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v1_removal_ignored, v1_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v1_final_check, v1_setup, fake_teardown),
	};

	umask(022);
	return cmocka_run_group_tests_name("oom", tests, group_setup, NULL);
}
