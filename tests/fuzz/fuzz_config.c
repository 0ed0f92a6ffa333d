/* fuzz_config.c — approverd.conf text through ad_config_parse, both modes,
 * and the subject check on whatever parsed. Writes no files. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_config *c = NULL;
	char err[512];
	char *text;

	if (size > 64 * 1024)
		return 0;
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (int flags = AD_CONFIG_FULL; flags <= AD_CONFIG_CLIENT; flags++) {
		if (ad_config_parse(&c, "fuzz.conf", text, flags, err,
				    sizeof(err)) == 0) {
			/* names only: no NSS group look-ups in the fuzzer */
			size_t ng = c->n_subject_groups;
			c->n_subject_groups = 0;
			(void)ad_subject_is_ai(c, "ai-deploy", 4242, 4242);
			c->n_subject_groups = ng;
			ad_config_free(c);
		} else if (strlen(err) == 0) {
			abort(); /* every error must say what is wrong */
		}
	}
	free(text);
	return 0;
}
