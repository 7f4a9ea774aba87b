/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notify: filter and non-blocking relay of sd_notify datagrams.
 */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>

#include "diag.h"
#include "fd_util.h"

struct NotifyRelay {
	int fd;
	int host_fd;
	guint source;
	struct sockaddr_un host;
	bool warned;
	char *buf;
	uint64_t relayed; /* messages passed on to the host socket */
};

uint64_t notify_relay_count(const NotifyRelay *relay)
{
	return relay ? relay->relayed : 0;
}

static bool notify_line_allowed(const char *line, size_t len)
{
	static const char *const exact[] = {"READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1", "WATCHDOG=trigger"};
	static const char *const prefix[] = {"STATUS=", "ERRNO=", "BUSERROR=", "MONOTONIC_USEC="};

	for (size_t i = 0; i < G_N_ELEMENTS(exact); i++)
		if (len == strlen(exact[i]) && memcmp(line, exact[i], len) == 0)
			return true;
	for (size_t i = 0; i < G_N_ELEMENTS(prefix); i++)
		if (len >= strlen(prefix[i]) && memcmp(line, prefix[i], strlen(prefix[i])) == 0)
			return true;
	return false;
}

GString *notify_filter(const char *msg, size_t len)
{
	GString *out = g_string_new(NULL);
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && msg[i] != '\n' && msg[i] != '\r')
			continue;
		if (i > start && notify_line_allowed(msg + start, i - start)) {
			if (out->len)
				g_string_append_c(out, '\n');
			g_string_append_len(out, msg + start, (gssize)(i - start));
		}
		start = i + 1;
	}
	return out;
}

static gboolean notify_ready(int fd, GIOCondition cond, gpointer data)
{
	NotifyRelay *relay = data;

	for (;;) {
		ssize_t n = recv(fd, relay->buf, NOTIFY_DATAGRAM_MAX, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		g_autoptr(GString) kept = notify_filter(relay->buf, (size_t)n);
		if (kept->len == 0)
			continue;
		if (sendto(relay->host_fd, kept->str, kept->len, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (struct sockaddr *)&relay->host, sizeof(relay->host)) < 0) {
			if (!relay->warned)
				diag_warn_errno(errno, "Failed to relay a notification to '%s'", relay->host.sun_path);
			relay->warned = true;
		} else {
			relay->warned = false;
			relay->relayed++;
		}
	}
	return G_SOURCE_CONTINUE;
}

NotifyRelay *notify_relay_new(const char *bundle, const char *host_socket, GError **error)
{
	g_autoptr(NotifyRelay) relay = g_new0(NotifyRelay, 1);
	g_autofree char *shown = g_build_filename(bundle, "notify", "notify.sock", NULL);
	cleanup_close int dfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	relay->fd = relay->host_fd = -1;
	relay->host.sun_family = AF_UNIX;
	/* Like conmon: the host path is cut to fit sun_path (§15). */
	g_strlcpy(relay->host.sun_path, host_socket, sizeof(relay->host.sun_path));
	if (dfd < 0)
		goto fail;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/notify/notify.sock", dfd);
	(void)unlink(addr.sun_path);
	relay->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (relay->fd < 0 || bind(relay->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    chmod(addr.sun_path, 0777) < 0)
		goto fail;
	relay->host_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (relay->host_fd < 0)
		goto fail;
	relay->buf = g_malloc(NOTIFY_DATAGRAM_MAX);
	relay->source = g_unix_fd_add(relay->fd, G_IO_IN, notify_ready, relay);
	return g_steal_pointer(&relay);
fail:
	g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to create notify socket '%s': %s", shown,
		    g_strerror(errno));
	return NULL;
}

void notify_relay_free(NotifyRelay *relay)
{
	if (relay == NULL)
		return;
	if (relay->source)
		g_source_remove(relay->source);
	closep(&relay->fd);
	closep(&relay->host_fd);
	g_free(relay->buf);
	g_free(relay);
}
