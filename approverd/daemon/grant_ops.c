/*
 * grant_ops.c — the ops `grant` (create a standing grant) and `revoke`
 * (unsigned, root), and show/status/list of grant ids (docs/PROTOCOL.md,
 * docs/formats/governance.md §4).
 *
 * Invariants (DESIGN.md §4.1, §4.8, §4.9):
 *  - only root or a registered approver (SO_PEERCRED uid's user) may ask
 *    for a grant; only root may revoke without a signature (ops.c);
 *  - a grant is refused unless its rule exists, is an approve rule, has
 *    `grants = yes`, its ttl and uses are within the rule's caps, its
 *    requester is a user here and its pattern compiles; every refusal
 *    names the field;
 *  - the daemon sets id, host, uid, created, expires and created_by; the
 *    reply is sent only once the `grant` record is durable;
 *  - show/status of a grant: root, approvers and the grant's requester.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <sodium.h>

#include "error.h"
#include "dgrant.h"
#include "nss.h"
#include "num.h"
#include "proto.h"
#include "runtime.h"
#include "text.h"

static int new_grant_id(struct daemon *d, char out[AD_ID_MAX])
{
	for (int tries = 0; tries < 64; tries++) {
		uint8_t r[4];

		randombytes_buf(r, sizeof(r));
		snprintf(out, AD_ID_MAX, "G-%02X%02X-%02X%02X", r[0], r[1], r[2],
			 r[3]);
		if (grant_find(d, out) == NULL)
			return 0;
	}
	return AD_ERR_LIMIT;
}

/* An optional string field: "" when absent; no control characters. */
static int opt_str(const char **out, const json_t *msg, const char *key,
		   size_t max)
{
	int r = ad_json_str(out, msg, key, max);

	if (r == AD_ERR_NOTFOUND) {
		*out = "";
		return 0;
	}
	return r;
}

/* The rule checks of §4 "Flow"; err/why on refusal. */
static int check_rule(const struct ad_rule *rule, const char *name,
		      uint64_t ttl, uint64_t uses, char *why, size_t wl)
{
	char a[32], b[32];

	if (rule == NULL) {
		snprintf(why, wl, "field 'rule': no rule '%s' in the policy", name);
		return AD_ERR_NOTFOUND;
	}
	if (rule->action != AD_ACTION_APPROVE) {
		snprintf(why, wl, "field 'rule': rule %s is %s %s rule; grants "
			 "are for approve rules", name, rule->action ==
			 AD_ACTION_ALLOW ? "an" : "a", ad_action_name(rule->action));
		return AD_ERR_INVALID;
	}
	if (rule->grants_allowed == 0) {
		snprintf(why, wl, "field 'rule': rule %s has grants = no", name);
		return AD_ERR_PERM;
	}
	if (ttl == 0 || ttl > rule->grant_max_ttl) {
		ad_format_duration(a, sizeof(a), ttl);
		ad_format_duration(b, sizeof(b), rule->grant_max_ttl);
		snprintf(why, wl, "field 'ttl': %s is %s rule %s's grant_max_ttl "
			 "%s", a, ttl ? "over" : "not within", name, b);
		return AD_ERR_TTL;
	}
	if (uses == 0 || uses > rule->grant_max_uses) {
		snprintf(why, wl, "field 'uses': %llu is not within 1..%u "
			 "(rule %s's grant_max_uses)", (unsigned long long)uses,
			 (unsigned)rule->grant_max_uses, name);
		return AD_ERR_RANGE;
	}
	return 0;
}

/* Requester (a user here), match (compiles), comment (printable). */
static int check_fields(struct ad_grant *g, const char *match,
			const char *comment, char *why, size_t wl)
{
	struct ad_cmdpat pat;
	char msg[160];
	uid_t uid;
	gid_t gid;
	int r = ad_nss_user(g->requester, &uid, &gid);

	if (r != 1) {
		snprintf(why, wl, "field 'requester': %s '%s'", r < 0 ?
			 "cannot look up user" : "no such user", g->requester);
		return r < 0 ? r : AD_ERR_NOTFOUND;
	}
	g->uid = (uint32_t)uid;
	if (match[0] != '\0') {
		if (ad_cmdpat_compile(&pat, match, msg, sizeof(msg)) != 0) {
			snprintf(why, wl, "field 'match': %s", msg);
			return AD_ERR_INVALID;
		}
		ad_cmdpat_free(&pat);
	}
	for (const char *s = comment; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
			snprintf(why, wl, "field 'comment': not printable ASCII");
			return AD_ERR_INVALID;
		}
	snprintf(g->match, sizeof(g->match), "%s", match);
	snprintf(g->comment, sizeof(g->comment), "%s", comment);
	return 0;
}

