/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diag: level filtering, the conmon-style stderr prefixes and the --syslog mirror.
 * The level and the syslog switch are the only process-wide state (style.md B3).
 */
#include "diag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static struct {
	DiagLevel level;
	bool syslog;
	char tag[21];
} diag_state = {.level = DIAG_WARN};

GQuark vigil_error_quark(void)
{
	return g_quark_from_static_string("vigil-error-quark");
}

int diag_parse_level(const char *name, DiagLevel *ret_level)
{
	static const struct {
		const char *name;
		DiagLevel level;
	} names[] = {
		{"error", DIAG_ERROR},	{"fatal", DIAG_ERROR}, {"panic", DIAG_ERROR}, {"warn", DIAG_WARN},
		{"warning", DIAG_WARN}, {"info", DIAG_INFO},   {"debug", DIAG_DEBUG}, {"trace", DIAG_TRACE},
	};

	g_return_val_if_fail(name != NULL, -EINVAL);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_ascii_strcasecmp(name, names[i].name) == 0) {
			*ret_level = names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

void diag_set_level(DiagLevel level)
{
	diag_state.level = level;
}

DiagLevel diag_get_level(void)
{
	return diag_state.level;
}

void diag_set_syslog(bool on, const char *tag)
{
	diag_state.syslog = on;
	g_strlcpy(diag_state.tag, tag ? tag : "", sizeof(diag_state.tag));
}

static const char *const stderr_prefix[] = {
	"[conmon:e]: ", "[conmon:w]: ", "[conmon:i]: ", "[conmon:d]: ", "[conmon:d]: "};
static const char *const syslog_word[] = {"error", "nwarn", "ninfo", "ndebug", "ntrace"};

int diag_log(int level, int err, const char *file, int line, const char *fmt, ...)
{
	int saved_errno = errno;
	int r = -abs(err);
	va_list ap;

	if (level < DIAG_ERROR)
		level = DIAG_ERROR;
	if (level > DIAG_TRACE)
		level = DIAG_TRACE;
	if (level > (int)diag_state.level)
		return r;

	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_autofree char *text = err ? g_strdup_printf("%s: %s", msg, g_strerror(-r)) : g_steal_pointer(&msg);

	if (diag_state.level >= DIAG_TRACE)
		fprintf(stderr, "%s%s (%s:%d)\n", stderr_prefix[level], text, file, line);
	else
		fprintf(stderr, "%s%s\n", stderr_prefix[level], text);
	fflush(stderr);
	if (diag_state.syslog)
		syslog(level == DIAG_ERROR ? LOG_ERR : LOG_INFO, "conmon %s <%s>: %s", diag_state.tag,
		       syslog_word[level], text);
	errno = saved_errno;
	return r;
}

static void glib_log_handler(const char *domain, GLogLevelFlags flags, const char *message, gpointer user_data)
{
	int level = DIAG_DEBUG;

	if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		level = DIAG_ERROR;
	else if (flags & G_LOG_LEVEL_WARNING)
		level = DIAG_WARN;
	else if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		level = DIAG_INFO;
	diag_log(level, 0, domain ? domain : "glib", 0, "%s", message);
	if (flags & G_LOG_FLAG_FATAL)
		g_log_default_handler(domain, flags, message, user_data);
}

void diag_install_glib_handler(void)
{
	g_log_set_default_handler(glib_log_handler, NULL);
}
