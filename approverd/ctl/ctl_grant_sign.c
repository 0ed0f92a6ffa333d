/*
 * ctl_grant_sign.c — the grant side of approverctl show, list, approve,
 * deny and sign (docs/formats/governance.md §4, approverctl(1)); the
 * `grant` and `revoke` commands are in ctl_grant.c.
 *
 * Invariants (DESIGN.md §3 "approver", §4.5, §4.9):
 *  - what is signed is the grant digest recomputed here (common/grant.c)
 *    from the fields shown to the approver; a "digest" that differs is
 *    refused, never signed;
 *  - every grant field is escaped before it reaches the terminal; nothing
 *    is signed without a "yes" on the terminal unless --yes;
 *  - the token's not_after never passes the grant's expiry;
 *  - this file adds no authority: the daemon checks the caller and the
 *    token. Exit codes as ctl.h.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl.h"
#include "ctl_grant.h"
#include "ctl_online.h"
#include "ctl_pass.h"
#include "ctl_sign.h"
#include "error.h"
#include "grant.h"
#include "keys.h"
#include "num.h"
#include "proto.h"
#include "text.h"
#include "token.h"

static void fmt_time(char *out, size_t n, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, n, "-");
	else
		strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void line(FILE *f, const char *label, const char *value)
{
	char *e = ad_escape(value ? value : "");

	fprintf(f, "  %-10s %s\n", label, e == NULL ? "?" : e[0] ? e : "(none)");
	free(e);
}

static void who(FILE *f, const char *label, const char *name, uint32_t uid)
{
	char *e = ad_escape(name);

	fprintf(f, "  %-10s %s (uid %u)\n", label, e ? e : "?", (unsigned)uid);
	free(e);
}

/* Every field the grant digest binds, escaped, plus its creator. */
static void grant_print(FILE *f, const struct ad_grant *g)
{
	char t[64], u[32];

	line(f, "id", g->id);
	line(f, "host", g->host);
	who(f, "requester", g->requester, g->uid);
	line(f, "rule", g->rule);
	line(f, "match", g->match[0] ? g->match : "(anything the rule matches)");
	snprintf(u, sizeof(u), "%u", (unsigned)g->uses);
	line(f, "uses", u);
	fmt_time(t, sizeof(t), g->created);
	line(f, "created", t);
	fmt_time(t, sizeof(t), g->expires);
	line(f, "expires", t);
	line(f, "comment", g->comment);
	who(f, "asked by", g->created_by, g->created_by_uid);
}

/* Parse show.grant and check show.digest against the recomputed one. */
static int grant_input(struct ad_grant *g, uint8_t dg[AD_DIGEST_LEN],
		       const json_t *show)
{
	const char *want = json_string_value(json_object_get(show, "digest"));
	char err[160], hex[AD_DIGEST_HEX];
	int rc;

	if ((rc = ad_grant_from_json(g, json_object_get(show, "grant"), err,
				     sizeof(err))) != 0) {
		fprintf(stderr, "approverctl sign: input: grant.%s\n", err);
		return rc;
	}
	if ((rc = ad_grant_digest(dg, g)) != 0)
		return rc;
	ad_digest_hex(hex, dg);
	if (want == NULL || strcmp(want, hex) != 0) {
		char *e = ad_escape(want ? want : "(none)");
		fprintf(stderr, "approverctl sign: digest mismatch: input says "
			"%s, the grant fields give %s; refusing to sign\n",
			e ? e : "?", hex);
		free(e);
		return AD_ERR_WRONG_DIGEST;
	}
	return 0;
}

/* Load keyfile, asking for its passphrase when it is encrypted. */
static int load_key(struct ad_seckey **k, const char *keyfile)
{
	char why[AD_WHY_MAX] = "", *text = NULL, *pass = NULL;
	size_t len = 0;
	int rc;

	*k = NULL;
	if ((rc = ad_seckey_read_file(&text, &len, keyfile, why)) != 0) {
		fprintf(stderr, "approverctl sign: %s\n", why);
		return rc;
	}
	if (ad_seckey_needs_passphrase(text, len) > 0)
		rc = ctl_pass_read(&pass, "Passphrase: ", 0);
	if (rc == 0)
		rc = ad_seckey_parse(k, text, len, pass, why);
	if (rc < 0)
		fprintf(stderr, "approverctl sign: %s: %s\n", keyfile,
			why[0] ? why : ad_strerror(rc));
	if (pass != NULL)
		ctl_pass_free(pass);
	ad_seckey_text_free(text, len);
	return rc;
}

static int confirm(int decision, int yes)
{
	int r;

	if (yes)
		return 0;
	r = ctl_tty_confirm(decision == AD_DECISION_DENY ? "Sign this "
			    "REVOCATION?" : "Sign this APPROVAL?");
	if (r < 0)
		fprintf(stderr, "approverctl sign: no terminal to confirm on; use "
			"--yes after checking the grant\n");
	else if (r == 0)
		fprintf(stderr, "approverctl sign: not signed\n");
	return r > 0 ? 0 : AD_ERR_DENIED;
}

/* not_after = now + ttl (default 15m), capped by the grant's expiry. */
static uint64_t token_ttl(uint64_t ttl, uint64_t expires, uint64_t now)
{
	if (ttl == 0)
		ttl = CTL_SIGN_DEFAULT_TTL;
	if (expires <= now)
		return 0;
	return now + ttl > expires ? expires - now : ttl;
}

