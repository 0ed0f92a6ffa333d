/*
 * fuzz_duration.c — the number and duration parsers on arbitrary text.
 * Checks, beyond "no crash": every accepted duration is <= AD_DURATION_MAX,
 * formats back to text that parses to the same value, and accepted numbers
 * contain only digits and lie in [min, max].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "num.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_number(const char *s)
{
	uint64_t v;
	uint32_t w;
	size_t i;

	if (ad_parse_u64(&v, s, 0, UINT64_MAX) == 0) {
		for (i = 0; s[i] != '\0'; i++)
			if (s[i] < '0' || s[i] > '9')
				abort();
	} else if (v != 0) {
		abort(); /* output must stay zeroed on error */
	}
	if (ad_parse_u32(&w, s, 10, 1000) == 0 && (w < 10 || w > 1000))
		abort();
}

static void check_duration(const char *s)
{
	uint64_t v, back;
	char txt[32];

	if (ad_parse_duration(&v, s) != 0) {
		if (v != 0)
			abort();
		return;
	}
	if (v > AD_DURATION_MAX)
		abort();
	ad_format_duration(txt, sizeof(txt), v);
	if (ad_parse_duration(&back, txt) != 0 || back != v)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > 64)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	check_number(s);
	check_duration(s);
	free(s);
	return 0;
}
