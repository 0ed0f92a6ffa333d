/*
 * window.c — change windows: parse, is-open, next opening, texts.
 *
 * Invariants (docs/formats/governance.md §1, §2): parsing is bounded (at
 * most AD_WINDOWS_MAX entries, each entry at most one INI line) and every
 * error names the entry and the bad part; a window is never empty (start !=
 * end); times are host local time through localtime_r/mktime only, so a
 * DST change moves wall-clock windows with the clock, as people expect;
 * a failed time conversion counts as "closed" (fail closed for AI subjects).
 */
#include "window.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "ini_lines.h"

static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed",
					 "Thu", "Fri", "Sat"};

static int day_index(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "Mon", "Mon-Fri", "Sat-Mon" (wraps), "daily" into a tm_wday bit set. */
static int days_parse(uint8_t *days, const char *s, const char *entry,
		      char *msg, size_t msglen)
{
	const char *dash = strchr(s, '-');
	size_t n1 = dash ? (size_t)(dash - s) : strlen(s);
	int a, b;

	if (strcasecmp(s, "daily") == 0) {
		*days = 0x7f;
		return 0;
	}
	a = day_index(s, n1);
	b = dash ? day_index(dash + 1, strlen(dash + 1)) : a;
	if (a < 0 || b < 0) {
		const char *bad = a < 0 ? s : dash + 1;
		int bn = a < 0 ? (int)n1 : (int)strlen(dash + 1);
		snprintf(msg, msglen, "window: '%.64s': unknown day '%.*s' "
			 "(Mon..Sun, a range such as Mon-Fri, or daily)", entry,
			 bn > 32 ? 32 : bn, bad);
		return AD_ERR_CONFIG;
	}
	*days = 0;
	for (int d = a;; d = (d + 1) % 7) {
		*days |= (uint8_t)(1u << d);
		if (d == b)
			break;
	}
	return 0;
}

/* "HH:MM" with HH 00..24, MM 00..59, 24 only as 24:00. */
static int hhmm_parse(const char *s, size_t n, uint16_t *min)
{
	unsigned h, m;

	if (n != 5 || s[2] != ':')
		return -1;
	for (size_t i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	*min = (uint16_t)(h * 60 + m);
	return 0;
}

static int times_parse(struct ad_window *w, const char *s, const char *entry,
		       char *msg, size_t msglen)
{
	const char *dash = strchr(s, '-');

	if (dash == NULL || hhmm_parse(s, (size_t)(dash - s), &w->start_min) ||
	    hhmm_parse(dash + 1, strlen(dash + 1), &w->end_min)) {
		snprintf(msg, msglen, "window: '%.64s': bad times '%.32s' "
			 "(expected HH:MM-HH:MM, 00:00..24:00)", entry, s);
		return AD_ERR_CONFIG;
	}
	if (w->start_min == 1440 || w->start_min == w->end_min) {
		snprintf(msg, msglen, "window: '%.64s': %s", entry,
			 w->start_min == 1440 ? "a window cannot start at 24:00"
					      : "start and end are equal");
		return AD_ERR_CONFIG;
	}
	return 0;
}

/* One trimmed entry "DAYS HH:MM-HH:MM". */
static int entry_parse(struct ad_window *w, const char *entry, char *msg,
		       size_t msglen)
{
	char days[AD_INI_LINE_MAX + 1];
	const char *sp = entry + strcspn(entry, " ");
	const char *times = sp + strspn(sp, " ");
	size_t dn = (size_t)(sp - entry);

	if (*sp == '\0' || times[strcspn(times, " ")] != '\0' ||
	    dn > AD_INI_LINE_MAX) {
		snprintf(msg, msglen, "window: '%.64s': expected 'DAYS "
			 "HH:MM-HH:MM' (e.g. Mon-Fri 09:00-17:00)", entry);
		return AD_ERR_CONFIG;
	}
	memcpy(days, entry, dn);
	days[dn] = '\0';
	if (days_parse(&w->days, days, entry, msg, msglen) != 0)
		return AD_ERR_CONFIG;
	return times_parse(w, times, entry, msg, msglen);
}

/* Copy entry [s, s+n) trimmed into buf; 0 if empty. */
static size_t entry_copy(char *buf, size_t cap, const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return n;
}

int ad_window_parse(struct ad_window **out, size_t *n, const char *text,
		    char *msg, size_t msglen)
{
	char entry[AD_INI_LINE_MAX + 1];
	struct ad_window *w = NULL;
	size_t cnt = 0;
	const char *s = text;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if ((w = calloc(AD_WINDOWS_MAX, sizeof(*w))) == NULL)
		return AD_ERR_NOMEM;
	for (;;) {
		size_t len = strcspn(s, ",");
		if (entry_copy(entry, sizeof(entry), s, len) == 0) {
			snprintf(msg, msglen, "window: empty entry in '%.64s' "
				 "(expected 'DAYS HH:MM-HH:MM, ...')", text);
			rc = AD_ERR_CONFIG;
		} else if (cnt == AD_WINDOWS_MAX) {
			snprintf(msg, msglen, "window: more than %d entries",
				 AD_WINDOWS_MAX);
			rc = AD_ERR_CONFIG;
		} else {
			rc = entry_parse(&w[cnt++], entry, msg, msglen);
		}
		if (rc != 0 || s[len] == '\0')
			break;
		s += len + 1;
	}
	if (rc != 0) {
		free(w);
		return rc;
	}
	*out = w;
	*n = cnt;
	return 0;
}

static int one_open(const struct ad_window *w, int wday, unsigned m)
{
	int yday = (wday + 6) % 7;

	if (w->start_min < w->end_min)
		return (w->days >> wday & 1) && m >= w->start_min &&
		       m < w->end_min;
	return ((w->days >> wday & 1) && m >= w->start_min) ||
	       ((w->days >> yday & 1) && m < w->end_min);
}

int ad_window_open(const struct ad_rule *rule, time_t now)
{
	struct tm tm;

	if (rule == NULL || rule->n_windows == 0)
		return 1;
	if (localtime_r(&now, &tm) == NULL)
		return 0;
	for (size_t i = 0; i < rule->n_windows; i++)
		if (one_open(&rule->windows[i], tm.tm_wday,
			     (unsigned)(tm.tm_hour * 60 + tm.tm_min)))
			return 1;
	return 0;
}

/* The local time start_min on the day now + d days (noon-anchored so a DST
 * change does not skip or repeat a day). */
static int day_start(time_t now, int d, unsigned start_min, time_t *t,
		     int *wday)
{
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL)
		return -1;
	tm.tm_mday += d;
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if (mktime(&tm) == (time_t)-1)
		return -1;
	*wday = tm.tm_wday;
	tm.tm_hour = (int)(start_min / 60);
	tm.tm_min = (int)(start_min % 60);
	tm.tm_isdst = -1;
	*t = mktime(&tm);
	return *t == (time_t)-1 ? -1 : 0;
}

int ad_window_next_open(const struct ad_rule *rule, time_t now, time_t *out)
{
	time_t best = 0, t;
	int found = 0, wday;

	*out = 0;
	if (rule == NULL || rule->n_windows == 0)
		return AD_ERR_NOTFOUND;
	for (int d = 0; d <= 7; d++) {
		for (size_t i = 0; i < rule->n_windows; i++) {
			const struct ad_window *w = &rule->windows[i];
			if (day_start(now, d, w->start_min, &t, &wday) != 0 ||
			    !(w->days >> wday & 1) || t <= now)
				continue;
			if (!found || t < best)
				best = t;
			found = 1;
		}
	}
	if (!found)
		return AD_ERR_NOTFOUND;
	*out = best;
	return 0;
}

int ad_window_time_text(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (len == 0)
		return AD_ERR_INVALID;
	buf[0] = '\0';
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%a %Y-%m-%d %H:%M %Z", &tm) == 0) {
		buf[0] = '\0';
		return AD_ERR_INVALID;
	}
	return 0;
}

int ad_window_block_text(const struct ad_rule *rule, time_t now, char *buf,
			 size_t len)
{
	char when[64];
	time_t next;

	if (len > 0)
		buf[0] = '\0';
	if (ad_window_open(rule, now))
		return 0;
	if (ad_window_next_open(rule, now, &next) != 0 ||
	    ad_window_time_text(next, when, sizeof(when)) != 0)
		snprintf(when, sizeof(when), "unknown");
	snprintf(buf, len, "outside change window %s; next opens %s",
		 rule->window_text, when);
	return 1;
}
