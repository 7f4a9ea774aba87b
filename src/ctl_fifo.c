/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_fifo: FIFO creation, line assembly with resynchronisation, and the line parser.
 */
#include "ctl_fifo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib-unix.h>

#include "diag.h"
#include "fd_util.h"

/* One signed decimal integer after optional whitespace; *p advances.  -EINVAL if none or out of int. */
static int parse_int(const char **p, int *ret)
{
	const char *s = *p;
	char *end = NULL;
	long v;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f')
		s++;
	if (!(g_ascii_isdigit(*s) || ((*s == '-' || *s == '+') && g_ascii_isdigit(s[1]))))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	/* "10.5" and "0x10" are not integers followed by text: reject them. */
	if (*end == '.' || *end == 'x' || *end == 'X')
		return -EINVAL;
	*ret = (int)v;
	*p = end;
	return 0;
}

static bool in_range(int v)
{
	return v >= 0 && v <= CTL_WINSZ_MAX;
}

int ctl_fifo_parse_line(const char *line, CtlMsg *ret)
{
	const char *p = line;
	CtlMsg m;

	if (parse_int(&p, &m.type) < 0 || parse_int(&p, &m.a) < 0 || parse_int(&p, &m.b) < 0)
		return -EINVAL;
	if (m.type != CTL_MSG_RESIZE && m.type != CTL_MSG_REOPEN
#ifdef VIGIL_TEST_HOOKS
	    && m.type != CTL_MSG_PROBE
#endif
	)
		return -EINVAL;
	if (!in_range(m.a) || !in_range(m.b))
		return -EINVAL;
	*ret = m;
	return 0;
}

int ctl_fifo_parse_winsz(const char *line, int *ret_rows, int *ret_cols)
{
	const char *p = line;
	int rows, cols;

	if (parse_int(&p, &rows) < 0 || parse_int(&p, &cols) < 0 || !in_range(rows) || !in_range(cols))
		return -EINVAL;
	*ret_rows = rows;
	*ret_cols = cols;
	return 0;
}

typedef struct LineFifo {
	CtlFifos *owner;
	int rfd;
	int wfd;
	guint source;
	char line[CTL_LINE_MAX + 1];
	size_t len;
	bool overflow;
	void (*handle)(CtlFifos *c, const char *line);
} LineFifo;

struct CtlFifos {
	CtlCallbacks cb;
	void *user_data;
	LineFifo ctl;
	LineFifo winsz;
	bool resize_enabled;
};

static void handle_ctl(CtlFifos *c, const char *line)
{
	CtlMsg m;

	if (ctl_fifo_parse_line(line, &m) < 0) {
		diag_warn("Ignoring invalid ctl message '%s'", line);
		return;
	}
	if (m.type == CTL_MSG_RESIZE) {
		/*
		 * Straight to the owner, never through our own winsz FIFO: nothing reads it without a
		 * terminal, and a blocking write into a full FIFO would stop the whole loop.  The owner
		 * keeps the latest size until the terminal exists (§7).
		 */
		if (c->cb.resize)
			c->cb.resize(c->user_data, m.a, m.b);
	} else if (m.type == CTL_MSG_REOPEN) {
		if (c->cb.reopen)
			c->cb.reopen(c->user_data);
	}
#ifdef VIGIL_TEST_HOOKS
	else if (m.type == CTL_MSG_PROBE && c->cb.probe) {
		c->cb.probe(c->user_data, m.a);
	}
#endif
}

static void handle_winsz(CtlFifos *c, const char *line)
{
	int rows, cols;

	if (ctl_fifo_parse_winsz(line, &rows, &cols) < 0) {
		diag_warn("Ignoring invalid winsz message '%s'", line);
		return;
	}
	if (c->cb.resize)
		c->cb.resize(c->user_data, rows, cols);
}

static void line_fifo_feed(LineFifo *f, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (f->overflow)
				diag_warn("Ignoring a ctl line longer than %d bytes", CTL_LINE_MAX);
			else if (f->len > 0) {
				f->line[f->len] = '\0';
				f->handle(f->owner, f->line);
			}
			f->len = 0;
			f->overflow = false;
		} else if (f->len < CTL_LINE_MAX) {
			f->line[f->len++] = buf[i];
		} else {
			f->overflow = true;
		}
	}
}

static gboolean line_fifo_ready(int fd, GIOCondition cond, gpointer data)
{
	LineFifo *f = data;
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		line_fifo_feed(f, buf, (size_t)n);
	}
	return G_SOURCE_CONTINUE;
}

static bool line_fifo_open(LineFifo *f, CtlFifos *owner, const char *bundle, const char *name, GError **error)
{
	g_autofree char *path = g_build_filename(bundle, name, NULL);

	f->owner = owner;
	(void)unlink(path);
	if (mkfifo(path, 0660) < 0 || (f->rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	    (f->wfd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to create FIFO '%s': %s", path,
			    g_strerror(errno));
		return false;
	}
	return true;
}

CtlFifos *ctl_fifos_new(const char *bundle, const CtlCallbacks *cb, void *user_data, GError **error)
{
	g_autoptr(CtlFifos) c = g_new0(CtlFifos, 1);

	c->cb = *cb;
	c->user_data = user_data;
	c->ctl = (LineFifo){.rfd = -1, .wfd = -1, .handle = handle_ctl};
	c->winsz = (LineFifo){.rfd = -1, .wfd = -1, .handle = handle_winsz};
	if (!line_fifo_open(&c->ctl, c, bundle, "ctl", error) || !line_fifo_open(&c->winsz, c, bundle, "winsz", error))
		return NULL;
	c->ctl.source = g_unix_fd_add(c->ctl.rfd, G_IO_IN, line_fifo_ready, &c->ctl);
	c->winsz.source = g_unix_fd_add(c->winsz.rfd, G_IO_IN, line_fifo_ready, &c->winsz);
	return g_steal_pointer(&c);
}

static void line_fifo_close(LineFifo *f)
{
	if (f->source)
		g_source_remove(f->source);
	f->source = 0;
	closep(&f->rfd);
	closep(&f->wfd);
}

void ctl_fifos_free(CtlFifos *c)
{
	if (c == NULL)
		return;
	line_fifo_close(&c->ctl);
	line_fifo_close(&c->winsz);
	g_free(c);
}
