/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_sink: -l parsing and the per-chunk fan-out to the enabled log drivers.
 */
#include "log_sink.h"

#include <string.h>

#include "log_journald.h"
#include "log_k8s.h"
#include "metrics.h"
#include "options.h"

static gboolean log_config_parse_one(LogConfig *cfg, const char *value, GError **error)
{
	const char *colon = strchr(value, ':');
	g_autofree char *driver = colon ? g_strndup(value, (size_t)(colon - value)) : g_strdup(value);
	g_autofree char *path = NULL;

	if (colon) {
		/* Later colons are dropped: "k8s-file:/a:b" logs to "/a" (§8.1). */
		const char *rest = colon + 1;
		const char *end = strchr(rest, ':');
		path = end ? g_strndup(rest, (size_t)(end - rest)) : g_strdup(rest);
	}
	if (*value == '\0' || strcmp(value, ":") == 0) {
		g_set_error(error, OPTIONS_ERROR, OPTIONS_ERROR_FATAL, "log-path must not be empty");
		return FALSE;
	}
	if (!colon) {
		if (strcmp(value, "journald") == 0)
			cfg->journald = true;
		else if (strcmp(value, "passthrough") == 0)
			cfg->passthrough = true;
		else if (strcmp(value, "none") == 0 || strcmp(value, "off") == 0 || strcmp(value, "null") == 0)
			;
		else if (strcmp(value, "k8s-file") == 0)
			goto no_filename;
		else {
			g_free(cfg->k8s_path);
			cfg->k8s_path = g_strdup(value);
		}
		return TRUE;
	}
	if (strcmp(driver, "journald") == 0) {
		cfg->journald = true;
	} else if (strcmp(driver, "passthrough") == 0) {
		cfg->passthrough = true;
	} else if (strcmp(driver, "none") == 0 || strcmp(driver, "off") == 0 || strcmp(driver, "null") == 0) {
	} else if (strcmp(driver, "json-file") == 0) {
		/* vigil's opt-in Docker driver; a bare "json-file" stays a k8s-file named so (§8.1). */
		if (*path == '\0') {
			g_set_error(error, OPTIONS_ERROR, OPTIONS_ERROR_FATAL, "json-file requires a filename");
			return FALSE;
		}
		g_free(cfg->json_path);
		cfg->json_path = g_steal_pointer(&path);
	} else if (strcmp(driver, "k8s-file") == 0 || *driver == '\0') {
		if (*path == '\0')
			goto no_filename;
		g_free(cfg->k8s_path);
		cfg->k8s_path = g_steal_pointer(&path);
	} else {
		g_set_error(error, OPTIONS_ERROR, OPTIONS_ERROR_FATAL, "No such log driver %s", driver);
		return FALSE;
	}
	return TRUE;
no_filename:
	g_set_error(error, OPTIONS_ERROR, OPTIONS_ERROR_FATAL, "k8s-file requires a filename");
	return FALSE;
}

gboolean log_config_parse(LogConfig *cfg, const char *const *values, GError **error)
{
	for (const char *const *v = values; v && *v; v++)
		if (!log_config_parse_one(cfg, *v, error))
			return FALSE;
	return TRUE;
}

void log_config_clear(LogConfig *cfg)
{
	g_clear_pointer(&cfg->k8s_path, g_free);
	g_clear_pointer(&cfg->json_path, g_free);
	cfg->journald = false;
	cfg->passthrough = false;
}

K8sLog *log_sinks_file(const LogSinks *sinks)
{
	return sinks->k8s ? sinks->k8s : sinks->json;
}

uint64_t log_sinks_lines(const LogSinks *sinks, LogStream stream)
{
	const K8sLog *file = log_sinks_file(sinks);
	int64_t n = sinks->lines_outside[stream] + (file ? (int64_t)k8s_log_stats(file)->lines[stream] : 0);

	return n > 0 ? (uint64_t)n : 0;
}

