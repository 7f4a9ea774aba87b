/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_journald: the journald log driver (interface.md §8.3).
 *
 * Pure part: journald_build_fields() lays out the iovec of one entry in conmon's field order.  Writer
 * part: per-stream partial-line buffers of JOURNALD_PARTIAL_MAX bytes and sd_journal_sendv().  When
 * vigil is built without libsystemd this module is the only stub (USE_JOURNALD).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include <glib.h>

#include "log_sink.h"

#define JOURNALD_PARTIAL_MAX  8192
#define JOURNALD_FIXED_FIELDS 8 /* MESSAGE .. CONTAINER_PARTIAL_MESSAGE */

typedef struct JournaldConfig {
	const char *cid;
	const char *name;	 /* NULL: no CONTAINER_NAME */
	const char *tag;	 /* NULL: no CONTAINER_TAG */
	char *const *labels;	 /* NAME=VALUE, may be NULL */
	bool no_partial_message; /* --no-container-partial-message */
	bool priority_prefix;	 /* --log-journald-priority: honour a leading "<N>" (conmon 2.2) */
} JournaldConfig;

typedef struct JournaldFields {
	struct iovec *iov; /* JOURNALD_FIXED_FIELDS + one per label */
	size_t n;
	char *owned[8]; /* strings built for this entry */
	size_t n_owned;
} JournaldFields;

/*
 * Fill f with the fields of one entry: MESSAGE (msg, len bytes, with its newline if any),
 * CONTAINER_ID_FULL, PRIORITY (6 stdout, 3 stderr), CONTAINER_ID, [CONTAINER_TAG], [CONTAINER_NAME],
 * SYSLOG_IDENTIFIER, [CONTAINER_PARTIAL_MESSAGE=true], labels.  Pure; free with journald_fields_clear().
 */
void journald_build_fields(JournaldFields *f, const JournaldConfig *cfg, LogStream stream, bool partial,
			   const char *msg, size_t len);
/* The same with an explicit PRIORITY (0..7), as a "<N>" line prefix asks for.  Pure. */
void journald_build_fields_priority(JournaldFields *f, const JournaldConfig *cfg, int priority, bool partial,
				    const char *msg, size_t len);
void journald_fields_clear(JournaldFields *f);

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
