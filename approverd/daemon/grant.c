/*
 * grant.c — the daemon's table of standing grants (docs/formats/
 * governance.md §4): applying and replaying their records, which runs a
 * grant covers, the use counter, expiry.
 *
 * Invariants (DESIGN.md §4.1, §4.4, §4.5):
 *  - grants change only in grant_apply()/grant_apply_use(), on records
 *    that are already durable (journal.c), live and at replay alike;
 *  - a `grant` record is loaded only if its digest is the digest of the
 *    fields it carries (as a `request` record is);
 *  - a grant covers a run only while it is active (its rule's quorum was
 *    met), not revoked, not expired (now < expires) and has uses left,
 *    for the same host, requester uid and rule, and a command matching
 *    its pattern; a pattern that no longer compiles covers nothing; and
 *    never a run in the session of one of its approvers (the sponsor);
 *  - a consume of a covered request is refused once the grant no longer
 *    covers it; each counted consume records the uses left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "dgrant.h"
#include "nss.h"
#include "runtime.h"

int grant_is_id(const char *id)
{
	return id != NULL && id[0] == 'G' && id[1] == '-';
}

struct dgrant *grant_find(struct daemon *d, const char *id)
{
	for (struct dgrant *g = d->grants; g != NULL; g = g->next)
		if (strncmp(g->g.id, id, AD_ID_MAX) == 0)
			return g;
	return NULL;
}

const char *grant_state_name(const struct dgrant *g)
{
	switch (g->state) {
	case DG_PENDING: return "pending";
	case DG_ACTIVE: return g->uses_left > 0 ? "active" : "used-up";
	case DG_REVOKED: return "revoked";
	case DG_EXPIRED: return "expired";
	}
	return "unknown";
}

int grant_live(const struct dgrant *g, uint64_t now)
{
	return g->state == DG_ACTIVE && g->uses_left > 0 && now < g->g.expires;
}

const struct ad_rule *grant_rule(const struct daemon *d, const char *name)
{
	const struct ad_policy *p = d->rt->pol;

	for (size_t i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].name, name) == 0)
			return &p->rules[i];
	return strcmp(p->def.name, name) == 0 ? &p->def : NULL;
}

static void dgrant_free(struct dgrant *g)
{
	if (g->has_pat > 0)
		ad_cmdpat_free(&g->pat);
	free(g->appr);
	free(g);
}

void grant_free_all(struct daemon *d)
{
	struct dgrant *g = d->grants, *next;

	for (; g != NULL; g = next) {
		next = g->next;
		dgrant_free(g);
	}
	d->grants = NULL;
}

/* Keep memory bounded: beyond D_GRANTS_MAX, forget the oldest grants
 * that can never act again (the evidence keeps them). */
static void grant_prune(struct daemon *d)
{
	struct dgrant **pp = &d->grants;
	size_t n = 0;

	if (d->snap_replay) /* rebuilding kept grants (snapshot.h) */
		return;
	for (struct dgrant *g = d->grants; g != NULL; g = g->next)
		n++;
	while (*pp != NULL && n > D_GRANTS_MAX) {
		struct dgrant *g = *pp;

		if (g->state == DG_REVOKED || g->state == DG_EXPIRED ||
		    (g->state == DG_ACTIVE && g->uses_left == 0)) {
			*pp = g->next;
			dgrant_free(g);
			n--;
			continue;
		}
		pp = &g->next;
	}
}