/* Every driver gets the same bytes. */
static void sinks_dispatch(LogSinks *sinks, LogStream stream, const struct timespec *now, const char *data, size_t len)
{
	size_t dropped = 0, primary = 0;

	if (sinks->k8s)
		primary = dropped = k8s_log_write(sinks->k8s, stream, now, data, len);
	if (sinks->json) {
		size_t d = k8s_log_write(sinks->json, stream, now, data, len);
		if (sinks->k8s == NULL)
			primary = d;
		dropped = MAX(dropped, d);
	}
	if (sinks->journald)
		journald_log_write(sinks->journald, stream, data, len);
	sinks->dropped[stream] += dropped;
	sinks->global_dropped[stream] += dropped;
	/* the global cap stopped the file log's count short: the rest of the chunk */
	if (sinks->count_lines && primary > 0)
		sinks->lines_outside[stream] += (int64_t)metrics_count_lines(data + len - primary, primary);
}

/* One visible record per episode of rate-limited output. */
static void sinks_rate_notice(LogSinks *sinks, LogStream stream, const struct timespec *now)
{
	if (sinks->rate_dropped[stream] == 0)
		return;
	g_autofree char *msg =
		g_strdup_printf("[vigil] log rate limit: dropped %" G_GUINT64_FORMAT " bytes of %s\n",
				sinks->rate_dropped[stream], stream == LOG_STREAM_STDOUT ? "stdout" : "stderr");
	sinks->rate_dropped[stream] = 0;
	sinks_dispatch(sinks, stream, now, msg, strlen(msg));
	/* the file log counted the notice's line: it is not the container's */
	if (sinks->count_lines && log_sinks_file(sinks) != NULL)
		sinks->lines_outside[stream] -= 1;
}

void log_sinks_write(LogSinks *sinks, LogStream stream, const struct timespec *now, const char *data, size_t len)
{
	sinks->bytes[stream] += len;
	/* no file log to count the lines as it writes them */
	if (sinks->count_lines && log_sinks_file(sinks) == NULL)
		sinks->lines_outside[stream] += (int64_t)metrics_count_lines(data, len);
	if (sinks->rate.rate > 0) {
		int64_t ns = (int64_t)now->tv_sec * 1000000000 + now->tv_nsec;
		size_t keep = rate_limit_take(&sinks->rate, ns, data, len);
		if (sinks->count_lines && log_sinks_file(sinks) != NULL && keep < len)
			sinks->lines_outside[stream] += (int64_t)metrics_count_lines(data + keep, len - keep);
		if (keep > 0)
			sinks_rate_notice(sinks, stream, now);
		sinks->rate_dropped[stream] += len - keep;
		sinks->rate_dropped_total[stream] += len - keep;
		sinks->dropped[stream] += len - keep;
		len = keep;
	}
	if (len > 0)
		sinks_dispatch(sinks, stream, now, data, len);
}

bool log_sinks_flush(LogSinks *sinks)
{
	bool any = false;
	K8sLog *files[] = {sinks->k8s, sinks->json};

	for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
		if (files[i] && k8s_log_pending(files[i])) {
			k8s_log_flush(files[i]);
			any = true;
		}
	}
	return any;
}

size_t log_sinks_release_memory(LogSinks *sinks)
{
	return k8s_log_release_memory(sinks->k8s) + k8s_log_release_memory(sinks->json);
}

void log_sinks_finish(LogSinks *sinks, bool sync)
{
	struct timespec now = {0};

	(void)clock_gettime(CLOCK_REALTIME, &now);
	for (int i = 0; i < _LOG_STREAM_MAX; i++)
		sinks_rate_notice(sinks, (LogStream)i, &now);
	if (sinks->journald)
		journald_log_flush(sinks->journald);
	if (sinks->k8s)
		k8s_log_finish(sinks->k8s, sync);
	if (sinks->json)
		k8s_log_finish(sinks->json, sync);
}

void log_sinks_reopen(LogSinks *sinks)
{
	if (sinks->k8s)
		k8s_log_reopen(sinks->k8s);
	if (sinks->json)
		k8s_log_reopen(sinks->json);
}

void log_sinks_clear(LogSinks *sinks)
{
	g_clear_pointer(&sinks->k8s, k8s_log_free);
	g_clear_pointer(&sinks->json, k8s_log_free);
	g_clear_pointer(&sinks->journald, journald_log_free);
}
