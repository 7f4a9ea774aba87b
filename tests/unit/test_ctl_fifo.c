/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for ctl_fifo.c (interface.md §7): the ctl and winsz line parsers over every example of
 * the contract, and the FIFOs themselves in a g_mkdtemp bundle (modes, several lines per write,
 * overlong lines, a resize burst larger than a pipe buffer).
 */
#include <fcntl.h>
#include <sys/wait.h>

#include "ctl_fifo.h"
#include "unit.h"

typedef struct CtlCase {
	const char *line;
	bool ok;
	int type, a, b;
} CtlCase;

static const CtlCase ctl_cases[] = {
	/* accepted */
	{"1 24 80", true, 1, 24, 80},
	{"1 0010 0020", true, 1, 10, 20},
	{"1 2 2 3", true, 1, 2, 2},
	{"2 0 0", true, 2, 0, 0},
	{"2 1 1", true, 2, 1, 1},
	{"1 0 0", true, 1, 0, 0},
	{"1 1000 1000", true, 1, 1000, 1000},
	{"  1   30\t100", true, 1, 30, 100},
	{"1 +5 +6", true, 1, 5, 6},
	{"01 5 6", true, 1, 5, 6},
	{"1 30 100 trailing text", true, 1, 30, 100},
	/* fewer than three integers */
	{"", false, 0, 0, 0},
	{"1", false, 0, 0, 0},
	{"1 2", false, 0, 0, 0},
	{"foo", false, 0, 0, 0},
	{"1 foo 2", false, 0, 0, 0},
	/* not decimal integers */
	{"1 10.5 20.3", false, 0, 0, 0},
	{"1 0x10 0x20", false, 0, 0, 0},
	/* type must be 1 or 2 */
	{"3 1 1", false, 0, 0, 0},
	{"0 1 1", false, 0, 0, 0},
	{"-1 1 1", false, 0, 0, 0},
	/* both numbers in 0..1000, for type 2 as well */
	{"1 1001 1000", false, 0, 0, 0},
	{"1 1000 1001", false, 0, 0, 0},
	{"1 100000 100000", false, 0, 0, 0},
	{"1 -1 10", false, 0, 0, 0},
	{"1 10 -1", false, 0, 0, 0},
	{"2 1001 0", false, 0, 0, 0},
	{"2 0 -5", false, 0, 0, 0},
	/* int overflow */
	{"1 2147483648 1", false, 0, 0, 0},
	{"1 1 99999999999999999999", false, 0, 0, 0},
	{"4294967297 1 1", false, 0, 0, 0},
	{"1 -2147483649 1", false, 0, 0, 0},
};

