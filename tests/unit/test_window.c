/* test_window.c — change windows: parsing, open/closed, next opening, texts
 * (docs/formats/governance.md §1). Times are fixed; TZ is set per test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "window.h"

#define MON 1796601600 /* Mon 2026-12-07 00:00:00 UTC */
#define H 3600
#define D 86400

struct wrule {
	struct ad_rule r;
};

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void mk(struct wrule *w, const char *text)
{
	char msg[256];
	int rc;

	memset(w, 0, sizeof(*w));
	rc = ad_window_parse(&w->r.windows, &w->r.n_windows, text, msg,
			     sizeof(msg));
	if (rc != 0)
		print_error("unexpected: %s\n", msg);
	assert_int_equal(rc, 0);
	w->r.window_text = (char *)text;
}

static void unmk(struct wrule *w)
{
	free(w->r.windows);
}

static void bad(const char *text, const char *want)
{
	struct ad_window *ws = (struct ad_window *)1;
	char msg[256] = "";
	size_t n = 7;

	assert_int_equal(ad_window_parse(&ws, &n, text, msg, sizeof(msg)),
			 AD_ERR_CONFIG);
	assert_null(ws);
	assert_int_equal(n, 0);
	if (strstr(msg, want) == NULL)
		print_error("'%s' lacks '%s'\n", msg, want);
	assert_non_null(strstr(msg, want));
}

static time_t next(const struct wrule *w, time_t now)
{
	time_t t = 0;

	assert_int_equal(ad_window_next_open(&w->r, now, &t), 0);
	return t;
}

static void test_parse(void **state)
{
	struct wrule w;

	(void)state;
	mk(&w, "Mon-Fri 09:00-17:00, sat-mon 22:00-02:00 ,daily 00:00-24:00");
	assert_int_equal(w.r.n_windows, 3);
	assert_int_equal(w.r.windows[0].days, 0x3e);
	assert_int_equal(w.r.windows[1].days, 0x43);
	assert_int_equal(w.r.windows[1].start_min, 22 * 60);
	assert_int_equal(w.r.windows[1].end_min, 120);
	assert_int_equal(w.r.windows[2].days, 0x7f);
	assert_int_equal(w.r.windows[2].end_min, 1440);
	unmk(&w);
	mk(&w, "Sun 10:00-11:00");
	assert_int_equal(w.r.windows[0].days, 0x01);
	unmk(&w);
	mk(&w, "Fri-Fri 10:00-11:00");
	assert_int_equal(w.r.windows[0].days, 0x20);
	unmk(&w);
	bad("Mon-Fry 09:00-17:00", "window: 'Mon-Fry 09:00-17:00': unknown "
				   "day 'Fry'");
	bad("Mun 09:00-17:00", "unknown day 'Mun'");
	bad("Monday 09:00-17:00", "unknown day 'Monday'");
	bad("Mon-Fri 9-17", "bad times '9-17'");
	bad("Mon 09:60-10:00", "bad times");
	bad("Mon 25:00-10:00", "bad times");
	bad("Mon 09:00-24:30", "bad times");
	bad("Mon 09:00", "bad times");
	bad("Mon 10:00-10:00", "start and end are equal");
	bad("Mon 24:00-01:00", "cannot start at 24:00");
	bad("", "empty entry");
	bad("Mon 09:00-10:00,,Tue 09:00-10:00", "empty entry");
	bad("09:00-10:00", "expected 'DAYS HH:MM-HH:MM'");
	bad("Mon Tue 09:00-10:00", "expected 'DAYS HH:MM-HH:MM'");
}

static void test_too_many(void **state)
{
	char text[64 * (AD_WINDOWS_MAX + 2)] = "";

	(void)state;
	for (int i = 0; i <= AD_WINDOWS_MAX; i++)
		strcat(text, i ? ", Mon 01:00-02:00" : "Mon 01:00-02:00");
	bad(text, "more than 32 entries");
}

