/*
 * report_load.c — build one row per request from an evidence file.
 *
 * Invariants: the file is verified (ad_evidence_verify) before it is read,
 * and only vr.records lines — those that verified — are used, so a damaged
 * or too-long line is never parsed; a line read back longer than
 * AD_EVIDENCE_LINE_MAX (file changed meanwhile) stops the read. Nothing is
 * written. Rows hold JSON values only; printers escape them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "keys.h"
#include "num.h"
#include "report.h"
#include "text.h"

void report_complain(const char *cmd, const char *what, const char *why)
{
	char *w = ad_escape(what), *y = ad_escape(why);

	fprintf(stderr, "approverctl %s: %s: %s\n", cmd, w ? w : "?",
	        y ? y : "?");
	free(w);
	free(y);
}

int report_host_key(uint8_t *pk, const char *arg, const char *cmd)
{
	struct ad_trust t = {.extra_uid = getuid(), .check_parents = 1};
	struct ad_pubkey pub;
	char why[AD_WHY_MAX] = "", *path = NULL, *cwd = NULL;
	int r;

	memset(pk, 0, AD_PK_LEN);
	if (arg[0] == '/')
		path = strdup(arg);
	else if ((cwd = getcwd(NULL, 0)) &&
	         asprintf(&path, "%s/%s", cwd, arg) < 0)
		path = NULL;
	free(cwd);
	r = path ? ad_pubkey_load(&pub, path, &t, 0, why) : AD_ERR_NOMEM;
	free(path);
	if (r != 0) {
		report_complain(cmd, "--host-key",
		                why[0] ? why : ad_strerror(r));
		return r;
	}
	memcpy(pk, pub.pk, sizeof(pub.pk));
	return 0;
}

/* Fixed-width decimal field s[0..n) into *v (min..max). */
static int field(uint32_t *v, const char *s, size_t n, uint32_t min,
                 uint32_t max)
{
	char b[8];

	if (n >= sizeof(b))
		return AD_ERR_INVALID;
	memcpy(b, s, n);
	b[n] = '\0';
	return ad_parse_u32(v, b, min, max) == 0 ? 0 : AD_ERR_INVALID;
}

static int parse_day(struct tm *tm, const char *s)
{
	uint32_t y, mo, d;
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};

	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-' ||
	    field(&y, s, 4, 1970, 9999) || field(&mo, s + 5, 2, 1, 12) ||
	    field(&d, s + 8, 2, 1, 31) || d > (uint32_t)mdays[mo - 1])
		return AD_ERR_INVALID;
	if (mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return AD_ERR_INVALID;
	tm->tm_year = (int)y - 1900;
	tm->tm_mon = (int)mo - 1;
	tm->tm_mday = (int)d;
	return 0;
}

/* "THH:MM:SS" then optional ".digits", then "Z" and the end. */
static int parse_clock(struct tm *tm, double *frac, const char *s)
{
	uint32_t h, mi, se, f;
	size_t n;

	if (strlen(s) < 10 || s[0] != 'T' || s[3] != ':' || s[6] != ':' ||
	    field(&h, s + 1, 2, 0, 23) || field(&mi, s + 4, 2, 0, 59) ||
	    field(&se, s + 7, 2, 0, 59))
		return AD_ERR_INVALID;
	tm->tm_hour = (int)h;
	tm->tm_min = (int)mi;
	tm->tm_sec = (int)se;
	*frac = 0;
	s += 9;
	if (*s == '.') {
		n = strspn(s + 1, "0123456789");
		if (n < 1 || n > 6 || field(&f, s + 1, n, 0, 999999))
			return AD_ERR_INVALID;
		*frac = f;
		while (n-- > 0)
			*frac /= 10;
		s += 1 + strspn(s + 1, "0123456789");
	}
	return strcmp(s, "Z") == 0 ? 0 : AD_ERR_INVALID;
}

int report_parse_time(double *out, const char *s)
{
	struct tm tm;
	double frac;

	*out = 0;
	memset(&tm, 0, sizeof(tm));
	if (!s || parse_day(&tm, s) != 0 || parse_clock(&tm, &frac, s + 10))
		return AD_ERR_INVALID;
	*out = (double)timegm(&tm) + frac;
	return 0;
}

int report_parse_date(double *out, const char *s, int end)
{
	struct tm tm;

	*out = 0;
	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 10)
		return report_parse_time(out, s);
	if (parse_day(&tm, s) != 0)
		return AD_ERR_INVALID;
	*out = (double)timegm(&tm) + (end ? 86400.0 : 0.0);
	return 0;
}
