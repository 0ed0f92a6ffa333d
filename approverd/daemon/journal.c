/*
 * journal.c — every state change as an evidence record, then syslog, then
 * memory (see daemon.h); and the replay that rebuilds memory at start.
 *
 * Invariants (DESIGN.md §4.1, §4.6, §6):
 *  - Inside a loop pass (group commit, daemon.h) journal_commit_n() writes
 *    and applies; nothing leaves the process (syslog line, webhook, reply,
 *    pushed decision) before journal_sync()'s ONE fdatasync for the pass
 *    succeeded. A failed write/sync drops all of the pass's held output,
 *    rebuilds memory from the durable file and errors every client of the
 *    pass (loop_rollback): the state equals the file again; nothing is
 *    retried into success. After a failed write no more of the pass is
 *    written.
 *  - Outside a pass (start-up, shutdown) journal_commit_n() writes the
 *    records of one operation, ONE fdatasync, and applies them only then;
 *    a failed write/sync applies none of them.
 *  - A checkpoint (its own fdatasync) runs only when no record waits.
 *  - Each durable record goes to syslog (LOG_AUTHPRIV) as key=value with its
 *    seq and chain hash, every value escaped by ad_evidence_kv_daemon().
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
#include "snapshot.h"

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
	char *line = ad_evidence_kv_daemon(rec, seq, hash);

	if (line != NULL)
		syslog(LOG_NOTICE, "%s", line);
	else
		syslog(LOG_ERR, "evidence seq=%llu hash=%s (syslog form failed)",
		       (unsigned long long)seq, hash);
	free(line);
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

/* Refused before any byte of the record was written: the file is as it
 * was (too big for one line, not encodable, no memory to build it). */
static int nothing_written(int r)
{
	return r == AD_ERR_TOOBIG || r == AD_ERR_INVALID || r == AD_ERR_NOMEM;
}

/*
 * Outside a loop pass (start-up, shutdown): the records of one operation
 * are all written, ONE fdatasync, then each is published in order. On a
 * write or sync failure (I/O, no space) the evidence module cuts the whole
 * batch back, nothing is applied and the error is returned. A record
 * refused before any byte of it is written (e.g. too big) ends the batch
 * there: the records before it are made durable and applied, and the
 * refusal is returned, so the client is told of an error either way.
 */
static int commit_now(struct daemon *d, json_t *const *recs, size_t n)
{
	char hash[J_BATCH_MAX][AD_EVIDENCE_HASH_HEX];
	uint64_t seq[J_BATCH_MAX];
	size_t w;
	int r = 0, rs;

	for (w = 0; w < n; w++)
		if ((r = ad_evidence_write(d->ev, recs[w], &seq[w], hash[w])) != 0)
			break; /* w: how many were written */
	d->n_records += w;
	d->n_syncs += w > 0;
	/* After an I/O failure this only reports (and clears) the cut. */
	rs = ad_evidence_sync(d->ev);
	if ((r != 0 && !nothing_written(r)) || rs != 0) {
		commit_failed(d, r != 0 ? r : rs);
		return r != 0 ? r : rs;
	}
	if (w > 0)
		commit_ok(d, seq[w - 1]);
	for (size_t i = 0; i < w; i++)
		publish(d, recs[i], seq[i], hash[i]);
	if (r != 0)
		commit_failed(d, r);
	return r;
}

/* A written record whose syslog line and webhooks wait for the sync. */
struct j_pub {
	json_t *rec;
	uint64_t seq;
	char hash[AD_EVIDENCE_HASH_HEX];
};

/* Room for n more held records, taken BEFORE writing them: once a
 * record is in the file nothing may fail on its way to memory. */
static int pass_reserve(struct daemon *d, size_t n)
{
	struct j_pub *q;
	size_t cap = d->gc_cap ? d->gc_cap : 64;

	while (cap < d->gc_written + n)
		cap *= 2;
	if (cap == d->gc_cap)
		return 0;
	if ((q = realloc(d->gc_q, cap * sizeof(*q))) == NULL)
		return AD_ERR_NOMEM;
	d->gc_q = q;
	d->gc_cap = cap;
	return 0;
}

