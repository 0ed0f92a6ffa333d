/*
 * snapshot.c — the signed state snapshot (docs/formats/evidence.md
 * "Snapshot"): writing it at checkpoints and at stop, loading it at start.
 *
 * Invariants:
 *  - The file (EVIDENCE.snap) is opened before the privilege drop under the
 *    trust rules of DESIGN.md §4.7 and holds two slots; a write goes to the
 *    slot NOT holding the newest snapshot and is fdatasync'ed, so a crash
 *    mid-write leaves the previous snapshot intact and the torn slot fails
 *    its signature: it is never used.
 *  - A slot is used only if its Ed25519 signature (host key, domain
 *    "approverd-snapshot-v1") verifies over its exact body and the body
 *    parses with every field in range; anything else is ignored (logged)
 *    and the start falls back to the full replay.
 *  - Nothing in a snapshot is trusted beyond WHICH objects to rebuild: the
 *    state itself is rebuilt from evidence records the open verified; the
 *    seen-token ring is the one value restored as is (it is signed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "dgrant.h"
#include "error.h"
#include "evidence_int.h" /* the canonical scanner and tree builder */
#include "num.h"
#include "safefile.h"
#include "snapshot.h"

#define HDR_LEN (sizeof(D_SNAP_DOMAIN) + 11 + crypto_sign_BYTES * 2 + 1)
#define BODY_MAX (D_SNAP_SLOT - HDR_LEN)
#define IDS_MAX ((size_t)1 << 20)

struct d_snap {
	uint64_t seq;
	uint8_t head[AD_EVIDENCE_HASH_LEN];
	uint8_t first[AD_EVIDENCE_HASH_LEN];
	char (*ids)[AD_ID_MAX]; /* open addressing, "" = free */
	size_t cap;             /* power of two, > 2 * ids */
	uint8_t (*seen)[AD_DIGEST_LEN];
	size_t n_seen, seen_next;
	int slot;
};

static uint64_t snap_every = D_SNAP_EVERY;

/* TEST ONLY: APPROVERD_TEST_SNAP_EVERY=N writes a snapshot at a checkpoint
 * once N records have passed (so that tests need not make 10,000). */
static void test_every(void)
{
	const char *s = getenv("APPROVERD_TEST_SNAP_EVERY");
	uint64_t v = 0;

	if (s != NULL && ad_parse_u64(&v, s, 1, UINT32_MAX) == 0) {
		snap_every = v;
		d_log(LOG_WARNING, "TEST ONLY snapshot every %llu records",
		      (unsigned long long)v);
	}
}

void snap_open(struct daemon *d, const char *evidence_path)
{
	struct ad_trust t = {.extra_uid = geteuid(), .check_parents = 1};
	char path[4096], why[AD_WHY_MAX];
	int fd, rfd = -1, r;

	d->snap_fd = -1;
	test_every();
	if ((size_t)snprintf(path, sizeof(path), "%s%s", evidence_path,
			     D_SNAP_SUFFIX) >= sizeof(path))
		return;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
		  0600);
	if (fd < 0) {
		d_log(LOG_WARNING, "snapshot %s: %s; every start replays the "
		      "whole evidence file", path, strerror(errno));
		return;
	}
	r = ad_safe_check_fd(fd, path, &t, 2 * D_SNAP_SLOT, why);
	if (r == 0)
		r = ad_safe_open(&rfd, path, &t, 2 * D_SNAP_SLOT, why);
	if (r == 0)
		close(rfd);
	if (r != 0) {
		d_log(LOG_WARNING, "snapshot not used: %s", why);
		close(fd);
		return;
	}
	d->snap_fd = fd;
}

static uint64_t id_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
	return h;
}

