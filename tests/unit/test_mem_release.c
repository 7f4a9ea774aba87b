/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for mem_release.c: a PageBuf gives back exactly the pages it used (the process's
 * resident memory drops, the content reads as zeroes, the buffer still works), and IdleRelease
 * calls its release function once, one quiet period after the last mark, never while marks come.
 */
#include <sys/mman.h>

#include "mem_release.h"
#include "unit.h"

#define SIZE ((size_t)512 * 1024)

/* Resident pages of [p, p + len) (mincore). */
static size_t resident_pages(const void *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = (len + page - 1) / page, count = 0;
	g_autofree unsigned char *vec = g_malloc(n);

	assert_int_equal(mincore((void *)p, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	return count;
}

static void test_page_buf_release(void **state)
{
	PageBuf b;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	(void)state;
	page_buf_init(&b, SIZE - 100);
	assert_true(b.mapped);
	assert_int_equal(b.size, SIZE); /* rounded up to pages */
	assert_int_equal(((uintptr_t)b.data) % page, 0);
	assert_int_equal(resident_pages(b.data, b.size), 0);
	memset(b.data, 'x', 300 * 1024);
	page_buf_used(&b, 300 * 1024);
	page_buf_used(&b, 10); /* a smaller use does not lower the mark */
	assert_int_equal(b.used, 300 * 1024);
	assert_int_equal(resident_pages(b.data, b.size), 300 * 1024 / page);
	assert_int_equal(page_buf_release(&b), 300 * 1024);
	assert_int_equal(b.used, 0);
	assert_int_equal(resident_pages(b.data, b.size), 0);
	assert_int_equal(b.data[0], 0);
	assert_int_equal(b.data[300 * 1024 - 1], 0);
	/* nothing used since: nothing to give back; the buffer works as before */
	assert_int_equal(page_buf_release(&b), 0);
	memcpy(b.data + SIZE - 3, "end", 3);
	page_buf_used(&b, SIZE);
	assert_memory_equal(b.data + SIZE - 3, "end", 3);
	assert_int_equal(page_buf_release(&b), SIZE);
	page_buf_fini(&b);
	assert_null(b.data);
	page_buf_fini(&b); /* twice is fine */
}

typedef struct Counter {
	int calls;
	gint64 at;
} Counter;

static void count_release(void *data)
{
	Counter *c = data;
	c->calls++;
	c->at = g_get_monotonic_time();
}

static void pump_for(int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (g_get_monotonic_time() < end) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		g_usleep(2000);
	}
}

static void test_idle_release(void **state)
{
	Counter c = {0};
	IdleRelease r;

	(void)state;
	idle_release_init(&r, 50, count_release, &c);
	assert_int_equal(r.source, 0); /* no timer while nothing happened */
	pump_for(120);
	assert_int_equal(c.calls, 0);

	/* a burst of marks every 10 ms for 300 ms: no release while it lasts */
	gint64 start = g_get_monotonic_time();
	gint64 last_mark = 0;
	for (int i = 0; i < 30; i++) {
		idle_release_mark(&r);
		last_mark = g_get_monotonic_time();
		pump_for(10);
	}
	assert_int_equal(c.calls, 0);
	assert_true(last_mark - start >= 280000);
	/* then once, at least one quiet period after the last mark (two at most, but a loaded
	   machine may run the timer late, so only a loose upper bound), and the timer is gone */
	gint64 deadline = last_mark + 2 * G_USEC_PER_SEC;
	while (c.calls == 0 && g_get_monotonic_time() < deadline)
		pump_for(5);
	assert_int_equal(c.calls, 1);
	assert_true(c.at - last_mark >= 49 * 1000);
	assert_true(c.at - last_mark < 2 * G_USEC_PER_SEC);
	assert_int_equal(r.source, 0);
	pump_for(150);
	assert_int_equal(c.calls, 1);

	/* fini stops an armed timer without releasing */
	idle_release_mark(&r);
	assert_true(r.source != 0);
	idle_release_fini(&r);
	pump_for(150);
	assert_int_equal(c.calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_buf_release),
		cmocka_unit_test(test_idle_release),
	};

	return cmocka_run_group_tests_name("mem_release", tests, NULL, NULL);
}
