/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console: the --console-socket handshake (interface.md §5.2).
 *
 * A SOCK_STREAM listener at "$TMPDIR/conmon-term.XXXXXX" whose path is handed to the runtime; the
 * runtime connects and sends the pty master as one SCM_RIGHTS fd with the pty name as payload.  The
 * socket path is unlinked as soon as a connection is accepted.
 */
#pragma once

#include <glib.h>

typedef struct Console Console;

/* Create the listening socket.  NULL + error naming the path on failure. */
Console *console_new(GError **error);
void console_free(Console *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Console, console_free)

/* Path to pass as --console-socket (borrowed). */
const char *console_path(const Console *c);

/* Watch the listener in the main loop; got_master(user_data, fd) gets the master (caller owns it). */
void console_watch(Console *c, void (*got_master)(void *user_data, int fd), void *user_data);

/*
 * Accept and receive without blocking.  Returns the master fd (caller owns it), -EAGAIN if the runtime
 * has not connected yet, or another -errno (the message was not one fd with a short payload: -EBADMSG).
 */
int console_try_receive(Console *c);

/* Prepare a received master: ONLCR on (a failure is only a warning). */
void console_setup_master(int fd);
/* TIOCSWINSZ with the pixel fields zeroed.  Returns 0 or -errno. */
int console_set_winsize(int fd, int rows, int cols);
