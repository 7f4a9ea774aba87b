/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stdio_relay: large reads into one reusable buffer, one timestamp per read.
 */
#include "stdio_relay.h"

#include <errno.h>
#include <unistd.h>

#include <glib-unix.h>

#include "diag.h"
#include "fd_util.h"

typedef struct StdioStream {
	StdioRelay *relay;
	LogStream id;
	int fd;
	guint source;
	guint retry_source;
	bool tty;
} StdioStream;

struct StdioRelay {
	StdioCallbacks cb;
	void *user_data;
	StdioStream streams[_LOG_STREAM_MAX];
	bool paused;
	char *buf;
};

static void stream_unwatch(StdioStream *st)
{
	if (st->source) {
		g_source_remove(st->source);
		st->source = 0;
	}
	if (st->retry_source) {
		g_source_remove(st->retry_source);
		st->retry_source = 0;
	}
}

static void stream_close(StdioStream *st)
{
	stream_unwatch(st);
	closep(&st->fd);
}

static gboolean stream_ready(int fd, GIOCondition cond, gpointer data);

static void stream_watch(StdioStream *st)
{
	if (st->fd >= 0 && st->source == 0 && st->retry_source == 0 && !st->relay->paused)
		st->source = g_unix_fd_add(st->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, stream_ready, st);
}

static gboolean stream_retry(gpointer data)
{
	StdioStream *st = data;

	st->retry_source = 0;
	stream_watch(st);
	return G_SOURCE_REMOVE;
}

/* Returns bytes read, 0 at EOF (stream closed), or -EAGAIN. */
static ssize_t stream_read_once(StdioStream *st)
{
	StdioRelay *relay = st->relay;
	ssize_t n;

	do
		n = read(st->fd, relay->buf, STDIO_READ_SIZE);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		struct timespec now;
		if (clock_gettime(CLOCK_REALTIME, &now) < 0)
			now = (struct timespec){0};
		relay->cb.on_output(relay->user_data, st->id, &now, relay->buf, (size_t)n);
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

static gboolean stream_ready(int fd, GIOCondition cond, gpointer data)
{
	StdioStream *st = data;
	ssize_t n = stream_read_once(st);

	if (n == 0)
		return G_SOURCE_REMOVE; /* stream_close() already dropped the id */
	if (n == -EIO) {
		/* Hang-up on a pty without data: look again in 100 ms, not EOF (§5.2). */
		st->source = 0;
		st->retry_source = g_timeout_add(100, stream_retry, st);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

StdioRelay *stdio_relay_new(int stdout_fd, int stderr_fd, const StdioCallbacks *cb, void *user_data)
{
	StdioRelay *relay = g_new0(StdioRelay, 1);
	int fds[_LOG_STREAM_MAX] = {stdout_fd, stderr_fd};

	relay->cb = *cb;
	relay->user_data = user_data;
	relay->paused = true;
	relay->buf = g_malloc(STDIO_READ_SIZE);
	for (int i = 0; i < _LOG_STREAM_MAX; i++) {
		relay->streams[i] = (StdioStream){.relay = relay, .id = (LogStream)i, .fd = fds[i]};
		if (fds[i] >= 0)
			(void)fd_set_nonblock(fds[i], true);
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
	stream_watch(st);
}

void stdio_relay_free(StdioRelay *relay)
{
	if (relay == NULL)
		return;
	for (int i = 0; i < _LOG_STREAM_MAX; i++)
		stream_close(&relay->streams[i]);
	g_free(relay->buf);
	g_free(relay);
}

void stdio_relay_set_paused(StdioRelay *relay, bool paused)
{
	relay->paused = paused;
	for (int i = 0; i < _LOG_STREAM_MAX; i++) {
		StdioStream *st = &relay->streams[i];
		if (paused)
			stream_unwatch(st);
		else
			stream_watch(st);
	}
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
