/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_journald: field layout and sd_journal_sendv() with partial-line buffering.
 */
#include "log_journald.h"

#include <errno.h>
#include <string.h>

#include "config.h"
#include "diag.h"

#if USE_JOURNALD
#include <dlfcn.h>

#include <systemd/sd-journal.h>
#endif

typedef int (*SendvFn)(const char *file, const char *line, const char *func, const struct iovec *iov, int n);

struct JournaldLog {
	JournaldConfig cfg;
	SendvFn sendv; /* sd_journal_sendv from the dlopen()ed libsystemd, or NULL */
	GString *partial[_LOG_STREAM_MAX];
	int priority[_LOG_STREAM_MAX]; /* from a "<N>" prefix of the current line, or -1 */
	bool midline[_LOG_STREAM_MAX]; /* the stream is inside a line (a piece without newline came) */
	bool warned;
};

static void add(JournaldFields *f, const char *s, size_t len)
{
	f->iov[f->n].iov_base = (void *)s;
	f->iov[f->n].iov_len = len;
	f->n++;
}

static void add_owned(JournaldFields *f, char *s)
{
	f->owned[f->n_owned++] = s;
	add(f, s, strlen(s));
}

void journald_build_fields(JournaldFields *f, const JournaldConfig *cfg, LogStream stream, bool partial,
			   const char *msg, size_t len)
{
	journald_build_fields_priority(f, cfg, stream == LOG_STREAM_STDOUT ? 6 : 3, partial, msg, len);
}

int journald_priority_prefix(const char *line, size_t len)
{
	if (len >= 3 && line[0] == '<' && line[1] >= '0' && line[1] <= '7' && line[2] == '>')
		return line[1] - '0';
	return -1;
}

void journald_build_fields_priority(JournaldFields *f, const JournaldConfig *cfg, int priority, bool partial,
				    const char *msg, size_t len)
{
	size_t idlen = strlen(cfg->cid) < 12 ? strlen(cfg->cid) : 12;
	const char *ident = cfg->tag ? cfg->tag : cfg->name;

	memset(f, 0, sizeof(*f));
	f->iov = g_new(struct iovec, JOURNALD_FIXED_FIELDS + (cfg->labels ? g_strv_length((char **)cfg->labels) : 0));
	char *m = g_malloc(8 + len);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): an iovec is length-counted */
	memcpy(m, "MESSAGE=", 8);
	memcpy(m + 8, msg, len); /* NOLINT(bugprone-not-null-terminated-result): an iovec, length-counted */
	f->owned[f->n_owned++] = m;
	add(f, m, 8 + len);
	add_owned(f, g_strconcat("CONTAINER_ID_FULL=", cfg->cid, NULL));
	add_owned(f, g_strdup_printf("PRIORITY=%d", priority));
	add_owned(f, g_strdup_printf("CONTAINER_ID=%.*s", (int)idlen, cfg->cid));
	if (cfg->tag)
		add_owned(f, g_strconcat("CONTAINER_TAG=", cfg->tag, NULL));
	if (cfg->name)
		add_owned(f, g_strconcat("CONTAINER_NAME=", cfg->name, NULL));
	if (ident)
		add_owned(f, g_strconcat("SYSLOG_IDENTIFIER=", ident, NULL));
	else
		add_owned(f, g_strdup_printf("SYSLOG_IDENTIFIER=%.*s", (int)idlen, cfg->cid));
	if (partial && !cfg->no_partial_message)
		add(f, "CONTAINER_PARTIAL_MESSAGE=true", strlen("CONTAINER_PARTIAL_MESSAGE=true"));
	for (char *const *l = cfg->labels; l && *l; l++)
		add(f, *l, strlen(*l));
}

void journald_fields_clear(JournaldFields *f)
{
	for (size_t i = 0; i < f->n_owned; i++)
		g_free(f->owned[i]);
	f->n_owned = 0;
	f->n = 0;
	g_clear_pointer(&f->iov, g_free);
}

#if USE_JOURNALD
/*
 * libsystemd is loaded on first use: a monitor whose container logs elsewhere never maps it, which
 * keeps start-up and idle memory down (it pulls in liblzma, libzstd, liblz4, libgcrypt, libcap).
 * The handle stays open for the life of the process.
 */
static SendvFn load_sendv(void)
{
	void *lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	SendvFn fn = NULL;

	if (lib == NULL) {
		diag_warn("Cannot load libsystemd for the journald log driver: %s", dlerror());
		return NULL;
	}
	*(void **)&fn = dlsym(lib, "sd_journal_sendv_with_location");
	if (fn == NULL)
		diag_warn("libsystemd has no sd_journal_sendv_with_location: %s", dlerror());
	return fn;
}
#endif

