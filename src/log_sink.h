/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_sink: the -l/--log-path driver syntax (interface.md §8.1) and the dispatch of container
 * output to every enabled driver.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <glib.h>

#include "rate_limit.h"

typedef enum {
	LOG_STREAM_STDOUT = 0,
	LOG_STREAM_STDERR = 1,
	_LOG_STREAM_MAX,
} LogStream;

typedef struct LogConfig {
	char *k8s_path;	 /* last k8s-file path, or NULL */
	char *json_path; /* last json-file path (vigil, opt-in), or NULL */
	bool journald;
	bool passthrough;
} LogConfig;

/* Parse every -l value in order (pure).  FALSE with an OPTIONS_ERROR_FATAL message on bad syntax. */
gboolean log_config_parse(LogConfig *cfg, const char *const *values, GError **error);
void log_config_clear(LogConfig *cfg);

typedef struct K8sLog K8sLog;
typedef struct JournaldLog JournaldLog;

typedef struct LogSinks {
	K8sLog *k8s;				/* owned, or NULL */
	K8sLog *json;				/* json-file (vigil, opt-in), owned, or NULL */
	JournaldLog *journald;			/* owned, or NULL */
	uint64_t bytes[_LOG_STREAM_MAX];	/* bytes the container wrote, per stream */
	uint64_t dropped[_LOG_STREAM_MAX];	/* bytes not logged (size caps, rate limit), per stream */
	RateLimit rate;				/* rate.rate == 0: no limit */
	uint64_t rate_dropped[_LOG_STREAM_MAX]; /* dropped since the last notice */
	/* by reason, for the metrics: dropped[] is their sum */
	uint64_t rate_dropped_total[_LOG_STREAM_MAX];
	uint64_t global_dropped[_LOG_STREAM_MAX]; /* --log-global-size-max reached */
	/*
	 * Metrics on: the container's lines per stream.  The primary file log (k8s-file, else
	 * json-file) counts the lines it is given for free (K8sLogStats.lines); lines_outside has the
	 * rest: output it never saw (no file log, the rate limit, the global cap), less the lines of
	 * vigil's own rate-limit notices, which it did see.
	 */
	bool count_lines;
	int64_t lines_outside[_LOG_STREAM_MAX];
} LogSinks;

/* The primary file log (k8s-file, else json-file), or NULL. */
K8sLog *log_sinks_file(const LogSinks *sinks);
/* Lines the container wrote to stream (metrics; count_lines must have been set from the start). */
uint64_t log_sinks_lines(const LogSinks *sinks, LogStream stream);

/* Hand one chunk read from the container to every driver.  now: the chunk's read time. */
void log_sinks_write(LogSinks *sinks, LogStream stream, const struct timespec *now, const char *data, size_t len);
/* Write out what the file drivers hold back (see K8sLogConfig.defer_flush); true if anything was pending. */
bool log_sinks_flush(LogSinks *sinks);
/* After a burst: pending records written, the file sinks' big buffers given back (mem_release.h). */
size_t log_sinks_release_memory(LogSinks *sinks);
/* End of the run: flush partial state and fsync unless no_sync. */
void log_sinks_finish(LogSinks *sinks, bool sync);
/* ctl type 2 (§8.6). */
void log_sinks_reopen(LogSinks *sinks);
void log_sinks_clear(LogSinks *sinks);