/*
 * Inside a pass: written (not synced) and applied at once; the syslog
 * line and webhooks are held for journal_pass_end(), and so is every
 * reply (loop.c flushes only after it). Once a write of the pass failed
 * (the file was cut back to the last durable record) nothing more is
 * written: the pass is lost and will be rolled back.
 */
static int commit_pass(struct daemon *d, json_t *const *recs, size_t n)
{
	char hash[J_BATCH_MAX][AD_EVIDENCE_HASH_HEX];
	uint64_t seq[J_BATCH_MAX];
	size_t w;
	int r;

	if (d->gc_err != 0)
		return d->gc_err;
	if ((r = pass_reserve(d, n)) != 0)
		return r;
	for (w = 0; w < n; w++)
		if ((r = ad_evidence_write(d->ev, recs[w], &seq[w], hash[w])) != 0)
			break;
	if (r != 0 && !nothing_written(r)) {
		d->gc_err = r;
		commit_failed(d, r);
		return r;
	}
	for (size_t i = 0; i < w; i++) {
		struct j_pub *p = &d->gc_q[d->gc_written++];
		int ra;

		p->rec = json_incref(recs[i]);
		p->seq = seq[i];
		memcpy(p->hash, hash[i], sizeof(p->hash));
		if ((ra = journal_apply(d, recs[i])) != 0)
			d_log(LOG_ERR, "applying record seq %llu: %s",
			      (unsigned long long)seq[i], ad_strerror(ra));
	}
	d->n_records += w;
	if (r != 0)
		commit_failed(d, r);
	return r;
}

int journal_commit(struct daemon *d, json_t *rec)
{
	return journal_commit_n(d, &rec, 1);
}

int journal_commit_n(struct daemon *d, json_t *const *recs, size_t n)
{
	if (n == 0 || n > J_BATCH_MAX)
		return AD_ERR_INVALID;
	return d->gc_in_pass ? commit_pass(d, recs, n) : commit_now(d, recs, n);
}

/* Rebuild memory from the durable file after a failed pass: the same
 * replay as at start-up. The fd still holds exactly the durable records
 * (the evidence module cut the rest) even when it must be reopened before
 * the next write. */
static int rebuild_replay(struct daemon *d, char *err, size_t errlen,
			  uint64_t *snap_at);

static void pass_rebuild(struct daemon *d)
{
	char err[1024], from[64] = "";
	int64_t t0 = d_mono_ms();
	uint64_t snap_at = 0;
	int r;

	d->gc_rebuilding = 1;
	store_free_all(d);
	grant_free_all(d);
	r = rebuild_replay(d, err, sizeof(err), &snap_at);
	d->gc_rebuilding = 0;
	if (snap_at > 0)
		snprintf(from, sizeof(from), "; snapshot at seq %llu",
			 (unsigned long long)snap_at);
	if (r != 0) {
		d_log(LOG_CRIT, "cannot rebuild the state from the evidence "
		      "after a failed write: %s; stopping (a restart replays the "
		      "file)", err);
		d->gc_fatal = 1;
		d->stop = 1;
		return;
	}
	d_log(LOG_WARNING, "state rebuilt from the durable evidence (seq %llu, "
	      "%zu requests%s) in %lld ms",
	      (unsigned long long)ad_evidence_seq(d->ev), d->n_reqs, from,
	      (long long)(d_mono_ms() - t0));
}

/* Let the held output of the pass go (emit = durable) or drop it. */
static void pass_release(struct daemon *d, int emit)
{
	for (size_t i = 0; i < d->gc_written; i++) {
		struct j_pub *p = &d->gc_q[i];

		if (emit) {
			journal_syslog(p->rec, p->seq, p->hash);
			dn_record(d, p->rec); /* webhooks: only what is durable */
		}
		json_decref(p->rec);
	}
	d_log_release(emit);
	if (d->gc_in_pass)
		d_log_hold();
}

