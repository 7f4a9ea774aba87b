/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_fifo: the "<bundle>/ctl" and "<bundle>/winsz" FIFOs (interface.md §7).
 *
 * Both are created 0660 (& ~umask) and kept open for reading (plus a writer of our own) for the whole
 * run, so engines' O_WRONLY|O_NONBLOCK opens succeed.  ctl_fifo_parse_line() is pure.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#define CTL_LINE_MAX  199
#define CTL_WINSZ_MAX 1000

typedef enum {
	CTL_MSG_RESIZE = 1,
	CTL_MSG_REOPEN = 2,
#ifdef VIGIL_TEST_HOOKS
	CTL_MSG_PROBE = 99, /* test builds only: the sandbox probe (sandbox.h); a = CTL_PROBE_* flags */
#endif
} CtlMsgType;

#define CTL_PROBE_EXEC	 1 /* also try exec (replaces an unconfined monitor) */
#define CTL_PROBE_PTRACE 2 /* also try PTRACE_SEIZE of the container */

typedef struct CtlMsg {
	int type;
	int a; /* rows for resize */
	int b; /* cols for resize */
} CtlMsg;

/*
 * Parse one ctl line (no newline): three decimal integers separated by whitespace, trailing text
 * ignored, type 1 or 2, both numbers in 0..CTL_WINSZ_MAX.  Returns 0 or -EINVAL.
 */
int ctl_fifo_parse_line(const char *line, CtlMsg *ret);
/* Parse one winsz line "<rows> <cols>" with the same rules.  Returns 0 or -EINVAL. */
int ctl_fifo_parse_winsz(const char *line, int *ret_rows, int *ret_cols);

typedef struct CtlCallbacks {
	void (*resize)(void *user_data, int rows, int cols);
	void (*reopen)(void *user_data);
#ifdef VIGIL_TEST_HOOKS
	void (*probe)(void *user_data, int flags);
#endif
} CtlCallbacks;

typedef struct CtlFifos CtlFifos;

CtlFifos *ctl_fifos_new(const char *bundle, const CtlCallbacks *cb, void *user_data, GError **error);
void ctl_fifos_free(CtlFifos *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CtlFifos, ctl_fifos_free)
