/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attach: the attach socket (interface.md §6, decision §17.6).
 *
 * SOCK_SEQPACKET server at "<bundle>/attach" (bound through /proc/self/fd so long paths work), with the
 * "<socket-dir>/<cuuid>" symlink unless --full-attach.  Output to clients is one message per chunk of at
 * most ATTACH_MAX_PAYLOAD bytes, prefixed by the stream id byte (2 stdout, 3 stderr).  The loop never
 * blocks on a client: each has a queue, and while any queue is over ATTACH_QUEUE_BOUND the
 * backpressure callback asks the owner to stop reading the container.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "log_sink.h"

#define ATTACH_MAX_PAYLOAD 8192
#define ATTACH_INPUT_SIZE  32768
#define ATTACH_QUEUE_BOUND ((size_t)1024 * 1024)

typedef struct AttachCallbacks {
	/* Bytes a client sent for the container's stdin.  Return false to pause all input until
	 * attach_server_resume_input(); paused clients are still watched for hang-ups. */
	bool (*on_input)(void *user_data, const char *buf, size_t len);
	/* A client sent EOF or went away (§6.5). */
	void (*on_client_eof)(void *user_data);
	/* true: some client's queue is over its bound (stop reading the container); false: all are below. */
	void (*backpressure)(void *user_data, bool on);
} AttachCallbacks;

typedef struct AttachServer AttachServer;

typedef struct AttachConfig {
	const char *bundle;
	const char *socket_dir; /* NULL with --full-attach */
	const char *cuuid;
} AttachConfig;

/* Create and listen.  NULL + error naming the path on failure. */
AttachServer *attach_server_new(const AttachConfig *cfg, const AttachCallbacks *cb, void *user_data, GError **error);
/* Close clients and the listener, unlink the socket and the symlink.  Accepts NULL. */
void attach_server_free(AttachServer *srv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AttachServer, attach_server_free)

/* Queue one chunk of container output for every client. */
void attach_server_broadcast(AttachServer *srv, LogStream stream, const char *data, size_t len);
/* Resume reading client input after on_input returned false. */
void attach_server_resume_input(AttachServer *srv);
/* At the end, before closing: flush every queue, leaving a client that makes no progress for timeout_ms. */
void attach_server_flush(AttachServer *srv, int timeout_ms);
/* Close all client connections and the listener (clients read EOF); the socket file stays. */
void attach_server_close_clients(AttachServer *srv);
/* Number of connected clients (for tests and diagnostics). */
unsigned attach_server_client_count(const AttachServer *srv);
/* With no client left: the input buffer goes (mem_release.h).  Returns the bytes freed. */
size_t attach_server_release_memory(AttachServer *srv);
/* Clients accepted over the server's life (0 for NULL). */
uint64_t attach_server_clients_total(const AttachServer *srv);