/*
 * ONE fdatasync for everything written since the last one; then the held
 * output goes out. On failure: the held output is dropped, memory is
 * rebuilt from the file and each waiting client is told (loop_rollback).
 */
int journal_sync(struct daemon *d)
{
	size_t n = d->gc_written;
	int r = d->gc_err, rs = 0;

	if (n > 0 || r != 0)
		rs = ad_evidence_sync(d->ev); /* after a write error: the cut */
	d->n_syncs += n > 0;
	r = r != 0 ? r : rs;
	if (r == 0 && n > 0)
		commit_ok(d, d->gc_q[n - 1].seq);
	else if (r != 0)
		commit_failed(d, r);
	pass_release(d, r == 0 || n == 0);
	d->gc_written = 0;
	d->gc_err = 0;
	if (r != 0 && n > 0) {
		pass_rebuild(d);
		loop_rollback(d, r);
	}
	d->gc_gen++;
	return r;
}

void journal_pass_begin(struct daemon *d)
{
	d->gc_in_pass = 1;
	d->gc_gen++;
	d_log_hold();
}

int journal_pass_end(struct daemon *d)
{
	int r = journal_sync(d);

	d->gc_in_pass = 0;
	d_log_release(1); /* nothing held since the sync */
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

const char *rec_str(const json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));

	return s ? s : "";
}

uint64_t rec_u64(const json_t *rec, const char *key)
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
	store_dreq_free(q);
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
		store_set_state(d, q, AD_STATE_DENIED);
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

static void apply_consume(struct daemon *d, struct dreq *q)
{
	q->results_owed++;
	if (q->state == AD_STATE_ALLOWED || q->uses_left <= 1) {
		q->uses_left = 0;
		store_set_state(d, q, AD_STATE_CONSUMED);
	} else {
		q->uses_left--;
	}
}