JournaldLog *journald_log_new(const JournaldConfig *cfg)
{
	JournaldLog *log = g_new0(JournaldLog, 1);
#if USE_JOURNALD
	log->sendv = load_sendv();
	/* The prototype we call through must be the library's. */
	G_STATIC_ASSERT(__builtin_types_compatible_p(__typeof__(&sd_journal_sendv_with_location), SendvFn));
#endif

	log->cfg = *cfg;
	for (int i = 0; i < _LOG_STREAM_MAX; i++) {
		log->partial[i] = g_string_sized_new(JOURNALD_PARTIAL_MAX);
		log->priority[i] = -1;
	}
	return log;
}

void journald_log_free(JournaldLog *log)
{
	if (log == NULL)
		return;
	for (int i = 0; i < _LOG_STREAM_MAX; i++)
		g_string_free(log->partial[i], TRUE);
	g_free(log);
}

static void send_entry(JournaldLog *log, LogStream stream, bool partial, const char *msg, size_t len)
{
	JournaldFields f;

	int prio = log->priority[stream] >= 0 ? log->priority[stream] : (stream == LOG_STREAM_STDOUT ? 6 : 3);

	journald_build_fields_priority(&f, &log->cfg, prio, partial, msg, len);
#if USE_JOURNALD
	/*
	 * sd_journal_sendv() is a macro around this function that adds CODE_FILE/CODE_LINE/CODE_FUNC;
	 * vigil passes conmon's own values, which users and tools may filter on.
	 */
	int r = log->sendv ? log->sendv("CODE_FILE=src/ctr_logging.c", "CODE_LINE=" G_STRINGIFY(__LINE__),
					"write_journald", f.iov, (int)f.n)
			   : -ENOSYS;
	if (r < 0 && !log->warned) {
		diag_warn_errno(r, "sd_journal_sendv");
		log->warned = true;
	} else if (r >= 0) {
		log->warned = false;
	}
#endif
	journald_fields_clear(&f);
}

/* One conmon-sized read (at most JOURNALD_PARTIAL_MAX bytes). */
static void journald_log_slice(JournaldLog *log, LogStream stream, const char *data, size_t len)
{
	GString *buf = log->partial[stream];

	while (len > 0) {
		if (log->cfg.priority_prefix && !log->midline[stream]) {
			/* conmon 2.2's "<N>" prefix, only where a line starts */
			int p = journald_priority_prefix(data, len);
			log->priority[stream] = p;
			if (p >= 0) {
				data += 3;
				len -= 3;
				if (len == 0)
					break;
			}
		}
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) + 1 : len;

		if (nl == NULL) {
			/* A piece with no newline: keep it, unless it does not fit next to what is kept (#321). */
			if (buf->len + n > JOURNALD_PARTIAL_MAX) {
				g_string_append_len(buf, data, (gssize)n);
				send_entry(log, stream, true, buf->str, buf->len);
				g_string_truncate(buf, 0);
			} else {
				g_string_append_len(buf, data, (gssize)n);
			}
		} else if (buf->len > 0) {
			g_string_append_len(buf, data, (gssize)n);
			send_entry(log, stream, false, buf->str, buf->len);
			g_string_truncate(buf, 0);
		} else {
			send_entry(log, stream, false, data, n);
		}
		log->midline[stream] = nl == NULL;
		if (nl != NULL)
			log->priority[stream] = -1;
		data += n;
		len -= n;
	}
}

void journald_log_write(JournaldLog *log, LogStream stream, const char *data, size_t len)
{
	/*
	 * vigil reads up to 64 KiB at once; journald entries keep conmon's bounds (a line longer than
	 * 8192 bytes becomes partial entries of at most 16384), so the input is taken 8192 bytes at a time.
	 */
	while (len > 0) {
		size_t n = MIN(len, (size_t)JOURNALD_PARTIAL_MAX);
		journald_log_slice(log, stream, data, n);
		data += n;
		len -= n;
	}
}

void journald_log_flush(JournaldLog *log)
{
	for (int i = 0; i < _LOG_STREAM_MAX; i++) {
		GString *buf = log->partial[i];
		if (buf->len > 0) {
			send_entry(log, (LogStream)i, true, buf->str, buf->len);
			g_string_truncate(buf, 0);
		}
	}
}
