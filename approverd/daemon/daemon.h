/*
 * daemon.h — internal interfaces of approverd (not installed).
 *
 * The daemon's state changes ONLY through journal_commit(): a record is
 * appended and fdatasync'ed to the evidence file, then sent to syslog, then
 * applied to memory by journal_apply() — the same function that rebuilds
 * the state from the file at start-up. So memory never runs ahead of the
 * evidence, and no client hears of a change before it is durable (§4.1).
 * journal_commit_n() does the same for the records of one operation (e.g.
 * `approval` + `approved`) with a single fdatasync for all of them.
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

struct runtime; /* config + policy + keyring, swapped as one on SIGHUP */
struct dgrant;  /* dgrant.h */

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
	char user[D_NAME_MAX];   /* from getpwuid_r(uid), "" if none */
	uint8_t hdr[4];
	size_t hdr_got;
	uint8_t *in;
	uint32_t in_len, in_got;
	struct ad_buf out;
	int closing;             /* close once out is flushed */
	int64_t last_ms;         /* last activity (monotonic) */
	int64_t frame_ms;        /* when the frame being read began */
	char wait_id[AD_ID_MAX]; /* parked on this request, "" if not */
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
	int64_t last_checkpoint_ms;
	int64_t started_ms;
	volatile int stop;
	int64_t clock_offset;    /* TEST ONLY: APPROVERD_TEST_CLOCK_OFFSET */
	struct nh *http;         /* webhooks and checks (notify_daemon.c) */
	struct notifier *notifier;
	struct dgrant *grants;   /* grant.c: standing grants, newest first */
};

/* time.c */
int64_t d_mono_ms(void);
uint64_t d_now(const struct daemon *d);     /* unix seconds (+ test offset) */
uint64_t d_now_us(const struct daemon *d);

/* log.c: stderr in the foreground, syslog always */
void d_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void d_log_init(int foreground);

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
int store_new_id(struct daemon *d, char out[AD_ID_MAX]);
void store_free_all(struct daemon *d);
int store_decision(struct ad_decision *out, const struct dreq *q);
json_t *store_show_json(const struct dreq *q);
json_t *store_summary_json(const struct dreq *q, uint64_t now);
int store_seen(const struct daemon *d, const uint8_t h[AD_DIGEST_LEN]);
void store_remember(struct daemon *d, const uint8_t h[AD_DIGEST_LEN]);
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
int journal_apply(struct daemon *d, const json_t *rec);
int journal_replay(struct daemon *d, const char *path, char *err,
		   size_t errlen);
json_t *journal_record(const char *event, const char *id);
/* ratelimit.c: 1 = record this refusal by uid (with *suppressed, the
 * refusals not recorded since its last one), 0 = do not (counted). */
int rl_refusal_record(uid_t uid, uint64_t *suppressed);
void journal_lifecycle(struct daemon *d, const char *event,
		       const char *what);
void journal_tick(struct daemon *d);   /* expiry + periodic checkpoint */
void journal_checkpoint(struct daemon *d);

/* loop.c */
int loop_run(struct daemon *d);
void loop_close_all(struct daemon *d);
void loop_notify(struct daemon *d, const struct dreq *q);
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
