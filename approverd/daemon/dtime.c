/* dtime.c — the daemon's clocks (monotonic for timeouts, real for records). */
#include <time.h>

#include "daemon.h"

int64_t d_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* clock_offset is a TEST-ONLY shift (APPROVERD_TEST_CLOCK_OFFSET, seconds)
 * so expiry can be tested without sleeping; approverd(8) documents it. */
uint64_t d_now(const struct daemon *d)
{
	return d_now_us(d) / 1000000;
}

uint64_t d_now_us(const struct daemon *d)
{
	struct timespec ts;
	int64_t us;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	us += d->clock_offset * 1000000;
	return us < 0 ? 0 : (uint64_t)us;
}
