/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attach: SEQPACKET server, per-client output queues, client input.
 */
#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>

#include "diag.h"
#include "fd_util.h"

/*
 * One output message (the stream id byte, then the payload), shared by every client it is queued
 * for.  Plain malloc() memory, not GBytes/GQueue: GLib's slice allocator keeps the pages of its
 * small blocks for good, while freed malloc() memory goes back with mem_release_heap() after a burst.
 */
typedef struct OutMsg {
	unsigned refs;
	size_t len;
	char data[];
} OutMsg;

static void out_msg_unref(OutMsg *m)
{
	if (--m->refs == 0)
		g_free(m);
}

/* A client's queue: a ring of message pointers, freed whenever it empties. */
typedef struct OutQueue {
	OutMsg **ring;
	size_t head;
	size_t count;
	size_t cap;
} OutQueue;

static bool outq_empty(const OutQueue *q)
{
	return q->count == 0;
}

static OutMsg *outq_peek(const OutQueue *q)
{
	return q->ring[q->head];
}

static void outq_push(OutQueue *q, OutMsg *m)
{
	if (q->count == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		OutMsg **ring = g_new(OutMsg *, cap);
		for (size_t i = 0; i < q->count; i++)
			ring[i] = q->ring[(q->head + i) % q->cap];
		g_free(q->ring);
		*q = (OutQueue){.ring = ring, .count = q->count, .cap = cap};
	}
	m->refs++;
	q->ring[(q->head + q->count) % q->cap] = m;
	q->count++;
}

/* A ring that grew past this while a client lagged is freed once it empties; a small one stays. */
#define OUTQ_KEEP 64

static void outq_pop(OutQueue *q)
{
	out_msg_unref(q->ring[q->head]);
	q->head = (q->head + 1) % q->cap;
	if (--q->count == 0) {
		q->head = 0;
		if (q->cap > OUTQ_KEEP) {
			g_free(q->ring);
			*q = (OutQueue){0};
		}
	}
}

static void outq_clear(OutQueue *q)
{
	while (!outq_empty(q))
		outq_pop(q);
	g_free(q->ring);
	*q = (OutQueue){0};
}

typedef struct AttachClient {
	AttachServer *srv;
	int fd;
	guint in_source;
	guint out_source;
	OutQueue out;
	size_t queued;
	bool write_closed;
	bool read_closed;
} AttachClient;

struct AttachServer {
	AttachCallbacks cb;
	void *user_data;
	int listen_fd;
	guint listen_source;
	char *socket_path;
	char *symlink_path;
	GList *clients; /* newest first */
	uint64_t clients_total;
	bool backpressure;
	bool input_paused;
	char *inbuf;
};

static gboolean client_readable(int fd, GIOCondition cond, gpointer data);
static gboolean client_writable(int fd, GIOCondition cond, gpointer data);

static void client_free(AttachClient *c)
{
	if (c->in_source)
		g_source_remove(c->in_source);
	if (c->out_source)
		g_source_remove(c->out_source);
	outq_clear(&c->out);
	closep(&c->fd);
	g_free(c);
}

static void update_backpressure(AttachServer *srv)
{
	bool over = false;

	for (GList *l = srv->clients; l; l = l->next) {
		AttachClient *c = l->data;
		if (c->queued > ATTACH_QUEUE_BOUND)
			over = true;
	}
	if (over != srv->backpressure) {
		srv->backpressure = over;
		if (srv->cb.backpressure)
			srv->cb.backpressure(srv->user_data, over);
	}
}

static void client_maybe_remove(AttachClient *c)
{
	AttachServer *srv = c->srv;

	if (!c->write_closed || !c->read_closed)
		return;
	srv->clients = g_list_remove(srv->clients, c);
	client_free(c);
	update_backpressure(srv);
}

