/*
 * daemon.h — internal interfaces of approverd (not installed).
 *
 * The daemon's state changes ONLY through journal_commit(), and memory
 * changes only by journal_apply() — the same function that rebuilds the
 * state from the file at start-up.
 *
 * Group commit across clients (issue 10; DESIGN.md §4.1). The event loop
 * works in passes: one epoll_wait, every ready event, the timers' ticks.
 * Inside a pass, journal_commit()/journal_commit_n() write the records of
 * one operation (ad_evidence_write, no fdatasync yet) and apply them to
 * memory at once, so the next operation of the same pass sees them (two
 * consumes of one single-use approval: one succeeds; two identical
 * creates: one request). Everything that would tell anyone outside the
 * process — reply frames (each connection's out buffer is not flushed
 * during a pass), pushed decisions to parked waiters, the record's syslog
 * line, webhooks (dn_record), d_log_later() lines such as the break-glass
 * LOG_ALERT — is held. At the end of the pass journal_pass_end() runs ONE
 * ad_evidence_sync for all of it; only then is the held output released,
 * in order. A pass is bounded by the 64 events of one epoll_wait and by
 * J_PASS_RECORDS records (then it syncs early).
 * If a write or the sync fails, the evidence module has cut the file back
 * to the last durable record; the pass's held output is dropped (each
 * connection's out buffer is cut back to its length at the start of the
 * pass: whole frames), every connection that was to hear from the pass
 * gets an error per reply instead, a waiter woken in the pass is parked
 * again, and memory is rebuilt from the durable file (the start-up replay,
 * from the snapshot when one loads)
 * — the daemon's state equals the file again. Nothing is retried into
 * success. If even the rebuild fails the daemon stops (fail closed; a
 * restart replays the file).
 * Outside a pass (start-up, shutdown) journal_commit_n() syncs before it
 * applies anything, as it always did. Checkpoints sync on their own, only
 * between passes.
 *
 * One other thread (verify.c) checks the Ed25519 signature of submitted
 * tokens; it sees only a job's bytes. The job's connection is held (no
 * input, close deferred: conn_hold/conn_release) and its result comes back
 * through an eventfd as an event of a later pass, where submit_finish()
 * decides on the state of that moment. Nothing else is shared.
 */
#ifndef APPROVERD_DAEMON_H
#define APPROVERD_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "buf.h"
#include "client.h"
#include "config.h"
#include "request.h"

/* Exit codes of approverd(8). */
enum {
	D_EXIT_OK = 0,       /* clean stop (SIGTERM/SIGINT) or --check passed */
	D_EXIT_CONFIG = 1,   /* config, policy or key files refused */
	D_EXIT_USAGE = 2,    /* bad command line */
	D_EXIT_EVIDENCE = 3, /* evidence file damaged or cannot be opened */
	D_EXIT_RUNTIME = 4,  /* socket, privileges, memory, event loop */
};

#define D_NAME_MAX 64
#define D_TOKEN_MAX 4096
#define D_SEEN_MAX 65536 /* remembered token hashes (oldest forgotten) */
#define D_KEEP_MAX 10000 /* requests kept in memory (finished ones pruned) */
#define D_PRUNE_BATCH 1000 /* prune when n_reqs reaches a multiple of it */
#define D_RESULT_WAIT (7 * 86400) /* s a consumed request waits for `result` */

struct runtime; /* config + policy + keyring, swapped as one on SIGHUP */
struct dgrant;  /* dgrant.h */
struct j_pub;   /* journal.c: a written record's held output */
struct verifier; /* verify.c */

struct d_approval { /* one counted approval */
	char name[D_NAME_MAX];
	char user[D_NAME_MAX];
	char key_id[24];
	uint64_t not_after;
	uint32_t uses;
};

/* A request approved by break-glass (docs/formats/governance.md §3). */
struct d_breakglass {
	char by[D_NAME_MAX];            /* key name that broke the glass */
	char user[D_NAME_MAX];          /* its human */
	char justification[256];
	int reviewed;                   /* a counted review closed it */
	char reviewed_by[D_NAME_MAX];   /* the reviewer's key name */
	char review_comment[256];
};

