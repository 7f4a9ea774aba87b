/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for log_journald.c (interface.md §8.3): journald_encode(), one journal entry in conmon's
 * field order with its exact values, as a datagram of journald's native protocol; and the writer
 * against a real datagram socket peer (reconnection, the memfd path for entries too large).
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "journal_native.h"
#include "log_journald.h"
#include "unit.h"

#define CID   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CID12 "0123456789ab"

/* The fields as "NAME=value" strings (values may hold NUL bytes: compare with lengths). */
static void check_fields_len(const JournaldFields *f, const char *const *want, const size_t *want_len, size_t n)
{
	if (f->n != n) {
		for (size_t i = 0; i < f->n; i++)
			print_message("# field %zu: %.*s\n", i, (int)f->iov[i].iov_len,
				      (const char *)f->iov[i].iov_base);
		fail_msg("%zu fields, expected %zu", f->n, n);
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = want_len ? want_len[i] : strlen(want[i]);
		if (f->iov[i].iov_len != len || memcmp(f->iov[i].iov_base, want[i], len) != 0)
			fail_msg("field %zu is '%.*s' (%zu bytes), expected '%.*s' (%zu bytes)", i,
				 (int)f->iov[i].iov_len, (const char *)f->iov[i].iov_base, f->iov[i].iov_len, (int)len,
				 want[i], len);
	}
}

static void check_fields(const JournaldFields *f, const char *const *want, size_t n)
{
	check_fields_len(f, want, NULL, n);
}

/* Encode one entry and read it back; the CODE_* trailer is checked and left out. */
static void build_len(JournaldFields *f, const JournaldConfig *cfg, LogStream stream, bool partial, const char *msg,
		      size_t len)
{
	g_autoptr(JournaldEncoder) enc = journald_encoder_new(cfg);
	g_autoptr(GString) out = g_string_new("stale bytes the encoder must replace");

	journald_encode(enc, out, stream == LOG_STREAM_STDOUT ? 6 : 3, partial, msg, len);
	assert_true(journal_decode(out->str, out->len, f));
	assert_true(f->n >= 3);
	assert_string_equal(f->iov[f->n - 3].iov_base, "CODE_FILE=src/ctr_logging.c");
	assert_true(g_str_has_prefix(f->iov[f->n - 2].iov_base, "CODE_LINE="));
	assert_true(strspn((char *)f->iov[f->n - 2].iov_base + 10, "0123456789") == f->iov[f->n - 2].iov_len - 10);
	assert_true(f->iov[f->n - 2].iov_len > 10);
	assert_string_equal(f->iov[f->n - 1].iov_base, "CODE_FUNC=write_journald");
	for (int i = 0; i < 3; i++)
		g_free(f->iov[--f->n].iov_base);
}

static void build(JournaldFields *f, const JournaldConfig *cfg, LogStream stream, bool partial, const char *msg)
{
	build_len(f, cfg, stream, partial, msg, strlen(msg));
}

/* All optional fields absent: MESSAGE (with its newline), ID_FULL, PRIORITY 6, 12-char id, identifier = id. */
static void test_minimal_stdout(void **state)
{
	const JournaldConfig cfg = {.cid = CID};
	JournaldFields f;
	static const char *const want[] = {
		"MESSAGE=hello world\n", "CONTAINER_ID_FULL=" CID,   "PRIORITY=6",
		"CONTAINER_ID=" CID12,	 "SYSLOG_IDENTIFIER=" CID12,
	};

	build(&f, &cfg, LOG_STREAM_STDOUT, false, "hello world\n");
	check_fields(&f, want, G_N_ELEMENTS(want));
	journald_fields_clear(&f);
}

/* stderr is PRIORITY=3. */
static void test_stderr_priority(void **state)
{
	const JournaldConfig cfg = {.cid = CID};
	JournaldFields f;
	static const char *const want[] = {
		"MESSAGE=oops\n",      "CONTAINER_ID_FULL=" CID,   "PRIORITY=3",
		"CONTAINER_ID=" CID12, "SYSLOG_IDENTIFIER=" CID12,
	};

	build(&f, &cfg, LOG_STREAM_STDERR, false, "oops\n");
	check_fields(&f, want, G_N_ELEMENTS(want));
	journald_fields_clear(&f);
}

