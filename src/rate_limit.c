/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rate_limit: token bucket.
 */
#include "rate_limit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void rate_limit_init(RateLimit *rl, uint64_t rate, uint64_t burst, int64_t now_ns)
{
	rl->rate = rate;
	rl->burst = burst ? burst : rate;
	rl->tokens = (double)rl->burst;
	rl->last_ns = now_ns;
	rl->dropping = false;
}

size_t rate_limit_take(RateLimit *rl, int64_t now_ns, const char *data, size_t len)
{
	if (rl->rate == 0)
		return len;
	if (now_ns > rl->last_ns) {
		rl->tokens += (double)(now_ns - rl->last_ns) * (double)rl->rate / 1e9;
		if (rl->tokens > (double)rl->burst)
			rl->tokens = (double)rl->burst;
	}
	rl->last_ns = MAX(rl->last_ns, now_ns);
	if (rl->dropping) {
		if (rl->tokens < (double)rl->burst / 2)
			return 0;
		rl->dropping = false;
	}
	size_t fit = rl->tokens >= (double)len ? len : (size_t)rl->tokens;
	if (fit < len && fit > 0) {
		const char *nl = memrchr(data, '\n', fit);
		if (nl != NULL)
			fit = (size_t)(nl - data) + 1;
	}
	rl->tokens -= (double)fit;
	if (fit < len)
		rl->dropping = true;
	return fit;
}

static gboolean parse_u64(const char *s, const char *end, uint64_t *ret)
{
	char *stop = NULL;
	unsigned long long v;

	if (s == end || !g_ascii_isdigit(*s))
		return FALSE;
	errno = 0;
	v = strtoull(s, &stop, 10);
	if (errno != 0 || stop != end)
		return FALSE;
	*ret = v;
	return TRUE;
}

gboolean rate_limit_parse(const char *spec, uint64_t *ret_rate, uint64_t *ret_burst, GError **error)
{
	const char *colon = strchr(spec, ':');
	const char *end = spec + strlen(spec);
	uint64_t rate = 0, burst = 0;

	if (!parse_u64(spec, colon ? colon : end, &rate) || rate == 0 ||
	    (colon && !parse_u64(colon + 1, end, &burst)) || (colon && burst == 0)) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
			    "--log-rate-limit: '%s' is not RATE[:BURST] in bytes (both > 0)", spec);
		return FALSE;
	}
	*ret_rate = rate;
	*ret_burst = burst ? burst : rate;
	return TRUE;
}
