/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_journald: native-protocol entries and partial-line buffering.
 */
#include "log_journald.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "diag.h"
#include "fd_util.h"

/* What libsystemd's sd_journal_sendv() macro records for conmon's call (§8.3). */
#define CODE_FILE "src/ctr_logging.c"
#define CODE_LINE "264"
#define CODE_FUNC "write_journald"

#define PARTIAL_FIELD "CONTAINER_PARTIAL_MESSAGE=true\n"

struct JournaldEncoder {
	GString *head; /* CONTAINER_ID_FULL=..\nPRIORITY= */
	GString *mid;  /* \nCONTAINER_ID=.. up to SYSLOG_IDENTIFIER */
	GString *tail; /* the labels and CODE_* */
	bool no_partial_message;
};

struct JournaldLog {
	JournaldConfig cfg;
	JournaldEncoder *enc;
	GString *dgram; /* the entry being sent, reused */
	int fd;		/* connected to the journal socket, or -1 */
	GString *partial[_LOG_STREAM_MAX];
	int priority[_LOG_STREAM_MAX]; /* from a "<N>" prefix of the current line, or -1 */
	bool midline[_LOG_STREAM_MAX]; /* the stream is inside a line (a piece without newline came) */
	bool warned;
};

void journald_append_field(GString *out, const char *name, size_t name_len, const char *value, size_t value_len)
{
	g_string_append_len(out, name, (gssize)name_len);
	if (memchr(value, '\n', value_len) == NULL) {
		g_string_append_c(out, '=');
		g_string_append_len(out, value, (gssize)value_len);
	} else {
		/* a value with a newline: the name, a newline, the length as 64-bit little endian, the bytes */
		char le[8];
		uint64_t v = value_len;
		for (int i = 0; i < 8; i++)
			le[i] = (char)((v >> (8 * i)) & 0xff);
		g_string_append_c(out, '\n');
		g_string_append_len(out, le, 8);
		g_string_append_len(out, value, (gssize)value_len);
	}
	g_string_append_c(out, '\n');
}

static void append_str(GString *out, const char *name, const char *value, size_t value_len)
{
	journald_append_field(out, name, strlen(name), value, value_len);
}

/* A "NAME=VALUE" string as one field (validated by options: NAME is non-empty). */
static void append_assignment(GString *out, const char *s)
{
	const char *eq = strchr(s, '=');

	if (eq == NULL)
		return;
	journald_append_field(out, s, (size_t)(eq - s), eq + 1, strlen(eq + 1));
}

JournaldEncoder *journald_encoder_new(const JournaldConfig *cfg)
{
	JournaldEncoder *enc = g_new0(JournaldEncoder, 1);
	size_t idlen = MIN(strlen(cfg->cid), (size_t)12);
	const char *ident = cfg->tag ? cfg->tag : cfg->name;

	enc->head = g_string_new(NULL);
	append_str(enc->head, "CONTAINER_ID_FULL", cfg->cid, strlen(cfg->cid));
	g_string_append(enc->head, "PRIORITY=");
	enc->mid = g_string_new("\n");
	append_str(enc->mid, "CONTAINER_ID", cfg->cid, idlen);
	if (cfg->tag)
		append_str(enc->mid, "CONTAINER_TAG", cfg->tag, strlen(cfg->tag));
	if (cfg->name)
		append_str(enc->mid, "CONTAINER_NAME", cfg->name, strlen(cfg->name));
	if (ident)
		append_str(enc->mid, "SYSLOG_IDENTIFIER", ident, strlen(ident));
	else
		append_str(enc->mid, "SYSLOG_IDENTIFIER", cfg->cid, idlen);
	enc->tail = g_string_new(NULL);
	for (char *const *l = cfg->labels; l && *l; l++)
		append_assignment(enc->tail, *l);
	g_string_append(enc->tail, "CODE_FILE=" CODE_FILE "\nCODE_LINE=" CODE_LINE "\nCODE_FUNC=" CODE_FUNC "\n");
	enc->no_partial_message = cfg->no_partial_message;
	return enc;
}

void journald_encoder_free(JournaldEncoder *enc)
{
	if (enc == NULL)
		return;
	g_string_free(enc->head, TRUE);
	g_string_free(enc->mid, TRUE);
	g_string_free(enc->tail, TRUE);
	g_free(enc);
}

