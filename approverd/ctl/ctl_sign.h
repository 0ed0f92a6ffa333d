/*
 * ctl_sign.h — turn what `approverctl show ID --json` prints into a signed
 * approval or denial token (offline `sign`, online `approve`/`deny`).
 */
#ifndef APPROVERCTL_CTL_SIGN_H
#define APPROVERCTL_CTL_SIGN_H

#include <stdint.h>

#include <jansson.h>

#include "request.h"

#define CTL_SIGN_DEFAULT_TTL 900 /* 15m */
#define CTL_SIGN_INPUT_MAX (AD_REQUEST_JSON_MAX + 64 * 1024)

/*
 * show: {"request": {...ad_request_to_json...}, "digest": "<hex request
 * digest>", "max_ttl": seconds (optional), "expires": unix seconds
 * (optional), ...other keys ignored}. Recomputes the digest from "request"
 * and refuses when it differs; shows the approver on stderr what is signed;
 * asks for confirmation on /dev/tty unless assume_yes; loads keyfile (asking
 * for its passphrase); signs decision (AD_DECISION_APPROVE/_DENY/
 * _BREAKGLASS/_REVIEW) valid from now for ttl seconds (0 =
 * CTL_SIGN_DEFAULT_TTL), capped by max_ttl (a break-glass: by
 * "breakglass_max_ttl"; a review: not capped).
 * *token_out is malloc'ed. Prints the reason to stderr on failure; returns
 * 0 or a negative ad_err (AD_ERR_WRONG_DIGEST, AD_ERR_DENIED when the
 * approver declines, AD_ERR_PASSPHRASE, ...).
 */
int ctl_sign_show_json(char **token_out, const json_t *show,
                       const char *keyfile, int decision, uint64_t ttl,
                       const char *comment, int assume_yes);

#endif