static void test_ctl_lines(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(ctl_cases); i++) {
		const CtlCase *c = &ctl_cases[i];
		CtlMsg m = {.type = -77, .a = -77, .b = -77};
		int r = ctl_fifo_parse_line(c->line, &m);

		if (c->ok && (r != 0 || m.type != c->type || m.a != c->a || m.b != c->b)) {
			print_message("# '%s': r=%d %d %d %d, expected %d %d %d\n", c->line, r, m.type, m.a, m.b,
				      c->type, c->a, c->b);
			failures++;
		} else if (!c->ok && r != -EINVAL) {
			print_message("# '%s': r=%d (%d %d %d), expected -EINVAL\n", c->line, r, m.type, m.a, m.b);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* A rejected line leaves *ret alone. */
static void test_ctl_reject_keeps_output(void **state)
{
	CtlMsg m = {.type = 9, .a = 8, .b = 7};

	assert_int_equal(ctl_fifo_parse_line("1 1001 5", &m), -EINVAL);
	assert_int_equal(m.type, 9);
	assert_int_equal(m.a, 8);
	assert_int_equal(m.b, 7);
}

typedef struct WinszCase {
	const char *line;
	bool ok;
	int rows, cols;
} WinszCase;

static const WinszCase winsz_cases[] = {
	{"24 80", true, 24, 80},     {"0 0", true, 0, 0},	    {"1000 1000", true, 1000, 1000},
	{"0010 0020", true, 10, 20}, {" 5\t6 extra", true, 5, 6},   {"24", false, 0, 0},
	{"", false, 0, 0},	     {"x y", false, 0, 0},	    {"1001 5", false, 0, 0},
	{"5 1001", false, 0, 0},     {"-1 5", false, 0, 0},	    {"10.5 20", false, 0, 0},
	{"0x10 0x20", false, 0, 0},  {"2147483648 1", false, 0, 0},
};

static void test_winsz_lines(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(winsz_cases); i++) {
		const WinszCase *c = &winsz_cases[i];
		int rows = -77, cols = -77;
		int r = ctl_fifo_parse_winsz(c->line, &rows, &cols);

		if (c->ok && (r != 0 || rows != c->rows || cols != c->cols)) {
			print_message("# winsz '%s': r=%d %d %d, expected %d %d\n", c->line, r, rows, cols, c->rows,
				      c->cols);
			failures++;
		} else if (!c->ok && r != -EINVAL) {
			print_message("# winsz '%s': r=%d, expected -EINVAL\n", c->line, r);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- the FIFOs ------------------------------------------------------------------------------- */

typedef struct Seen {
	GArray *sizes; /* pairs rows, cols */
	int reopens;
} Seen;

static void on_resize(void *user_data, int rows, int cols)
{
	Seen *s = user_data;

	g_array_append_val(s->sizes, rows);
	g_array_append_val(s->sizes, cols);
}

static void on_reopen(void *user_data)
{
	Seen *s = user_data;

	s->reopens++;
}

typedef struct Fixture {
	char *dir;
	char *ctl;
	char *winsz;
	Seen seen;
	CtlFifos *fifos;
} Fixture;

static int fixture_setup(void **state)
{
	static const CtlCallbacks cb = {.resize = on_resize, .reopen = on_reopen};
	Fixture *f = g_new0(Fixture, 1);
	g_autoptr(GError) error = NULL;

	f->dir = unit_mkdtemp();
	f->ctl = g_build_filename(f->dir, "ctl", NULL);
	f->winsz = g_build_filename(f->dir, "winsz", NULL);
	f->seen.sizes = g_array_new(FALSE, FALSE, sizeof(int));
	/* an existing file is replaced by the FIFO */
	unit_write_file(f->ctl, "stale", 0600);
	f->fifos = ctl_fifos_new(f->dir, &cb, &f->seen, &error);
	if (f->fifos == NULL) {
		print_message("# ctl_fifos_new: %s\n", error->message);
		return -1;
	}
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	Fixture *f = *state;

	ctl_fifos_free(f->fifos);
	/* drain whatever the removed sources left pending */
	while (g_main_context_iteration(NULL, FALSE))
		;
	unit_rm_dir(f->dir);
	g_array_unref(f->seen.sizes);
	g_free(f->ctl);
	g_free(f->winsz);
	g_free(f->dir);
	g_free(f);
	return 0;
}

/* What an engine does: open O_WRONLY|O_NONBLOCK (fails with ENXIO without a reader) and write. */
static void engine_write(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

/* Run the default main context until cond holds, for at most about half a second. */
static bool spin_until(bool (*cond)(const Fixture *f), const Fixture *f)
{
	for (int i = 0; i < 500; i++) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		if (cond(f))
			return true;
		g_usleep(1000);
	}
	return cond(f);
}

static void spin_a_little(void)
{
	for (int i = 0; i < 50; i++) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		g_usleep(1000);
	}
}

static bool has_reopen(const Fixture *f)
{
	return f->seen.reopens > 0;
}

static bool has_two_sizes(const Fixture *f)
{
	return f->seen.sizes->len >= 4;
}

static bool has_one_size(const Fixture *f)
{
	return f->seen.sizes->len >= 2;
}

static int size_at(const Fixture *f, unsigned i)
{
	return g_array_index(f->seen.sizes, int, i);
}

static void test_fifo_modes(void **state)
{
	Fixture *f = *state;
	struct stat st;

	assert_int_equal(stat(f->ctl, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	/* mkfifo(0660) under umask 022 */
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(stat(f->winsz, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void test_fifo_reopen(void **state)
{
	Fixture *f = *state;

	engine_write(f->ctl, "2 0 0\n");
	assert_true(spin_until(has_reopen, f));
	assert_int_equal(f->seen.reopens, 1);
	assert_int_equal(f->seen.sizes->len, 0);
}

/* Several lines in one write are all processed, in order (#566). */
static void test_fifo_lines_in_one_write(void **state)
{
	Fixture *f = *state;

	engine_write(f->ctl, "1 30 100\n1 40 120\n2 1 1\n");
	assert_true(spin_until(has_two_sizes, f));
	spin_a_little();
	assert_int_equal(f->seen.sizes->len, 4);
	assert_int_equal(size_at(f, 0), 30);
	assert_int_equal(size_at(f, 1), 100);
	assert_int_equal(size_at(f, 2), 40);
	assert_int_equal(size_at(f, 3), 120);
	assert_int_equal(f->seen.reopens, 1);
}

/* Invalid lines are skipped and the next ones still apply; a line split over two writes is joined. */
static void test_fifo_invalid_and_split_lines(void **state)
{
	Fixture *f = *state;

	engine_write(f->ctl, "1 1001 5\nfoo\n3 1 1\n1 2");
	spin_a_little();
	assert_int_equal(f->seen.sizes->len, 0);
	engine_write(f->ctl, "4 25\n");
	assert_true(spin_until(has_one_size, f));
	assert_int_equal(size_at(f, 0), 24);
	assert_int_equal(size_at(f, 1), 25);
}

/* A line over 199 bytes is rejected and the parser resynchronises at the next newline. */
static void test_fifo_overlong_line(void **state)
{
	Fixture *f = *state;
	g_autofree char *pad = g_strnfill(300, ' ');
	g_autofree char *data = g_strdup_printf("1%s7 8\n1 9 10\n", pad);

	engine_write(f->ctl, data);
	assert_true(spin_until(has_one_size, f));
	spin_a_little();
	assert_int_equal(f->seen.sizes->len, 2);
	assert_int_equal(size_at(f, 0), 9);
	assert_int_equal(size_at(f, 1), 10);
}

/*
 * Resizes reach the owner at once (it keeps the latest one until a terminal exists), and a burst far
 * larger than a pipe buffer is processed without ever blocking the loop (found by the fault tests:
 * self-forwarding through a blocking winsz write froze the monitor after ~11000 resizes).
 */
static void test_fifo_resize_burst(void **state)
{
	Fixture *f = *state;
	enum { BURST = 20000 };
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0) {
		int fd = open(f->ctl, O_WRONLY | O_CLOEXEC); /* blocking: the parent must keep reading */
		for (int i = 0; i < BURST && fd >= 0; i++)
			if (write(fd, "1 10 20\n", 8) != 8)
				_exit(1);
		_exit(fd >= 0 ? 0 : 1);
	}
	for (int i = 0; i < 5000 && f->seen.sizes->len < 2 * BURST; i++) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		g_usleep(1000);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(f->seen.sizes->len, 2 * BURST);
	assert_int_equal(size_at(f, 2 * BURST - 2), 10);
	assert_int_equal(size_at(f, 2 * BURST - 1), 20);
}

/* An external writer may post "<rows> <cols>" to winsz directly; the same range check applies. */
static void test_fifo_winsz_direct(void **state)
{
	Fixture *f = *state;

	engine_write(f->winsz, "1001 1\n33 44\n");
	assert_true(spin_until(has_one_size, f));
	spin_a_little();
	assert_int_equal(f->seen.sizes->len, 2);
	assert_int_equal(size_at(f, 0), 33);
	assert_int_equal(size_at(f, 1), 44);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_lines),
		cmocka_unit_test(test_ctl_reject_keeps_output),
		cmocka_unit_test(test_winsz_lines),
		cmocka_unit_test_setup_teardown(test_fifo_modes, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fifo_reopen, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fifo_lines_in_one_write, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fifo_invalid_and_split_lines, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fifo_overlong_line, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fifo_resize_burst, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fifo_winsz_direct, fixture_setup, fixture_teardown),
	};

	umask(022);
	return cmocka_run_group_tests_name("ctl_fifo", tests, NULL, NULL);
}
