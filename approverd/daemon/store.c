/*
 * store.c — the daemon's table of requests and of accepted tokens.
 *
 * Invariants: ids are random ("R-XXXX-XXXX", 32 random bits) and unique in
 * the table; lookups never trust the caller's string beyond a bounded
 * compare; JSON built here is only ever sent after the state it shows is
 * durable (callers guarantee it, see daemon.h); d->reqs and the index
 * (index.c) change together, only in store_link, store_prune and
 * store_free_all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon.h"
#include "error.h"

/* Both lookups go through index.c (hash tables kept in step with d->reqs). */
struct dreq *store_find(struct daemon *d, const char *id)
{
	return idx_find(d, id);
}

/* A re-run matches a pending or approved-unconsumed request (§3 step 3);
 * the newest such request if there are several. */
struct dreq *store_find_exec(struct daemon *d, uint32_t uid,
			     const uint8_t exec_digest[AD_DIGEST_LEN])
{
	return idx_find_exec(d, uid, exec_digest, NULL);
}

struct dreq *store_find_rerun(struct daemon *d, uint32_t uid,
			      const uint8_t exec_digest[AD_DIGEST_LEN],
			      const char *sponsor)
{
	return idx_find_exec(d, uid, exec_digest, sponsor ? sponsor : "");
}

/* A new entry: indexed first (may fail), then at the head of the list. */
/* Pending requests per requester uid (a handful of AI accounts), kept in
 * step by store_link, store_set_state and store_free_all, so the create
 * cap costs a short scan instead of a walk of every kept request. */
static struct d_pend *pend_slot(struct daemon *d, uint32_t uid, int add)
{
	struct d_pend *p;

	for (size_t i = 0; i < d->n_pend; i++)
		if (d->pend[i].uid == uid)
			return &d->pend[i];
	if (!add || (p = realloc(d->pend, (d->n_pend + 1) * sizeof(*p))) == NULL)
		return NULL;
	d->pend = p;
	p = &d->pend[d->n_pend++];
	p->uid = uid;
	p->n = 0;
	return p;
}

static int pend_adjust(struct daemon *d, uint32_t uid, int delta)
{
	struct d_pend *p = pend_slot(d, uid, delta > 0);

	if (p == NULL)
		return delta > 0 ? AD_ERR_NOMEM : 0;
	if (delta < 0 && p->n > 0)
		p->n--;
	else if (delta > 0)
		p->n++;
	return 0;
}

int store_link(struct daemon *d, struct dreq *q)
{
	int r = idx_add(d, q);

	if (r == 0 && q->state == AD_STATE_PENDING &&
	    (r = pend_adjust(d, q->req.uid, +1)) != 0)
		idx_del(d, q);
	if (r != 0)
		return r;
	q->next = d->reqs;
	d->reqs = q;
	d->n_reqs++;
	return 0;
}

/* Every change of a linked request's state goes through here. */
void store_set_state(struct daemon *d, struct dreq *q, enum ad_state st)
{
	if (q->state == AD_STATE_PENDING && st != AD_STATE_PENDING)
		pend_adjust(d, q->req.uid, -1);
	else if (q->state != AD_STATE_PENDING && st == AD_STATE_PENDING)
		pend_adjust(d, q->req.uid, +1); /* not a transition we make */
	q->state = st;
}

size_t store_pending_of(const struct daemon *d, uint32_t uid)
{
	for (size_t i = 0; i < d->n_pend; i++)
		if (d->pend[i].uid == uid)
			return d->pend[i].n;
	return 0;
}

int store_new_id(struct daemon *d, char out[AD_ID_MAX])
{
	for (int tries = 0; tries < 64; tries++) {
		uint8_t r[4];

		randombytes_buf(r, sizeof(r));
		snprintf(out, AD_ID_MAX, "R-%02X%02X-%02X%02X", r[0], r[1], r[2],
			 r[3]);
		if (store_find(d, out) == NULL)
			return 0;
	}
	out[0] = '\0';
	return AD_ERR_LIMIT;
}

int store_is_final(enum ad_state s)
{
	return s != AD_STATE_PENDING;
}

/* Everything a request owns, and the request (not linked, or unlinked). */
void store_dreq_free(struct dreq *q)
{
	ad_request_free(&q->req);
	free(q->requires);
	free(q->reason);
	free(q->blocked);
	json_decref(q->affects);
	json_decref(q->checks);
	free(q->appr);
	free(q->bg);
	free(q);
}

