/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console: console socket listener and SCM_RIGHTS receipt of the pty master.
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <glib-unix.h>

#include "diag.h"
#include "fd_util.h"

#define CONSOLE_PAYLOAD_MAX 4096

struct Console {
	int listen_fd;
	guint source;
	char *path;
	bool unlinked;
	void (*got_master)(void *user_data, int fd);
	void *user_data;
};

Console *console_new(GError **error)
{
	g_autoptr(Console) c = g_new0(Console, 1);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	cleanup_close int tmp = -1;

	c->listen_fd = -1;
	c->path = g_build_filename(g_get_tmp_dir(), "conmon-term.XXXXXX", NULL);
	tmp = g_mkstemp_full(c->path, O_RDWR | O_CLOEXEC, 0600);
	if (tmp < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to create console socket name '%s': %s",
			    c->path, g_strerror(errno));
		return NULL;
	}
	(void)unlink(c->path);
	if (strlen(c->path) >= sizeof(addr.sun_path)) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
			    "Console socket path '%s' is longer than %zu bytes: set TMPDIR to a shorter directory",
			    c->path, sizeof(addr.sun_path) - 1);
		c->unlinked = true;
		return NULL;
	}
	memcpy(addr.sun_path, c->path, strlen(c->path) + 1);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(c->listen_fd, 128) < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to listen on console socket '%s': %s",
			    c->path, g_strerror(errno));
		return NULL;
	}
	return g_steal_pointer(&c);
}

void console_free(Console *c)
{
	if (c == NULL)
		return;
	if (c->source)
		g_source_remove(c->source);
	closep(&c->listen_fd);
	if (!c->unlinked && c->path)
		(void)unlink(c->path);
	g_free(c->path);
	g_free(c);
}

const char *console_path(const Console *c)
{
	return c->path;
}

static int recv_fd(int sock)
{
	char payload[CONSOLE_PAYLOAD_MAX];
	struct iovec iov = {.iov_base = payload, .iov_len = sizeof(payload)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctrl;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl.buf, .msg_controllen = sizeof(ctrl.buf)};
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (cm == NULL || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)) || (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)))
		return -EBADMSG;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

int console_try_receive(Console *c)
{
	int conn;

	if (c->listen_fd < 0)
		return -EBADF;
	do
		conn = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (conn < 0 && errno == EINTR);
	if (conn < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	cleanup_close int sock = conn;
	(void)unlink(c->path);
	c->unlinked = true;
	if (c->source) {
		g_source_remove(c->source);
		c->source = 0;
	}
	closep(&c->listen_fd);
	/* The runtime sends right after connecting; wait for it in blocking mode. */
	(void)fd_set_nonblock(sock, false);
	return recv_fd(sock);
}

static gboolean console_ready(int fd, GIOCondition cond, gpointer data)
{
	Console *c = data;
	int master = console_try_receive(c);

	if (master == -EAGAIN)
		return G_SOURCE_CONTINUE;
	c->source = 0;
	if (master < 0)
		diag_error_errno(master, "Failed to receive console file descriptor");
	else
		c->got_master(c->user_data, master);
	return G_SOURCE_REMOVE;
}

void console_watch(Console *c, void (*got_master)(void *user_data, int fd), void *user_data)
{
	c->got_master = got_master;
	c->user_data = user_data;
	if (c->source == 0 && c->listen_fd >= 0)
		c->source = g_unix_fd_add(c->listen_fd, G_IO_IN, console_ready, c);
}

void console_setup_master(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0) {
		diag_warn_errno(errno, "Failed to get console terminal settings, ignoring");
		return;
	}
	t.c_oflag |= ONLCR;
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		diag_warn_errno(errno, "Failed to set console terminal settings, ignoring");
}

int console_set_winsize(int fd, int rows, int cols)
{
	struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};

	if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
		return -errno;
	return 0;
}