/* The full order: TAG before NAME, identifier = tag, partial flag, then the labels in order. */
static void test_full_order(void **state)
{
	char *labels[] = {"APP=web", "TEAM=core", NULL};
	const JournaldConfig cfg = {.cid = CID, .name = "myctr", .tag = "mytag", .labels = labels};
	JournaldFields f;
	static const char *const want[] = {
		"MESSAGE=part",
		"CONTAINER_ID_FULL=" CID,
		"PRIORITY=3",
		"CONTAINER_ID=" CID12,
		"CONTAINER_TAG=mytag",
		"CONTAINER_NAME=myctr",
		"SYSLOG_IDENTIFIER=mytag",
		"CONTAINER_PARTIAL_MESSAGE=true",
		"APP=web",
		"TEAM=core",
	};

	build(&f, &cfg, LOG_STREAM_STDERR, true, "part");
	check_fields(&f, want, G_N_ELEMENTS(want));
	journald_fields_clear(&f);
}

/* SYSLOG_IDENTIFIER: the tag, else the name, else the 12-char id. */
static void test_syslog_identifier(void **state)
{
	JournaldFields f;

	{
		const JournaldConfig cfg = {.cid = CID, .name = "only-name"};
		static const char *const want[] = {
			"MESSAGE=x\n",	       "CONTAINER_ID_FULL=" CID,   "PRIORITY=6",
			"CONTAINER_ID=" CID12, "CONTAINER_NAME=only-name", "SYSLOG_IDENTIFIER=only-name",
		};
		build(&f, &cfg, LOG_STREAM_STDOUT, false, "x\n");
		check_fields(&f, want, G_N_ELEMENTS(want));
		journald_fields_clear(&f);
	}
	{
		const JournaldConfig cfg = {.cid = CID, .tag = "only-tag"};
		static const char *const want[] = {
			"MESSAGE=x\n",	       "CONTAINER_ID_FULL=" CID, "PRIORITY=6",
			"CONTAINER_ID=" CID12, "CONTAINER_TAG=only-tag", "SYSLOG_IDENTIFIER=only-tag",
		};
		build(&f, &cfg, LOG_STREAM_STDOUT, false, "x\n");
		check_fields(&f, want, G_N_ELEMENTS(want));
		journald_fields_clear(&f);
	}
}

/* CONTAINER_PARTIAL_MESSAGE=true only for partial entries, never with --no-container-partial-message. */
static void test_partial_flag(void **state)
{
	JournaldFields f;
	const JournaldConfig cfg = {.cid = CID, .name = "n"};
	const JournaldConfig nopart = {.cid = CID, .name = "n", .no_partial_message = true};
	static const char *const partial[] = {
		"MESSAGE=no newline",
		"CONTAINER_ID_FULL=" CID,
		"PRIORITY=6",
		"CONTAINER_ID=" CID12,
		"CONTAINER_NAME=n",
		"SYSLOG_IDENTIFIER=n",
		"CONTAINER_PARTIAL_MESSAGE=true",
	};
	static const char *const full[] = {
		"MESSAGE=no newline",  "CONTAINER_ID_FULL=" CID, "PRIORITY=6",
		"CONTAINER_ID=" CID12, "CONTAINER_NAME=n",	 "SYSLOG_IDENTIFIER=n",
	};

	build(&f, &cfg, LOG_STREAM_STDOUT, true, "no newline");
	check_fields(&f, partial, G_N_ELEMENTS(partial));
	journald_fields_clear(&f);
	build(&f, &cfg, LOG_STREAM_STDOUT, false, "no newline");
	check_fields(&f, full, G_N_ELEMENTS(full));
	journald_fields_clear(&f);
	build(&f, &nopart, LOG_STREAM_STDOUT, true, "no newline");
	check_fields(&f, full, G_N_ELEMENTS(full));
	journald_fields_clear(&f);
	build(&f, &nopart, LOG_STREAM_STDOUT, false, "no newline");
	check_fields(&f, full, G_N_ELEMENTS(full));
	journald_fields_clear(&f);
}

