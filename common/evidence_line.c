/*
 * evidence_line.c — checking one evidence line as the next link of a chain.
 *
 * Invariants: a line is accepted only if it is exactly the canonical compact
 * ASCII dump of its JSON object (so one record has one byte form), its first
 * keys are seq, time, event, prev in that order, seq is the previous seq + 1,
 * prev is the hash of the previous line, the event is known, and a
 * checkpoint has exactly count = seq - 1, head = prev and (with a host key)
 * a valid Ed25519 signature over ad_ev_sigmsg(). The fast path (spans
 * from ad_ev_canon_fast, no JSON tree; the record, when wanted, built from
 * the accepted bytes by ad_ev_canon_load) only accepts; every line it does
 * not accept is decided and explained by the full jansson load+dump check.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "evidence_int.h"
#include "num.h"

static const char *const known_events[] = {
    "request", "approval", "denial",    "approved",   "consume",
    "result",  "expire",   "withdraw",  "checkpoint", "start",
    "stop",    "reload",   "recovered",
    "notify",  "ticket_check", "precheck", "refused",
    "grant",   "review",   "revoke", /* docs/formats/governance.md */
};

int ad_evidence_event_known(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof(known_events) / sizeof(known_events[0]);
	     i++)
		if (strcmp(name, known_events[i]) == 0)
			return 1;
	return 0;
}

void ad_ev_hash(uint8_t out[AD_EVIDENCE_HASH_LEN], const void *p, size_t n)
{
	crypto_generichash(out, AD_EVIDENCE_HASH_LEN, p, n, NULL, 0);
}

/* Chain hashes are public (they are in the file): no need for the
 * constant-time sodium_bin2hex, which was a visible share of a scan. */
void ad_ev_hex(char out[AD_EVIDENCE_HASH_HEX],
               const uint8_t in[AD_EVIDENCE_HASH_LEN])
{
	static const char digit[] = "0123456789abcdef";

	for (size_t i = 0; i < AD_EVIDENCE_HASH_LEN; i++) {
		out[2 * i] = digit[in[i] >> 4];
		out[2 * i + 1] = digit[in[i] & 15];
	}
	out[2 * AD_EVIDENCE_HASH_LEN] = '\0';
}

static int digits_in(const char *s, int a, int b, int lo, int hi)
{
	int v = 0;
	for (int i = a; i < b; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v >= lo && v <= hi;
}

int ad_ev_time_valid(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	if (strlen(s) != AD_EV_TIME_LEN)
		return 0;
	for (size_t i = 0; i < AD_EV_TIME_LEN; i++)
		if (shape[i] != 'd' && s[i] != shape[i])
			return 0;
	return digits_in(s, 0, 4, 1970, 9999) && digits_in(s, 5, 7, 1, 12) &&
	       digits_in(s, 8, 10, 1, 31) && digits_in(s, 11, 13, 0, 23) &&
	       digits_in(s, 14, 16, 0, 59) && digits_in(s, 17, 19, 0, 60) &&
	       digits_in(s, 20, 26, 0, 999999);
}

void ad_ev_time_format(char out[AD_EV_TIME_LEN + 1], const struct timespec *ts)
{
	struct tm tm;
	char date[32];
	time_t t = ts->tv_sec;

	memset(&tm, 0, sizeof(tm));
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%.19s.%06uZ", date,
	         (unsigned)((ts->tv_nsec / 1000) % 1000000));
	memcpy(out, tmp, AD_EV_TIME_LEN);
	out[AD_EV_TIME_LEN] = '\0';
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)(v & 0xff);
}

size_t ad_ev_sigmsg(uint8_t *out, uint64_t count,
                    const uint8_t head[AD_EVIDENCE_HASH_LEN], const char *time,
                    const uint8_t pk[crypto_sign_PUBLICKEYBYTES])
{
	size_t n = 0, tl = strnlen(time, AD_EV_TIME_LEN);

	memcpy(out, AD_EVIDENCE_DOMAIN,
	       sizeof(AD_EVIDENCE_DOMAIN)); /* with NUL */
	n += sizeof(AD_EVIDENCE_DOMAIN);
	put_be(out + n, count, 8);
	n += 8;
	memcpy(out + n, head, AD_EVIDENCE_HASH_LEN);
	n += AD_EVIDENCE_HASH_LEN;
	put_be(out + n, tl, 4);
	n += 4;
	memcpy(out + n, time, tl);
	n += tl;
	memcpy(out + n, pk, crypto_sign_PUBLICKEYBYTES);
	return n + crypto_sign_PUBLICKEYBYTES;
}