/* The grant fields of a flat `grant` record, as ad_grant_from_json wants. */
static json_t *grant_fields(const json_t *rec)
{
	static const char *const keys[] = {
		"id", "host", "requester", "uid", "rule", "match", "uses",
		"created", "expires", "comment", "created_by_uid", "created_by",
	};
	json_t *o = json_object();

	for (size_t i = 0; o != NULL && i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(rec, keys[i]);

		if (v != NULL && json_object_set(o, keys[i], v) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* A `grant` record: a new pending grant, checked against its digest. */
static int apply_new(struct daemon *d, const json_t *rec)
{
	json_t *f = grant_fields(rec);
	char err[160], hex[AD_DIGEST_HEX], msg[160];
	struct dgrant *g = calloc(1, sizeof(*g));
	int r = f && g ? 0 : AD_ERR_NOMEM;

	if (r == 0)
		r = ad_grant_from_json(&g->g, f, err, sizeof(err));
	json_decref(f);
	if (r == 0)
		r = ad_grant_digest(g->digest, &g->g);
	if (r == 0) {
		ad_digest_hex(hex, g->digest);
		if (strcmp(hex, rec_str(rec, "digest")) != 0 ||
		    grant_find(d, g->g.id) != NULL)
			r = AD_ERR_CHAIN; /* the record must describe itself */
	}
	if (r != 0) {
		free(g);
		return r;
	}
	g->has_pat = g->g.match[0] == '\0' ? 0 :
		     ad_cmdpat_compile(&g->pat, g->g.match, msg, sizeof(msg)) == 0
		     ? 1 : -1;
	g->state = DG_PENDING;
	g->next = d->grants;
	d->grants = g;
	grant_prune(d);
	return 0;
}

static int apply_approval(struct dgrant *g, const json_t *rec)
{
	struct d_approval *a;

	if (!json_is_true(json_object_get(rec, "counted")))
		return 0;
	if ((a = realloc(g->appr, (g->n_appr + 1) * sizeof(*a))) == NULL)
		return AD_ERR_NOMEM;
	g->appr = a;
	a = &g->appr[g->n_appr++];
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", rec_str(rec, "approver"));
	snprintf(a->user, sizeof(a->user), "%s", rec_str(rec, "user"));
	snprintf(a->key_id, sizeof(a->key_id), "%s", rec_str(rec, "key_id"));
	a->not_after = rec_u64(rec, "not_after");
	a->uses = (uint32_t)rec_u64(rec, "uses");
	return 0;
}

static void remember_token(struct daemon *d, const json_t *rec)
{
	uint8_t h[AD_DIGEST_LEN];
	size_t hl = 0;

	if (sodium_hex2bin(h, sizeof(h), rec_str(rec, "token_hash"), 64, NULL,
			   &hl, NULL) == 0 && hl == sizeof(h))
		store_remember(d, h);
}

int grant_apply(struct daemon *d, const json_t *rec)
{
	const char *ev = rec_str(rec, "event");
	struct dgrant *g;
	uint64_t uses;

	if (strcmp(ev, "grant") == 0)
		return apply_new(d, rec);
	remember_token(d, rec);
	if ((g = grant_find(d, rec_str(rec, "id"))) == NULL)
		return 0; /* pruned, or a refusal naming an unknown grant */
	if (strcmp(ev, "approval") == 0) {
		return apply_approval(g, rec);
	} else if (strcmp(ev, "approved") == 0) {
		g->state = DG_ACTIVE;
		uses = rec_u64(rec, "uses");
		g->uses_left = uses > 0 && uses < g->g.uses ? (uint32_t)uses
							     : g->g.uses;
	} else if (strcmp(ev, "revoke") == 0) {
		g->state = DG_REVOKED;
		snprintf(g->reason, sizeof(g->reason), "revoked by %s%s%s",
			 rec_str(rec, "by"), rec_str(rec, "comment")[0] ? ": " : "",
			 rec_str(rec, "comment"));
	} else if (strcmp(ev, "expire") == 0) {
		g->state = DG_EXPIRED;
		snprintf(g->reason, sizeof(g->reason), "%s", rec_str(rec, "why"));
	}
	return 0;
}

int grant_apply_use(struct daemon *d, const json_t *rec)
{
	struct dgrant *g;
	uint64_t left = rec_u64(rec, "grant_uses_left");

	if (rec_str(rec, "grant")[0] == '\0' ||
	    (g = grant_find(d, rec_str(rec, "grant"))) == NULL)
		return 0;
	if (left < g->uses_left)
		g->uses_left = (uint32_t)left;
	return 0;
}

int grant_same_human(const char *a, const char *b)
{
	uid_t ua, ub;
	gid_t g;
	int ra, rb;

	if (strcmp(a, b) == 0)
		return 1;
	ra = ad_nss_user(a, &ua, &g);
	rb = ad_nss_user(b, &ub, &g);
	if (ra < 0 || rb < 0)
		return 1;
	return ra == 1 && rb == 1 && ua == ub;
}

/* The run's sponsor (the human whose session it is) approved the grant:
 * that approval would be the sponsor's own (DESIGN.md §4.4, review R8). */
static int sponsor_approved(const struct dgrant *g, const char *sponsor)
{
	if (sponsor == NULL || sponsor[0] == '\0')
		return 0;
	for (size_t i = 0; i < g->n_appr; i++)
		if (grant_same_human(g->appr[i].user, sponsor))
			return 1;
	return 0;
}

static int grant_matches(const struct dgrant *g, const struct ad_request *req)
{
	if (g->has_pat < 0)
		return 0;
	if (g->has_pat == 0)
		return 1;
	return ad_cmdpat_match(&g->pat, req->command,
			       req->argv.n > 1 ? req->argv.v + 1 : NULL,
			       req->argv.n > 1 ? req->argv.n - 1 : 0);
}

const char *grant_cover(struct daemon *d, const struct ad_rule *rule,
			const struct ad_request *req)
{
	uint64_t now = d_now(d);

	if (rule == NULL || rule->action != AD_ACTION_APPROVE)
		return NULL;
	for (const struct dgrant *g = d->grants; g != NULL; g = g->next)
		if (grant_live(g, now) && g->g.uid == req->uid &&
		    strcmp(g->g.rule, rule->name) == 0 &&
		    strcmp(g->g.host, req->host) == 0 && grant_matches(g, req) &&
		    !sponsor_approved(g, req->sponsor))
			return g->g.id;
	return NULL;
}

int grant_consume_fields(struct daemon *d, const struct dreq *q, json_t *rec,
			 char *why, size_t wl)
{
	struct dgrant *g = grant_find(d, q->grant);
	uint64_t now = d_now(d);

	if (g == NULL) {
		snprintf(why, wl, "grant %s of request %s is no longer known",
			 q->grant, q->req.id);
		return AD_ERR_STATE;
	}
	if (!grant_live(g, now)) {
		snprintf(why, wl, "grant %s is %s; request %s is not covered any "
			 "more", g->g.id, now >= g->g.expires && g->state !=
			 DG_REVOKED ? "expired" : grant_state_name(g), q->req.id);
		return now >= g->g.expires ? AD_ERR_EXPIRED : AD_ERR_STATE;
	}
	if (json_object_set_new(rec, "grant", json_string(g->g.id)) != 0 ||
	    json_object_set_new(rec, "grant_uses_left",
				json_integer((json_int_t)g->uses_left - 1)) != 0) {
		snprintf(why, wl, "consume record");
		return AD_ERR_NOMEM;
	}
	return 0;
}

void grant_tick(struct daemon *d, uint64_t now)
{
	for (struct dgrant *g = d->grants; g != NULL; g = g->next) {
		json_t *rec;

		if ((g->state != DG_PENDING && g->state != DG_ACTIVE) ||
		    now < g->g.expires)
			continue;
		rec = journal_record("expire", g->g.id);
		if (rec != NULL && json_object_set_new(rec, "why", json_string(
			    g->state == DG_PENDING ? "grant not approved before "
			    "it expired" : "grant lifetime passed")) == 0)
			(void)journal_commit(d, rec); /* retried next tick */
		json_decref(rec);
	}
}

static json_t *approvals_json(const struct dgrant *g)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < g->n_appr; i++)
		if (json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I}",
				"approver", g->appr[i].name, "user",
				g->appr[i].user, "key_id", g->appr[i].key_id,
				"not_after", (json_int_t)g->appr[i].not_after))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The `show` object of a grant: what approverctl show/sign read. */