static int apply_change(struct daemon *d, struct dreq *q, const char *ev,
			const json_t *rec)
{
	if (strcmp(ev, "approved") == 0) {
		store_set_state(d, q, AD_STATE_APPROVED);
		q->not_after = rec_u64(rec, "not_after");
		q->uses_left = (uint32_t)rec_u64(rec, "uses");
	} else if (strcmp(ev, "consume") == 0) {
		apply_consume(d, q);
	} else if (strcmp(ev, "result") == 0) {
		q->results_owed -= q->results_owed > 0;
	} else if (strcmp(ev, "expire") == 0) {
		store_set_state(d, q, AD_STATE_EXPIRED);
		return set_text(&q->reason, rec_str(rec, "why"));
	} else if (strcmp(ev, "withdraw") == 0) {
		store_set_state(d, q, AD_STATE_WITHDRAWN);
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
			r = apply_change(d, q, ev, rec);
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

/* Why a replay of path stopped (r != 0), into err: the snapshot's own
 * reason, a record the daemon could not apply, or the scan's report. */
static void replay_error(char *err, size_t errlen, const char *path, int r,
			 const char *snap_why, const struct replay_ctx *rc,
			 const struct ad_verify_report *rep)
{
	if (snap_why != NULL && snap_why[0] != '\0')
		snprintf(err, errlen, "%s: %s", path, snap_why);
	else if (rc->failed)
		snprintf(err, errlen, "%s: record seq %llu cannot be replayed: "
			 "%s (e.g. its request does not match its digest)", path,
			 (unsigned long long)rc->seq, ad_strerror(r));
	else if (rep != NULL)
		snprintf(err, errlen, "%s: replay stopped at line %llu (seq "
			 "%llu): %s", path, (unsigned long long)rep->bad_line,
			 (unsigned long long)rep->bad_seq,
			 rep->why[0] ? rep->why : ad_strerror(r));
}

int journal_replay(struct daemon *d, const char *path, char *err,
		   size_t errlen)
{
	struct replay_ctx rc = {.d = d};
	struct ad_verify_report rep;
	/* One pass over the file the writer already verified and holds
	 * locked (ad_evidence_open); every line is checked again as read. */
	int r = ad_evidence_replay_open(d->ev, replay_cb, &rc, &rep);

	if (r != 0)
		replay_error(err, errlen, path, r, NULL, &rc, &rep);
	return r;
}

/* Start-up from a snapshot (snapshot.h): records up to its point are
 * applied only if they touch a kept object (no pruning meanwhile), then
 * the seen-token ring is the one it signed, then every record applies. */
struct snap_replay {
	struct replay_ctx rc;
	struct d_snap *snap; /* NULL: every record is applied */
	int past;            /* the snapshot's point is behind us */
	uint64_t parsed;     /* records parsed and applied */
	char why[320];       /* why the snapshot stopped the start */
};

static void snap_drop(struct snap_replay *sr, const char *why)
{
	d_log(LOG_WARNING, "evidence snapshot not used: %s; replaying every "
	      "record", why);
	snap_forget(sr->rc.d);
	snap_free(sr->snap);
	sr->snap = NULL;
	sr->rc.d->snap_replay = 0;
}

static int snap_pass(struct snap_replay *sr)
{
	struct daemon *d = sr->rc.d;

	sr->past = 1;
	d->snap_replay = 0;
	d->snap_seq = snap_seq(sr->snap);
	d_log(LOG_INFO, "evidence snapshot at seq %llu used",
	      (unsigned long long)d->snap_seq);
	return snap_restore_seen(d, sr->snap);
}

static int replay_pick(void *arg, const struct ad_evidence_line *l)
{
	struct snap_replay *sr = arg;
	int r;

	sr->rc.seq = l->seq;
	if (sr->snap == NULL || sr->past)
		return 1;
	if (l->seq == 1 && !snap_first_is(sr->snap, l->hash)) {
		snap_drop(sr, "it is for another evidence file (line 1 differs)");
		return 1;
	}
	if (l->seq > snap_seq(sr->snap))
		return (r = snap_pass(sr)) != 0 ? r : 1;
	if (l->seq == snap_seq(sr->snap) && !snap_head_is(sr->snap, l->hash)) {
		snprintf(sr->why, sizeof(sr->why), "record seq %llu is not the "
			 "one its signed snapshot (%s) vouches for: history was "
			 "rewritten", (unsigned long long)l->seq, D_SNAP_SUFFIX);
		return AD_ERR_CHAIN;
	}
	return snap_wants(sr->snap, l);
}

static int replay_apply(void *arg, const json_t *rec)
{
	struct snap_replay *sr = arg;

	sr->parsed++;
	return replay_cb(&sr->rc, rec);
}

/* The file ended at or before the snapshot's point. */
static int snap_end(struct snap_replay *sr, const struct ad_evidence_info *in)
{
	if (in->records == 0) {
		snap_drop(sr, "the evidence file is empty (a new file)");
		return 0;
	}
	if (in->records == snap_seq(sr->snap))
		return snap_pass(sr); /* replay_pick checked its hash */
	snprintf(sr->why, sizeof(sr->why), "it holds %llu records but its "
		 "signed snapshot (%s) vouches for seq %llu: records were cut "
		 "off (truncated, or restored from an older copy; if that was "
		 "intended, remove the snapshot)",
		 (unsigned long long)in->records, D_SNAP_SUFFIX,
		 (unsigned long long)snap_seq(sr->snap));
	return AD_ERR_TRUNCATED;
}

/* After a failed pass: the start-up replay over the fd the writer holds,
 * from the snapshot when one loads (only the kept objects' records up to
 * its point are parsed: the work of a start from the snapshot), else every
 * record. *snap_at: the snapshot's seq when it was used, else 0. */
static int rebuild_replay(struct daemon *d, char *err, size_t errlen,
			  uint64_t *snap_at)
{
	struct snap_replay sr = {.rc = {.d = d}};
	struct ad_evidence_replay rp = {replay_pick, replay_apply, &sr};
	struct ad_evidence_info info = {0};
	struct ad_verify_report rep;
	const char *path = rt_config(d->rt)->evidence;
	char why[400];
	int r;

	*snap_at = 0;
	if ((sr.snap = snap_load(d, why, sizeof(why))) == NULL)
		return journal_replay(d, path, err, errlen);
	d->snap_replay = 1;
	r = ad_evidence_replay_open_rp(d->ev, &rp, &rep);
	info.records = ad_evidence_seq(d->ev);
	if (r == 0 && sr.snap != NULL && !sr.past)
		r = snap_end(&sr, &info);
	if (r == 0 && sr.snap != NULL)
		*snap_at = snap_seq(sr.snap);
	if (r != 0)
		replay_error(err, errlen, path, r, sr.why, &sr.rc, &rep);
	d->snap_replay = 0;
	snap_free(sr.snap);
	return r;
}

int journal_open_replay(struct daemon *d, const char *path,
			struct ad_evidence_info *info, char *err,
			size_t errlen)
{
	struct snap_replay sr = {.rc = {.d = d}};
	struct ad_evidence_replay rp = {replay_pick, replay_apply, &sr};
	char why[400];
	int r;

	if ((sr.snap = snap_load(d, why, sizeof(why))) == NULL)
		d_log(LOG_INFO, "evidence snapshot not used (%s); replaying "
		      "every record", why);
	d->snap_replay = sr.snap != NULL;
	r = ad_evidence_open_replay(&d->ev, path, d->host_sk, d->host_pk, &rp,
				    info, err, errlen);
	if (r == 0 && sr.snap != NULL && !sr.past)
		r = snap_end(&sr, info);
	if (r == 0)
		d_log(LOG_INFO, "evidence: %llu of %llu records parsed and "
		      "applied", (unsigned long long)sr.parsed,
		      (unsigned long long)info->records);
	if (r != 0) /* a scan error: ad_evidence_open_replay wrote err */
		replay_error(err, errlen, path, r, sr.why, &sr.rc, NULL);
	if (r != 0) {
		ad_evidence_close(d->ev);
		d->ev = NULL;
	}
	d->snap_replay = 0;
	snap_free(sr.snap);
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

	/* its own fdatasync would make the pass's records durable before
	 * the pass decides; it runs after journal_pass_end instead */
	if (ad_evidence_uncovered(d->ev) == 0 || d->gc_written > 0)
		return;
	d->n_syncs++;
	if ((r = ad_evidence_checkpoint(d->ev, &seq)) != 0) {
		d_log(LOG_ERR, "evidence checkpoint failed: %s", ad_strerror(r));
		return;
	}
	d->last_checkpoint_ms = d_mono_ms();
	ad_evidence_head(d->ev, head);
	syslog(LOG_NOTICE, "seq=%llu event=checkpoint hash=%s",
	       (unsigned long long)seq, head);
	snap_write(d, 0); /* snapshot.c: every D_SNAP_EVERY records */
}

/* Expiry works in whole seconds: one scan of the (up to D_KEEP_MAX)
 * requests and grants per second is enough, not one per loop pass (a
 * scan per pass cost more than the pass itself under load). A consume of
 * an approval whose not_after passed forces it (d->tick_s = 0). */
void journal_tick(struct daemon *d)
{
	uint64_t now = d_now(d);

	journal_checkpoint_due(d);
	if (now == d->tick_s)
		return;
	d->tick_s = now;
	for (struct dreq *q = d->reqs; q != NULL; q = q->next) {
		if (q->state == AD_STATE_PENDING && q->expires && now >= q->expires)
			expire_one(d, q, "request_ttl passed without a decision");
		else if (q->state == AD_STATE_APPROVED && now >= q->not_after)
			expire_one(d, q, "approval not_after passed unused");
	}
	grant_tick(d, now);
}

/* A checkpoint when enough records or time passed since the last one. */
void journal_checkpoint_due(struct daemon *d)
{
	const struct ad_config *cfg = rt_config(d->rt);

	if (d->evidence_err == 0 &&
	    (ad_evidence_uncovered(d->ev) >= cfg->checkpoint_every ||
	     d_mono_ms() - d->last_checkpoint_ms >=
		     (int64_t)cfg->checkpoint_interval * 1000))
		journal_checkpoint(d);
}