void store_free_all(struct daemon *d)
{
	struct dreq *q = d->reqs, *next;

	for (; q != NULL; q = next) {
		next = q->next;
		store_dreq_free(q);
	}
	d->reqs = NULL;
	d->n_reqs = 0;
	idx_free(d);
	store_seen_free(d);
	free(d->pend);
	d->pend = NULL;
	d->n_pend = 0;
}

static char *approver_names(const struct dreq *q)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < q->n_appr; i++)
		len += strlen(q->appr[i].name) + 1;
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (size_t i = 0; i < q->n_appr; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, q->appr[i].name);
	}
	return s;
}

int store_decision(struct ad_decision *out, const struct dreq *q)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", q->req.id);
	out->state = q->state;
	out->rule = strdup(q->req.rule ? q->req.rule : "");
	out->requires = strdup(q->requires ? q->requires : "");
	out->reason = strdup(q->reason ? q->reason : "");
	out->blocked = strdup(q->state == AD_STATE_PENDING && q->blocked
			      ? q->blocked : "");
	out->approvers = approver_names(q);
	out->not_after = q->state == AD_STATE_APPROVED ? q->not_after : 0;
	out->expires = q->state == AD_STATE_PENDING ? q->expires : 0;
	if (!out->rule || !out->requires || !out->reason || !out->approvers ||
	    !out->blocked) {
		ad_decision_free(out);
		return AD_ERR_NOMEM;
	}
	return 0;
}

static json_t *approvals_json(const struct dreq *q)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < q->n_appr; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "approver",
				      q->appr[i].name, "user", q->appr[i].user,
				      "key_id", q->appr[i].key_id, "not_after",
				      (json_int_t)q->appr[i].not_after);
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Break-glass and review state, or NULL (JSON null) when none. */
static json_t *breakglass_json(const struct dreq *q)
{
	const struct d_breakglass *b = q->bg;

	if (b == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}", "by", b->by,
			 "user", b->user, "justification", b->justification,
			 "reviewed", b->reviewed, "reviewed_by", b->reviewed_by,
			 "review_comment", b->review_comment);
}

/* Our own ASCII key: set without jansson's UTF-8 check; v NULL fails. */
static int show_put(json_t *o, const char *k, json_t *v)
{
	return v == NULL || json_object_set_new_nocheck(o, k, v) != 0 ? -1 : 0;
}

/* NULL as JSON null (json_pack's "o?"). */
static json_t *or_null(json_t *v)
{
	return v != NULL ? v : json_null();
}

/*
 * The `show` object: what approverctl show --json prints and sign reads.
 * Built key by key in the order json_pack("{s:o?, s:s, ...}") had (no
 * format string to parse on every show); a string that is not UTF-8 still
 * fails the whole object (so does a break-glass part that cannot be
 * built); a request or approvals that cannot be built is still null.
 */