/* The ordinary statement, over the grant id and the grant digest. */
static void statement(struct ad_statement *st, const struct ad_grant *g,
		      const uint8_t dg[AD_DIGEST_LEN], int decision,
		      uint64_t now, uint64_t ttl, const char *comment)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->host, sizeof(st->host), "%s", g->host);
	snprintf(st->request_id, sizeof(st->request_id), "%s", g->id);
	memcpy(st->digest, dg, AD_DIGEST_LEN);
	st->decision = (uint32_t)decision;
	st->not_before = now;
	st->not_after = now + ttl;
	st->uses = 1;
	snprintf(st->comment, sizeof(st->comment), "%s", comment ? comment : "");
}

static void show_signing(const struct ad_grant *g,
			 const uint8_t dg[AD_DIGEST_LEN],
			 const struct ad_seckey *k, int decision)
{
	char kid[AD_KEYID_HEX], hex[AD_DIGEST_HEX];

	fprintf(stderr, "You are about to %s standing grant %s:\n", decision ==
		AD_DECISION_DENY ? "REVOKE" : "APPROVE", g->id);
	grant_print(stderr, g);
	ad_digest_hex(hex, dg);
	fprintf(stderr, "  %-10s %s\n", "digest", hex);
	ad_key_id_hex(kid, k->pub.key_id);
	fprintf(stderr, "  %-10s %s (user %s, key id %s)\n", "signer",
		k->pub.name, k->pub.user, kid);
}

int ctl_grant_sign(char **token_out, const json_t *show, const char *keyfile,
		   int decision, uint64_t ttl, const char *comment, int yes)
{
	struct ad_grant g;
	struct ad_statement st;
	struct ad_seckey *k = NULL;
	uint8_t dg[AD_DIGEST_LEN];
	uint64_t now = (uint64_t)time(NULL);
	int rc;

	*token_out = NULL;
	if (decision != AD_DECISION_APPROVE && decision != AD_DECISION_DENY) {
		fprintf(stderr, "approverctl sign: a grant takes only an approval "
			"or a denial (revocation)\n");
		return AD_ERR_WRONG_DECISION;
	}
	if (comment != NULL && strlen(comment) >= AD_COMMENT_MAX) {
		fprintf(stderr, "approverctl sign: --comment: at most %d "
			"characters\n", AD_COMMENT_MAX - 1);
		return AD_ERR_INVALID;
	}
	if (sodium_init() < 0)
		return AD_ERR_CRYPTO;
	if ((rc = grant_input(&g, dg, show)) != 0)
		return rc;
	if ((ttl = token_ttl(ttl, g.expires, now)) == 0) {
		fprintf(stderr, "approverctl sign: grant %s has expired\n", g.id);
		return AD_ERR_EXPIRED;
	}
	if ((rc = load_key(&k, keyfile)) != 0)
		return rc;
	show_signing(&g, dg, k, decision);
	if ((rc = confirm(decision, yes)) == 0) {
		statement(&st, &g, dg, decision, now, ttl, comment);
		if ((rc = ad_token_sign(token_out, &st, k)) != 0)
			fprintf(stderr, "approverctl sign: signing failed: %s\n",
				ad_strerror(rc));
	}
	ad_seckey_free(k);
	return rc;
}

/* `approverctl show G-...` without --json. */
void ctl_grant_show_human(const json_t *show)
{
	struct ad_grant g;
	const json_t *a;
	char err[160], *st = ctl_esc(show, "state"), *req, *why;
	size_t i;

	if (ad_grant_from_json(&g, json_object_get(show, "grant"), err,
			       sizeof(err)) != 0) {
		printf("malformed grant (%s)\n", err);
		free(st);
		return;
	}
	req = ctl_esc(show, "requires");
	why = ctl_esc(show, "reason");
	printf("standing grant, state %s, %lld of %u uses left\n", st ? st : "?",
	       (long long)json_integer_value(json_object_get(show, "uses_left")),
	       (unsigned)g.uses);
	grant_print(stdout, &g);
	line(stdout, "requires", req);
	if (why && why[0])
		line(stdout, "reason", why);
	json_array_foreach(json_object_get(show, "approvals"), i, a) {
		char *n = ctl_esc(a, "approver"), *u = ctl_esc(a, "user");
		printf("  %-10s %s (user %s)\n", "approved", n ? n : "?", u ? u : "?");
		free(n);
		free(u);
	}
	line(stdout, "digest", json_string_value(json_object_get(show, "digest")));
	free(st);
	free(req);
	free(why);
}

/* One `list` row for a grant (same columns as a request's). */
void ctl_grant_print_summary(const json_t *q)
{
	char *id = ctl_esc(q, "id"), *st = ctl_esc(q, "state");
	char *who = ctl_esc(q, "requester"), *rule = ctl_esc(q, "rule");
	char *m = ctl_esc(q, "match");

	printf("%-12s %-9s %6llds %-12s %-14s grant: %lld/%lld uses left, %s\n",
	       id ? id : "", st ? st : "",
	       (long long)json_integer_value(json_object_get(q, "age")),
	       who ? who : "", rule ? rule : "",
	       (long long)json_integer_value(json_object_get(q, "uses_left")),
	       (long long)json_integer_value(json_object_get(q, "uses")),
	       m && m[0] ? m : "any command of the rule");
	free(id);
	free(st);
	free(who);
	free(rule);
	free(m);
}
