/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox: --sandbox (VIGIL_SANDBOX=1) confines the monitor once the container or exec session
 * runs and every path-based setup is done.  In this order:
 *
 *   1. no_new_privs;
 *   2. capabilities: effective and permitted cut to CAP_KILL (signals to a container whose user is
 *      not root: forwarded signals, the -T timeout) and CAP_DAC_OVERRIDE (the engine's log, exit
 *      and persist directories may belong to another user); inheritable, ambient and the bounding
 *      set emptied;
 *   3. Landlock, with every file-system right the running kernel knows (and TCP bind/connect from
 *      ABI 4, abstract unix sockets from ABI 6) handled: writes only beneath the write dirs,
 *      unlinks beneath the remove dirs, reads beneath the read dirs, nothing else.  No Landlock
 *      (an older kernel, or the LSM off): one debug line, the other layers still apply;
 *   4. a seccomp allowlist (libseccomp) of the steady state's system calls; any other call fails
 *      with EPERM and never kills the monitor.  kill() is allowed for the given pids only: the
 *      CAP_KILL the monitor keeps reaches its own container and nothing else on the host.  New
 *      sockets are unix datagram sockets only: no stream connection to an engine's API socket.
 *
 * Files already open keep working: Landlock checks at open time.  The exit command cannot run
 * from inside (no exec): exit_file.h's spawner starts it, set up before the sandbox.
 *
 * Seam for a live upgrade (re-exec in place, not built yet): seccomp filters, the Landlock domain,
 * no_new_privs and the cut capabilities all survive execve, so an upgraded image gains nothing by
 * exec and needs no unconfined step.  What it needs is the one exec itself: an O_PATH fd on the
 * new binary opened before confining (or at the upgrade request, beside the binary's directory
 * given execute rights), execveat(fd, "", AT_EMPTY_PATH) allowed by an argument rule on that fd
 * number, and the new image restoring its state from fds alone, then applying its own (equal or
 * narrower) sandbox on top.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

typedef struct SandboxSpec {
	const char *const *write_dirs;	/* NULL-terminated: create, write, rename, remove beneath */
	const char *const *remove_dirs; /* NULL-terminated: unlink beneath (the attach socket) */
	const char *const *read_dirs;	/* NULL-terminated: read files and list directories beneath */
	bool scope_abstract_unix;	/* deny connecting to abstract unix sockets outside */
	const pid_t *kill_targets;	/* the only pids kill() may name (the container, its process */
	size_t n_kill_targets;		/* group as -pgid, the runtime); tgkill() only this process */
} SandboxSpec;

/* The Landlock ABI version of the running kernel, 0 without Landlock. */
int sandbox_landlock_abi(void);

/* Apply every layer.  FALSE + error when a layer that the kernel offers fails to apply. */
gboolean sandbox_apply(const SandboxSpec *spec, GError **error);

#ifdef VIGIL_TEST_HOOKS
/*
 * Test builds only (-Dtest-hooks=true): try what a confined monitor must not be able to do and
 * describe the outcome, one "name=ok" or "name=ERRNO" line each, in a newly allocated string:
 * read and create files outside, exec /bin/true (only with try_exec: it replaces an unconfined
 * monitor), inet sockets, a unix stream socket, PTRACE_SEIZE of ptrace_target (when > 0), a bind mount, module loading,
 * fork, signal 0 to init.  Nothing it tries changes the host when it is denied.
 */
char *sandbox_probe(pid_t ptrace_target, bool try_exec);
#endif
