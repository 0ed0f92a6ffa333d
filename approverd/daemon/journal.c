/*
 * journal.c — every state change as an evidence record, then syslog, then
 * memory (see daemon.h); and the replay that rebuilds memory at start.
 *
 * Invariants (DESIGN.md §4.1, §4.6, §6):
 *  - journal_commit() appends + fdatasyncs first; if that fails nothing
 *    changes, the error is returned (callers refuse) and the daemon goes on.
 *  - journal_commit_n(): the records of one operation share ONE fdatasync;
 *    none is applied (nor syslogged, nor sent to webhooks) before all are
 *    durable; a failed write/sync applies none of them.
 *  - Each durable record goes to syslog (LOG_AUTHPRIV) as key=value with its
 *    seq and chain hash, every value escaped by ad_evidence_kv().
 *  - journal_apply() is the single place where request state changes; live
 *    operation and replay run the same code, so a restart rebuilds exactly
 *    the state clients were told about.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <sodium.h>

#include "daemon.h"
#include "error.h"
#include "evidence.h"
#include "dgrant.h"
#include "notify_daemon.h"
#include "proto.h"
#include "runtime.h"

json_t *journal_record(const char *event, const char *id)
{
	json_t *o = json_object();

	if (o == NULL || json_object_set_new(o, "event", json_string(event)) ||
	    (id != NULL && json_object_set_new(o, "id", json_string(id)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* seq first, then the record without the bulky full request copy. */
static void journal_syslog(const json_t *rec, uint64_t seq, const char *hash)
{
	json_t *s = json_object();
	const char *k;
	json_t *v;
	char *line;

	if (s == NULL)
		return;
	json_object_set_new(s, "seq", json_integer((json_int_t)seq));
	json_object_foreach((json_t *)rec, k, v)
		if (strcmp(k, "request") != 0)
			json_object_set(s, k, v);
	line = ad_evidence_kv(s, hash);
	if (line != NULL)
		syslog(LOG_NOTICE, "%s", line);
	else
		syslog(LOG_ERR, "evidence seq=%llu hash=%s (syslog form failed)",
		       (unsigned long long)seq, hash);
	free(line);
	json_decref(s);
}

static void commit_failed(struct daemon *d, int r)
{
	/* A record refused before any byte was written (too big for one
	 * evidence line, not encodable) says nothing about the file: the
	 * caller is refused, the file stays healthy (SECURITY-TESTING.md
	 * finding 3). */
	if (r == AD_ERR_TOOBIG || r == AD_ERR_INVALID) {
		d_log(LOG_ERR, "evidence record refused: %s", ad_strerror(r));
		return;
	}
	if (d->evidence_err != r)
		d_log(LOG_CRIT, "evidence append failed: %s; refusing AI "
		      "requests until it works again", ad_strerror(r));
	d->evidence_err = r;
}

static void commit_ok(struct daemon *d, uint64_t seq)
{
	if (d->evidence_err != 0)
		d_log(LOG_NOTICE, "evidence writable again (seq %llu)",
		      (unsigned long long)seq);
	d->evidence_err = 0;
}

/* A durable record: syslog, memory, webhooks — in that order. */
static void publish(struct daemon *d, const json_t *rec, uint64_t seq,
		    const char *hash)
{
	int r;

	journal_syslog(rec, seq, hash);
	if ((r = journal_apply(d, rec)) != 0)
		d_log(LOG_ERR, "applying durable record seq %llu: %s",
		      (unsigned long long)seq, ad_strerror(r));
	dn_record(d, rec); /* webhooks: only what is durable */
}

int journal_commit(struct daemon *d, json_t *rec)
{
	char hash[AD_EVIDENCE_HASH_HEX];
	uint64_t seq = 0;
	int r = ad_evidence_append(d->ev, rec, &seq, hash);

	if (r != 0) {
		commit_failed(d, r);
		return r;
	}
	commit_ok(d, seq);
	publish(d, rec, seq, hash);
	return 0;
}

/*
 * The records of one operation: all written, ONE fdatasync, then each is
 * published in order. On a write or sync failure (I/O, no space) the
 * evidence module cuts the whole batch back, nothing is applied and the
 * error is returned. A record refused before any byte of it is written
 * (e.g. too big) ends the batch there: the records before it are made
 * durable and applied — exactly what committing them one by one did — and
 * the refusal is returned, so the client is told of an error either way.
 */
