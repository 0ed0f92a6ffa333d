/*
 * fuzz_sudoreq.c — ad_sudoreq_build() on arbitrary sudo arrays.
 *
 * Input: lines separated by '\n'; a line "--" moves on to the next array in
 * the order user_info, command_info, run_argv, run_envp, submit_envp. The
 * build must never crash or leak, and a request it accepts must digest and
 * encode to JSON when the input is valid UTF-8 (JSON strings must be; a
 * request with other bytes is refused by the client, never let through).
 * The head of the input also goes to ad_sudoreq_parse_loginuid.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>

#include "request.h"
#include "sudoreq.h"

#define N_ARRAYS 5
#define MAX_ENTRIES 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static int utf8_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t k = c < 0x80             ? 0
		           : (c & 0xe0) == 0xc0 ? 1
		           : (c & 0xf0) == 0xe0 ? 2
		           : (c & 0xf8) == 0xf0 ? 3
		                                : 9;
		uint32_t cp = k == 0   ? c
		              : k == 1 ? (c & 0x1fu)
		              : k == 2 ? (c & 0x0fu)
		                       : (c & 0x07u);

		if (k == 9 || i + k >= n + (k == 0))
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + j] & 0x3fu);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static void split(char *text, char **arrays[N_ARRAYS])
{
	size_t n[N_ARRAYS] = {0};
	int cur = 0;
	char *line = text, *nl;

	for (;;) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (strcmp(line, "--") == 0) {
			if (cur < N_ARRAYS - 1)
				cur++;
		} else if (n[cur] < MAX_ENTRIES) {
			arrays[cur][n[cur]++] = line;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char **arrays[N_ARRAYS] = {0};
	struct ad_request r;
	uint8_t d[AD_DIGEST_LEN];
	char err[256];
	uid_t u;
	int ok = text != NULL;

	for (int i = 0; ok && i < N_ARRAYS; i++)
		ok = (arrays[i] = calloc(MAX_ENTRIES + 1, sizeof(char *))) !=
		     NULL;
	if (ok) {
		memcpy(text, data, size);
		text[size] = '\0'; /* an embedded NUL just ends the text */
		split(text, arrays);
		struct ad_sudo_arrays a = {arrays[0], arrays[1], arrays[2],
		                           arrays[3], arrays[4]};
		if (ad_sudoreq_build(&r, &a, err, sizeof(err)) == 0) {
			json_t *j = ad_request_to_json(&r);

			if (ad_exec_digest(d, &r) != 0)
				abort();
			if (j == NULL && utf8_ok(data, size))
				abort();
			json_decref(j);
			ad_request_free(&r);
		}
		(void)ad_sudoreq_parse_loginuid(&u, (const char *)data,
		                                size < 32 ? size : 32);
	}
	for (int i = 0; i < N_ARRAYS; i++)
		free(arrays[i]);
	free(text);
	return 0;
}