static void test_open_utc(void **state)
{
	struct wrule w;

	(void)state;
	set_tz("UTC");
	mk(&w, "Mon-Fri 09:00-17:00");
	assert_int_equal(ad_window_open(&w.r, MON + 9 * H - 1), 0);
	assert_int_equal(ad_window_open(&w.r, MON + 9 * H), 1);
	assert_int_equal(ad_window_open(&w.r, MON + 17 * H - 1), 1);
	assert_int_equal(ad_window_open(&w.r, MON + 17 * H), 0);
	assert_int_equal(ad_window_open(&w.r, MON + 5 * D + 10 * H), 0); /* Sat */
	assert_int_equal(ad_window_open(&w.r, MON + 4 * D + 10 * H), 1); /* Fri */
	unmk(&w);
	/* past midnight: Friday 22:00 until Saturday 02:00 */
	mk(&w, "Fri 22:00-02:00");
	assert_int_equal(ad_window_open(&w.r, MON + 4 * D + 22 * H - 1), 0);
	assert_int_equal(ad_window_open(&w.r, MON + 4 * D + 23 * H), 1);
	assert_int_equal(ad_window_open(&w.r, MON + 5 * D + 2 * H - 1), 1);
	assert_int_equal(ad_window_open(&w.r, MON + 5 * D + 2 * H), 0);
	assert_int_equal(ad_window_open(&w.r, MON + 1 * H), 0); /* Mon 01:00 */
	unmk(&w);
	/* 24:00 end; wrapping day range Sat-Mon */
	mk(&w, "Sat-Mon 20:00-24:00");
	assert_int_equal(ad_window_open(&w.r, MON + 6 * D + 23 * H + 3599), 1);
	assert_int_equal(ad_window_open(&w.r, MON + 7 * D), 0); /* Mon 00:00 */
	assert_int_equal(ad_window_open(&w.r, MON + 21 * H), 1); /* Mon */
	assert_int_equal(ad_window_open(&w.r, MON + D + 21 * H), 0); /* Tue */
	unmk(&w);
	/* no window: always open */
	memset(&w, 0, sizeof(w));
	assert_int_equal(ad_window_open(&w.r, MON), 1);
	time_t t = 5;
	assert_int_equal(ad_window_next_open(&w.r, MON, &t), AD_ERR_NOTFOUND);
	assert_int_equal(t, 0);
}

static void test_next_open_utc(void **state)
{
	struct wrule w;

	(void)state;
	set_tz("UTC");
	mk(&w, "Mon-Fri 09:00-17:00");
	assert_int_equal(next(&w, MON + 8 * H), MON + 9 * H);
	/* exactly at the opening: the next one is tomorrow's */
	assert_int_equal(next(&w, MON + 9 * H), MON + D + 9 * H);
	/* Friday evening: across the weekend to Monday (week wrap) */
	assert_int_equal(next(&w, MON + 4 * D + 17 * H), MON + 7 * D + 9 * H);
	assert_int_equal(next(&w, MON + 6 * D + 23 * H), MON + 7 * D + 9 * H);
	unmk(&w);
	mk(&w, "Fri 22:00-02:00");
	/* Saturday 03:00: the next Friday 22:00 */
	assert_int_equal(next(&w, MON + 5 * D + 3 * H),
			 MON + 11 * D + 22 * H);
	/* Friday 22:00 sharp: a week later */
	assert_int_equal(next(&w, MON + 4 * D + 22 * H),
			 MON + 11 * D + 22 * H);
	unmk(&w);
	mk(&w, "Sun 23:00-01:00, Wed 12:00-13:00");
	assert_int_equal(next(&w, MON + 2 * D + 13 * H), MON + 6 * D + 23 * H);
	assert_int_equal(next(&w, MON), MON + 2 * D + 12 * H);
	unmk(&w);
}

static void test_texts_utc(void **state)
{
	struct wrule w;
	char buf[256];

	(void)state;
	set_tz("UTC");
	assert_int_equal(ad_window_time_text(MON + 9 * H, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Mon 2026-12-07 09:00 UTC");
	mk(&w, "Mon-Fri 09:00-17:00");
	assert_int_equal(ad_window_block_text(&w.r, MON + 8 * H, buf,
					      sizeof(buf)), 1);
	assert_string_equal(buf, "outside change window Mon-Fri 09:00-17:00; "
				 "next opens Mon 2026-12-07 09:00 UTC");
	assert_int_equal(ad_window_block_text(&w.r, MON + 10 * H, buf,
					      sizeof(buf)), 0);
	assert_string_equal(buf, "");
	unmk(&w);
}

static void test_berlin(void **state)
{
	struct wrule w;
	char buf[64];

	(void)state;
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0) {
		skip(); /* tzdata missing: reported as a skip, not a pass */
		return;
	}
	set_tz("Europe/Berlin");
	mk(&w, "Mon-Fri 09:00-17:00");
	/* 07:30 UTC is 08:30 CET: closed; 08:30 UTC is 09:30 CET: open */
	assert_int_equal(ad_window_open(&w.r, MON + 7 * H + 1800), 0);
	assert_int_equal(ad_window_open(&w.r, MON + 8 * H + 1800), 1);
	assert_int_equal(next(&w, MON + 7 * H), MON + 8 * H);
	assert_int_equal(ad_window_time_text(MON + 8 * H, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Mon 2026-12-07 09:00 CET");
	unmk(&w);
	/* across the spring DST change (Sun 2027-03-28): 09:00 CEST is
	 * 07:00 UTC, one hour earlier in UTC than the day before */
	mk(&w, "daily 09:00-10:00");
	assert_int_equal(next(&w, 1806145200 /* Sat 27 Mar 12:00 CET */),
			 1806217200 /* Sun 28 Mar 09:00 CEST */);
	assert_int_equal(ad_window_open(&w.r, 1806217200), 1);
	assert_int_equal(ad_window_open(&w.r, 1806217200 - 60), 0);
	unmk(&w);
	set_tz("UTC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_open_utc),
		cmocka_unit_test(test_next_open_utc),
		cmocka_unit_test(test_texts_utc),
		cmocka_unit_test(test_berlin),
	};
	return cmocka_run_group_tests_name("window", tests, NULL, NULL);
}
