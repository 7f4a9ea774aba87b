/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for fd_util.c on real pipes: write_all (EAGAIN on a full non-blocking pipe, EPIPE,
 * EBADF), read_full, fd_parse (the _OCI_* fd numbers of interface.md §2), flag helpers, closep.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>

#include "fd_util.h"
#include "unit.h"

#define BIG (1024 * 1024 + 123)

typedef struct Reader {
	int fd;
	size_t got;
	bool in_order;
} Reader;

/* Reads slowly in small pieces, so the writer keeps finding the pipe full. */
static gpointer reader_thread(gpointer data)
{
	Reader *r = data;
	unsigned char buf[4096];
	ssize_t n;

	r->in_order = true;
	while ((n = read(r->fd, buf, 1 + r->got % sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != (unsigned char)((r->got + (size_t)i) * 7))
				r->in_order = false;
		r->got += (size_t)n;
		if (r->got % 65536 < (size_t)n)
			g_usleep(1000);
	}
	return NULL;
}

/* A non-blocking pipe fills up (EAGAIN); write_all waits and delivers every byte in order. */
static void test_write_all_nonblocking_pipe(void **state)
{
	int p[2];
	g_autofree unsigned char *data = g_malloc(BIG);
	Reader r = {0};
	GThread *t;

	for (size_t i = 0; i < BIG; i++)
		data[i] = (unsigned char)(i * 7);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(fd_set_nonblock(p[1], true), 0);
	r.fd = p[0];
	t = g_thread_new("reader", reader_thread, &r);
	assert_int_equal(write_all(p[1], data, BIG), 0);
	close(p[1]);
	g_thread_join(t);
	close(p[0]);
	assert_int_equal(r.got, BIG);
	assert_true(r.in_order);
}

static void test_write_all_blocking_pipe(void **state)
{
	int p[2];
	char buf[16] = "";

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write_all(p[1], "hello", 5), 0);
	assert_int_equal(write_all(p[1], "", 0), 0);
	close(p[1]);
	assert_int_equal(read_full(p[0], buf, sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	close(p[0]);
}

/* No reader: -EPIPE (SIGPIPE is ignored in vigil, as in conmon). */
static void test_write_all_epipe(void **state)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	assert_int_equal(write_all(p[1], "x", 1), -EPIPE);
	close(p[1]);
}

static void test_write_all_ebadf(void **state)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	close(p[1]);
	assert_int_equal(write_all(p[1], "x", 1), -EBADF);
}

/* read_full reads until len or EOF, across several writes. */
static void test_read_full(void **state)
{
	int p[2];
	char buf[32];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write_all(p[1], "abc", 3), 0);
	assert_int_equal(write_all(p[1], "defgh", 5), 0);
	assert_int_equal(read_full(p[0], buf, 6), 6);
	assert_memory_equal(buf, "abcdef", 6);
	close(p[1]);
	assert_int_equal(read_full(p[0], buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "gh", 2);
	assert_int_equal(read_full(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	assert_int_equal(read_full(p[0], buf, sizeof(buf)), -EBADF);
}

typedef struct FdCase {
	const char *s;
	int want;
} FdCase;

static const FdCase fd_cases[] = {
	{"0", 0},
	{"3", 3},
	{"42", 42},
	{"2147483647", INT_MAX},
	{"", -EINVAL},
	{"-1", -EINVAL},
	{"3x", -EINVAL},
	{"x3", -EINVAL},
	{"0x10", -EINVAL},
	{"1.5", -EINVAL},
	{"3 ", -EINVAL},
	{"2147483648", -EINVAL},
	{"99999999999999999999", -EINVAL},
};

static void test_fd_parse(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(fd_cases); i++) {
		int got = fd_parse(fd_cases[i].s);
		if (got != fd_cases[i].want) {
			print_message("# fd_parse('%s') = %d, expected %d\n", fd_cases[i].s, got, fd_cases[i].want);
			failures++;
		}
	}
	assert_int_equal(fd_parse(NULL), -EINVAL);
	assert_int_equal(failures, 0);
}

static void test_flags(void **state)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(fd_set_cloexec(p[0], true), 0);
	assert_int_equal(fcntl(p[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fd_set_cloexec(p[0], true), 0);
	assert_int_equal(fd_set_cloexec(p[0], false), 0);
	assert_int_equal(fcntl(p[0], F_GETFD) & FD_CLOEXEC, 0);

	assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
	assert_int_equal(fd_set_nonblock(p[1], true), 0);
	assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	assert_int_equal(fd_set_nonblock(p[1], false), 0);
	assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
	close(p[0]);
	close(p[1]);
	assert_int_equal(fd_set_nonblock(p[1], true), -EBADF);
	assert_int_equal(fd_set_cloexec(p[0], true), -EBADF);
}

static void test_closep_and_take(void **state)
{
	int p[2];
	int fd;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fd = p[0];
	errno = ERANGE;
	closep(&fd);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ERANGE); /* errno survives */
	assert_int_equal(fcntl(p[0], F_GETFD), -1);
	closep(&fd); /* -1 is fine */
	assert_int_equal(fd, -1);

	fd = p[1];
	int taken = fd_take(&fd);
	assert_int_equal(taken, p[1]);
	assert_int_equal(fd, -1);
	{
		cleanup_close int scoped = taken;
		(void)scoped;
	}
	assert_int_equal(fcntl(p[1], F_GETFD), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_all_nonblocking_pipe),
		cmocka_unit_test(test_write_all_blocking_pipe),
		cmocka_unit_test(test_write_all_epipe),
		cmocka_unit_test(test_write_all_ebadf),
		cmocka_unit_test(test_read_full),
		cmocka_unit_test(test_fd_parse),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_closep_and_take),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("fd_util", tests, NULL, NULL);
}