struct dreq {
	struct ad_request req;
	uint8_t exec_digest[AD_DIGEST_LEN];
	uint8_t digest[AD_DIGEST_LEN];
	enum ad_state state;
	char *requires;       /* human text of what is needed */
	char *reason;         /* why denied/expired/withdrawn, "" otherwise */
	char *blocked;        /* why pending is blocked (governance.md §2), "" */
	json_t *affects;      /* array of strings from the rule */
	uint64_t max_ttl;     /* seconds: longest approval allowed */
	uint64_t expires;     /* unix s: pending request expiry */
	uint64_t not_after;   /* unix s: approval valid until (approved) */
	uint32_t uses_left;   /* consumes still allowed once approved */
	uint32_t results_owed;/* consumes without a result yet */
	struct d_approval *appr;
	size_t n_appr;
	json_t *checks;       /* ticket_check/precheck outcomes, or NULL */
	struct d_breakglass *bg; /* NULL unless approved by break-glass */
	char grant[AD_ID_MAX];  /* standing grant that covered it, "" if none */
	struct dreq *next;
	struct dreq *id_next; /* index.c: same by-id bucket */
	struct dreq *ex_next; /* index.c: same (uid, exec digest) bucket */
	uint64_t ord;         /* index.c: insertion order (newest highest) */
};

struct conn {
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	char user[D_NAME_MAX];   /* conn_user(): getpwuid_r(uid), "" if none */
	int user_known;          /* user[] has been looked up */
	uint8_t hdr[4];
	size_t hdr_got;
	uint8_t *in;
	uint32_t in_len, in_got;
	struct ad_buf out;
	int closing;             /* close once out is flushed */
	int64_t last_ms;         /* last activity (monotonic) */
	int64_t frame_ms;        /* when the frame being read began */
	char wait_id[AD_ID_MAX]; /* parked on this request, "" if not */
	/* group commit (journal.c): output of the pass numbered gc_gen */
	uint64_t gc_gen;         /* pass in which gc_mark was taken */
	size_t gc_mark;          /* out.len when the pass first wrote to it */
	uint32_t gc_sent;        /* frames queued in that pass */
	char gc_woke[AD_ID_MAX]; /* wait_id a decision of the pass woke */
	int more_input;          /* bytes follow the frame being dispatched */
	int held;                /* a token of it is being verified (verify.c) */
	uint32_t armed;          /* the epoll events last set for fd */
	int dead;                /* closed while held: freed on release */
	struct conn *next;
};

