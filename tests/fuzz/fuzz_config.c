/* fuzz_config.c — approverd.conf text through ad_config_parse, both modes,
 * and the subject check on whatever parsed. Writes no files. Aborts when a
 * parsed [subjects] uids breaks config.h's invariants (count, 1 <= lo <= hi
 * <= 4294967294) or ad_subject_uid_listed disagrees with the ranges. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_uids(const struct ad_config *c)
{
	if (c->n_subject_uids > AD_SUBJECT_UIDS_MAX ||
	    (c->n_subject_uids > 0 && c->subject_uids == NULL) ||
	    ad_subject_uid_listed(c, 0) || ad_subject_uid_listed(c, (uid_t)-1))
		abort();
	for (size_t i = 0; i < c->n_subject_uids; i++) {
		const struct ad_uid_range *r = &c->subject_uids[i];

		if (r->lo < 1 || r->lo > r->hi || r->hi > AD_SUBJECT_UID_MAX ||
		    !ad_subject_uid_listed(c, r->lo) ||
		    !ad_subject_uid_listed(c, r->hi) ||
		    !ad_subject_uid_listed(c, r->lo + (r->hi - r->lo) / 2))
			abort();
		/* in a range: AI, decided before any NSS look-up */
		if (ad_subject_is_ai(c, "fuzz-no-such-user", r->hi, 4242) != 1)
			abort();
	}
}

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
			check_uids(c);
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
