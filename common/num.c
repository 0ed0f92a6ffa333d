/*
 * num.c — the one checked parser for numbers and durations.
 *
 * Invariants kept here: decimal digits only (no sign, space, prefix or
 * locale); every multiply/add is checked before it can wrap; the whole
 * string must be consumed; outputs are zeroed on entry.
 */
#include "num.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

/* Parse exactly s[0..n) as decimal digits. */
static int parse_digits(uint64_t *out, const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i;

	*out = 0;
	if (n == 0)
		return AD_ERR_INVALID;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return AD_ERR_INVALID;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return AD_ERR_RANGE;
		v = v * 10 + d;
	}
	*out = v;
	return AD_OK;
}

int ad_parse_u64_n(uint64_t *out, const char *s, size_t n, uint64_t min,
		   uint64_t max)
{
	uint64_t v;
	int r;

	*out = 0;
	if (s == NULL)
		return AD_ERR_INVALID;
	if ((r = parse_digits(&v, s, n)) != 0)
		return r;
	if (v < min || v > max)
		return AD_ERR_RANGE;
	*out = v;
	return AD_OK;
}

int ad_parse_u64(uint64_t *out, const char *s, uint64_t min, uint64_t max)
{
	*out = 0;
	if (s == NULL)
		return AD_ERR_INVALID;
	return ad_parse_u64_n(out, s, strlen(s), min, max);
}

int ad_parse_u32(uint32_t *out, const char *s, uint32_t min, uint32_t max)
{
	uint64_t v;
	int r;

	*out = 0;
	if ((r = ad_parse_u64(&v, s, min, max)) != 0)
		return r;
	*out = (uint32_t)v;
	return AD_OK;
}

static uint64_t unit_seconds(char c)
{
	switch (c) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	default:
		return 0;
	}
}

int ad_parse_duration(uint64_t *out_seconds, const char *s)
{
	*out_seconds = 0;
	if (s == NULL)
		return AD_ERR_INVALID;
	return ad_parse_duration_n(out_seconds, s, strlen(s));
}

int ad_parse_duration_n(uint64_t *out_seconds, const char *s, size_t n)
{
	uint64_t v, mul = 1;
	int r;

	*out_seconds = 0;
	if (s == NULL || n == 0)
		return AD_ERR_INVALID;
	if (s[n - 1] < '0' || s[n - 1] > '9') {
		if ((mul = unit_seconds(s[n - 1])) == 0)
			return AD_ERR_INVALID;
		n--;
	}
	if ((r = parse_digits(&v, s, n)) != 0)
		return r;
	if (v > AD_DURATION_MAX / mul)
		return AD_ERR_RANGE;
	*out_seconds = v * mul;
	return AD_OK;
}

void ad_format_duration(char *out, unsigned long outlen, uint64_t seconds)
{
	static const char units[] = "dhm";
	size_t i;

	if (out == NULL || outlen == 0)
		return;
	if (seconds > 0) {
		for (i = 0; i < sizeof(units) - 1; i++) {
			uint64_t m = unit_seconds(units[i]);

			if (seconds % m == 0) {
				snprintf(out, outlen, "%llu%c",
					 (unsigned long long)(seconds / m),
					 units[i]);
				return;
			}
		}
	}
	snprintf(out, outlen, "%llus", (unsigned long long)seconds);
}
