/*
 * num.h — the one checked parser for numbers and durations. No atoi, no
 * unchecked sscanf anywhere else. Outputs are zeroed on entry.
 */
#ifndef APPROVERD_NUM_H
#define APPROVERD_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Decimal digits only (no sign, no spaces, no leading '+'), min..max. */
int ad_parse_u64(uint64_t *out, const char *s, uint64_t min, uint64_t max)
	__attribute__((warn_unused_result));
int ad_parse_u32(uint32_t *out, const char *s, uint32_t min, uint32_t max)
	__attribute__((warn_unused_result));
/* The same for exactly s[0..n) (no NUL needed; nano_conf.c). */
int ad_parse_u64_n(uint64_t *out, const char *s, size_t n, uint64_t min,
		   uint64_t max) __attribute__((warn_unused_result));

/*
 * Duration "N" (seconds) or "Ns", "Nm", "Nh", "Nd"; result in seconds,
 * at most AD_DURATION_MAX. "0" is allowed; empty, negative, overflow,
 * trailing garbage and unknown units are AD_ERR_INVALID / AD_ERR_RANGE.
 */
#define AD_DURATION_MAX (366ULL * 24 * 3600)
int ad_parse_duration(uint64_t *out_seconds, const char *s)
	__attribute__((warn_unused_result));
/* The same for exactly s[0..n). */
int ad_parse_duration_n(uint64_t *out_seconds, const char *s, size_t n)
	__attribute__((warn_unused_result));
/* Shortest exact text for a duration: 1800 -> "30m", 90 -> "90s". */
void ad_format_duration(char *out, unsigned long outlen, uint64_t seconds);

#endif