/* Stop sending to c: the peer is gone or broken. */
static void client_close_write(AttachClient *c)
{
	c->write_closed = true;
	if (c->out_source) {
		g_source_remove(c->out_source);
		c->out_source = 0;
	}
	outq_clear(&c->out);
	c->queued = 0;
}

static gboolean client_hangup(int fd, GIOCondition cond, gpointer data);

/*
 * Watch a client for what it can still do: input while it is read from, otherwise only a hang-up
 * (poll reports HUP/ERR unasked), so that a client that goes away while not being read from (after
 * its EOF, or while input is paused) is always noticed and freed.
 */
static void client_watch(AttachClient *c)
{
	if (c->in_source) {
		g_source_remove(c->in_source);
		c->in_source = 0;
	}
	if (c->read_closed && c->write_closed)
		return;
	if (!c->read_closed && !c->srv->input_paused)
		c->in_source = g_unix_fd_add(c->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, client_readable, c);
	else
		c->in_source = g_unix_fd_add(c->fd, G_IO_HUP | G_IO_ERR, client_hangup, c);
}

static void client_close_read(AttachClient *c)
{
	if (c->read_closed)
		return;
	c->read_closed = true;
	/* After EOF the client still gets output until it closes (§6.5). */
	client_watch(c);
	if (c->srv->cb.on_client_eof)
		c->srv->cb.on_client_eof(c->srv->user_data);
}

static gboolean client_hangup(int fd, GIOCondition cond, gpointer data)
{
	AttachClient *c = data;

	/* The peer is gone: nothing more to read from it or send to it. */
	c->in_source = 0; /* this source ends with the return below */
	client_close_write(c);
	client_close_read(c);
	client_maybe_remove(c);
	return G_SOURCE_REMOVE;
}

/* Send queued messages until the queue is empty or the socket is full.  Returns false if c is broken. */
static bool client_flush(AttachClient *c)
{
	while (!outq_empty(&c->out)) {
		const OutMsg *msg = outq_peek(&c->out);
		size_t len = msg->len;
		ssize_t n = send(c->fd, msg->data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS)
				return true;
			diag_debug_errno(errno, "Dropping attach client");
			return false;
		}
		outq_pop(&c->out);
		c->queued -= len;
	}
	return true;
}

static void client_schedule(AttachClient *c)
{
	bool want = !outq_empty(&c->out);

	if (want && c->out_source == 0)
		c->out_source = g_unix_fd_add(c->fd, G_IO_OUT, client_writable, c);
	else if (!want && c->out_source) {
		g_source_remove(c->out_source);
		c->out_source = 0;
	}
}

static gboolean client_writable(int fd, GIOCondition cond, gpointer data)
{
	AttachClient *c = data;
	AttachServer *srv = c->srv;

	if (!client_flush(c)) {
		c->out_source = 0;
		client_close_write(c);
		client_maybe_remove(c);
		update_backpressure(srv);
		return G_SOURCE_REMOVE;
	}
	if (outq_empty(&c->out)) {
		c->out_source = 0;
		update_backpressure(srv);
		return G_SOURCE_REMOVE;
	}
	update_backpressure(srv);
	return G_SOURCE_CONTINUE;
}

