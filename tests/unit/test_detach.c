/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for detach.c with real processes.  Each case forks an "engine" process that calls
 * detach_begin(); the long-lived process it makes reports to the test over a pipe.  The test is a
 * child subreaper, so that it reaps those monitors too.
 *   - the engine's process exits with the status the monitor reports, and only once it reported;
 *   - it exits 1 when the monitor dies without reporting;
 *   - the monitor is a new process that shares the engine's address space (kcmp KCMP_VM) where
 *     detach_shares_vm() says so (x86_64 outside sanitizers and valgrind), and gets the signal
 *     mask back as it was before the split.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "detach.h"
#include "fd_util.h"
#include "unit.h"

#ifndef KCMP_VM
#define KCMP_VM 1
#endif

typedef struct {
	pid_t monitor;
	pid_t engine_seen; /* the monitor's parent while the engine waits */
	int same_vm;	   /* kcmp(monitor, engine, KCMP_VM): 0 when shared */
	int usr1_blocked;
	int usr2_blocked;
} Report;

/* Wait for a process that must exit within a few seconds; returns its wait status. */
static int wait_exit(pid_t pid)
{
	int st = 0;

	for (int i = 0; i < 500; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		assert_true(r >= 0);
		if (r == pid)
			return st;
		g_usleep(10000);
	}
	fail_msg("process %d did not exit", (int)pid);
	return -1;
}

/*
 * Fork an engine that blocks SIGUSR1, detaches, and in the monitor: sends a Report on rep_w,
 * waits for one byte on go_r, then reports STATUS (or dies without reporting when STATUS < 0).
 */
static pid_t start_engine(int rep_w, int go_r, int status)
{
	pid_t engine = fork();

	assert_true(engine >= 0);
	if (engine > 0)
		return engine;

	sigset_t usr1, now;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	pid_t me = getpid();
	Detach d;
	if (detach_begin(&d) < 0)
		_exit(90);
	/* the monitor, or the engine's process in the fork() fallback's child */
	Report rep = {.monitor = getpid(), .engine_seen = getppid()};
	rep.same_vm = (int)syscall(SYS_kcmp, rep.monitor, rep.engine_seen, KCMP_VM, 0, 0);
	sigprocmask(SIG_SETMASK, NULL, &now);
	rep.usr1_blocked = sigismember(&now, SIGUSR1);
	rep.usr2_blocked = sigismember(&now, SIGUSR2);
	if (rep.engine_seen != me || write(rep_w, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(91);
	char go;
	if (read(go_r, &go, 1) != 1)
		_exit(92);
	if (status >= 0)
		detach_end(&d, status);
	_exit(0);
}

typedef struct {
	int rep[2];
	int go[2];
} Pipes;

static int pipes_setup(void **state)
{
	Pipes *p = g_new0(Pipes, 1);

	if (pipe2(p->rep, O_CLOEXEC) < 0 || pipe2(p->go, O_CLOEXEC) < 0)
		return -1;
	*state = p;
	return 0;
}

static int pipes_teardown(void **state)
{
	Pipes *p = *state;

	for (int i = 0; i < 2; i++) {
		closep(&p->rep[i]);
		closep(&p->go[i]);
	}
	g_free(p);
	return 0;
}

static void run_case(Pipes *p, int status, int want_exit)
{
	pid_t engine = start_engine(p->rep[1], p->go[0], status);
	Report rep;

	assert_int_equal(read_full(p->rep[0], &rep, sizeof(rep)), (ssize_t)sizeof(rep));
	assert_int_not_equal(rep.monitor, engine);
	assert_int_equal(rep.engine_seen, engine);
	assert_int_equal(rep.same_vm == 0, detach_shares_vm());
	assert_int_equal(rep.usr1_blocked, 1);
	assert_int_equal(rep.usr2_blocked, 0);

	/* no report yet: the engine's process is still waiting */
	g_usleep(50000);
	int st;
	assert_int_equal(waitpid(engine, &st, WNOHANG), 0);

	assert_int_equal(write(p->go[1], "g", 1), 1);
	st = wait_exit(engine);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), want_exit);
	st = wait_exit(rep.monitor);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_reports_success(void **state)
{
	run_case(*state, 0, 0);
}

/* The -P pidfile could not be written: the engine sees 1, the monitor goes on. */
static void test_reports_failure(void **state)
{
	run_case(*state, 1, 1);
}

/* The monitor died before it reported: 1, never a hang. */
static void test_monitor_dies_first(void **state)
{
	run_case(*state, -1, 1);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TEST_SANITIZED 1
#endif

/* Where the shared address space is expected, it is used (not a silent fork() everywhere). */
static void test_shares_vm_here(void **state)
{
	(void)state;
#if defined(__x86_64__) && !defined(TEST_SANITIZED)
	const char *preload = getenv("LD_PRELOAD");
	bool valgrind = preload != NULL && strstr(preload, "vgpreload") != NULL;
	assert_int_equal(detach_shares_vm(), !valgrind);
#else
	assert_false(detach_shares_vm());
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reports_success, pipes_setup, pipes_teardown),
		cmocka_unit_test_setup_teardown(test_reports_failure, pipes_setup, pipes_teardown),
		cmocka_unit_test_setup_teardown(test_monitor_dies_first, pipes_setup, pipes_teardown),
		cmocka_unit_test(test_shares_vm_here),
	};

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return 1;
	return cmocka_run_group_tests_name("detach", tests, NULL, NULL);
}