json_t *store_show_json(const struct dreq *q)
{
	char dh[AD_DIGEST_HEX], eh[AD_DIGEST_HEX];
	json_t *o = json_object();

	ad_digest_hex(dh, q->digest);
	ad_digest_hex(eh, q->exec_digest);
	if (o == NULL ||
	    show_put(o, "request", or_null(ad_request_to_json(&q->req))) ||
	    show_put(o, "digest", json_string(dh)) ||
	    show_put(o, "exec_digest", json_string(eh)) ||
	    show_put(o, "state", json_string(ad_state_name(q->state))) ||
	    show_put(o, "requires",
	             json_string(q->requires ? q->requires : "")) ||
	    show_put(o, "reason", json_string(q->reason ? q->reason : "")) ||
	    show_put(o, "max_ttl", json_integer((json_int_t)q->max_ttl)) ||
	    show_put(o, "expires", json_integer((json_int_t)q->expires)) ||
	    show_put(o, "not_after", json_integer((json_int_t)q->not_after)) ||
	    show_put(o, "uses_left", json_integer((json_int_t)q->uses_left)) ||
	    show_put(o, "approvals", or_null(approvals_json(q))) ||
	    show_put(o, "affects", or_null(json_incref(q->affects))) ||
	    show_put(o, "checks", or_null(json_incref(q->checks))) ||
	    show_put(o, "blocked", json_string(q->blocked ? q->blocked : "")) ||
	    (q->bg != NULL && show_put(o, "breakglass", breakglass_json(q)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *argv_json(const struct ad_strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < v->n; i++)
		if (json_array_append_new(a, json_string(v->v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* One line of `list`. */
json_t *store_summary_json(const struct dreq *q, uint64_t now)
{
	uint64_t created = q->req.created_us / 1000000;

	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:o?, s:s,"
			 " s:s, s:I, s:I, s:I, s:s}",
			 "id", q->req.id, "state", ad_state_name(q->state),
			 "requester", q->req.requester, "uid", (json_int_t)q->req.uid,
			 "sponsor", q->req.sponsor, "service", q->req.service,
			 "runas", q->req.runas_user, "command", q->req.command,
			 "argv", argv_json(&q->req.argv), "rule", q->req.rule,
			 "requires", q->requires ? q->requires : "",
			 "age", (json_int_t)(now > created ? now - created : 0),
			 "expires", (json_int_t)q->expires,
			 "approvals", (json_int_t)q->n_appr,
			 "ticket", q->req.ticket);
}

/* Finished requests that nobody can act on any more (a break-glass
 * request stays until it is reviewed: the review acts on it). A consumed
 * request still owed a `result` (sudo killed, a session that never
 * reported) is kept for D_RESULT_WAIT after its creation, measured against
 * the newest request so that a replay prunes exactly as the live daemon
 * did (SECURITY-TESTING.md finding 4). */
static int prunable(const struct dreq *q, uint64_t newest_us)
{
	int owed = q->state == AD_STATE_CONSUMED && q->results_owed > 0 &&
		   newest_us - q->req.created_us < D_RESULT_WAIT * 1000000ull;

	return q->state != AD_STATE_PENDING && q->state != AD_STATE_APPROVED &&
	       !owed && !(q->bg != NULL && !q->bg->reviewed);
}

static void dreq_forget(struct daemon *d, struct dreq *q)
{
	idx_del(d, q);
	store_dreq_free(q);
	d->n_reqs--;
}

/* Prunable requests past the newest D_KEEP_MAX / 2. */
static size_t prune_candidates(const struct daemon *d, uint64_t newest_us)
{
	size_t seen = 0, n = 0;

	for (const struct dreq *q = d->reqs; q != NULL; q = q->next)
		if (++seen > D_KEEP_MAX / 2 && prunable(q, newest_us))
			n++;
	return n;
}

/*
 * Keep memory bounded: past D_KEEP_MAX + D_PRUNE_BATCH requests, forget
 * the OLDEST finished ones down to D_KEEP_MAX (the evidence file keeps
 * them); the newest D_KEEP_MAX / 2 are always kept. In batches, so the
 * list is walked once per D_PRUNE_BATCH new requests, not per request
 * (that made a long replay superlinear). Newest are first in d->reqs.
 */
void store_prune(struct daemon *d)
{
	struct dreq **pp = &d->reqs;
	uint64_t newest_us = d->reqs ? d->reqs->req.created_us : 0;
	size_t seen = 0, cand, excess, skip;

	/* Walk only when the count reaches a multiple of D_PRUNE_BATCH: when
	 * nothing is prunable (consumed requests still owed a result) the
	 * count grows past the mark and the next walk is D_PRUNE_BATCH
	 * requests later, not at every create. The rule reads only n_reqs, so
	 * a replay and a start from the snapshot prune as the live daemon did. */
	if (d->n_reqs <= D_KEEP_MAX + D_PRUNE_BATCH || d->snap_replay ||
	    d->n_reqs % D_PRUNE_BATCH != 0)
		return;
	d->prune_walks++;
	cand = prune_candidates(d, newest_us);
	excess = d->n_reqs - D_KEEP_MAX;
	skip = cand > excess ? cand - excess : 0; /* the newer candidates */
	while (*pp != NULL && d->n_reqs > D_KEEP_MAX) {
		struct dreq *q = *pp;

		if (++seen > D_KEEP_MAX / 2 && prunable(q, newest_us)) {
			if (skip == 0) {
				*pp = q->next;
				dreq_forget(d, q);
				continue;
			}
			skip--;
		}
		pp = &q->next;
	}
}
