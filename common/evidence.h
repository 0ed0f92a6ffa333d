/*
 * evidence.h — the tamper-evident evidence log (DESIGN.md §4.1, §4.6, §6;
 * format: docs/formats/evidence.md, approverd-evidence(5)).
 *
 * Invariants:
 *  - A record is durable (written and fdatasync'ed) before ad_evidence_append
 *    or ad_evidence_sync return 0; on any write/sync failure the file is cut
 *    back to the last durable length and success is never reported.
 *  - Each line carries prev = BLAKE2b-256 of the previous line's bytes; seq
 *    starts at 1 and grows by one; checkpoints are Ed25519-signed over a
 *    domain-separated encoding of (count, head, time, host public key).
 *  - Lines are compact ASCII JSON with keys seq, time, event, prev first,
 *    at most AD_EVIDENCE_LINE_MAX bytes including the newline.
 *  - Only a torn last line is ever repaired; any other damage is an error
 *    naming the seq, the line and why.
 * A handle is not thread-safe; one process owns the file (flock).
 */
#ifndef APPROVERD_EVIDENCE_H
#define APPROVERD_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#define AD_EVIDENCE_LINE_MAX 65536 /* bytes per line, newline included */
#define AD_EVIDENCE_HASH_LEN 32    /* BLAKE2b-256 */
#define AD_EVIDENCE_HASH_HEX 65    /* 64 hex digits + NUL */
#define AD_EVIDENCE_WHY_MAX 256
#define AD_EVIDENCE_DOMAIN "approverd-checkpoint-v1"

struct ad_evidence;

/* What ad_evidence_open found. If recovered is set, the caller appends a
 * `recovered` record (ad_evidence_recovery_record builds one). */
struct ad_evidence_info {
	int created;                     /* file did not exist or was empty */
	uint64_t records;                /* seq of the last record, 0 if none */
	uint64_t checkpoints;            /* checkpoint records seen */
	uint64_t last_checkpoint_seq;    /* 0 if none */
	char head[AD_EVIDENCE_HASH_HEX]; /* hash of the last line (or zeros) */
	char first[AD_EVIDENCE_HASH_HEX]; /* hash of line 1 ("" if none): names
	                                     the file (snapshots) */
	int recovered;                   /* a torn last line was cut off */
	uint64_t cut_line;               /* its line number (1-based) */
	uint64_t cut_offset;             /* file offset where it started */
	uint64_t cut_bytes;              /* how many bytes were removed */
	char cut_hash[AD_EVIDENCE_HASH_HEX]; /* BLAKE2b-256 of the removed bytes
	                                      */
	char cut_why[AD_EVIDENCE_WHY_MAX];   /* why it counted as torn */
};

/* Outcome of a verification (also filled by open and replay). */
struct ad_verify_report {
	int status;                      /* 0 intact, else the ad_err */
	uint64_t records;                /* valid records before any damage */
	uint64_t checkpoints;            /* valid checkpoints */
	uint64_t last_checkpoint_seq;    /* 0 if none */
	uint64_t uncovered;              /* records after the last checkpoint */
	int signatures_checked;          /* a host key was given */
	char head[AD_EVIDENCE_HASH_HEX]; /* hash of the last valid line */
	uint64_t bad_seq;                /* seq expected at the bad line */
	uint64_t bad_line;               /* 1-based line number, 0 if none */
	char why[AD_EVIDENCE_WHY_MAX];   /* "prev does not match line 4", ... */
};

/* Extra checks for ad_evidence_verify_ex. */
struct ad_verify_opts {
	const uint8_t *host_pk; /* NULL = chain only, no signature checks */
	int require_covered;    /* every record must be under a checkpoint */
	uint64_t anchor_seq;    /* 0 = none; else this record must exist */
	char anchor_hash[AD_EVIDENCE_HASH_HEX]; /* ...and its line hash is this
	                                           (e.g. from syslog); "" = any
	                                         */
};

/* Test-only clock hook: fills ts with the time to stamp (CLOCK_REALTIME). */
typedef void (*ad_evidence_clock_fn)(void *arg, struct timespec *ts);

/*
 * Open or create (mode 0600) the evidence file for appending, take an
 * exclusive flock, check it is trusted (regular, owned by root or the
 * effective uid, not group/world-writable, parents too), verify the chain
 * and every checkpoint signature, and cut a torn last line off (reported in
 * info). host_sk is required; host_pk may be NULL (derived from host_sk),
 * otherwise it must match host_sk. err gets "PATH: line N (seq S): why".
 */
