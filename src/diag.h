/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diag: the monitor's own diagnostics (never container output).
 *
 * Levels and prefixes follow conmon so that people and tools grepping for
 * "[conmon:e]" keep working.  Messages go to stderr (until main points it at
 * /dev/null) and, with --syslog, to syslog(3).  Also home of the VIGIL_ERROR
 * GError domain.
 */
#pragma once

#include <stdbool.h>

#include <glib.h>

typedef enum {
	DIAG_ERROR = 0,
	DIAG_WARN = 1,
	DIAG_INFO = 2,
	DIAG_DEBUG = 3,
	DIAG_TRACE = 4,
} DiagLevel;

#define VIGIL_ERROR (vigil_error_quark())
GQuark vigil_error_quark(void);

typedef enum {
	VIGIL_ERROR_FAILED,
	VIGIL_ERROR_INVALID,
} VigilErrorCode;

/* Parse a --log-level name (case-insensitive).  Returns 0 and sets *ret_level, or -EINVAL. */
int diag_parse_level(const char *name, DiagLevel *ret_level);

void diag_set_level(DiagLevel level);
DiagLevel diag_get_level(void);
/* Mirror messages to syslog(3); tag is the cid (or "cid: tag"), truncated to 20 characters. */
void diag_set_syslog(bool on, const char *tag);
/* Route GLib's own warnings and criticals through diag. */
void diag_install_glib_handler(void);

/*
 * Emit one message if level is enabled.  err is an errno value (either sign) or 0; when non-zero its
 * strerror text is appended.  Returns -abs(err), so callers can write `return diag_error_errno(r, ...)`.
 */
int diag_log(int level, int err, const char *file, int line, const char *fmt, ...) G_GNUC_PRINTF(5, 6);

#define diag_error(...)		 diag_log(DIAG_ERROR, 0, __FILE__, __LINE__, __VA_ARGS__)
#define diag_warn(...)		 diag_log(DIAG_WARN, 0, __FILE__, __LINE__, __VA_ARGS__)
#define diag_info(...)		 diag_log(DIAG_INFO, 0, __FILE__, __LINE__, __VA_ARGS__)
#define diag_debug(...)		 diag_log(DIAG_DEBUG, 0, __FILE__, __LINE__, __VA_ARGS__)
#define diag_trace(...)		 diag_log(DIAG_TRACE, 0, __FILE__, __LINE__, __VA_ARGS__)
#define diag_error_errno(e, ...) diag_log(DIAG_ERROR, (e), __FILE__, __LINE__, __VA_ARGS__)
#define diag_warn_errno(e, ...)	 diag_log(DIAG_WARN, (e), __FILE__, __LINE__, __VA_ARGS__)
#define diag_info_errno(e, ...)	 diag_log(DIAG_INFO, (e), __FILE__, __LINE__, __VA_ARGS__)
#define diag_debug_errno(e, ...) diag_log(DIAG_DEBUG, (e), __FILE__, __LINE__, __VA_ARGS__)
