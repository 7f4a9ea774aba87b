/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem_release: page-backed buffers that give their pages back, and the timer that decides when.
 */
#include "mem_release.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_size(void)
{
	long n = sysconf(_SC_PAGESIZE);
	return n > 0 ? (size_t)n : 4096;
}

void page_buf_init(PageBuf *b, size_t size)
{
	size_t page = page_size();

	*b = (PageBuf){.size = (size + page - 1) / page * page};
	void *p = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		b->data = p;
		b->mapped = true;
	} else {
		b->data = g_malloc(b->size);
	}
}

void page_buf_fini(PageBuf *b)
{
	if (b->data == NULL)
		return;
	if (b->mapped)
		(void)munmap(b->data, b->size);
	else
		g_free(b->data);
	*b = (PageBuf){0};
}

size_t page_buf_release(PageBuf *b)
{
	size_t page = page_size();
	size_t len = (b->used + page - 1) / page * page;

	if (!b->mapped || len == 0)
		return 0;
	if (len > b->size)
		len = b->size;
	if (madvise(b->data, len, MADV_DONTNEED) < 0)
		return 0;
	b->used = 0;
	return len;
}

static gboolean idle_release_tick(gpointer data)
{
	IdleRelease *r = data;

	if (r->marked) {
		r->marked = false; /* still busy: look again after another period */
		return G_SOURCE_CONTINUE;
	}
	r->source = 0;
	r->release(r->user_data);
	return G_SOURCE_REMOVE;
}

void idle_release_init(IdleRelease *r, unsigned period_ms, void (*release)(void *user_data), void *user_data)
{
	*r = (IdleRelease){.period_ms = period_ms, .release = release, .user_data = user_data};
}

void idle_release_arm(IdleRelease *r)
{
	if (r->source == 0)
		r->source = g_timeout_add(r->period_ms, idle_release_tick, r);
	r->marked = false; /* the mark that armed it counts as the burst's start */
}

void idle_release_fini(IdleRelease *r)
{
	if (r->source)
		g_source_remove(r->source);
	r->source = 0;
	r->marked = false;
}

void mem_release_init(void)
{
	/*
	 * free() shrinks the heap whenever its top grows past M_TRIM_THRESHOLD (128 KiB), and the next
	 * allocation grows it again, page faults and all.  A drained attach queue (up to 1 MiB of
	 * messages freed in a row) did that on every cycle: 2.4x the monitor's CPU in the attach bench.
	 * Memory goes back when output is quiet (mem_release_heap()), not on every free().
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
}

void mem_release_heap(void)
{
	(void)malloc_trim(0);
}