/* MESSAGE carries exactly len bytes: NUL bytes inside are kept, nothing is trimmed or added. */
static void test_message_bytes(void **state)
{
	const JournaldConfig cfg = {.cid = CID};
	JournaldFields f;
	const char msg[] = "a\0b\0\0c\n";
	const char want_msg[] = "MESSAGE=a\0b\0\0c\n";
	const char *const want[] = {want_msg, "CONTAINER_ID_FULL=" CID, "PRIORITY=6", "CONTAINER_ID=" CID12,
				    "SYSLOG_IDENTIFIER=" CID12};
	const size_t want_len[] = {sizeof(want_msg) - 1, strlen(want[1]), strlen(want[2]), strlen(want[3]),
				   strlen(want[4])};

	build_len(&f, &cfg, LOG_STREAM_STDOUT, false, msg, sizeof(msg) - 1);
	check_fields_len(&f, want, want_len, G_N_ELEMENTS(want));
	journald_fields_clear(&f);

	/* only len bytes of msg are used */
	build_len(&f, &cfg, LOG_STREAM_STDOUT, true, "abcdef", 3);
	assert_int_equal(f.iov[0].iov_len, strlen("MESSAGE=abc"));
	assert_memory_equal(f.iov[0].iov_base, "MESSAGE=abc", strlen("MESSAGE=abc"));
	journald_fields_clear(&f);

	/* an empty message, a bare newline, leading/trailing blanks kept */
	build_len(&f, &cfg, LOG_STREAM_STDOUT, false, "", 0);
	assert_int_equal(f.iov[0].iov_len, strlen("MESSAGE="));
	assert_memory_equal(f.iov[0].iov_base, "MESSAGE=", 8);
	journald_fields_clear(&f);
	build(&f, &cfg, LOG_STREAM_STDERR, false, "  spaced \r\n");
	assert_int_equal(f.iov[0].iov_len, strlen("MESSAGE=  spaced \r\n"));
	assert_memory_equal(f.iov[0].iov_base, "MESSAGE=  spaced \r\n", f.iov[0].iov_len);
	journald_fields_clear(&f);

	/* a full 8192-byte partial buffer */
	g_autofree char *big = g_malloc(JOURNALD_PARTIAL_MAX);
	memset(big, 'z', JOURNALD_PARTIAL_MAX);
	build_len(&f, &cfg, LOG_STREAM_STDOUT, true, big, JOURNALD_PARTIAL_MAX);
	assert_int_equal(f.iov[0].iov_len, 8 + JOURNALD_PARTIAL_MAX);
	assert_memory_equal((char *)f.iov[0].iov_base + 8, big, JOURNALD_PARTIAL_MAX);
	journald_fields_clear(&f);
}

/* CONTAINER_ID is the first 12 characters; a shorter cid is used whole. */
static void test_short_cid(void **state)
{
	const JournaldConfig cfg = {.cid = "abc"};
	JournaldFields f;
	static const char *const want[] = {
		"MESSAGE=m\n", "CONTAINER_ID_FULL=abc", "PRIORITY=6", "CONTAINER_ID=abc", "SYSLOG_IDENTIFIER=abc",
	};

	build(&f, &cfg, LOG_STREAM_STDOUT, false, "m\n");
	check_fields(&f, want, G_N_ELEMENTS(want));
	journald_fields_clear(&f);

	const JournaldConfig cfg12 = {.cid = "0123456789abX"};
	static const char *const want12[] = {
		"MESSAGE=m\n",
		"CONTAINER_ID_FULL=0123456789abX",
		"PRIORITY=6",
		"CONTAINER_ID=0123456789ab",
		"SYSLOG_IDENTIFIER=0123456789ab",
	};
	build(&f, &cfg12, LOG_STREAM_STDOUT, false, "m\n");
	check_fields(&f, want12, G_N_ELEMENTS(want12));
	journald_fields_clear(&f);
}