static char *id_slot(const struct d_snap *s, const char *id)
{
	size_t i = (size_t)id_hash(id) & (s->cap - 1);

	while (s->ids[i][0] != '\0' && strcmp(s->ids[i], id) != 0)
		i = (i + 1) & (s->cap - 1);
	return s->ids[i];
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 64 hex digits into 32 bytes. Not constant-time (unlike sodium_hex2bin,
 * which was a sixth of a load): every value here is public (heads and
 * token hashes are in the evidence file). */
static int hex32(uint8_t out[32], const char *hex)
{
	int hi, lo;

	if (hex == NULL || strlen(hex) != 64)
		return 0;
	for (size_t i = 0; i < 32; i++) {
		if ((hi = hex_nibble(hex[2 * i])) < 0 ||
		    (lo = hex_nibble(hex[2 * i + 1])) < 0)
			return 0;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 1;
}

/* The ids of one array into the set; 0 or AD_ERR_INVALID. */
static int add_ids(struct d_snap *s, const json_t *a)
{
	const char *id;
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v) {
		id = json_string_value(v);
		if (id == NULL || id[0] == '\0' || strlen(id) >= AD_ID_MAX)
			return AD_ERR_INVALID;
		memcpy(id_slot(s, id), id, strlen(id) + 1);
	}
	return 0;
}

static int load_ids(struct d_snap *s, const json_t *reqs, const json_t *gr)
{
	size_t n;

	if (!json_is_array(reqs) || !json_is_array(gr))
		return AD_ERR_INVALID;
	n = json_array_size(reqs) + json_array_size(gr);
	if (n > IDS_MAX)
		return AD_ERR_INVALID;
	for (s->cap = 16; s->cap <= 2 * n;)
		s->cap *= 2;
	if ((s->ids = calloc(s->cap, AD_ID_MAX)) == NULL)
		return AD_ERR_NOMEM;
	if (add_ids(s, reqs) != 0 || add_ids(s, gr) != 0)
		return AD_ERR_INVALID;
	return 0;
}

/* The ring: at most D_SEEN_MAX hashes; until it is full, next = count. */
static int load_seen(struct d_snap *s, const json_t *a, const json_t *next)
{
	json_t *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > D_SEEN_MAX ||
	    !json_is_integer(next) || json_integer_value(next) < 0 ||
	    json_integer_value(next) >= D_SEEN_MAX)
		return AD_ERR_INVALID;
	s->n_seen = json_array_size(a);
	s->seen_next = (size_t)json_integer_value(next);
	if (s->n_seen < D_SEEN_MAX && s->seen_next != s->n_seen)
		return AD_ERR_INVALID;
	if (s->n_seen && (s->seen = calloc(s->n_seen, AD_DIGEST_LEN)) == NULL)
		return AD_ERR_NOMEM;
	json_array_foreach(a, i, v)
		if (!hex32(s->seen[i], json_string_value(v)))
			return AD_ERR_INVALID;
	return 0;
}

/* The body's tree: built straight from its bytes when they are the
 * canonical compact form (what body_of writes, ids being ASCII), without
 * lexing 65,536 hex strings with jansson; else json_loadb. */
static json_t *body_tree(const char *body, size_t len)
{
	struct ad_ev_fast f;
	json_t *o = NULL;

	if (ad_ev_canon_fast(body, len, &f))
		o = ad_ev_canon_build(body, len);
	return o ? o : json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
}

static int parse_body(struct d_snap *s, const char *body, size_t len)
{
	json_t *o = body_tree(body, len);
	json_t *seq = json_object_get(o, "seq");
	int r = AD_ERR_INVALID;

	if (json_is_object(o) &&
	    strcmp(json_string_value(json_object_get(o, "format")) ?
		   json_string_value(json_object_get(o, "format")) : "",
		   D_SNAP_DOMAIN) == 0 &&
	    json_is_integer(seq) && json_integer_value(seq) > 0 &&
	    hex32(s->head, json_string_value(json_object_get(o, "head"))) &&
	    hex32(s->first, json_string_value(json_object_get(o, "first")))) {
		s->seq = (uint64_t)json_integer_value(seq);
		r = load_ids(s, json_object_get(o, "requests"),
			     json_object_get(o, "grants"));
		if (r == 0)
			r = load_seen(s, json_object_get(o, "seen"),
				      json_object_get(o, "seen_next"));
	}
	json_decref(o);
	return r;
}

