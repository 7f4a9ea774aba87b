/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stdio_relay: large reads into one reusable buffer, one timestamp per read.
 */
#include "stdio_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib-unix.h>

#include "diag.h"
#include "fd_util.h"
#include "mem_release.h"

typedef struct StdioStream StdioStream;

/*
 * One GSource per stream, attached once (stdout first) and kept for the relay's life, so that when
 * both pipes are ready in the same iteration stdout is always handled first.  Pausing detaches only
 * its fd (an fd polled for nothing would still report HUP and spin); a delay before the next poll
 * (coalescing, a pty with no slave) is the source's ready time.
 */
typedef struct StreamSource {
	GSource base;
	StdioStream *st;
	gpointer tag; /* the polled fd, or NULL while not polled */
} StreamSource;

struct StdioStream {
	StdioRelay *relay;
	LogStream id;
	int fd;
	bool tty;
	bool waiting;  /* a delay is running: poll again at the ready time */
	bool pipe_big; /* the pipe was enlarged to STDIO_PIPE_BIG for a burst */
	StreamSource *source;
};

struct StdioRelay {
	StdioCallbacks cb;
	void *user_data;
	StdioStream streams[_LOG_STREAM_MAX];
	bool paused;
	PageBuf buf;
};

/* Poll the fd exactly when it is open, not paused and no delay is running. */
static void stream_arm(StdioStream *st)
{
	StreamSource *src = st->source;
	bool want = st->fd >= 0 && !st->relay->paused && !st->waiting;

	if (src == NULL)
		return;
	if (want && src->tag == NULL)
		src->tag = g_source_add_unix_fd(&src->base, st->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	else if (!want && src->tag != NULL) {
		g_source_remove_unix_fd(&src->base, src->tag);
		src->tag = NULL;
	}
}

static void stream_delay(StdioStream *st, int ms)
{
	st->waiting = true;
	stream_arm(st);
	g_source_set_ready_time(&st->source->base, g_get_monotonic_time() + (gint64)ms * 1000);
}

static void stream_close(StdioStream *st)
{
	st->waiting = false;
	if (st->source)
		g_source_set_ready_time(&st->source->base, -1);
	closep(&st->fd);
	stream_arm(st); /* fd is -1: detaches it */
}

/* Returns bytes read, 0 at EOF (stream closed), or -EAGAIN. */
static ssize_t stream_read_once(StdioStream *st)
{
	StdioRelay *relay = st->relay;
	ssize_t n;

	do
		n = read(st->fd, relay->buf.data, STDIO_READ_SIZE);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		struct timespec now;
		if (clock_gettime(CLOCK_REALTIME, &now) < 0)
			now = (struct timespec){0};
		page_buf_used(&relay->buf, (size_t)n);
		/*
		 * A burst fills the default 64 KiB pipe: give it room for 1 MiB, so that a fast writer does
		 * not block during the coalescing pauses.  The pipe's slot array costs kernel memory
		 * (16 KiB at 1 MiB, charged to the monitor's cgroup), so an idle container keeps the
		 * default; stdio_relay_release_memory() shrinks it again.  Best effort.
		 */
		if (!st->tty && !st->pipe_big && (size_t)n >= STDIO_PIPE_GROW_AT) {
			if (fcntl(st->fd, F_SETPIPE_SZ, (int)STDIO_PIPE_BIG) >= 0)
				st->pipe_big = true;
			else
				diag_debug_errno(errno, "Failed to enlarge the output pipe, ignoring");
		}
		relay->cb.on_output(relay->user_data, st->id, &now, relay->buf.data, (size_t)n);
		return n;
	}
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	if (st->tty)
		return -EIO; /* no slave open at the moment; the caller decides */
	if (n < 0 && errno != EIO)
		diag_warn_errno(errno, "Failed to read container %s",
				st->id == LOG_STREAM_STDOUT ? "stdout" : "stderr");
	stream_close(st);
	if (relay->cb.on_eof)
		relay->cb.on_eof(relay->user_data, st->id);
	return 0;
}