static int fail(int rc, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(int rc, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return rc;
}

static int lower_hex_n(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int is_lower_hex(const char *s, size_t n)
{
	return strlen(s) == n && lower_hex_n(s, n);
}

/* The n-th key of obj in stored order must be want; returns its value. */
static json_t *key_at(json_t *obj, void **it, const char *want)
{
	if (!*it || strcmp(json_object_iter_key(*it), want) != 0)
		return NULL;
	json_t *v = json_object_iter_value(*it);
	*it = json_object_iter_next(obj, *it);
	return v;
}

static int parse_canonical(const char *line, size_t len, json_t **out,
                           int *unparsable, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *rec;
	char *re;
	int same;

	*out = NULL;
	if (memchr(line, '\0', len)) {
		*unparsable = 1;
		return fail(AD_ERR_INVALID, why, whylen, "contains a NUL byte");
	}
	rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!rec || !json_is_object(rec)) {
		*unparsable = 1;
		json_decref(rec);
		return fail(AD_ERR_INVALID, why, whylen,
		            "not a JSON object (%s)",
		            rec ? "other JSON value" : jerr.text);
	}
	re = json_dumps(rec, AD_EV_DUMP_FLAGS);
	same = re && strlen(re) == len && memcmp(re, line, len) == 0;
	free(re);
	if (!same) {
		json_decref(rec);
		return fail(AD_ERR_INVALID, why, whylen,
		            "not in canonical form (compact ASCII JSON)");
	}
	*out = rec;
	return 0;
}

static int check_seq(const struct ad_ev_chain *ch, json_t *v, char *why,
                     size_t whylen)
{
	json_int_t seq;

	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return fail(AD_ERR_INVALID, why, whylen,
		            "first key must be seq, an integer >= 1");
	seq = json_integer_value(v);
	if ((uint64_t)seq == ch->seq + 1)
		return 0;
	if ((uint64_t)seq <= ch->seq)
		return fail(AD_ERR_CHAIN, why, whylen,
		            "seq %lld after seq %llu: reordered or duplicated",
		            (long long)seq, (unsigned long long)ch->seq);
	return fail(AD_ERR_CHAIN, why, whylen,
	            "seq gap: expected %llu, found %lld (records deleted?)",
	            (unsigned long long)(ch->seq + 1), (long long)seq);
}

static int check_header(const struct ad_ev_chain *ch, json_t *rec, void **it,
                        const char **event, char *why, size_t whylen)
{
	char head_hex[AD_EVIDENCE_HASH_HEX];
	json_t *v;
	int r;

	*it = json_object_iter(rec);
	if ((r = check_seq(ch, key_at(rec, it, "seq"), why, whylen)) != 0)
		return r;
	v = key_at(rec, it, "time");
	if (!json_is_string(v) || !ad_ev_time_valid(json_string_value(v)))
		return fail(AD_ERR_INVALID, why, whylen,
		            "second key must be time, RFC 3339 UTC with "
		            "microseconds");
	v = key_at(rec, it, "event");
	if (!json_is_string(v) ||
	    !ad_evidence_event_known(json_string_value(v)))
		return fail(AD_ERR_INVALID, why, whylen,
		            "third key must be event, a known event name");
	*event = json_string_value(v);
	v = key_at(rec, it, "prev");
	if (!json_is_string(v) || !is_lower_hex(json_string_value(v), 64))
		return fail(AD_ERR_INVALID, why, whylen,
		            "fourth key must be prev, 64 lowercase hex digits");
	ad_ev_hex(head_hex, ch->head);
	if (strcmp(head_hex, json_string_value(v)) != 0)
		return fail(AD_ERR_CHAIN, why, whylen,
		            "prev does not match the hash of line %llu "
		            "(edited, deleted or reordered)",
		            (unsigned long long)ch->line);
	return 0;
}

/* time is the checkpoint's time string, sig_hex its signature (hex). */
static int check_signature(const struct ad_ev_chain *ch, const char *time,
                           const char *sig_hex, size_t sig_len,
                           const uint8_t *host_pk)
{
	uint8_t sig[crypto_sign_BYTES], msg[AD_EV_SIGMSG_MAX];
	size_t n;

	if (sodium_hex2bin(sig, sizeof(sig), sig_hex, sig_len, NULL, NULL,
	                   NULL) != 0)
		return AD_ERR_INVALID;
	n = ad_ev_sigmsg(msg, ch->seq, ch->head, time, host_pk);
	if (crypto_sign_verify_detached(sig, msg, n, host_pk) != 0)
		return AD_ERR_BAD_SIGNATURE;
	return 0;
}

static int check_checkpoint(const struct ad_ev_chain *ch, json_t *rec, void *it,
                            const uint8_t *host_pk, char *why, size_t whylen)
{
	json_t *count = key_at(rec, &it, "count");
	json_t *head = key_at(rec, &it, "head");
	json_t *sig = key_at(rec, &it, "signature");

	if (!json_is_integer(count) || !json_is_string(head) ||
	    !json_is_string(sig) || it != NULL)
		return fail(AD_ERR_CHECKPOINT, why, whylen,
		            "checkpoint must have exactly count, head, "
		            "signature after prev");
	if ((uint64_t)json_integer_value(count) != ch->seq ||
	    json_integer_value(count) < 0)
		return fail(AD_ERR_CHECKPOINT, why, whylen,
		            "checkpoint count %lld but %llu records precede it "
		            "(truncated or spliced)",
		            (long long)json_integer_value(count),
		            (unsigned long long)ch->seq);
	if (strcmp(json_string_value(head),
	           json_string_value(json_object_get(rec, "prev"))) != 0)
		return fail(AD_ERR_CHECKPOINT, why, whylen,
		            "checkpoint head does not match the chain");
	if (!is_lower_hex(json_string_value(sig), crypto_sign_BYTES * 2))
		return fail(AD_ERR_CHECKPOINT, why, whylen,
		            "checkpoint signature must be %d lowercase hex "
		            "digits",
		            crypto_sign_BYTES * 2);
	if (host_pk &&
	    check_signature(ch, json_string_value(json_object_get(rec, "time")),
	                    json_string_value(sig),
	                    strlen(json_string_value(sig)), host_pk) != 0)
		return fail(AD_ERR_CHECKPOINT, why, whylen,
		            "checkpoint signature does not verify with the "
		            "host key");
	return 0;
}

/* The fast path: spans from ad_ev_canon_fast, no JSON tree. */

static int key_is(const struct ad_ev_fast *f, size_t i, const char *k)
{
	size_t n = strlen(k);
	return f->key[i].n == n && memcmp(f->key[i].p, k, n) == 0;
}

/* A string value without escapes: its bytes between the quotes. */
static int plain_str(const struct ad_ev_span *v, const char **s, size_t *n)
{
	if (v->n < 2 || v->p[0] != '"' || memchr(v->p + 1, '\\', v->n - 2))
		return 0;
	*s = v->p + 1;
	*n = v->n - 2;
	return 1;
}

/* A plain string value of fewer than cap bytes, copied with a NUL. */
static int plain_copy(const struct ad_ev_span *v, char *out, size_t cap)
{
	const char *s;
	size_t n;

	if (!plain_str(v, &s, &n) || n >= cap)
		return 0;
	memcpy(out, s, n);
	out[n] = '\0';
	return 1;
}

/* A non-negative integer value (already known canonical). */
static int span_u64(const struct ad_ev_span *v, uint64_t *out)
{
	char buf[24];

	if (v->n == 0 || v->n >= sizeof(buf))
		return 0;
	memcpy(buf, v->p, v->n);
	buf[v->n] = '\0';
	return ad_parse_u64(out, buf, 0, INT64_MAX) == 0;
}

static int fast_header(const struct ad_ev_chain *ch, const struct ad_ev_fast *f,
                       char time[AD_EV_TIME_LEN + 1], int *is_cp)
{
	char event[16], head_hex[AD_EVIDENCE_HASH_HEX];
	const char *prev;
	uint64_t seq;
	size_t n;

	if (f->nkeys < 4 || !key_is(f, 0, "seq") || !key_is(f, 1, "time") ||
	    !key_is(f, 2, "event") || !key_is(f, 3, "prev"))
		return 0;
	if (!span_u64(&f->val[0], &seq) || seq != ch->seq + 1)
		return 0;
	if (!plain_copy(&f->val[1], time, AD_EV_TIME_LEN + 1) ||
	    !ad_ev_time_valid(time))
		return 0;
	if (!plain_copy(&f->val[2], event, sizeof(event)) ||
	    !ad_evidence_event_known(event))
		return 0;
	ad_ev_hex(head_hex, ch->head);
	if (!plain_str(&f->val[3], &prev, &n) || n != 64 ||
	    memcmp(prev, head_hex, 64) != 0)
		return 0;
	*is_cp = strcmp(event, "checkpoint") == 0;
	return 1;
}

static int fast_checkpoint(const struct ad_ev_chain *ch,
                           const struct ad_ev_fast *f, const char *time,
                           const uint8_t *host_pk)
{
	const char *head, *prev, *sig;
	size_t hn, pn, sn;
	uint64_t count;

	if (f->nkeys != 7 || !key_is(f, 4, "count") || !key_is(f, 5, "head") ||
	    !key_is(f, 6, "signature"))
		return 0;
	if (!span_u64(&f->val[4], &count) || count != ch->seq)
		return 0;
	if (!plain_str(&f->val[5], &head, &hn) ||
	    !plain_str(&f->val[3], &prev, &pn) || hn != pn ||
	    memcmp(head, prev, hn) != 0)
		return 0;
	if (!plain_str(&f->val[6], &sig, &sn) || sn != crypto_sign_BYTES * 2 ||
	    !lower_hex_n(sig, sn))
		return 0;
	return !host_pk || check_signature(ch, time, sig, sn, host_pk) == 0;
}

/* The top-level string field key of a checked line, decoded. */
int ad_evidence_line_str(const struct ad_evidence_line *l, const char *key,
                         char *out, size_t cap)
{
	const struct ad_ev_fast *f = l->fast;
	const char *v = NULL;
	json_t *dec;
	int ok;

	if (!f) {
		v = json_string_value(json_object_get(l->rec, key));
		return v && strlen(v) < cap && snprintf(out, cap, "%s", v) >= 0;
	}
	for (size_t i = 0; i < f->nkeys; i++) {
		if (!key_is(f, i, key))
			continue;
		if (plain_copy(&f->val[i], out, cap))
			return 1;
		if (f->val[i].n < 2 || f->val[i].p[0] != '"')
			return 0; /* not a string */
		/* escaped: let jansson decode it (rare) */
		dec = json_loadb(f->val[i].p, f->val[i].n, JSON_DECODE_ANY,
		                 NULL);
		v = json_string_value(dec);
		ok = v && strlen(v) < cap;
		if (ok)
			snprintf(out, cap, "%s", v);
		json_decref(dec);
		return ok;
	}
	return 0;
}

/* 0 if the line is certainly valid (its spans in f; *rec_out loaded, if
 * asked), 1 if the full check must decide. */
static int fast_check(const struct ad_ev_chain *ch, const char *line,
                      size_t len, const uint8_t *host_pk,
                      struct ad_ev_fast *f, json_t **rec_out, int *is_cp)
{
	char time[AD_EV_TIME_LEN + 1];

	if (!ad_ev_canon_fast(line, len, f) ||
	    !fast_header(ch, f, time, is_cp))
		return 1;
	if (*is_cp && !fast_checkpoint(ch, f, time, host_pk))
		return 1;
	if (rec_out && !(*rec_out = ad_ev_canon_load(line, len)))
		return 1;
	return 0;
}

/* The full check with jansson: load, dump, compare; explains failures. */
static int full_check(const struct ad_ev_chain *ch, const char *line,
                      size_t len, const uint8_t *host_pk, json_t **rec_out,
                      int *is_cp, int *unparsable, char *why, size_t whylen)
{
	json_t *rec = NULL;
	const char *event = NULL;
	void *it = NULL;
	int r;

	if ((r = parse_canonical(line, len, &rec, unparsable, why, whylen)) !=
	    0)
		return r;
	r = check_header(ch, rec, &it, &event, why, whylen);
	if (r == 0 && strcmp(event, "checkpoint") == 0)
		r = check_checkpoint(ch, rec, it, host_pk, why, whylen);
	if (r == 0)
		*is_cp = strcmp(event, "checkpoint") == 0;
	if (r != 0 || !rec_out)
		json_decref(rec);
	else
		*rec_out = rec;
	return r;
}

int ad_ev_check_line_ex(struct ad_ev_chain *ch, const char *line, size_t len,
                        const uint8_t *host_pk, struct ad_ev_checked *ck,
                        int *unparsable, char *why, size_t whylen)
{
	json_t **rec_out = ck->want_rec ? &ck->rec : NULL;
	int is_cp = 0, r;

	ck->rec = NULL;
	ck->fast = 0;
	*unparsable = 0;
	if (len >= AD_EVIDENCE_LINE_MAX)
		return fail(AD_ERR_TOOBIG, why, whylen,
		            "line longer than %d bytes",
		            AD_EVIDENCE_LINE_MAX - 1);
	if (fast_check(ch, line, len, host_pk, ck->f, rec_out, &is_cp) == 0)
		ck->fast = 1;
	else if ((r = full_check(ch, line, len, host_pk, &ck->rec, &is_cp,
	                         unparsable, why, whylen)) != 0)
		return r;
	ch->seq++;
	ch->line++;
	ad_ev_hash(ch->head, line, len);
	if (ch->seq == 1)
		memcpy(ch->first, ch->head, AD_EVIDENCE_HASH_LEN);
	if (is_cp) {
		ch->checkpoints++;
		ch->last_cp_seq = ch->seq;
	}
	return 0;
}

int ad_ev_check_line(struct ad_ev_chain *ch, const char *line, size_t len,
                     const uint8_t *host_pk, json_t **rec_out, int *unparsable,
                     char *why, size_t whylen)
{
	struct ad_ev_fast f;
	struct ad_ev_checked ck = {.want_rec = rec_out != NULL, .f = &f};
	int r = ad_ev_check_line_ex(ch, line, len, host_pk, &ck, unparsable,
	                            why, whylen);

	if (rec_out)
		*rec_out = ck.rec;
	else
		json_decref(ck.rec);
	return r;
}