void journald_encode(const JournaldEncoder *enc, GString *out, int priority, bool partial, const char *msg, size_t len)
{
	g_return_if_fail(priority >= 0 && priority <= 7);
	g_string_truncate(out, 0);
	journald_append_field(out, "MESSAGE", 7, msg, len);
	g_string_append_len(out, enc->head->str, (gssize)enc->head->len);
	g_string_append_c(out, (char)('0' + priority));
	g_string_append_len(out, enc->mid->str, (gssize)enc->mid->len);
	if (partial && !enc->no_partial_message)
		g_string_append_len(out, PARTIAL_FIELD, (gssize)strlen(PARTIAL_FIELD));
	g_string_append_len(out, enc->tail->str, (gssize)enc->tail->len);
}

int journald_priority_prefix(const char *line, size_t len)
{
	if (len >= 3 && line[0] == '<' && line[1] >= '0' && line[1] <= '7' && line[2] == '>')
		return line[1] - '0';
	return -1;
}

/* ---- the socket ------------------------------------------------------------------------------- */

static int journal_connect(JournaldLog *log)
{
	const char *path = log->cfg.socket_path ? log->cfg.socket_path : JOURNALD_SOCKET;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, sndbuf = 8 << 20;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Room for many entries in flight, as libsystemd asks for (the kernel caps it at wmem_max). */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		(void)close(fd);
		return r;
	}
	log->fd = fd;
	return 0;
}

/* An entry too large for a datagram goes as a sealed memfd, the way journald takes it. */
static int send_memfd(int sock, const char *buf, size_t len)
{
	int fd = memfd_create("vigil-journal", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr mh = {.msg_control = control.b, .msg_controllen = sizeof(control.b)};
	int r = 0;

	if (fd < 0)
		return -errno;
	memset(&control, 0, sizeof(control));
	r = write_all(fd, buf, len);
	if (r >= 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		r = -errno;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (r >= 0 && c != NULL) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
		while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
			if (errno != EINTR) {
				r = -errno;
				break;
			}
		}
	}
	(void)close(fd);
	return r < 0 ? r : 0;
}

/* 0 when sent, or when no journal is running (libsystemd drops entries silently then). */
static int journal_send(JournaldLog *log, const char *buf, size_t len)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (log->fd < 0) {
			int r = journal_connect(log);
			if (r == -ENOENT)
				return 0;
			if (r < 0)
				return r;
		}
		ssize_t n;
		do
			n = send(log->fd, buf, len, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n >= 0)
			return 0;
		switch (errno) {
		case ECONNREFUSED:
		case ENOTCONN:
		case ECONNRESET:
		case EPIPE:
			/* journald went away (a restart): connect to the new socket and send again */
			closep(&log->fd);
			continue;
		case EMSGSIZE:
		case ENOBUFS:
		case EAGAIN:
			return send_memfd(log->fd, buf, len);
		default:
			return -errno;
		}
	}
	return -ECONNREFUSED;
}

JournaldLog *journald_log_new(const JournaldConfig *cfg)
{
	JournaldLog *log = g_new0(JournaldLog, 1);

	log->cfg = *cfg;
	log->enc = journald_encoder_new(cfg);
	log->dgram = g_string_sized_new(2 * JOURNALD_PARTIAL_MAX + 1024);
	log->fd = -1;
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
	g_string_free(log->dgram, TRUE);
	journald_encoder_free(log->enc);
	closep(&log->fd);
	g_free(log);
}

static void send_entry(JournaldLog *log, LogStream stream, bool partial, const char *msg, size_t len)
{
	int prio = log->priority[stream] >= 0 ? log->priority[stream] : (stream == LOG_STREAM_STDOUT ? 6 : 3);

	journald_encode(log->enc, log->dgram, prio, partial, msg, len);
	int r = journal_send(log, log->dgram->str, log->dgram->len);
	if (r < 0 && !log->warned) {
		diag_warn_errno(r, "sd_journal_sendv");
		log->warned = true;
	} else if (r >= 0) {
		log->warned = false;
	}
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
	 * vigil reads up to 256 KiB at once; journald entries keep conmon's bounds (a line longer than
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