/* Ed25519 over "approverd-snapshot-v1\0" || body: sign (sk) or verify. */
static int sig_check(const uint8_t *pk, const uint8_t *sig, const char *body,
		     size_t len, const uint8_t *sk, uint8_t *sig_out)
{
	size_t n = sizeof(D_SNAP_DOMAIN) + len;
	uint8_t *m = malloc(n);
	int r;

	if (m == NULL)
		return AD_ERR_NOMEM;
	memcpy(m, D_SNAP_DOMAIN, sizeof(D_SNAP_DOMAIN));
	memcpy(m + sizeof(D_SNAP_DOMAIN), body, len);
	if (sk != NULL)
		r = crypto_sign_detached(sig_out, NULL, m, n, sk) == 0
			? 0 : AD_ERR_CRYPTO;
	else
		r = crypto_sign_verify_detached(sig, m, n, pk) == 0
			? 0 : AD_ERR_BAD_SIGNATURE;
	free(m);
	return r;
}

/* Exactly ten decimal digits, 1 .. BODY_MAX. */
static int len10(uint64_t *out, const char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 10; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return v >= 1 && v <= BODY_MAX;
}

/* Header: "approverd-snapshot-v1 LLLLLLLLLL SIGHEX\n", fixed length. */
static int read_header(int fd, int slot, uint64_t *len, uint8_t *sig,
		       char *why, size_t wl)
{
	char h[HDR_LEN + 1];
	size_t n = 0, dl = sizeof(D_SNAP_DOMAIN) - 1;

	if (pread(fd, h, HDR_LEN, (off_t)(slot * D_SNAP_SLOT)) != (ssize_t)HDR_LEN) {
		snprintf(why, wl, "slot %d: empty or short", slot);
		return AD_ERR_NOTFOUND;
	}
	h[HDR_LEN] = '\0';
	if (memcmp(h, D_SNAP_DOMAIN " ", dl + 1) != 0 || h[dl + 11] != ' ' ||
	    h[HDR_LEN - 1] != '\n' || !len10(len, h + dl + 1) ||
	    sodium_hex2bin(sig, crypto_sign_BYTES, h + dl + 12,
			   crypto_sign_BYTES * 2, NULL, &n, NULL) != 0 ||
	    n != crypto_sign_BYTES) {
		snprintf(why, wl, "slot %d: bad header", slot);
		return AD_ERR_INVALID;
	}
	return 0;
}

static struct d_snap *load_slot(struct daemon *d, int slot, char *why,
				size_t wl)
{
	uint8_t sig[crypto_sign_BYTES];
	struct d_snap *s = NULL;
	uint64_t len = 0;
	char *body = NULL;

	if (read_header(d->snap_fd, slot, &len, sig, why, wl) != 0)
		return NULL;
	if ((body = malloc(len)) == NULL ||
	    pread(d->snap_fd, body, len, (off_t)(slot * D_SNAP_SLOT + HDR_LEN)) !=
		    (ssize_t)len)
		snprintf(why, wl, "slot %d: short body (torn write?)", slot);
	else if (sig_check(d->host_pk, sig, body, len, NULL, NULL) != 0)
		snprintf(why, wl, "slot %d: signature does not verify with "
			 "the host key", slot);
	else if ((s = calloc(1, sizeof(*s))) == NULL ||
		 parse_body(s, body, len) != 0) {
		snprintf(why, wl, "slot %d: signed body not valid", slot);
		snap_free(s);
		s = NULL;
	}
	free(body);
	if (s != NULL)
		s->slot = slot;
	return s;
}

struct d_snap *snap_load(struct daemon *d, char *why, size_t wl)
{
	char w0[160] = "", w1[160] = "";
	struct d_snap *a, *b;

	if (d->snap_fd < 0) {
		snprintf(why, wl, "no snapshot file");
		return NULL;
	}
	a = load_slot(d, 0, w0, sizeof(w0));
	b = load_slot(d, 1, w1, sizeof(w1));
	if (a != NULL && b != NULL && b->seq > a->seq) {
		snap_free(a);
		a = NULL;
	}
	if (a == NULL && b == NULL)
		snprintf(why, wl, "%s; %s", w0, w1);
	d->snap_slot = a != NULL ? 0 : b != NULL ? 1 : -1;
	if (a != NULL) {
		snap_free(b);
		return a;
	}
	return b;
}

