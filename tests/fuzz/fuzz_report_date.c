/*
 * fuzz_report_date.c — the strict RFC 3339 date / date-time parser of
 * `approverctl report --since/--until` (approverd/ctl/report_load.c, outside
 * libapproverd.a, so included here). Properties: never crashes, and an
 * accepted value is a finite time between 1970 and 10000. Writes no files.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../approverd/ctl/report_load.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[128];
	double t;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (report_parse_time(&t, s) == 0 && (!isfinite(t) || t < 0 || t > 253402300800.0))
		abort();
	for (int end = 0; end <= 1; end++)
		if (report_parse_date(&t, s, end) == 0 &&
		    (!isfinite(t) || t < 0 || t > 253402300800.0 + 86400))
			abort();
	return 0;
}