int ad_evidence_open(struct ad_evidence **out, const char *path,
                     const uint8_t *host_sk, const uint8_t *host_pk,
                     struct ad_evidence_info *info, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void ad_evidence_close(struct ad_evidence *ev);

/*
 * Append one record: rec is a JSON object with a string "event" (one of
 * §6, not "checkpoint") and the event's fields; it must not contain seq,
 * time, prev or hash (reserved). rec is not modified or consumed. On 0 the line
 * is durable; seq_out (may be NULL) gets its seq and hash_hex_out (may be NULL,
 * else AD_EVIDENCE_HASH_HEX bytes) the hash of the new line, i.e. the new head.
 * AD_ERR_NOSPACE on ENOSPC/EDQUOT, AD_ERR_IO on other write/sync failures.
 */
int ad_evidence_append(struct ad_evidence *ev, json_t *rec, uint64_t *seq_out,
                       char *hash_hex_out) __attribute__((warn_unused_result));

/*
 * Group commit: ad_evidence_write adds a record without syncing (it is NOT
 * durable yet); ad_evidence_sync makes every record written since the last
 * sync durable. If any write or sync fails, every record since the last
 * successful sync is discarded and the next ad_evidence_sync fails too, so
 * a batch is never reported durable unless all of it is.
 */
int ad_evidence_write(struct ad_evidence *ev, json_t *rec, uint64_t *seq_out,
                      char *hash_hex_out) __attribute__((warn_unused_result));
int ad_evidence_sync(struct ad_evidence *ev)
    __attribute__((warn_unused_result));

/* Append and sync a signed `checkpoint` {count, head, signature}. */
int ad_evidence_checkpoint(struct ad_evidence *ev, uint64_t *seq_out)
    __attribute__((warn_unused_result));

/* Last durable seq and head (hex) of an open log. */
uint64_t ad_evidence_seq(const struct ad_evidence *ev);
void ad_evidence_head(const struct ad_evidence *ev,
                      char out[AD_EVIDENCE_HASH_HEX]);
/* Hash (hex) of line 1, which names the file; 0, or AD_ERR_NOTFOUND
 * when the log is empty, AD_ERR_IO if line 1 cannot be read back. */
int ad_evidence_first(struct ad_evidence *ev, char out[AD_EVIDENCE_HASH_HEX])
    __attribute__((warn_unused_result));
/* Records appended since the last checkpoint (to decide when to sign). */
uint64_t ad_evidence_uncovered(const struct ad_evidence *ev);

/* TEST ONLY: stamp records with fn's time instead of CLOCK_REALTIME. */
void ad_evidence_set_clock(struct ad_evidence *ev, ad_evidence_clock_fn fn,
                           void *arg);
/* TEST ONLY (fault injection): call fn instead of fdatasync(2); fn returns
 * 0 or -1 with errno set, like fdatasync. NULL restores fdatasync. */
typedef int (*ad_evidence_sync_fn)(int fd);
void ad_evidence_set_sync_fn(struct ad_evidence *ev, ad_evidence_sync_fn fn);

/* A `recovered` record describing info's cut (NULL if nothing was cut or
 * on ENOMEM). Caller appends and json_decref's it. */
json_t *ad_evidence_recovery_record(const struct ad_evidence_info *info);

/*
 * Verify a whole file (read-only, no trust check: auditors verify copies).
 * Returns rep->status: 0 intact (rep->uncovered may be > 0), else the ad_err
 * of the first problem with rep->bad_seq, rep->bad_line and rep->why.
 * AD_ERR_IO / AD_ERR_NOTFOUND when the file cannot be read.
 */
int ad_evidence_verify(const char *path, const uint8_t *host_pk,
                       struct ad_verify_report *rep);
int ad_evidence_verify_ex(const char *path, const struct ad_verify_opts *opts,
                          struct ad_verify_report *rep);

/*
 * For the daemon's start-up (after ad_evidence_open cut any torn tail):
 * verify the whole file (trust-checked), then call cb for each record in
 * order. A non-zero cb return stops the replay and is returned.
 */
typedef int (*ad_evidence_cb)(void *arg, const json_t *rec);
int ad_evidence_replay(const char *path, ad_evidence_cb cb, void *arg,
                       const uint8_t *host_pk, struct ad_verify_report *rep)
    __attribute__((warn_unused_result));

/*
 * The daemon's start-up in one pass: replay the file that ev holds open and
 * locked, right after ad_evidence_open verified it (and cut a torn tail).
 * Every line is checked again as it is read (chain, canonical form,
 * checkpoint signatures with ev's host key) and cb gets records 1 ..
 * ad_evidence_seq(ev); at the end the replayed head must be the head
 * ad_evidence_open found and the file must still have the length it had,
 * else AD_ERR_CHAIN ("changed since it was opened"): on 0 the records
 * handed to cb are exactly the verified ones; on any error cb may already
 * have seen records of a changed file, so the caller must discard the
 * state it rebuilt (the daemon refuses to start).
 * Same cb contract and rep as ad_evidence_replay, without reopening the
 * path or scanning the file twice.
 */
int ad_evidence_replay_open(struct ad_evidence *ev, ad_evidence_cb cb,
                            void *arg, struct ad_verify_report *rep)
    __attribute__((warn_unused_result));

/*
 * Start-up in ONE pass (DESIGN.md §6; approverd(8)): ad_evidence_open,
 * whose verifying scan also hands records to the caller. For each line
 * that passed every check (chain, canonical form, checkpoint signature),
 * in order: pick (if not NULL) sees the line's seq, hash and top-level
 * string fields without a JSON tree and returns 1 to have the record
 * parsed and given to cb, 0 to skip it, or a negative ad_err to stop;
 * cb's non-zero return stops too. A torn last line is never handed out.
 * On any error (damage found after records were handed out, or a stop)
 * the open fails and the caller must discard what it built: nothing
 * from a file that failed verification may be served.
 */
struct ad_evidence_line {
	uint64_t seq;                        /* this record's seq */
	uint8_t hash[AD_EVIDENCE_HASH_LEN];  /* BLAKE2b-256 of its line */
	const char *line;                    /* its bytes, no newline */
	size_t len;
	const void *fast;   /* internal: the scanner's spans, or NULL */
	const json_t *rec;  /* internal: the parsed record, or NULL */
};
typedef int (*ad_evidence_pick_fn)(void *arg,
                                   const struct ad_evidence_line *l);
/* Copy the line's top-level string field key (decoded) into out (cap
 * bytes, NUL-terminated): 1 found, 0 absent / not a string / too long. */
int ad_evidence_line_str(const struct ad_evidence_line *l, const char *key,
                         char *out, size_t cap);
struct ad_evidence_replay {
	ad_evidence_pick_fn pick; /* NULL = every record */
	ad_evidence_cb cb;        /* required */
	void *arg;
};
/* ad_evidence_replay_open with a pick (as below), e.g. to rebuild state
 * from a snapshot after a failed write: only picked records are parsed. */
int ad_evidence_replay_open_rp(struct ad_evidence *ev,
                               const struct ad_evidence_replay *rp,
                               struct ad_verify_report *rep)
    __attribute__((warn_unused_result));
int ad_evidence_open_replay(struct ad_evidence **out, const char *path,
                            const uint8_t *host_sk, const uint8_t *host_pk,
                            const struct ad_evidence_replay *rp,
                            struct ad_evidence_info *info, char *err,
                            size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Syslog form: "seq=12 event=request id=R-7F3A-9C21 ... hash=HEX", every
 * key and value escaped with ad_escape (strings in double quotes unless
 * made only of [A-Za-z0-9._:/@+,-]; arrays/objects as quoted compact JSON).
 * time and prev are left out (hash links the line); a field named "hash"
 * is shown as "_hash". malloc'ed; NULL on ENOMEM or if rec is not an object.
 * ad_evidence_kv takes seq from rec (a record as read back);
 * ad_evidence_kv_seq is for the caller's own record right after
 * ad_evidence_append, with the seq and hash it returned.
 */
char *ad_evidence_kv(const json_t *rec, const char *hash_hex);
char *ad_evidence_kv_seq(const json_t *rec, uint64_t seq, const char *hash_hex);
/*
 * The daemon's line for its own durable record (journal.c), straight from
 * rec: byte for byte ad_evidence_kv() of a copy object {"seq": seq}
 * followed by every key of rec but "request" (json_object_set in rec's
 * order), without building that copy. NULL exactly where that would be
 * NULL (ENOMEM, a nested value jansson cannot dump).
 */
char *ad_evidence_kv_daemon(const json_t *rec, uint64_t seq,
                            const char *hash_hex);

/* Is name one of the events of DESIGN.md §6? */
int ad_evidence_event_known(const char *name);

#endif