/* Parse and check the message into g; why names the field on refusal. */
static int grant_from_msg(struct daemon *d, struct conn *c, json_t *msg,
			  struct ad_grant *g, char *why, size_t wl)
{
	const char *req = NULL, *rule = NULL, *match = "", *comment = "";
	uint64_t ttl = 0, uses = 0, now = d_now(d);
	int r;

	memset(g, 0, sizeof(*g));
	if ((r = ad_json_str(&req, msg, "requester", AD_GRANT_NAME_MAX - 1)) ||
	    (r = ad_json_str(&rule, msg, "rule", AD_GRANT_NAME_MAX - 1)) ||
	    (r = opt_str(&match, msg, "match", AD_GRANT_MATCH_MAX - 1)) ||
	    (r = opt_str(&comment, msg, "comment", AD_GRANT_COMMENT_MAX - 1)) ||
	    (r = ad_json_u64(&ttl, msg, "ttl")) ||
	    (r = ad_json_u64(&uses, msg, "uses"))) {
		snprintf(why, wl, "need requester, rule, ttl (seconds) and uses; "
			 "match and comment optional (a field is missing, too "
			 "long or of the wrong type)");
		return r == AD_ERR_NOTFOUND ? AD_ERR_INVALID : r;
	}
	snprintf(g->requester, sizeof(g->requester), "%s", req);
	snprintf(g->rule, sizeof(g->rule), "%s", rule);
	if ((r = check_rule(grant_rule(d, rule), rule, ttl, uses, why, wl)) ||
	    (r = check_fields(g, match, comment, why, wl)) ||
	    (r = new_grant_id(d, g->id)))
		return r;
	snprintf(g->host, sizeof(g->host), "%s", rt_config(d->rt)->host_id);
	g->uses = (uint32_t)uses;
	g->created = now;
	g->expires = now + ttl;
	g->created_by_uid = (uint32_t)c->uid;
	snprintf(g->created_by, sizeof(g->created_by), "%s", conn_user(c));
	return 0;
}