void snap_free(struct d_snap *s)
{
	if (s == NULL)
		return;
	free(s->ids);
	free(s->seen);
	free(s);
}

void snap_forget(struct daemon *d)
{
	static const char zero[HDR_LEN];

	d->snap_slot = -1;
	d->snap_seq = 0;
	if (d->snap_fd >= 0 &&
	    (pwrite(d->snap_fd, zero, HDR_LEN, 0) != (ssize_t)HDR_LEN ||
	     pwrite(d->snap_fd, zero, HDR_LEN, (off_t)D_SNAP_SLOT) !=
		     (ssize_t)HDR_LEN ||
	     fdatasync(d->snap_fd) != 0))
		d_log(LOG_ERR, "snapshot: cannot invalidate the old one: %s",
		      strerror(errno));
}

uint64_t snap_seq(const struct d_snap *s)
{
	return s->seq;
}

int snap_head_is(const struct d_snap *s, const uint8_t h[AD_EVIDENCE_HASH_LEN])
{
	return sodium_memcmp(s->head, h, AD_EVIDENCE_HASH_LEN) == 0;
}

int snap_first_is(const struct d_snap *s,
		  const uint8_t h[AD_EVIDENCE_HASH_LEN])
{
	return sodium_memcmp(s->first, h, AD_EVIDENCE_HASH_LEN) == 0;
}

static int kept(const struct d_snap *s, const char *id)
{
	return id[0] != '\0' && id_slot(s, id)[0] != '\0';
}

int snap_wants(const struct d_snap *s, const struct ad_evidence_line *l)
{
	char id[AD_ID_MAX], ev[16];

	if (ad_evidence_line_str(l, "id", id, sizeof(id)) && kept(s, id))
		return 1;
	/* a consume of a forgotten request still counts a kept grant's use */
	return ad_evidence_line_str(l, "event", ev, sizeof(ev)) &&
	       strcmp(ev, "consume") == 0 &&
	       ad_evidence_line_str(l, "grant", id, sizeof(id)) && kept(s, id);
}

int snap_restore_seen(struct daemon *d, const struct d_snap *s)
{
	if (d->seen == NULL &&
	    (d->seen = calloc(D_SEEN_MAX, AD_DIGEST_LEN)) == NULL)
		return AD_ERR_NOMEM;
	memset(d->seen, 0, (size_t)D_SEEN_MAX * AD_DIGEST_LEN);
	if (s->n_seen)
		memcpy(d->seen, s->seen, s->n_seen * AD_DIGEST_LEN);
	d->n_seen = s->n_seen;
	d->seen_next = s->seen_next;
	return store_seen_reindex(d) == 0 ? 0 : AD_ERR_NOMEM;
}

/* Oldest first, so that a start links them in the order they were made. */
static json_t *req_ids(const struct daemon *d)
{
	const char **v = calloc(d->n_reqs + 1, sizeof(*v));
	json_t *a = json_array();
	size_t n = 0;

	for (const struct dreq *q = d->reqs; v && q != NULL && n < d->n_reqs;
	     q = q->next)
		v[n++] = q->req.id;
	while (v && a != NULL && n > 0)
		if (json_array_append_new(a, json_string(v[--n])) != 0) {
			json_decref(a);
			a = NULL;
		}
	if (v == NULL) {
		json_decref(a);
		a = NULL;
	}
	free(v);
	return a;
}