int journal_commit_n(struct daemon *d, json_t *const *recs, size_t n)
{
	char hash[J_BATCH_MAX][AD_EVIDENCE_HASH_HEX];
	uint64_t seq[J_BATCH_MAX];
	size_t w;
	int r = 0, rs;

	if (n == 0 || n > J_BATCH_MAX)
		return AD_ERR_INVALID;
	for (w = 0; w < n; w++)
		if ((r = ad_evidence_write(d->ev, recs[w], &seq[w], hash[w])) != 0)
			break; /* w: how many were written */
	/* After an I/O failure this only reports (and clears) the cut. */
	rs = ad_evidence_sync(d->ev);
	if (r == AD_ERR_NOSPACE || r == AD_ERR_IO || rs != 0) {
		commit_failed(d, r == AD_ERR_NOSPACE || r == AD_ERR_IO ? r : rs);
		return r == AD_ERR_NOSPACE || r == AD_ERR_IO ? r : rs;
	}
	if (w > 0)
		commit_ok(d, seq[w - 1]);
	for (size_t i = 0; i < w; i++)
		publish(d, recs[i], seq[i], hash[i]);
	if (r != 0)
		commit_failed(d, r);
	return r;
}

/* Start/stop/reload/recovered records; failures only logged. */
void journal_lifecycle(struct daemon *d, const char *event, const char *what)
{
	json_t *rec = journal_record(event, NULL);

	if (rec == NULL ||
	    json_object_set_new(rec, "version", json_string(APPROVERD_VERSION)) ||
	    json_object_set_new(rec, "config_digest",
				json_string(rt_config_digest(d->rt))) ||
	    (what && json_object_set_new(rec, "what", json_string(what))) ||
	    journal_commit(d, rec) != 0)
		d_log(LOG_ERR, "could not record '%s' in the evidence", event);
	json_decref(rec);
}

static const char *rec_str(const json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));

	return s ? s : "";
}

static uint64_t rec_u64(const json_t *rec, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(rec, key));

	return v > 0 ? (uint64_t)v : 0;
}

