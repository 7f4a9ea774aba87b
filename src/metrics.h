/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics: per-container counters in the Prometheus text exposition format, as files for
 * node_exporter's textfile collector (vigil, opt-in with --metrics-dir).
 *
 * The counters themselves are plain integers that the modules already keep or bump on their hot
 * paths (log_sink, log_k8s, attach, notify, oom, monitor); nothing here runs per byte. The
 * monitor fills a MetricsSnapshot from them on a timer (--metrics-interval), at start and at exit,
 * and metrics_write() formats it and replaces DIR/vigil-<cid>.prom atomically: a temporary file in
 * DIR whose name does not end in .prom (the collector skips it), then rename(). No socket, no thread.
 *
 * An exec session's monitor writes DIR/vigil-<cid>-exec-<id>.prom, <id> being its -u or else its
 * PID, with the labels exec="1" and exec_id="<id>", so that it never collides with the container's
 * own file or series.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "log_sink.h"

typedef enum {
	METRICS_DROP_RATE_LIMIT = 0,  /* --log-rate-limit */
	METRICS_DROP_GLOBAL_SIZE_MAX, /* --log-global-size-max reached: output no longer logged */
	METRICS_DROP_LOG_SIZE_MAX,    /* --log-size-max reached without --log-rotate: the file was truncated */
	METRICS_DROP_WRITE_ERROR,     /* the log file could not be written (disk full, I/O error) */
	_METRICS_DROP_MAX,
} MetricsDropReason;

typedef struct MetricsSnapshot {
	/* identity (borrowed strings) */
	const char *container_id;
	const char *container_name; /* -n, or "" */
	bool exec;
	const char *exec_id; /* "" for a container's monitor */
	/* output */
	uint64_t stream_bytes[_LOG_STREAM_MAX]; /* bytes the container wrote, logged or not */
	uint64_t stream_lines[_LOG_STREAM_MAX]; /* newlines among them */
	uint64_t dropped[_LOG_STREAM_MAX][_METRICS_DROP_MAX];
	uint64_t log_rotations; /* --log-size-max reached: the file truncated or rotated */
	uint64_t log_reopens;	/* ctl message type 2 */
	int64_t log_file_bytes; /* size of the current k8s-file (or json-file) log; < 0: none */
	/* clients and input */
	unsigned attach_clients;
	uint64_t attach_clients_total;
	uint64_t stdin_bytes;
	uint64_t oom_kills;
	uint64_t notify_messages;
	/* the monitor itself (metrics_read_self()) */
	double cpu_user_seconds;
	double cpu_system_seconds;
	uint64_t resident_bytes;
	unsigned open_fds;
	/* times and the end */
	double start_time_seconds; /* Unix time the monitor started */
	bool exited;		   /* the container (or exec process) is done: the next two are set */
	int exit_code;		   /* conmon's status: exit code, 128+N for signal N, -1 for a timeout */
	int exit_signal;	   /* 0 unless killed by a signal */
} MetricsSnapshot;

/* Append the whole exposition (HELP, TYPE, samples) of s to out.  Pure. */
void metrics_format(GString *out, const MetricsSnapshot *s);

/* Newlines in data[0..len). */
uint64_t metrics_count_lines(const char *data, size_t len);

/* The monitor's own CPU time, resident memory and open fds (getrusage, /proc/self). */
void metrics_read_self(MetricsSnapshot *s);

typedef struct Metrics Metrics;

/*
 * Open DIR (kept as a directory fd: later writes do not depend on the path).  exec: an exec
 * session's monitor, whose id is exec_uuid (-u) or, without one, the PID of the process that first
 * writes (the daemon, not the engine's child that opened DIR).  NULL + error naming --metrics-dir
 * when DIR cannot be used.
 */
Metrics *metrics_open(const char *dir, const char *container_id, bool exec, const char *exec_uuid, GError **error);
/* The exec id of the labels and the file name ("" for a container's monitor). */
const char *metrics_exec_id(Metrics *m);
/* Replace the file with s, atomically.  0 or -errno (reported once per failure streak). */
int metrics_write(Metrics *m, const MetricsSnapshot *s);
/* Remove the file (after the exit command, unless --metrics-keep). */
void metrics_remove(Metrics *m);
const char *metrics_file_name(Metrics *m);
void metrics_free(Metrics *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Metrics, metrics_free)