static gboolean client_readable(int fd, GIOCondition cond, gpointer data)
{
	AttachClient *c = data;
	AttachServer *srv = c->srv;
	ssize_t n;

	do
		n = recv(fd, srv->inbuf, ATTACH_INPUT_SIZE, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		c->in_source = 0; /* this source ends with the return below */
		client_close_read(c);
		client_maybe_remove(c);
		return G_SOURCE_REMOVE;
	}
	if (srv->cb.on_input && !srv->cb.on_input(srv->user_data, srv->inbuf, (size_t)n)) {
		/* The container's stdin is full: read no client until it drains (lossless, no spin). */
		srv->input_paused = true;
		c->in_source = 0; /* this source ends with the return below */
		for (GList *l = srv->clients; l; l = l->next)
			client_watch(l->data);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

void attach_server_resume_input(AttachServer *srv)
{
	srv->input_paused = false;
	for (GList *l = srv->clients; l; l = l->next)
		client_watch(l->data);
}

static gboolean listener_ready(int fd, GIOCondition cond, gpointer data)
{
	AttachServer *srv = data;

	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				diag_warn_errno(errno, "Failed to accept an attach client, ignoring");
			break;
		}
		/* The input buffer exists while there are clients: most containers never have one. */
		if (srv->inbuf == NULL)
			srv->inbuf = g_malloc(ATTACH_INPUT_SIZE);
		AttachClient *c = g_new0(AttachClient, 1);
		c->srv = srv;
		c->fd = cfd;
		srv->clients = g_list_prepend(srv->clients, c);
		srv->clients_total++;
		client_watch(c);
		diag_debug("Accepted attach client on fd %d", cfd);
	}
	return G_SOURCE_CONTINUE;
}

static int bind_in_dir(int sock, const char *dir)
{
	cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (dfd < 0)
		return -errno;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/attach", dfd);
	(void)unlink(addr.sun_path); /* an old socket from an earlier run */
	if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -errno;
	if (chmod(addr.sun_path, 0700) < 0)
		return -errno;
	return 0;
}

static bool make_symlink(AttachServer *srv, const AttachConfig *cfg, GError **error)
{
	g_autofree char *link = g_build_filename(cfg->socket_dir, cfg->cuuid, NULL);

	/* A link of exactly sizeof(sun_path)-1 characters loses its last one (§6.1). */
	if (strlen(link) == sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
		link[strlen(link) - 1] = '\0';
	(void)unlink(link);
	int r = symlink(cfg->bundle, link);
	/*
	 * A fresh machine has no /var/run/crio (the default): make the directory with its parents, mode
	 * 0755 as CRI-O makes its own, and try again.  Only on the first failure, so the usual case
	 * costs no extra system call.
	 */
	if (r < 0 && errno == ENOENT) {
		if (g_mkdir_with_parents(cfg->socket_dir, 0755) < 0) {
			g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED,
				    "Failed to create the attach socket directory '%s' (--socket-dir-path): %s",
				    cfg->socket_dir, g_strerror(errno));
			return false;
		}
		r = symlink(cfg->bundle, link);
	}
	if (r < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED,
			    "Failed to create symlink for attach socket '%s': %s", link, g_strerror(errno));
		return false;
	}
	srv->symlink_path = g_steal_pointer(&link);
	return true;
}

AttachServer *attach_server_new(const AttachConfig *cfg, const AttachCallbacks *cb, void *user_data, GError **error)
{
	g_autoptr(AttachServer) srv = g_new0(AttachServer, 1);
	int r;

	srv->cb = *cb;
	srv->user_data = user_data;
	srv->listen_fd = -1;
	if (cfg->socket_dir && !make_symlink(srv, cfg, error))
		return NULL;
	srv->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->listen_fd < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to create attach socket: %s",
			    g_strerror(errno));
		return NULL;
	}
	srv->socket_path = g_build_filename(cfg->bundle, "attach", NULL);
	r = bind_in_dir(srv->listen_fd, cfg->bundle);
	if (r < 0 || listen(srv->listen_fd, 10) < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to listen on attach socket '%s': %s",
			    srv->socket_path, g_strerror(r < 0 ? -r : errno));
		return NULL;
	}
	srv->listen_source = g_unix_fd_add(srv->listen_fd, G_IO_IN, listener_ready, srv);
	return g_steal_pointer(&srv);
}

/*
 * End one connection so that the client reads everything sent, then EOF.  Closing a unix socket with
 * unread input in its queue makes the peer's next read fail with ECONNRESET, even with output still
 * waiting for it: a client that was still sending (podman exec -i with a stdin flood) lost the
 * output.  So shut down both directions first: the client still reads what is queued for it, then
 * EOF, and from now on its sends fail with EPIPE, so one drain of what it had sent before leaves the
 * queue empty for good and the close is clean.  No waiting, whatever the client does.
 */