struct daemon {
	const char *config_path;
	int foreground;
	int epfd, lfd, sigfd;
	struct runtime *rt;
	struct ad_evidence *ev;
	int evidence_err;        /* last append error, 0 when healthy */
	uint8_t *host_sk;        /* sodium_malloc'ed, 64 bytes */
	uint8_t host_pk[32];
	struct dreq *reqs;       /* newest first; change only via store_link/unlink */
	size_t n_reqs;
	struct dreq **by_id;     /* index.c: hash buckets, n_buckets each */
	struct dreq **by_exec;
	size_t n_buckets;        /* power of two, 0 before the first link */
	uint64_t next_ord;
	uint8_t idx_key[16];     /* SipHash key, random per daemon */
	struct conn *conns;
	size_t n_conns;
	uint8_t (*seen)[AD_DIGEST_LEN]; /* hashes of accepted tokens (ring) */
	size_t n_seen, seen_next;
	struct d_pend { uint32_t uid, n; } *pend; /* store.c: pending per uid */
	size_t n_pend;
	uint32_t *seen_tab;      /* seen.c: index over the ring */
	uint8_t seen_key[16];    /* seen.c: SipHash key, random per daemon */
	int64_t last_checkpoint_ms;
	int64_t started_ms;
	volatile int stop;
	int64_t clock_offset;    /* TEST ONLY: APPROVERD_TEST_CLOCK_OFFSET */
	struct nh *http;         /* webhooks and checks (notify_daemon.c) */
	struct notifier *notifier;
	struct dgrant *grants;   /* grant.c: standing grants, newest first */
	int snap_fd;             /* snapshot.c: EVIDENCE.snap, -1 if none */
	int snap_slot;           /* slot of the newest snapshot, -1 if none */
	uint64_t snap_seq;       /* seq it covers, 0 if none */
	int snap_replay;         /* rebuilding kept objects: no pruning */
	/* group commit (journal.c, loop.c; see the top of this file) */
	int gc_in_pass;          /* inside a loop pass: commits are batched */
	int gc_err;              /* a write of this pass failed: refuse more */
	int gc_rebuilding;       /* replaying after a failure: no wake-ups */
	int gc_fatal;            /* state could not be rebuilt: stop */
	uint64_t gc_gen;         /* pass/batch number (conn marks) */
	size_t gc_written;       /* records written + applied, not yet synced */
	struct j_pub *gc_q;      /* their held syslog lines + webhooks */
	size_t gc_cap;
	uint64_t n_syncs;        /* evidence fdatasyncs asked for (health) */
	uint64_t n_records;      /* records written (health) */
	uint64_t tick_s;         /* d_now() of the last expiry scan */
	uint64_t prune_walks;    /* store_prune list walks (tests) */
	struct verifier *verifier; /* verify.c: signature-check thread */
	int vfd;                 /* its eventfd (epoll data.ptr = &vfd), -1 */
};

/* journal.c: a record's string field ("" if absent) and unsigned integer
 * field (0 if absent or negative). */
const char *rec_str(const json_t *rec, const char *key);
uint64_t rec_u64(const json_t *rec, const char *key);

/* time.c */
int64_t d_mono_ms(void);
uint64_t d_now(const struct daemon *d);     /* unix seconds (+ test offset) */
uint64_t d_now_us(const struct daemon *d);

/* log.c: stderr in the foreground, syslog always */
void d_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void d_log_init(int foreground);
/* A line about a decision: held while a pass is open (d_log_hold), then
 * logged (d_log_release(1)) or dropped with the pass (d_log_release(0)). */
