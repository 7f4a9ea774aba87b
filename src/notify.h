/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notify: the sd_notify relay for --sdnotify-socket (interface.md §12).
 *
 * A datagram socket at "<bundle>/notify/notify.sock" (bound through /proc/self/fd, mode 0777) receives
 * the container's notifications; notify_filter() keeps the lines systemd may see from a container and
 * the relay sends them on to the host socket without ever blocking.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#define NOTIFY_DATAGRAM_MAX 32768

/*
 * Keep exactly READY=1, RELOADING=1, STOPPING=1, WATCHDOG=1, WATCHDOG=trigger and lines starting with
 * STATUS=, ERRNO=, BUSERROR=, MONOTONIC_USEC=; lines are split on '\n' and '\r' and joined with '\n'.
 * Pure.  Returns a new GString (empty when nothing is kept).
 */
GString *notify_filter(const char *msg, size_t len);

typedef struct NotifyRelay NotifyRelay;

/* Bind the container side and remember the host path.  NULL + error naming the path on failure. */
NotifyRelay *notify_relay_new(const char *bundle, const char *host_socket, GError **error);
void notify_relay_free(NotifyRelay *relay);
/* Messages relayed to the host socket so far (0 for NULL). */
uint64_t notify_relay_count(const NotifyRelay *relay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NotifyRelay, notify_relay_free)
