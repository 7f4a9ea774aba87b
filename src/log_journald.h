/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_journald: the journald log driver (interface.md §8.3).
 *
 * Pure part: journald_encode() lays out one entry, in conmon's field order, as a datagram of
 * journald's native protocol (systemd's "Native Journal Protocol": KEY=VALUE lines, or KEY, a newline,
 * a 64-bit little-endian length and the value when the value holds a newline).  The fixed fields are
 * encoded once per container.  Writer part: per-stream partial-line buffers of JOURNALD_PARTIAL_MAX
 * bytes, and one send() per entry on a socket connected once to /run/systemd/journal/socket (what
 * sd_journal_sendv() sends, without its per-entry address lookup and iovec assembly), with the sealed
 * memfd fallback for an entry too large for a datagram.  -Djournald=disabled makes the driver an error
 * at option validation (USE_JOURNALD), as conmon's build switch does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "log_sink.h"

#define JOURNALD_PARTIAL_MAX 8192
#define JOURNALD_SOCKET	     "/run/systemd/journal/socket"

typedef struct JournaldConfig {
	const char *cid;
	const char *name;	 /* NULL: no CONTAINER_NAME */
	const char *tag;	 /* NULL: no CONTAINER_TAG */
	char *const *labels;	 /* NAME=VALUE, may be NULL */
	bool no_partial_message; /* --no-container-partial-message */
	bool priority_prefix;	 /* --log-journald-priority: honour a leading "<N>" (conmon 2.2) */
	const char *socket_path; /* NULL: JOURNALD_SOCKET */
} JournaldConfig;

/* The fields every entry of one container shares, already encoded. */
typedef struct JournaldEncoder JournaldEncoder;

JournaldEncoder *journald_encoder_new(const JournaldConfig *cfg);
void journald_encoder_free(JournaldEncoder *enc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JournaldEncoder, journald_encoder_free)

/*
 * Replace out's contents with one entry: MESSAGE (msg, len bytes, with its newline if any),
 * CONTAINER_ID_FULL, PRIORITY (0..7), CONTAINER_ID, [CONTAINER_TAG], [CONTAINER_NAME],
 * SYSLOG_IDENTIFIER, [CONTAINER_PARTIAL_MESSAGE=true], labels, then CODE_FILE, CODE_LINE and
 * CODE_FUNC with conmon's values (libsystemd's sd_journal_sendv() macro appends those).  Pure.
 */
void journald_encode(const JournaldEncoder *enc, GString *out, int priority, bool partial, const char *msg, size_t len);
/* Append one field (name without '=') in the native protocol.  Pure. */
void journald_append_field(GString *out, const char *name, size_t name_len, const char *value, size_t value_len);

/* If line starts with "<N>" (N in 0..7) return N, else -1.  Pure. */
int journald_priority_prefix(const char *line, size_t len);

typedef struct JournaldLog JournaldLog;

/* cfg's strings are borrowed and must outlive the driver. */
JournaldLog *journald_log_new(const JournaldConfig *cfg);
void journald_log_free(JournaldLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JournaldLog, journald_log_free)
void journald_log_write(JournaldLog *log, LogStream stream, const char *data, size_t len);
/* Send what is buffered as partial entries (end of the run). */
void journald_log_flush(JournaldLog *log);