static void client_end(AttachClient *c)
{
	(void)shutdown(c->fd, SHUT_RDWR);
	while (recv(c->fd, c->srv->inbuf, ATTACH_INPUT_SIZE, MSG_DONTWAIT) > 0)
		;
	client_free(c);
}

void attach_server_close_clients(AttachServer *srv)
{
	if (srv == NULL)
		return;
	g_list_free_full(g_steal_pointer(&srv->clients), (GDestroyNotify)client_end);
	if (srv->listen_source) {
		g_source_remove(srv->listen_source);
		srv->listen_source = 0;
	}
	closep(&srv->listen_fd);
}

void attach_server_free(AttachServer *srv)
{
	if (srv == NULL)
		return;
	attach_server_close_clients(srv);
	if (srv->socket_path)
		(void)unlink(srv->socket_path);
	if (srv->symlink_path)
		(void)unlink(srv->symlink_path);
	g_free(srv->socket_path);
	g_free(srv->symlink_path);
	g_free(srv->inbuf);
	g_free(srv);
}

void attach_server_broadcast(AttachServer *srv, LogStream stream, const char *data, size_t len)
{
	char id = stream == LOG_STREAM_STDOUT ? 2 : 3;

	for (size_t off = 0; off < len; off += ATTACH_MAX_PAYLOAD) {
		size_t n = MIN(len - off, (size_t)ATTACH_MAX_PAYLOAD);
		OutMsg *msg = NULL;
		for (GList *l = srv->clients; l; l = l->next) {
			AttachClient *c = l->data;
			if (c->write_closed)
				continue;
			if (msg == NULL) {
				msg = g_malloc(sizeof(OutMsg) + n + 1);
				*msg = (OutMsg){.refs = 1, .len = n + 1};
				msg->data[0] = id;
				memcpy(msg->data + 1, data + off, n);
			}
			outq_push(&c->out, msg);
			c->queued += n + 1;
		}
		if (msg)
			out_msg_unref(msg);
	}
	for (GList *l = srv->clients; l;) {
		AttachClient *c = l->data;
		l = l->next;
		if (c->write_closed)
			continue;
		if (!client_flush(c)) {
			client_close_write(c);
			client_maybe_remove(c);
			continue;
		}
		client_schedule(c);
	}
	update_backpressure(srv);
}

void attach_server_flush(AttachServer *srv, int timeout_ms)
{
	/*
	 * Lossless for any client that keeps reading; one that takes nothing for timeout_ms is left.
	 * Progress is measured by what send() takes: a SEQPACKET socket reports POLLOUT only once its
	 * buffer is mostly empty, which a slow reader may never reach.
	 */
	for (GList *l = srv ? srv->clients : NULL; l; l = l->next) {
		AttachClient *c = l->data;
		gint64 last = g_get_monotonic_time();
		while (!c->write_closed && !outq_empty(&c->out)) {
			size_t before = c->queued;
			struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
			if (!client_flush(c))
				break;
			gint64 now = g_get_monotonic_time();
			if (c->queued < before)
				last = now;
			if (outq_empty(&c->out) || now - last > (gint64)timeout_ms * 1000)
				break;
			if (poll(&pfd, 1, 50) < 0 && errno != EINTR)
				break;
			if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
				break;
		}
	}
}

size_t attach_server_release_memory(AttachServer *srv)
{
	if (srv == NULL || srv->clients != NULL || srv->inbuf == NULL)
		return 0;
	g_clear_pointer(&srv->inbuf, g_free);
	return ATTACH_INPUT_SIZE;
}

uint64_t attach_server_clients_total(const AttachServer *srv)
{
	return srv ? srv->clients_total : 0;
}

unsigned attach_server_client_count(const AttachServer *srv)
{
	return g_list_length(srv->clients);
}
