/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_k8s: the CRI "k8s-file" log format (interface.md §8.2).
 *
 * Pure part: timestamp and record formatting, and the rule that splits a chunk into records of at most
 * K8S_MAX_CONTENT content bytes.  Writer part: one O_APPEND fd, records of one read batched into one
 * write, --log-size-max truncation or rotation, --log-global-size-max, reopen, final fsync.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <glib.h>

#include "log_sink.h"

#define K8S_TS_LEN	    35	 /* 2026-11-23T04:54:06.917765952+00:00 */
#define K8S_MAX_CONTENT	    8192 /* content bytes per record */
#define K8S_RECORD_OVERHEAD 45	 /* timestamp, stream, tag, three spaces, final newline */
#define K8S_RECORD_MAX	    (K8S_RECORD_OVERHEAD + K8S_MAX_CONTENT + 1)

/*
 * Format ts (whose broken-down local time is *local, offset from UTC in local->tm_gmtoff) as
 * YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+HH:MM into out (K8S_TS_LEN bytes, no NUL).  Pure.
 */
void k8s_log_format_timestamp(char out[K8S_TS_LEN], long nsec, const struct tm *local);

/*
 * Length of the next record's content at data[0..len): up to and including the first newline if that
 * fits in K8S_MAX_CONTENT bytes (*ret_partial = false), else the longest run up to K8S_MAX_CONTENT
 * bytes without one (*ret_partial = true).  len must be > 0.  Pure.
 */
size_t k8s_log_next_record(const char *data, size_t len, bool *ret_partial);

/* Write one record to out (room for K8S_RECORD_OVERHEAD + len + 1 bytes); returns its length.  Pure. */
size_t k8s_log_format_record(char *out, const char ts[K8S_TS_LEN], LogStream stream, bool partial, const char *content,
			     size_t len);

#define JSON_TS_LEN	 30    /* 2026-11-23T04:54:06.917765952Z */
#define JSON_MAX_CONTENT 16384 /* Docker's line buffer */

/* Docker json-file timestamp of ts (UTC broken-down time in *utc) into out (JSON_TS_LEN bytes).  Pure. */
void json_log_format_timestamp(char out[JSON_TS_LEN], long nsec, const struct tm *utc);
/*
 * Append one Docker json-file record to out: {"log":"...","stream":"stdout","time":"..."} and a
 * newline.  A partial piece has no newline inside "log", as Docker writes it.  Pure.
 */
void json_log_format_record(GString *out, const char ts[JSON_TS_LEN], LogStream stream, const char *content,
			    size_t len);

typedef enum {
	LOG_FILE_FORMAT_K8S = 0, /* CRI k8s-file (the default, conmon's) */
	LOG_FILE_FORMAT_JSON,	 /* Docker json-file (vigil, opt-in with -l json-file:PATH) */
} LogFileFormat;

typedef struct K8sLogConfig {
	const char *path;
	LogFileFormat format;
	int64_t size_max;	 /* <= 0: unlimited */
	int64_t global_size_max; /* <= 0: unlimited */
	bool rotate;
	bool defer_flush; /* keep records batched until k8s_log_flush() (or the batch is full) */
	int max_files;
	char *const *allowlist; /* --log-allowlist-dir, borrowed; checked before rotating */
} K8sLogConfig;

/* Open (create 0640) the log at cfg->path.  Counters start at the existing size.  NULL + error on failure. */
K8sLog *k8s_log_open(const K8sLogConfig *cfg, GError **error);
void k8s_log_free(K8sLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(K8sLog, k8s_log_free)

/*
 * Log one chunk read at *now.  Errors are reported once per kind and never stop the monitor.  Returns
 * the content bytes dropped because --log-global-size-max was reached.
 */
size_t k8s_log_write(K8sLog *log, LogStream stream, const struct timespec *now, const char *data, size_t len);
/* Write out batched records (with defer_flush, the owner calls this when its loop goes idle). */
void k8s_log_flush(K8sLog *log);
/* True when records are waiting in the batch. */
bool k8s_log_pending(const K8sLog *log);
/* After a burst: write the batch, then give its pages (and grown scratch strings) back.  Returns
 * the batch bytes given back. */
size_t k8s_log_release_memory(K8sLog *log);
/* Start a fresh file at the path (truncate, or rotate with --log-rotate); counters reset. */
void k8s_log_reopen(K8sLog *log);
/* fsync when sync is true. */
void k8s_log_finish(K8sLog *log, bool sync);
/* What happened to the records (metrics.h). Content bytes are the container's bytes, without the
 * record framing. */
typedef struct K8sLogStats {
	uint64_t rotations;			/* --log-size-max reached: the file truncated or rotated */
	uint64_t reopens;			/* k8s_log_reopen() (ctl message type 2) */
	uint64_t truncated[_LOG_STREAM_MAX];	/* content lost when the file was truncated at its cap */
	uint64_t write_failed[_LOG_STREAM_MAX]; /* content of batches that could not be written */
	uint64_t lines[_LOG_STREAM_MAX];	/* records that end a line (the content's newlines) */
} K8sLogStats;
const K8sLogStats *k8s_log_stats(const K8sLog *log);

/* Bytes accepted into the log so far (this file, lifetime). */
int64_t k8s_log_file_bytes(const K8sLog *log);