static json_t *grant_record(const struct ad_grant *g)
{
	uint8_t dg[AD_DIGEST_LEN];
	char hex[AD_DIGEST_HEX];
	json_t *rec = journal_record("grant", NULL), *f;

	if (rec == NULL || ad_grant_digest(dg, g) != 0 ||
	    (f = ad_grant_to_json(g)) == NULL) {
		json_decref(rec);
		return NULL;
	}
	ad_digest_hex(hex, dg);
	if (json_object_update_new(rec, f) != 0 ||
	    json_object_set_new(rec, "digest", json_string(hex)) != 0 ||
	    json_object_set_new(rec, "state", json_string("pending")) != 0) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

static int reply_show(struct daemon *d, struct conn *c, const struct dgrant *g)
{
	json_t *o = ad_msg_ok();

	if (o == NULL ||
	    json_object_set_new(o, "show", grant_show_json(d, g)) != 0) {
		json_decref(o);
		return conn_send_error(d, c, AD_ERR_NOMEM, "building show");
	}
	return conn_send(d, c, o);
}

static size_t live_grants(const struct daemon *d)
{
	size_t n = 0;

	for (const struct dgrant *g = d->grants; g != NULL; g = g->next)
		n += g->state == DG_PENDING || g->state == DG_ACTIVE;
	return n;
}

int op_grant(struct daemon *d, struct conn *c, json_t *msg)
{
	struct ad_grant g;
	char why[400];
	json_t *rec;
	int r;

	if (c->uid != 0 && !rt_is_approver(d->rt, conn_user(c))) {
		d_log(LOG_WARNING, "uid %u (pid %d) asked for a grant; refused: "
		      "neither root nor a registered approver", (unsigned)c->uid,
		      (int)c->pid);
		return conn_send_error(d, c, AD_ERR_PERM, "uid %u is neither root "
				       "nor a registered approver", (unsigned)c->uid);
	}
	if (live_grants(d) >= D_GRANTS_MAX)
		return conn_send_error(d, c, AD_ERR_LIMIT, "%d grants are pending "
				       "or active already", D_GRANTS_MAX);
	if ((r = grant_from_msg(d, c, msg, &g, why, sizeof(why))) != 0)
		return conn_send_error(d, c, r, "grant refused: %s", why);
	if ((rec = grant_record(&g)) == NULL)
		return conn_send_error(d, c, AD_ERR_NOMEM, "grant record");
	r = journal_commit(d, rec);
	json_decref(rec);
	if (r != 0)
		return conn_send_error(d, c, r, "evidence could not be written "
				       "(%s); no grant", ad_strerror(r));
	if (grant_find(d, g.id) == NULL)
		return conn_send_error(d, c, AD_ERR_NOMEM, "grant %s recorded "
				       "but not loaded; restart approverd", g.id);
	return reply_show(d, c, grant_find(d, g.id));
}

/* The grant named by id, if the caller may see it (else replies). */
static struct dgrant *grant_for(struct daemon *d, struct conn *c,
				const char *id)
{
	struct dgrant *g = grant_find(d, id);

	if (g == NULL) {
		conn_send_error(d, c, AD_ERR_NOTFOUND, "no grant '%s'", id);
		return NULL;
	}
	if (c->uid == 0 || c->uid == g->g.uid || rt_is_approver(d->rt, conn_user(c)))
		return g;
	d_log(LOG_WARNING, "uid %u (pid %d) may not read grant %s; refused",
	      (unsigned)c->uid, (int)c->pid, g->g.id);
	conn_send_error(d, c, AD_ERR_PERM, "uid %u may not access grant %s",
			(unsigned)c->uid, g->g.id);
	return NULL;
}

int grant_op_show(struct daemon *d, struct conn *c, const char *id)
{
	struct dgrant *g = grant_for(d, c, id);

	return g ? reply_show(d, c, g) : 0;
}

int grant_op_status(struct daemon *d, struct conn *c, const char *id)
{
	struct dgrant *g = grant_for(d, c, id);

	return g ? grant_decision_reply(d, c, g) : 0;
}

/* docs/PROTOCOL.md "decision", for a grant: not_after is its expiry once
 * active; uses_left added. */
int grant_decision_reply(struct daemon *d, struct conn *c,
			 const struct dgrant *g)
{
	const struct ad_rule *rule = grant_rule(d, g->g.rule);
	char req[512] = "";
	json_t *o = ad_msg_ok(), *a = json_array();

	if (rule != NULL)
		ad_rule_requires_text(rule, req, sizeof(req));
	for (size_t i = 0; a != NULL && i < g->n_appr; i++)
		json_array_append_new(a, json_string(g->appr[i].name));
	if (o == NULL || a == NULL || json_object_update_new(o, json_pack(
		"{s:s, s:s, s:s, s:s, s:O, s:s, s:I, s:I, s:I}",
		"id", g->g.id, "kind", "grant", "state", grant_state_name(g),
		"rule", g->g.rule, "approvers", a, "requires", req,
		"not_after", (json_int_t)(g->state == DG_ACTIVE ? g->g.expires : 0),
		"expires", (json_int_t)g->g.expires,
		"uses_left", (json_int_t)g->uses_left)) != 0 ||
	    json_object_set_new(o, "reason", json_string(g->reason)) != 0) {
		json_decref(o);
		json_decref(a);
		return conn_send_error(d, c, AD_ERR_NOMEM, "building the reply");
	}
	json_decref(a);
	return conn_send(d, c, o);
}

int grant_list(struct daemon *d, json_t *a, int all)
{
	uint64_t now = d_now(d);

	for (const struct dgrant *g = d->grants; g != NULL; g = g->next)
		if ((all || g->state == DG_PENDING) &&
		    json_array_append_new(a, grant_summary_json(g, now)) != 0)
			return AD_ERR_NOMEM;
	return 0;
}

int op_revoke(struct daemon *d, struct conn *c, json_t *msg)
{
	const char *id = NULL, *comment = "";
	struct dgrant *g;
	json_t *rec;
	int r;

	if (ad_json_str(&id, msg, "id", AD_ID_MAX - 1) != 0 || !grant_is_id(id))
		return conn_send_error(d, c, AD_ERR_INVALID, "field 'id': missing "
				       "or not a grant id (G-XXXX-XXXX)");
	if (opt_str(&comment, msg, "comment", AD_GRANT_COMMENT_MAX - 1) != 0)
		return conn_send_error(d, c, AD_ERR_INVALID, "field 'comment': "
				       "longer than %d bytes or control "
				       "characters", AD_GRANT_COMMENT_MAX - 1);
	if ((g = grant_find(d, id)) == NULL)
		return conn_send_error(d, c, AD_ERR_NOTFOUND, "no grant '%s'", id);
	if (g->state != DG_PENDING && g->state != DG_ACTIVE)
		return conn_send_error(d, c, AD_ERR_STATE, "grant %s is %s", id,
				       grant_state_name(g));
	rec = journal_record("revoke", g->g.id);
	if (rec == NULL || json_object_update_new(rec, json_pack(
		"{s:s, s:s, s:I, s:s, s:s}", "by", "root", "user", conn_user(c),
		"uid", (json_int_t)c->uid, "key_id", "", "comment", comment)) != 0) {
		json_decref(rec);
		return conn_send_error(d, c, AD_ERR_NOMEM, "revoke record");
	}
	r = journal_commit(d, rec);
	json_decref(rec);
	if (r != 0)
		return conn_send_error(d, c, r, "evidence could not be written "
				       "(%s); grant not revoked", ad_strerror(r));
	return grant_decision_reply(d, c, g);
}
