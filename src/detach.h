/* SPDX-License-Identifier: Apache-2.0 */
/*
 * detach: the split into the engine's short-lived process and the long-lived monitor (§3.1 step 7).
 * Depends on fd_util only.
 *
 * The engine waits for the process it started to exit, then reads the monitor's pid from the -P
 * pidfile.  detach_begin() creates the long-lived monitor; the engine's process then only waits
 * for the monitor's report (detach_end()) and exits with the status in it, running nothing of its
 * own (no atexit handlers, no frees): everything it held belongs to the monitor.
 *
 * On x86_64 (outside sanitizer builds) the monitor is made with clone(CLONE_VM) and no new stack,
 * as vfork() does but with the roles swapped: the new process carries on in the same address
 * space and on the same stack, while the engine's process, from inside a small assembly routine,
 * touches no memory but one byte of its own until it exits.  When it has exited the address space
 * is the monitor's alone.  A fork() would give the monitor a copy-on-write image instead: every
 * page it then writes takes a fault and a copy, and its page tables are built anew (on virtual
 * machines with shadow paging, most of an exec session's CPU).  Elsewhere (other architectures,
 * sanitizer builds, under valgrind, with an x86 user shadow stack on), or where the kernel refuses
 * the clone, it is a plain fork().
 */
#pragma once

#include <stdbool.h>

typedef struct {
	int report_fd; /* the monitor's end of the report pipe, -1 once reported */
} Detach;

/*
 * Returns 0 in the new, long-lived process (which must call detach_end() once the pidfile is
 * written), or -errno when nothing was split.  In the engine's process it does not return.
 * Signals are blocked across the split and restored in the monitor.
 */
int detach_begin(Detach *d);

/* Whether detach_begin() shares the address space (CLONE_VM) here, rather than fork(). */
bool detach_shares_vm(void);

/* In the monitor: let the engine's process exit with STATUS (0 or 1). */
void detach_end(Detach *d, int status);