/* An empty label list adds no fields. */
static void test_labels_empty_list(void **state)
{
	char *labels[] = {NULL};
	const JournaldConfig cfg = {.cid = CID, .labels = labels};
	JournaldFields f;
	static const char *const want[] = {
		"MESSAGE=m\n",	       "CONTAINER_ID_FULL=" CID,   "PRIORITY=6",
		"CONTAINER_ID=" CID12, "SYSLOG_IDENTIFIER=" CID12,
	};

	build(&f, &cfg, LOG_STREAM_STDOUT, false, "m\n");
	check_fields(&f, want, G_N_ELEMENTS(want));
	journald_fields_clear(&f);
}

/* Every --log-label is sent (§8.3 "[each --log-label NAME=VALUE]"): many labels, all of them, in order. */
static void test_many_labels(void **state)
{
	enum { N = 64 };
	GPtrArray *labels = g_ptr_array_new_with_free_func(g_free);
	JournaldFields f;

	for (int i = 0; i < N; i++)
		g_ptr_array_add(labels, g_strdup_printf("LABEL_%02d=value %d", i, i));
	g_ptr_array_add(labels, NULL);
	const JournaldConfig cfg = {.cid = CID, .name = "n", .tag = "t", .labels = (char *const *)labels->pdata};

	build(&f, &cfg, LOG_STREAM_STDOUT, false, "m\n");
	/* 7 fields before the labels: MESSAGE, ID_FULL, PRIORITY, ID, TAG, NAME, SYSLOG_IDENTIFIER */
	size_t n = f.n, bad = SIZE_MAX;
	for (size_t i = 7; i < n; i++) {
		const char *l = g_ptr_array_index(labels, i - 7);
		if (i - 7 >= N || f.iov[i].iov_len != strlen(l) || memcmp(f.iov[i].iov_base, l, strlen(l)) != 0) {
			bad = i;
			break;
		}
	}
	journald_fields_clear(&f);
	g_ptr_array_unref(labels); /* before fail_msg, which does not return */
	if (n != 7 + N)
		fail_msg("%zu fields for %d labels: expected %d (labels silently dropped)", n, N, 7 + N);
	if (bad != SIZE_MAX)
		fail_msg("field %zu is not label %zu", bad, bad - 7);
}

/* The wire format itself, byte for byte: text fields, and the length-prefixed form for a value with a newline. */
static void test_wire_bytes(void **state)
{
	char *labels[] = {"ML=a\nb", NULL};
	const JournaldConfig cfg = {.cid = "0123456789abcdef", .name = "n", .labels = labels};
	g_autoptr(JournaldEncoder) enc = journald_encoder_new(&cfg);
	g_autoptr(GString) out = g_string_new(NULL);
	static const char want[] = "MESSAGE\n\x03\0\0\0\0\0\0\0hi\n\n"
				   "CONTAINER_ID_FULL=0123456789abcdef\n"
				   "PRIORITY=6\n"
				   "CONTAINER_ID=0123456789ab\n"
				   "CONTAINER_NAME=n\n"
				   "SYSLOG_IDENTIFIER=n\n"
				   "ML\n\x03\0\0\0\0\0\0\0a\nb\n"
				   "CODE_FILE=src/ctr_logging.c\n";
	static const char want_partial[] = "MESSAGE=no newline\n"
					   "CONTAINER_ID_FULL=0123456789abcdef\n"
					   "PRIORITY=3\n";

	journald_encode(enc, out, 6, false, "hi\n", 3);
	assert_true(out->len > sizeof(want) - 1);
	assert_memory_equal(out->str, want, sizeof(want) - 1);
	static const char end[] = "\nCODE_FUNC=write_journald\n";
	assert_memory_equal(out->str + out->len - (sizeof(end) - 1), end, sizeof(end) - 1);

	journald_encode(enc, out, 3, true, "no newline", 10);
	assert_memory_equal(out->str, want_partial, sizeof(want_partial) - 1);
	assert_non_null(strstr(out->str, "\nSYSLOG_IDENTIFIER=n\nCONTAINER_PARTIAL_MESSAGE=true\nML\n"));
}

