/* error.c — text for the ad_err codes. */
#include "error.h"

#include <stddef.h>

struct err_text {
	int code;
	const char *name;
	const char *text;
};

static const struct err_text err_table[] = {
	{AD_OK, "ok", "success"},
	{AD_ERR_NOMEM, "nomem", "out of memory"},
	{AD_ERR_INVALID, "invalid", "malformed input"},
	{AD_ERR_TOOBIG, "toobig", "input too large"},
	{AD_ERR_IO, "io", "input/output error"},
	{AD_ERR_UNTRUSTED, "untrusted", "untrusted file"},
	{AD_ERR_NOTFOUND, "notfound", "not found"},
	{AD_ERR_RANGE, "range", "value out of range"},
	{AD_ERR_BAD_SIGNATURE, "bad_signature", "bad signature"},
	{AD_ERR_UNKNOWN_KEY, "unknown_key", "unknown key"},
	{AD_ERR_WRONG_HOST, "wrong_host", "token is for another host"},
	{AD_ERR_WRONG_REQUEST, "wrong_request", "token is for another request"},
	{AD_ERR_WRONG_DIGEST, "wrong_digest",
	 "token does not match the request contents"},
	{AD_ERR_EXPIRED, "expired", "expired"},
	{AD_ERR_NOT_YET_VALID, "not_yet_valid", "not yet valid"},
	{AD_ERR_WRONG_DECISION, "wrong_decision", "wrong decision"},
	{AD_ERR_PASSPHRASE, "passphrase", "wrong passphrase or damaged key"},
	{AD_ERR_CRYPTO, "crypto", "cryptographic library failure"},
	{AD_ERR_CHAIN, "chain", "evidence hash chain broken"},
	{AD_ERR_CHECKPOINT, "checkpoint", "evidence checkpoint invalid"},
	{AD_ERR_TRUNCATED, "truncated", "input truncated"},
	{AD_ERR_PROTO, "proto", "protocol error"},
	{AD_ERR_CONNECT, "connect", "approverd is not reachable"},
	{AD_ERR_TIMEOUT, "timeout", "timed out"},
	{AD_ERR_PERM, "perm", "permission denied"},
	{AD_ERR_DENIED, "denied", "denied"},
	{AD_ERR_INTERRUPTED, "interrupted", "interrupted"},
	{AD_ERR_CONFIG, "config", "configuration error"},
	{AD_ERR_LIMIT, "limit", "limit reached"},
	{AD_ERR_STATE, "state", "request is not in a state that allows this"},
	{AD_ERR_SELF_APPROVAL, "self_approval",
	 "approver is the requester or the sponsor"},
	{AD_ERR_TTL, "ttl", "approval lifetime exceeds the rule maximum"},
	{AD_ERR_NOSPACE, "nospace", "evidence could not be written"},
};

static const struct err_text *err_lookup(int err)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == err)
			return &err_table[i];
	return NULL;
}

const char *ad_strerror(int err)
{
	const struct err_text *e = err_lookup(err);
	return e ? e->text : "unknown error";
}

const char *ad_errname(int err)
{
	const struct err_text *e = err_lookup(err);
	return e ? e->name : "unknown";
}