void d_log_later(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void d_log_hold(void);
void d_log_release(int emit);

/* runtime.c */
int rt_load(struct runtime **out, const char *config_path, char *err,
	    size_t errlen);
void rt_free(struct runtime *rt);
const struct ad_config *rt_config(const struct runtime *rt);
const char *rt_config_digest(const struct runtime *rt);
/* Is uid (user name) an approver with a registered key? */
int rt_is_approver(const struct runtime *rt, const char *user);

/* listen.c */
int d_listen(int *fd_out, const char *path, char *err, size_t errlen);

/* store.c */
struct dreq *store_find(struct daemon *d, const char *id);
struct dreq *store_find_exec(struct daemon *d, uint32_t uid,
			     const uint8_t exec_digest[AD_DIGEST_LEN]);
/* The request a re-run matches: same requester, execution digest and
 * sponsor, pending or approved (review R8). */
struct dreq *store_find_rerun(struct daemon *d, uint32_t uid,
			      const uint8_t exec_digest[AD_DIGEST_LEN],
			      const char *sponsor);
size_t store_pending_of(const struct daemon *d, uint32_t uid);
void store_set_state(struct daemon *d, struct dreq *q, enum ad_state st);
int store_new_id(struct daemon *d, char out[AD_ID_MAX]);
void store_free_all(struct daemon *d);
void store_dreq_free(struct dreq *q);
int store_decision(struct ad_decision *out, const struct dreq *q);
json_t *store_show_json(const struct dreq *q);
json_t *store_summary_json(const struct dreq *q, uint64_t now);
/* seen.c */
int store_seen(const struct daemon *d, const uint8_t h[AD_DIGEST_LEN]);
void store_remember(struct daemon *d, const uint8_t h[AD_DIGEST_LEN]);
int store_seen_reindex(struct daemon *d);
void store_seen_free(struct daemon *d);
int store_is_final(enum ad_state s);
void store_prune(struct daemon *d);

/* index.c: O(1) lookup by id and by (uid, exec digest), in step with
 * d->reqs (every entry of the list is in both tables and nothing else) */
int idx_add(struct daemon *d, struct dreq *q);
void idx_del(struct daemon *d, struct dreq *q);
struct dreq *idx_find(const struct daemon *d, const char *id);
struct dreq *idx_find_exec(const struct daemon *d, uint32_t uid,
			   const uint8_t exec_digest[AD_DIGEST_LEN],
			   const char *sponsor);
void idx_free(struct daemon *d);
/* store.c: put a new entry at the head of d->reqs and in the index */
int store_link(struct daemon *d, struct dreq *q);

/* journal.c */
int journal_commit(struct daemon *d, json_t *rec);
#define J_BATCH_MAX 4 /* records one operation may commit together */
int journal_commit_n(struct daemon *d, json_t *const *recs, size_t n);
#define J_PASS_RECORDS 256 /* records per group sync at most */
void journal_pass_begin(struct daemon *d);
/* ONE fdatasync for the pass; release or drop + rebuild (0 = durable) */
int journal_pass_end(struct daemon *d);
int journal_sync(struct daemon *d);
int journal_apply(struct daemon *d, const json_t *rec);
int journal_replay(struct daemon *d, const char *path, char *err,
		   size_t errlen);
struct ad_evidence_info;
/* Start-up: open the evidence file and rebuild the state in one verifying
 * pass, from the snapshot if one verifies (snapshot.h); info as from
 * ad_evidence_open. On error d->ev is NULL and err says why. */
int journal_open_replay(struct daemon *d, const char *path,
			struct ad_evidence_info *info, char *err,
			size_t errlen);
json_t *journal_record(const char *event, const char *id);
/* ratelimit.c: 1 = record this refusal by uid (with *suppressed, the
 * refusals not recorded since its last one), 0 = do not (counted). */
int rl_refusal_record(uid_t uid, uint64_t *suppressed);
void journal_lifecycle(struct daemon *d, const char *event,
		       const char *what);
void journal_tick(struct daemon *d);   /* expiry + periodic checkpoint */
void journal_checkpoint(struct daemon *d); /* skipped while records wait */
void journal_checkpoint_due(struct daemon *d);

/* loop.c */
int loop_run(struct daemon *d);
void loop_close_all(struct daemon *d);
void loop_notify(struct daemon *d, const struct dreq *q);
/* A failed pass: cut each connection's held output back, error replies,
 * re-park the waiters it woke (memory is already rebuilt). */
void loop_rollback(struct daemon *d, int err);
/* The peer's user name, looked up on first use (most connections, the
 * sudo plugin's and PAM module's, never need it); "" if it has none. */
const char *conn_user(struct conn *c);
/* verify.c holds a connection while one of its tokens is checked: nothing
 * more is read from it and a close waits; conn_release() ends that (and
 * frees a connection closed meanwhile). */
void conn_hold(struct daemon *d, struct conn *c);
void conn_release(struct daemon *d, struct conn *c);
int conn_send(struct daemon *d, struct conn *c, json_t *msg);
int conn_send_error(struct daemon *d, struct conn *c, int err,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ops.c */
void ops_dispatch(struct daemon *d, struct conn *c, json_t *msg);
int ops_decision_reply(struct daemon *d, struct conn *c,
		       const struct dreq *q);

/* create.c */
int op_create(struct daemon *d, struct conn *c, json_t *msg);

/* submit.c */
int op_submit(struct daemon *d, struct conn *c, json_t *msg);
/* breakglass.c: "breakglass_max_ttl" in a show object, when configured */
int bg_show_extra(const struct daemon *d, json_t *show);

/* main.c */
void d_reload(struct daemon *d);

/* privdrop.c */
int d_drop_privileges(const char *user, char *err, size_t errlen);

#endif
