/*
 * error.h — the one error enum of approverd and its strerror.
 *
 * Every library function returns 0 (AD_OK) or a negative ad_err. Callers
 * print ad_strerror(rc) together with the function, file or field involved.
 * Codes are append-only: never renumber, the numbers reach logs and tests.
 */
#ifndef APPROVERD_ERROR_H
#define APPROVERD_ERROR_H

enum ad_err {
	AD_OK = 0,
	AD_ERR_NOMEM = -1,          /* allocation failed */
	AD_ERR_INVALID = -2,        /* malformed input */
	AD_ERR_TOOBIG = -3,         /* input exceeds a hard cap */
	AD_ERR_IO = -4,             /* read/write/fsync failed (see errno) */
	AD_ERR_UNTRUSTED = -5,      /* file fails the trust checks of §4.7 */
	AD_ERR_NOTFOUND = -6,       /* file, key, request or rule not found */
	AD_ERR_RANGE = -7,          /* number or duration out of range */
	AD_ERR_BAD_SIGNATURE = -8,  /* signature does not verify */
	AD_ERR_UNKNOWN_KEY = -9,    /* key id not registered */
	AD_ERR_WRONG_HOST = -10,    /* token for another host */
	AD_ERR_WRONG_REQUEST = -11, /* token for another request id */
	AD_ERR_WRONG_DIGEST = -12,  /* token for other request contents */
	AD_ERR_EXPIRED = -13,       /* now > not_after */
	AD_ERR_NOT_YET_VALID = -14, /* now < not_before */
	AD_ERR_WRONG_DECISION = -15,/* e.g. a deny token used as approve */
	AD_ERR_PASSPHRASE = -16,    /* wrong passphrase / secret key AEAD fails */
	AD_ERR_CRYPTO = -17,        /* libsodium failure */
	AD_ERR_CHAIN = -18,         /* evidence hash chain broken */
	AD_ERR_CHECKPOINT = -19,    /* evidence checkpoint signature bad */
	AD_ERR_TRUNCATED = -20,     /* input ends early (torn record, short frame) */
	AD_ERR_PROTO = -21,         /* protocol violation / malformed reply */
	AD_ERR_CONNECT = -22,       /* daemon unreachable */
	AD_ERR_TIMEOUT = -23,       /* deadline passed */
	AD_ERR_PERM = -24,          /* caller not allowed (SO_PEERCRED) */
	AD_ERR_DENIED = -25,        /* request denied by policy or approver */
	AD_ERR_INTERRUPTED = -26,   /* signal while waiting */
	AD_ERR_CONFIG = -27,        /* config/policy error (message has file:line) */
	AD_ERR_LIMIT = -28,         /* a per-requester or connection limit hit */
	AD_ERR_STATE = -29,         /* request not in a state allowing the op */
	AD_ERR_SELF_APPROVAL = -30, /* approver is requester or sponsor */
	AD_ERR_TTL = -31,           /* approval longer than the rule allows */
	AD_ERR_NOSPACE = -32,       /* evidence could not be written (ENOSPC) */
};

/* Short, fixed, human-readable text for an ad_err (never NULL). */
const char *ad_strerror(int err);

/* Stable machine name for an ad_err, e.g. "wrong_host" (never NULL). */
const char *ad_errname(int err);

#endif