/* Every priority a "<N>" prefix can ask for. */
static void test_priorities(void **state)
{
	const JournaldConfig cfg = {.cid = CID};
	g_autoptr(JournaldEncoder) enc = journald_encoder_new(&cfg);
	g_autoptr(GString) out = g_string_new(NULL);
	JournaldFields f;

	for (int p = 0; p <= 7; p++) {
		g_autofree char *want = g_strdup_printf("PRIORITY=%d", p);
		journald_encode(enc, out, p, false, "m\n", 2);
		assert_true(journal_decode(out->str, out->len, &f));
		assert_string_equal(f.iov[2].iov_base, want);
		journald_fields_clear(&f);
	}
}

/* ---- the writer against a real datagram socket ---- */

typedef struct Peer {
	char *dir;
	char *path;
	int fd;
} Peer;

static void peer_bind(Peer *p)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	(void)unlink(p->path);
	g_strlcpy(sa.sun_path, p->path, sizeof(sa.sun_path));
	p->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(p->fd >= 0);
	assert_int_equal(bind(p->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void peer_open(Peer *p)
{
	p->dir = g_dir_make_tmp("vigil-journal-XXXXXX", NULL);
	assert_non_null(p->dir);
	p->path = g_build_filename(p->dir, "socket", NULL);
	peer_bind(p);
}

static void peer_close(Peer *p)
{
	if (p->fd >= 0)
		(void)close(p->fd);
	p->fd = -1;
	(void)unlink(p->path);
}

static void peer_free(Peer *p)
{
	peer_close(p);
	(void)rmdir(p->dir);
	g_free(p->path);
	g_free(p->dir);
}

/* Receive one entry, from the datagram or from a memfd passed with it.  Returns the MESSAGE value. */
static char *peer_recv(Peer *p, JournaldFields *f, bool *via_memfd)
{
	static char buf[1 << 16];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.b, .msg_controllen = sizeof(control.b)};
	ssize_t n = recvmsg(p->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	char *data = buf;
	g_autofree char *owned = NULL;
	size_t len;

	assert_true(n >= 0);
	assert_int_equal(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC), 0);
	len = (size_t)n;
	*via_memfd = false;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c != NULL && c->cmsg_type == SCM_RIGHTS) {
		int fd;
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		assert_int_equal(n, 0);
		/* journald only takes a memfd sealed against every change */
		int seals = fcntl(fd, F_GET_SEALS);
		assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL),
				 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
		off_t size = lseek(fd, 0, SEEK_END);
		assert_true(size > 0);
		owned = g_malloc((size_t)size);
		assert_int_equal(pread(fd, owned, (size_t)size, 0), size);
		(void)close(fd);
		data = owned;
		len = (size_t)size;
		*via_memfd = true;
	}
	assert_true(journal_decode(data, len, f));
	assert_true(f->n > 0);
	assert_true(g_str_has_prefix(f->iov[0].iov_base, "MESSAGE="));
	return g_strndup((char *)f->iov[0].iov_base + 8, f->iov[0].iov_len - 8);
}

static void expect_message(Peer *p, const char *want, const char *want_prio)
{
	JournaldFields f;
	bool memfd;
	g_autofree char *msg = peer_recv(p, &f, &memfd);

	assert_string_equal(msg, want);
	assert_string_equal(f.iov[2].iov_base, want_prio);
	assert_false(memfd);
	journald_fields_clear(&f);
}

