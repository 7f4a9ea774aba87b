/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rate_limit: a token bucket for the per-container log rate limit (a vigil extension, opt-in).
 * Pure: time is a parameter.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

typedef struct RateLimit {
	uint64_t rate;	/* bytes per second; 0 = unlimited */
	uint64_t burst; /* bucket size in bytes */
	double tokens;
	int64_t last_ns;
	bool dropping; /* over the limit: nothing passes until the bucket is half full again */
} RateLimit;

void rate_limit_init(RateLimit *rl, uint64_t rate, uint64_t burst, int64_t now_ns);

/*
 * How many of the len bytes at data may be logged at now_ns.  When not all fit, the cut is made after
 * the last newline that fits (so kept lines stay whole), or at the token count when no newline fits,
 * and the limiter starts dropping: nothing passes until the bucket has refilled to half the burst, so
 * an episode of dropped output is one gap (and one notice), not a trickle of fragments.  The kept
 * bytes are taken from the bucket.
 */
size_t rate_limit_take(RateLimit *rl, int64_t now_ns, const char *data, size_t len);

/* Parse "RATE[:BURST]" (decimal bytes; burst defaults to RATE, and is at least 1).  TRUE or error. */
gboolean rate_limit_parse(const char *spec, uint64_t *ret_rate, uint64_t *ret_burst, GError **error);