static int set_text(char **dst, const char *s)
{
	char *n = strdup(s ? s : "");

	if (n == NULL)
		return AD_ERR_NOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

static void dreq_free(struct dreq *q)
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

/* A `request` record: a new entry (state as recorded). */
static int apply_request(struct daemon *d, const json_t *rec,
			 struct dreq **out)
{
	char err[128], hex[AD_DIGEST_HEX];
	int st = ad_state_parse(rec_str(rec, "state"));
	struct dreq *q;
	int r;

	if (st < 0) /* "refused": a create by a non-root caller, no state */
		return 0;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return AD_ERR_NOMEM;
	ad_request_init(&q->req);
	if ((r = ad_request_from_json(&q->req, json_object_get(rec, "request"),
				      err, sizeof(err))) != 0 ||
	    (r = ad_exec_digest(q->exec_digest, &q->req)) != 0 ||
	    (r = ad_request_digest(q->digest, &q->req)) != 0)
		goto fail;
	ad_digest_hex(hex, q->digest);
	r = AD_ERR_CHAIN; /* the record must describe what it carries */
	if (strcmp(hex, rec_str(rec, "digest")) != 0 ||
	    strcmp(q->req.id, rec_str(rec, "id")) != 0 || store_find(d, q->req.id))
		goto fail;
	q->state = (enum ad_state)st;
	q->max_ttl = rec_u64(rec, "max_ttl");
	q->expires = rec_u64(rec, "expires");
	q->affects = json_incref(json_object_get(rec, "affects"));
	q->checks = json_incref(json_object_get(rec, "checks"));
	snprintf(q->grant, sizeof(q->grant), "%s", rec_str(rec, "grant"));
	if ((r = set_text(&q->requires, rec_str(rec, "requires"))) != 0 ||
	    (r = set_text(&q->reason, rec_str(rec, "why"))) != 0 ||
	    (r = set_text(&q->blocked, rec_str(rec, "blocked"))) != 0 ||
	    (r = store_link(d, q)) != 0)
		goto fail;
	*out = q;
	return 0;
fail:
	dreq_free(q);
	return r;
}

static int apply_vote(struct daemon *d, const json_t *rec, struct dreq *q,
		      int deny)
{
	uint8_t h[AD_DIGEST_LEN];
	size_t hl = 0;
	struct d_approval *a;

	if (sodium_hex2bin(h, sizeof(h), rec_str(rec, "token_hash"), 64, NULL,
			   &hl, NULL) == 0 && hl == sizeof(h))
		store_remember(d, h);
	if (!json_is_true(json_object_get(rec, "counted")) || q == NULL)
		return 0;
	if (deny) {
		q->state = AD_STATE_DENIED;
		return set_text(&q->reason, rec_str(rec, "why_denied"));
	}
	a = realloc(q->appr, (q->n_appr + 1) * sizeof(*a));
	if (a == NULL)
		return AD_ERR_NOMEM;
	q->appr = a;
	a = &q->appr[q->n_appr++];
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", rec_str(rec, "approver"));
	snprintf(a->user, sizeof(a->user), "%s", rec_str(rec, "user"));
	snprintf(a->key_id, sizeof(a->key_id), "%s", rec_str(rec, "key_id"));
	a->not_after = rec_u64(rec, "not_after");
	a->uses = (uint32_t)rec_u64(rec, "uses");
	if (!json_is_true(json_object_get(rec, "breakglass")))
		return 0;
	if (q->bg == NULL && (q->bg = calloc(1, sizeof(*q->bg))) == NULL)
		return AD_ERR_NOMEM;
	snprintf(q->bg->by, sizeof(q->bg->by), "%s", a->name);
	snprintf(q->bg->user, sizeof(q->bg->user), "%s", a->user);
	snprintf(q->bg->justification, sizeof(q->bg->justification), "%s",
		 rec_str(rec, "justification"));
	return 0;
}

/* A counted `review` closes a break-glass (governance.md §3). */
static int apply_review(struct daemon *d, const json_t *rec, struct dreq *q)
{
	uint8_t h[AD_DIGEST_LEN];
	size_t hl = 0;

	if (sodium_hex2bin(h, sizeof(h), rec_str(rec, "token_hash"), 64, NULL,
			   &hl, NULL) == 0 && hl == sizeof(h))
		store_remember(d, h);
	if (!json_is_true(json_object_get(rec, "counted")) || q == NULL ||
	    q->bg == NULL)
		return 0;
	q->bg->reviewed = 1;
	snprintf(q->bg->reviewed_by, sizeof(q->bg->reviewed_by), "%s",
		 rec_str(rec, "reviewer"));
	snprintf(q->bg->review_comment, sizeof(q->bg->review_comment), "%s",
		 rec_str(rec, "comment"));
	return 0;
}

static void apply_consume(struct dreq *q)
{
	q->results_owed++;
	if (q->state == AD_STATE_ALLOWED || q->uses_left <= 1) {
		q->uses_left = 0;
		q->state = AD_STATE_CONSUMED;
	} else {
		q->uses_left--;
	}
}

static int apply_change(struct dreq *q, const char *ev, const json_t *rec)
{
	if (strcmp(ev, "approved") == 0) {
		q->state = AD_STATE_APPROVED;
		q->not_after = rec_u64(rec, "not_after");
		q->uses_left = (uint32_t)rec_u64(rec, "uses");
	} else if (strcmp(ev, "consume") == 0) {
		apply_consume(q);
	} else if (strcmp(ev, "result") == 0) {
		q->results_owed -= q->results_owed > 0;
	} else if (strcmp(ev, "expire") == 0) {
		q->state = AD_STATE_EXPIRED;
		return set_text(&q->reason, rec_str(rec, "why"));
	} else if (strcmp(ev, "withdraw") == 0) {
		q->state = AD_STATE_WITHDRAWN;
		return set_text(&q->reason, rec_str(rec, "why"));
	}
	return 0;
}

int journal_apply(struct daemon *d, const json_t *rec)
{
	const char *ev = rec_str(rec, "event");
	struct dreq *q = NULL;
	int r = 0;

	if (grant_is_id(rec_str(rec, "id"))) /* governance.md §4 (grant.c) */
		return grant_apply(d, rec);
	if (strcmp(ev, "consume") == 0 && (r = grant_apply_use(d, rec)) != 0)
		return r;
	if (strcmp(ev, "request") == 0) {
		r = apply_request(d, rec, &q);
	} else {
		q = json_object_get(rec, "id") ? store_find(d, rec_str(rec, "id"))
					       : NULL;
		if (strcmp(ev, "approval") == 0 || strcmp(ev, "denial") == 0)
			r = apply_vote(d, rec, q, ev[0] == 'd');
		else if (strcmp(ev, "review") == 0)
			r = apply_review(d, rec, q);
		else if (q != NULL)
			r = apply_change(q, ev, rec);
	}
	if (r == 0 && q != NULL)
		loop_notify(d, q);
	if (r == 0 && strcmp(ev, "request") == 0)
		store_prune(d); /* after the notify: q may be pruned */
	return r;
}

struct replay_ctx {
	struct daemon *d;
	uint64_t seq;    /* record being applied */
	int failed;      /* the callback (not the file) stopped the replay */
};

static int replay_cb(void *arg, const json_t *rec)
{
	struct replay_ctx *rc = arg;
	int r;

	rc->seq = (uint64_t)json_integer_value(json_object_get(rec, "seq"));
	if ((r = journal_apply(rc->d, rec)) != 0)
		rc->failed = 1;
	return r;
}

int journal_replay(struct daemon *d, const char *path, char *err,
		   size_t errlen)
{
	struct replay_ctx rc = {.d = d};
	struct ad_verify_report rep;
	/* One pass over the file the writer already verified and holds
	 * locked (ad_evidence_open); every line is checked again as read. */
	int r = ad_evidence_replay_open(d->ev, replay_cb, &rc, &rep);

	if (r != 0 && rc.failed)
		snprintf(err, errlen, "%s: record seq %llu cannot be replayed: "
			 "%s (e.g. its request does not match its digest)", path,
			 (unsigned long long)rc.seq, ad_strerror(r));
	else if (r != 0)
		snprintf(err, errlen, "%s: replay stopped at line %llu (seq "
			 "%llu): %s", path, (unsigned long long)rep.bad_line,
			 (unsigned long long)rep.bad_seq,
			 rep.why[0] ? rep.why : ad_strerror(r));
	return r;
}

static void expire_one(struct daemon *d, struct dreq *q, const char *why)
{
	json_t *rec = journal_record("expire", q->req.id);

	if (rec != NULL && json_object_set_new(rec, "why", json_string(why)) == 0)
		(void)journal_commit(d, rec); /* retried next tick on failure */
	json_decref(rec);
}

void journal_checkpoint(struct daemon *d)
{
	char head[AD_EVIDENCE_HASH_HEX];
	uint64_t seq = 0;
	int r;

	if (ad_evidence_uncovered(d->ev) == 0)
		return;
	if ((r = ad_evidence_checkpoint(d->ev, &seq)) != 0) {
		d_log(LOG_ERR, "evidence checkpoint failed: %s", ad_strerror(r));
		return;
	}
	d->last_checkpoint_ms = d_mono_ms();
	ad_evidence_head(d->ev, head);
	syslog(LOG_NOTICE, "seq=%llu event=checkpoint hash=%s",
	       (unsigned long long)seq, head);
}

void journal_tick(struct daemon *d)
{
	const struct ad_config *cfg = rt_config(d->rt);
	uint64_t now = d_now(d);

	for (struct dreq *q = d->reqs; q != NULL; q = q->next) {
		if (q->state == AD_STATE_PENDING && q->expires && now >= q->expires)
			expire_one(d, q, "request_ttl passed without a decision");
		else if (q->state == AD_STATE_APPROVED && now >= q->not_after)
			expire_one(d, q, "approval not_after passed unused");
	}
	grant_tick(d, now);
	if (d->evidence_err == 0 &&
	    (ad_evidence_uncovered(d->ev) >= cfg->checkpoint_every ||
	     d_mono_ms() - d->last_checkpoint_ms >=
		     (int64_t)cfg->checkpoint_interval * 1000))
		journal_checkpoint(d);
}