static json_t *grant_ids(const struct daemon *d)
{
	json_t *a = json_array();

	for (const struct dgrant *g = d->grants; a != NULL && g != NULL;
	     g = g->next)
		if (json_array_append_new(a, json_string(g->g.id)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The JSON of everything but the ring, which is spliced in by hand (65,536
 * hex strings as jansson values cost more than the rest together). */
static char *head_json(struct daemon *d, uint64_t seq)
{
	char head[AD_EVIDENCE_HASH_HEX], first[AD_EVIDENCE_HASH_HEX];
	json_t *o;
	char *s;

	ad_evidence_head(d->ev, head);
	if (ad_evidence_first(d->ev, first) != 0)
		return NULL;
	o = json_pack("{s:s, s:I, s:s, s:s, s:o*, s:o*, s:I}", "format",
		      D_SNAP_DOMAIN, "seq", (json_int_t)seq, "head", head,
		      "first", first, "requests", req_ids(d), "grants",
		      grant_ids(d), "seen_next", (json_int_t)d->seen_next);
	s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return s;
}

/* head_json with its closing brace replaced by ,"seen":["HEX",...]} */
static char *body_of(struct daemon *d, uint64_t seq, size_t *len)
{
	static const char digit[] = "0123456789abcdef";
	char *h = head_json(d, seq), *b, *p;
	size_t hl;

	if (h == NULL)
		return NULL;
	hl = strlen(h);
	if ((b = malloc(hl + 16 + d->n_seen * (2 * AD_DIGEST_LEN + 3))) != NULL) {
		memcpy(b, h, hl - 1);
		p = b + hl - 1;
		memcpy(p, ",\"seen\":[", 9);
		p += 9;
		for (size_t i = 0; i < d->n_seen; i++) {
			if (i)
				*p++ = ',';
			*p++ = '"';
			for (size_t k = 0; k < AD_DIGEST_LEN; k++) {
				*p++ = digit[d->seen[i][k] >> 4];
				*p++ = digit[d->seen[i][k] & 15];
			}
			*p++ = '"';
		}
		memcpy(p, "]}", 3);
		*len = (size_t)(p + 2 - b);
	}
	free(h);
	return b;
}

static int put_slot(struct daemon *d, int slot, const char *body, size_t len)
{
	uint8_t sig[crypto_sign_BYTES];
	char hdr[HDR_LEN + 32], hex[crypto_sign_BYTES * 2 + 1];
	off_t off = (off_t)(slot * D_SNAP_SLOT);

	if (sig_check(NULL, NULL, body, len, d->host_sk, sig) != 0)
		return AD_ERR_CRYPTO;
	sodium_bin2hex(hex, sizeof(hex), sig, sizeof(sig));
	if (len > BODY_MAX ||
	    snprintf(hdr, sizeof(hdr), "%s %010zu %s\n", D_SNAP_DOMAIN, len,
		     hex) != (int)HDR_LEN)
		return AD_ERR_TOOBIG;
	if (pwrite(d->snap_fd, hdr, HDR_LEN, off) != (ssize_t)HDR_LEN ||
	    pwrite(d->snap_fd, body, len, off + (off_t)HDR_LEN) != (ssize_t)len ||
	    fdatasync(d->snap_fd) != 0)
		return AD_ERR_IO;
	return 0;
}

void snap_write(struct daemon *d, int force)
{
	int64_t t0 = d_mono_ms();
	uint64_t seq;
	size_t len = 0;
	int slot, r;
	char *body;

	if (d->snap_fd < 0 || d->ev == NULL || d->evidence_err != 0 ||
	    d->gc_written != 0) /* memory ahead of the durable file */
		return;
	seq = ad_evidence_seq(d->ev);
	if (seq == 0 || seq <= d->snap_seq ||
	    (!force && seq - d->snap_seq < snap_every))
		return;
	if ((body = body_of(d, seq, &len)) == NULL) {
		d_log(LOG_ERR, "snapshot at seq %llu: out of memory or line 1 "
		      "unreadable", (unsigned long long)seq);
		return;
	}
	slot = d->snap_slot == 0 ? 1 : 0;
	r = len > BODY_MAX ? AD_ERR_TOOBIG : put_slot(d, slot, body, len);
	free(body);
	if (r != 0) {
		d_log(LOG_ERR, "snapshot at seq %llu not written: %s",
		      (unsigned long long)seq, ad_strerror(r));
		return;
	}
	d->snap_slot = slot;
	d->snap_seq = seq;
	d_log(LOG_INFO, "snapshot at seq %llu written (%zu bytes, %lld ms)",
	      (unsigned long long)seq, len, (long long)(d_mono_ms() - t0));
}
