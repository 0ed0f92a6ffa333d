/* fuzz_notify_answer.c — untrusted HTTP answers of ticket checks and
 * prechecks through check_answer_ok (approverd/daemon/ticket_eval.c), with
 * the field path taken from the input too, and the input as a ticket
 * through ad_http_check_url. Writes no files. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#include "../../approverd/daemon/ticket_eval.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char field[64] = "fields.status.name", why[TICKET_WHY_MAX];
	struct ad_http_check c = {"https://t.example/i/{ticket}?h={host}",
				  field, "Open", 1};
	char *ticket, *url = NULL;
	size_t flen = 0;

	if (size > 128 * 1024)
		return 0;
	/* "path\n" prefix, when present, is the field to look up */
	while (flen < size && flen < sizeof(field) - 1 && data[flen] != '\n')
		flen++;
	if (flen < size && data[flen] == '\n' && flen > 0) {
		memcpy(field, data, flen);
		field[flen] = '\0';
	}
	(void)check_answer_ok(&c, (const char *)data, size, why, sizeof(why));
	c.field = NULL;
	(void)check_answer_ok(&c, (const char *)data, size, why, sizeof(why));
	if ((ticket = malloc(size + 1)) == NULL)
		return 0;
	memcpy(ticket, data, size);
	ticket[size] = '\0';
	if (ad_http_check_url(&url, &c, ticket, "rule", "host") == 0)
		free(url);
	free(ticket);
	return 0;
}
