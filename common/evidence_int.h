/*
 * evidence_int.h — internals shared by common/evidence_*.c and the evidence
 * tests and fuzzer. Not for other parts: use evidence.h. (One exception:
 * the daemon's snapshot loader, approverd/daemon/snapshot.c, builds its
 * signed body's tree with ad_ev_canon_fast + ad_ev_canon_build.)
 */
#ifndef APPROVERD_EVIDENCE_INT_H
#define APPROVERD_EVIDENCE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "evidence.h"

#define AD_EV_DUMP_FLAGS                                                       \
	(JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER)
#define AD_EV_TIME_LEN 27 /* 2026-11-29T08:31:02.123456Z */
#define AD_EV_SIG_HEX (crypto_sign_BYTES * 2 + 1)

/*
 * evidence_enc.c: the line (no newline) of rec as record seq, with time and
 * prev (hex): exactly json_dumps(AD_EV_DUMP_FLAGS) of {"seq","time","event",
 * "prev", then rec's other fields in order}. *out is malloc'ed and
 * NUL-terminated. 0, AD_ERR_NOMEM, AD_ERR_TOOBIG (past
 * AD_EVIDENCE_LINE_MAX) or AD_ERR_INVALID (a string that is not UTF-8, a
 * value jansson cannot dump, nesting past 64).
 */
int ad_ev_encode_line(char **out, size_t *len, const json_t *rec,
                      uint64_t seq, const char *time, const char *prev_hex);

/* Where a chain stands after its last valid line. */
struct ad_ev_chain {
	uint64_t seq;                       /* last seq, 0 = empty */
	uint8_t head[AD_EVIDENCE_HASH_LEN]; /* hash of the last line */
	uint8_t first[AD_EVIDENCE_HASH_LEN]; /* hash of line 1 (seq >= 1) */
	uint64_t line;                      /* lines consumed */
	uint64_t checkpoints;
	uint64_t last_cp_seq;
};

/*
 * Check one line (without its newline) as the next record of ch. On 0, ch
 * advances and *rec_out (if rec_out) holds the parsed record (caller
 * decrefs). On error, why names the problem; *unparsable is set when the
 * bytes are not a JSON object at all (a torn write if it is the last line).
 */
int ad_ev_check_line(struct ad_ev_chain *ch, const char *line, size_t len,
                     const uint8_t *host_pk, json_t **rec_out, int *unparsable,
                     char *why, size_t whylen);

/* ad_ev_check_line_ex: what the check left behind for the caller. */
struct ad_ev_checked {
	int want_rec; /* in: always load the record (else only if the slow
	                 path built it anyway) */
	json_t *rec;  /* out: the record, or NULL; caller decrefs */
	int fast;     /* out: accepted by the fast path (f is filled) */
	struct ad_ev_fast *f; /* in: where the fast path leaves its spans */
};
int ad_ev_check_line_ex(struct ad_ev_chain *ch, const char *line, size_t len,
                        const uint8_t *host_pk, struct ad_ev_checked *ck,
                        int *unparsable, char *why, size_t whylen);

/* A byte range inside a line. */
struct ad_ev_span {
	const char *p;
	size_t n;
};

/* What ad_ev_canon_fast found: the first AD_EV_FAST_KEYS top-level keys
 * (bytes between the quotes) and their values (raw bytes; a string value
 * keeps its quotes), and how many top-level keys there are in all. It is
 * the scanner's key limit, so an accepted line has every key recorded. */
#define AD_EV_FAST_KEYS 64
struct ad_ev_fast {
	size_t nkeys;
	struct ad_ev_span key[AD_EV_FAST_KEYS];
	struct ad_ev_span val[AD_EV_FAST_KEYS];
};

/*
 * 1 if line is certainly the canonical dump (AD_EV_DUMP_FLAGS) of a JSON
 * object that json_loadb accepts with JSON_REJECT_DUPLICATES (f filled);
 * 0 if it is not, or if the fast scanner cannot tell: the caller then runs
 * the full jansson check (common/evidence_canon.c).
 */
int ad_ev_canon_fast(const char *line, size_t len, struct ad_ev_fast *f);

/*
 * The JSON tree of a line ad_ev_canon_fast accepted, built from its bytes
 * without lexing them again: the same values and key order as json_loadb.
 * NULL on memory, or for bytes it does not expect (it bounds every read and
 * never builds a string with a NUL or invalid UTF-8, whatever the input).
 * ad_ev_canon_load: that, or when it gives NULL, json_loadb's tree
 * (JSON_REJECT_DUPLICATES) if it dumps (AD_EV_DUMP_FLAGS) back to exactly
 * the line, else NULL; caller decrefs.
 */
json_t *ad_ev_canon_build(const char *line, size_t len);
json_t *ad_ev_canon_load(const char *line, size_t len);

/* BLAKE2b-256 of bytes. */
void ad_ev_hash(uint8_t out[AD_EVIDENCE_HASH_LEN], const void *p, size_t n);
void ad_ev_hex(char out[AD_EVIDENCE_HASH_HEX],
               const uint8_t in[AD_EVIDENCE_HASH_LEN]);

/* Strict RFC 3339 UTC with microseconds, AD_EV_TIME_LEN chars. */
int ad_ev_time_valid(const char *s);
void ad_ev_time_format(char out[AD_EV_TIME_LEN + 1], const struct timespec *ts);

/* The exact bytes a checkpoint signature covers (docs/formats/evidence.md).
 * out must hold AD_EV_SIGMSG_MAX bytes; returns the length. */
#define AD_EV_SIGMSG_MAX                                                       \
	(sizeof(AD_EVIDENCE_DOMAIN) + 8 + 32 + 4 + AD_EV_TIME_LEN +            \
	 crypto_sign_PUBLICKEYBYTES)
size_t ad_ev_sigmsg(uint8_t *out, uint64_t count,
                    const uint8_t head[AD_EVIDENCE_HASH_LEN], const char *time,
                    const uint8_t pk[crypto_sign_PUBLICKEYBYTES]);

/* Scan an open fd from its start. */
struct ad_ev_scan {
	const uint8_t *host_pk; /* in: NULL = no signature checks */
	ad_evidence_cb cb;      /* in: called per record, may be NULL */
	ad_evidence_pick_fn pick; /* in: with cb: records cb gets; NULL all */
	void *arg;
	uint64_t limit;        /* in: stop after this many records, 0 = all */
	int tolerate_torn;     /* in: a torn last line is not an error */
	struct ad_ev_chain ch; /* out */
	uint64_t good_off;     /* out: end of the last valid line */
	int torn;              /* out: last line was torn (see why) */
	uint64_t torn_len;     /* out: its length (bytes to the end) */
	int cb_rc;             /* out: non-zero return of cb */
	struct ad_verify_report rep; /* out */
};
int ad_ev_scan_fd(int fd, struct ad_ev_scan *s);

/* Fill the summary fields of s->rep from s->ch. */
void ad_ev_scan_summary(struct ad_ev_scan *s);

#endif