static void expect_nothing(Peer *p)
{
	char b[16];
	assert_int_equal(recv(p->fd, b, sizeof(b), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

/* Whole lines, one entry each; pieces wait for their newline; the flush sends the rest as partial. */
static void test_writer_lines(void **state)
{
	Peer p;
	peer_open(&p);
	const JournaldConfig cfg = {.cid = CID, .name = "n", .socket_path = p.path};
	g_autoptr(JournaldLog) log = journald_log_new(&cfg);
	JournaldFields f;
	bool memfd;

	journald_log_write(log, LOG_STREAM_STDOUT, "one\ntwo\nthr", 11);
	expect_message(&p, "one\n", "PRIORITY=6");
	expect_message(&p, "two\n", "PRIORITY=6");
	expect_nothing(&p);
	journald_log_write(log, LOG_STREAM_STDERR, "err\n", 4);
	expect_message(&p, "err\n", "PRIORITY=3");
	journald_log_write(log, LOG_STREAM_STDOUT, "ee\ntail", 7);
	expect_message(&p, "three\n", "PRIORITY=6");
	expect_nothing(&p);
	journald_log_flush(log);
	g_autofree char *tail = peer_recv(&p, &f, &memfd);
	assert_string_equal(tail, "tail");
	assert_string_equal(f.iov[f.n - 4].iov_base, "CONTAINER_PARTIAL_MESSAGE=true");
	journald_fields_clear(&f);
	expect_nothing(&p);
	peer_free(&p);
}

/* journald restarting (its socket replaced) costs no entry after it is back; none while it is away. */
static void test_writer_reconnects(void **state)
{
	Peer p;
	peer_open(&p);
	const JournaldConfig cfg = {.cid = CID, .socket_path = p.path};
	g_autoptr(JournaldLog) log = journald_log_new(&cfg);

	journald_log_write(log, LOG_STREAM_STDOUT, "before\n", 7);
	expect_message(&p, "before\n", "PRIORITY=6");
	peer_close(&p);
	/* no journal: dropped silently, as libsystemd does, and the monitor goes on */
	journald_log_write(log, LOG_STREAM_STDOUT, "lost\n", 5);
	peer_bind(&p);
	journald_log_write(log, LOG_STREAM_STDOUT, "after\n", 6);
	expect_message(&p, "after\n", "PRIORITY=6");
	expect_nothing(&p);
	peer_free(&p);
}

/* An entry larger than a datagram may be (a 32 MiB label: above the 16 MiB a socket buffer may reach) goes as a sealed
 * memfd. */
static void test_writer_memfd(void **state)
{
	Peer p;
	peer_open(&p);
	g_autofree char *label = g_malloc(32 << 20);
	memcpy(label, "BIG=", 4);
	memset(label + 4, 'v', (32 << 20) - 5);
	label[(32 << 20) - 1] = '\0';
	char *labels[] = {label, NULL};
	const JournaldConfig cfg = {.cid = CID, .labels = labels, .socket_path = p.path};
	g_autoptr(JournaldLog) log = journald_log_new(&cfg);
	JournaldFields f;
	bool memfd;

	journald_log_write(log, LOG_STREAM_STDERR, "big entry\n", 10);
	g_autofree char *msg = peer_recv(&p, &f, &memfd);
	assert_true(memfd);
	assert_string_equal(msg, "big entry\n");
	assert_int_equal(f.iov[f.n - 4].iov_len, (32 << 20) - 1);
	assert_memory_equal(f.iov[f.n - 4].iov_base, label, (32 << 20) - 1);
	journald_fields_clear(&f);
	peer_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_stdout),	  cmocka_unit_test(test_stderr_priority),
		cmocka_unit_test(test_full_order),	  cmocka_unit_test(test_syslog_identifier),
		cmocka_unit_test(test_partial_flag),	  cmocka_unit_test(test_message_bytes),
		cmocka_unit_test(test_short_cid),	  cmocka_unit_test(test_labels_empty_list),
		cmocka_unit_test(test_many_labels),	  cmocka_unit_test(test_wire_bytes),
		cmocka_unit_test(test_priorities),	  cmocka_unit_test(test_writer_lines),
		cmocka_unit_test(test_writer_reconnects), cmocka_unit_test(test_writer_memfd),
	};

	return cmocka_run_group_tests_name("log_journald", tests, NULL, NULL);
}
