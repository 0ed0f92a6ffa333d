/* ctl_grant.h — standing grants in approverctl (ctl_grant.c,
 * ctl_grant_sign.c; docs/formats/governance.md §4). */
#ifndef APPROVERCTL_CTL_GRANT_H
#define APPROVERCTL_CTL_GRANT_H

#include <stdint.h>

#include <jansson.h>

/*
 * Sign a grant's `show` object ({"kind":"grant", "grant":{...}, "digest":
 * hex, ...}): recompute the grant digest and refuse a mismatch, show the
 * grant on stderr, ask on the terminal unless yes, sign decision
 * (AD_DECISION_APPROVE, or AD_DECISION_DENY = revoke) valid for ttl
 * seconds (0 = 15m), capped by the grant's expiry. *token_out malloc'ed.
 * Returns 0 or a negative ad_err (reason printed).
 */
int ctl_grant_sign(char **token_out, const json_t *show, const char *keyfile,
		   int decision, uint64_t ttl, const char *comment, int yes);
/* `show G-...` in human form; one `list` row of a grant. */
void ctl_grant_show_human(const json_t *show);
void ctl_grant_print_summary(const json_t *q);

#endif