json_t *grant_show_json(const struct daemon *d, const struct dgrant *g)
{
	const struct ad_rule *rule = grant_rule(d, g->g.rule);
	char dh[AD_DIGEST_HEX], req[512] = "rule no longer in the policy";

	ad_digest_hex(dh, g->digest);
	if (rule != NULL)
		ad_rule_requires_text(rule, req, sizeof(req));
	return json_pack("{s:s, s:o?, s:s, s:s, s:s, s:s, s:I, s:I, s:o?}",
			 "kind", "grant", "grant", ad_grant_to_json(&g->g),
			 "digest", dh, "state", grant_state_name(g),
			 "requires", req, "reason", g->reason,
			 "uses_left", (json_int_t)g->uses_left,
			 "expires", (json_int_t)g->g.expires,
			 "approvals", approvals_json(g));
}

/* One line of `list`, marked "kind": "grant". */
json_t *grant_summary_json(const struct dgrant *g, uint64_t now)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:I,"
			 " s:I, s:I, s:[]}",
			 "kind", "grant", "id", g->g.id,
			 "state", grant_state_name(g), "requester", g->g.requester,
			 "uid", (json_int_t)g->g.uid, "rule", g->g.rule,
			 "match", g->g.match, "uses", (json_int_t)g->g.uses,
			 "uses_left", (json_int_t)g->uses_left,
			 "age", (json_int_t)(now > g->g.created ?
					     now - g->g.created : 0),
			 "expires", (json_int_t)g->g.expires,
			 "approvals", (json_int_t)g->n_appr, "argv");
}
