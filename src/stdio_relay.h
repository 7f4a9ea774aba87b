/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stdio_relay: the container's output fds (stdout/stderr pipes, or the pty master as stdout) as main
 * loop sources.  Each read goes to the on_output callback with one timestamp; EOF (or EIO on a tty)
 * closes that stream.  Reading can be paused for back-pressure and is drained at the end.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <glib.h>

#include "log_sink.h"

#define STDIO_READ_SIZE	     ((size_t)256 * 1024)
/*
 * After a read smaller than this from a pipe, the stream is polled again only after
 * STDIO_COALESCE_MS: a container logging line by line then costs a read and a write per millisecond,
 * not per line.  Larger reads (a busy writer) are followed at once, and the first bytes after a quiet
 * spell are never delayed.
 */
#define STDIO_COALESCE_BELOW ((size_t)16 * 1024)
#define STDIO_COALESCE_MS    1
/* Output pipes: the default size, the size a burst gets, and the read that shows a burst. */
#define STDIO_PIPE_SMALL     ((size_t)64 * 1024)
#define STDIO_PIPE_BIG	     ((size_t)1024 * 1024)
#define STDIO_PIPE_GROW_AT   ((size_t)32 * 1024)

typedef struct StdioCallbacks {
	/* One chunk read from stream at *now (CLOCK_REALTIME).  buf is only valid during the call. */
	void (*on_output)(void *user_data, LogStream stream, const struct timespec *now, const char *buf, size_t len);
	/* The stream reached EOF and was closed. */
	void (*on_eof)(void *user_data, LogStream stream);
} StdioCallbacks;

typedef struct StdioRelay StdioRelay;

/* Take ownership of the read ends (either may be -1).  They are made non-blocking. */
StdioRelay *stdio_relay_new(int stdout_fd, int stderr_fd, const StdioCallbacks *cb, void *user_data);
void stdio_relay_free(StdioRelay *relay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StdioRelay, stdio_relay_free)

/*
 * Give the relay its stdout after creation: the pty master (tty = true) arrives only once the runtime
 * sends it.  On a tty, EIO or a hang-up means no slave is open right now: the stream is polled again
 * after 100 ms instead of being closed (§5.2); it ends only with the final drain.
 */
void stdio_relay_set_stdout(StdioRelay *relay, int fd, bool tty);
/* Start (or, with paused, stop) watching the open streams. */
void stdio_relay_set_paused(StdioRelay *relay, bool paused);
/* Read what is left without blocking, stdout first, until EAGAIN or EOF. */
void stdio_relay_drain(StdioRelay *relay);
/* True once both streams are closed. */
bool stdio_relay_done(const StdioRelay *relay);
/* Borrowed fd of a stream, or -1 once closed (used for the runtime's error text). */
int stdio_relay_fd(const StdioRelay *relay, LogStream stream);
/* Give the read buffer's pages back to the kernel and shrink enlarged pipes (mem_release.h).  Returns
 * the read buffer's bytes given back. */
size_t stdio_relay_release_memory(StdioRelay *relay);
