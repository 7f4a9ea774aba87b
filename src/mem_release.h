/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem_release: memory that a burst of output used goes back to the kernel once the burst is over.
 *
 * A monitor idles for most of its life, but one burst (a container logging as fast as it can, an
 * attach client reading a lot) touches every page of its big buffers: the 256 KiB read buffer, the
 * 512 KiB record batch, heap chunks of attach queues.  Left alone they stay private dirty memory
 * for the container's whole life, for each of the node's hundreds of monitors.
 *
 *   PageBuf      a large buffer of its own pages (an anonymous mapping) that remembers how far it
 *                was used; page_buf_release() gives the used pages back (MADV_DONTNEED: the next
 *                use faults in zeroed pages).  Recording a use is one comparison on the hot path.
 *   IdleRelease  a one-shot timer, armed only while output is busy: a burst marks it (a flag and,
 *                for the first mark, a timer); every period it looks whether a mark came since,
 *                and after one quiet period it calls the owner's release function and disarms.
 *                An idle monitor has no timer and no wakeups.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

typedef struct PageBuf {
	char *data;
	size_t size;
	size_t used; /* high-water mark of bytes used since the last release */
	bool mapped; /* false: the fallback g_malloc() buffer, which is never released */
} PageBuf;

/* A buffer of size bytes (rounded up to pages).  Never fails: without mmap it is g_malloc()ed. */
void page_buf_init(PageBuf *b, size_t size);
void page_buf_fini(PageBuf *b);
/* The first len bytes were written to. */
static inline void page_buf_used(PageBuf *b, size_t len)
{
	if (len > b->used)
		b->used = len;
}
/* Give back the pages used since the last release (the content is lost).  Returns the bytes given back. */
size_t page_buf_release(PageBuf *b);

typedef struct IdleRelease {
	guint source;
	bool marked;
	unsigned period_ms;
	void (*release)(void *user_data);
	void *user_data;
} IdleRelease;

void idle_release_init(IdleRelease *r, unsigned period_ms, void (*release)(void *user_data), void *user_data);
/* Stop the timer (without releasing). */
void idle_release_fini(IdleRelease *r);
void idle_release_arm(IdleRelease *r);
/* Big buffers are in use: release them once a whole period passes without another mark. */
static inline void idle_release_mark(IdleRelease *r)
{
	r->marked = true;
	if (r->source == 0)
		idle_release_arm(r);
}
/* Return free heap memory to the kernel (malloc_trim); for release functions. */
/* Once at start: free() no longer gives the heap's top back by itself; mem_release_heap() does. */
void mem_release_init(void);
void mem_release_heap(void);
