/*
 * window.h — change windows of a policy rule (docs/formats/governance.md
 * §1, §2): "Mon-Fri 09:00-17:00, Sat-Mon 22:00-02:00, daily 12:00-13:00".
 *
 * Times are host local time (localtime_r/mktime, so TZ applies). A window
 * whose end is before its start runs past midnight into the next day; an
 * end of 24:00 is midnight at the end of the day.
 */
#ifndef APPROVERD_WINDOW_H
#define APPROVERD_WINDOW_H

#include <stddef.h>
#include <time.h>

#include "policy.h"

#define AD_WINDOWS_MAX 32 /* entries in one 'window' value */

/*
 * Parse a comma list of "DAYS HH:MM-HH:MM" into a malloc'ed array (*out,
 * *n >= 1). On AD_ERR_CONFIG msg reads "window: 'Mon-Fry': unknown day
 * 'Fry'" (the entry and the bad part). Returns 0, AD_ERR_CONFIG or
 * AD_ERR_NOMEM; *out is NULL on error.
 */
int ad_window_parse(struct ad_window **out, size_t *n, const char *text,
		    char *msg, size_t msglen) __attribute__((warn_unused_result));

/* 1 if the rule has no window or one of its windows is open at now. */
int ad_window_open(const struct ad_rule *rule, time_t now);

/*
 * The next time after now at which one of the rule's windows opens
 * (within 8 days). Returns 0, or AD_ERR_NOTFOUND for a rule without
 * windows.
 */
int ad_window_next_open(const struct ad_rule *rule, time_t now, time_t *out)
	__attribute__((warn_unused_result));

/* "Mon 2026-12-07 09:00 UTC" (local time, zone abbreviation). */
int ad_window_time_text(time_t t, char *buf, size_t len);

/*
 * "outside change window TEXT; next opens Mon 2026-12-07 09:00 UTC" when
 * the rule's windows are all closed at now (returns 1), "" when open
 * (returns 0).
 */
int ad_window_block_text(const struct ad_rule *rule, time_t now, char *buf,
			 size_t len);

#endif