static gboolean stream_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	StreamSource *src = (StreamSource *)source;
	StdioStream *st = src->st;

	if (st->waiting) {
		/* The delay is over: poll again. */
		if (g_source_get_ready_time(source) == -1 ||
		    g_source_get_time(source) < g_source_get_ready_time(source))
			return G_SOURCE_CONTINUE;
		st->waiting = false;
		g_source_set_ready_time(source, -1);
		stream_arm(st);
		return G_SOURCE_CONTINUE;
	}
	if (src->tag == NULL || g_source_query_unix_fd(source, src->tag) == 0)
		return G_SOURCE_CONTINUE;
	ssize_t n = stream_read_once(st);
	if (n > 0 && (size_t)n < STDIO_COALESCE_BELOW && !st->tty)
		stream_delay(st, STDIO_COALESCE_MS);
	else if (n == -EIO)
		stream_delay(st, 100); /* hang-up on a pty without data: look again, not EOF (§5.2) */
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs stream_source_funcs = {.dispatch = stream_dispatch};

StdioRelay *stdio_relay_new(int stdout_fd, int stderr_fd, const StdioCallbacks *cb, void *user_data)
{
	StdioRelay *relay = g_new0(StdioRelay, 1);
	int fds[_LOG_STREAM_MAX] = {stdout_fd, stderr_fd};

	relay->cb = *cb;
	relay->user_data = user_data;
	relay->paused = true;
	page_buf_init(&relay->buf, STDIO_READ_SIZE);
	for (int i = 0; i < _LOG_STREAM_MAX; i++) {
		StdioStream *st = &relay->streams[i];
		*st = (StdioStream){.relay = relay, .id = (LogStream)i, .fd = fds[i]};
		if (fds[i] >= 0)
			(void)fd_set_nonblock(fds[i], true);
		st->source = (StreamSource *)g_source_new(&stream_source_funcs, sizeof(StreamSource));
		st->source->st = st;
		g_source_attach(&st->source->base, NULL);
	}
	return relay;
}

void stdio_relay_set_stdout(StdioRelay *relay, int fd, bool tty)
{
	StdioStream *st = &relay->streams[LOG_STREAM_STDOUT];

	stream_close(st);
	st->fd = fd;
	st->tty = tty;
	(void)fd_set_nonblock(fd, true);
	stream_arm(st);
}

void stdio_relay_free(StdioRelay *relay)
{
	if (relay == NULL)
		return;
	for (int i = 0; i < _LOG_STREAM_MAX; i++) {
		StdioStream *st = &relay->streams[i];
		stream_close(st);
		if (st->source) {
			g_source_destroy(&st->source->base);
			g_source_unref(&st->source->base);
		}
	}
	page_buf_fini(&relay->buf);
	g_free(relay);
}

void stdio_relay_set_paused(StdioRelay *relay, bool paused)
{
	relay->paused = paused;
	for (int i = 0; i < _LOG_STREAM_MAX; i++)
		stream_arm(&relay->streams[i]);
}

void stdio_relay_drain(StdioRelay *relay)
{
	for (int i = 0; i < _LOG_STREAM_MAX; i++) {
		StdioStream *st = &relay->streams[i];
		while (st->fd >= 0 && stream_read_once(st) > 0)
			;
	}
}

bool stdio_relay_done(const StdioRelay *relay)
{
	return relay->streams[LOG_STREAM_STDOUT].fd < 0 && relay->streams[LOG_STREAM_STDERR].fd < 0;
}

int stdio_relay_fd(const StdioRelay *relay, LogStream stream)
{
	return relay->streams[stream].fd;
}

size_t stdio_relay_release_memory(StdioRelay *relay)
{
	if (relay == NULL)
		return 0;
	for (int i = 0; i < _LOG_STREAM_MAX; i++) {
		StdioStream *st = &relay->streams[i];
		/* EBUSY while it holds more than the small size: it stays big until the next release */
		if (st->pipe_big && st->fd >= 0 && fcntl(st->fd, F_SETPIPE_SZ, (int)STDIO_PIPE_SMALL) >= 0)
			st->pipe_big = false;
	}
	return page_buf_release(&relay->buf);
}
