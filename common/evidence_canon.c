/*
 * evidence_canon.c — a strict single-pass check that a line is the
 * canonical compact ASCII dump of a JSON object, without building it.
 *
 * Invariants: it only ever ANSWERS YES for bytes that json_loadb (with
 * JSON_REJECT_DUPLICATES) accepts as an object and json_dumps
 * (AD_EV_DUMP_FLAGS) writes back byte for byte; anything it cannot decide
 * cheaply (reals, integers of 19+ digits, nesting deeper than
 * CANON_DEPTH, objects with more than CANON_KEYS keys) or that is not
 * canonical is "no", and the caller then runs the full jansson check, which
 * decides and explains. Canonical strings are: raw bytes 0x20..0x7F except
 * '"' and '\\'; the short escapes \" \\ \b \f \n \r \t; and \uXXXX (upper
 * case hex) only for U+0001..U+001F without a short form, U+0080 and up
 * (non-surrogates), or a high+low surrogate pair. Because the canonical
 * form of a string is unique, equal keys have equal raw bytes, which is how
 * duplicates are found.
 *
 * ad_ev_canon_build (second half) builds the JSON tree of a line the
 * scanner accepted straight from its bytes, instead of json_loadb lexing
 * it again (most of a start-up from a snapshot was that): the same
 * values and key order json_loadb gives for such a line (test_snapstart_
 * build compares the two). It trusts nothing: every read is bounded by the
 * line, strings get only bytes 0x20..0x7F and decoded escapes (U+0001 and
 * up, surrogates only as a pair: valid UTF-8, no NUL), integers at most 18
 * digits, nesting at most CANON_DEPTH, a repeated key fails; on anything
 * else it returns NULL and ad_ev_canon_load uses json_loadb, keeping its
 * tree only if it dumps back to the line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "evidence_int.h"

#define CANON_DEPTH 32
#define CANON_KEYS 64
_Static_assert(AD_EV_FAST_KEYS == CANON_KEYS,
               "an accepted line must have every key recorded");

struct canon {
	const char *p, *end;
	int depth;
};

static int scan_value(struct canon *c);

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char h = p[i];
		if (h >= '0' && h <= '9')
			v = v * 16 + (unsigned)(h - '0');
		else if (h >= 'A' && h <= 'F')
			v = v * 16 + (unsigned)(h - 'A' + 10);
		else
			return 0; /* lower case: jansson writes upper */
	}
	*out = v;
	return 1;
}

/* c->p is just after "\u"; consumes the escape (and a low surrogate). */
static int scan_uescape(struct canon *c)
{
	unsigned cp, lo;

	if (c->end - c->p < 4 || !hex4(c->p, &cp))
		return 0;
	c->p += 4;
	if (cp == 0 || cp == 0x08 || cp == 0x09 || cp == 0x0A || cp == 0x0C ||
	    cp == 0x0D)
		return 0; /* NUL refused; the rest have a short form */
	if (cp >= 0x20 && cp < 0x80)
		return 0; /* written raw (or as \" \\) */
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return 0; /* lone low surrogate */
	if (cp < 0xD800 || cp > 0xDBFF)
		return 1;
	if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
	    !hex4(c->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
		return 0;
	c->p += 6;
	return 1;
}

#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL

/* The bytes of w that need a look (below 0x20, above 0x7F, '"' or '\\'),
 * each as its high bit. Each test is exact as a yes/no, and a borrow only
 * ever runs from a byte that needs a look toward higher ones: so no bit
 * means only plain bytes, and the lowest bit set is a byte that needs a
 * look (the first one in memory, on a little-endian machine). */
static uint64_t word_special(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

	return (((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) |
	        ((b - ONES) & ~b) | w) & HIGH;
}

/* The first byte at or after p that is not a plain string byte (raw
 * 0x20..0x7F except '"' and '\\'), or end: sixteen bytes at a time with
 * SSE2 (as signed bytes, 0x80..0xFF are below 0x20 too), then eight at a
 * time (the first special one found in its word), then one by one. */
static inline const char *skip_plain(const char *p, const char *end)
{
	uint64_t w, m;
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(0x20), qu = _mm_set1_epi8('"'),
	              bs = _mm_set1_epi8('\\');
	__m128i x;
	int bits;

	while (end - p >= 16) {
		x = _mm_loadu_si128((const void *)p);
		bits = _mm_movemask_epi8(_mm_or_si128(
		    _mm_cmplt_epi8(x, sp),
		    _mm_or_si128(_mm_cmpeq_epi8(x, qu), _mm_cmpeq_epi8(x, bs))));
		if (bits != 0)
			return p + __builtin_ctz((unsigned)bits);
		p += 16;
	}
#endif
	while (end - p >= 8) {
		memcpy(&w, p, sizeof(w));
		if ((m = word_special(w)) != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return p + (__builtin_ctzll(m) >> 3);
#else
			break;
#endif
		}
		p += 8;
	}
	while (p < end && (unsigned char)*p >= 0x20 &&
	       (unsigned char)*p <= 0x7F && *p != '"' && *p != '\\')
		p++;
	return p;
}

/* A string at c->p; *in and *inlen get the bytes between the quotes. */
static int scan_string(struct canon *c, const char **in, size_t *inlen)
{
	const char *s;

	if (c->p >= c->end || *c->p != '"')
		return 0;
	s = ++c->p;
	while ((c->p = skip_plain(c->p, c->end)) < c->end) {
		unsigned char b = (unsigned char)*c->p;
		if (b == '"') {
			*in = s;
			*inlen = (size_t)(c->p - s);
			c->p++;
			return 1;
		}
		if (b != '\\')
			return 0; /* a control or non-ASCII byte */
		if (++c->p >= c->end)
			return 0;
		b = (unsigned char)*c->p++;
		if (b == 'u') {
			if (!scan_uescape(c))
				return 0;
		} else if (!strchr("\"\\bfnrt", b) || b == '\0') {
			return 0;
		}
	}
	return 0;
}

/* -?(0|[1-9][0-9]{0,17}) not followed by a fraction or exponent. */
static int scan_number(struct canon *c)
{
	const char *s;
	int neg = 0;

	if (c->p < c->end && *c->p == '-') {
		neg = 1;
		c->p++;
	}
	s = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	if (c->p == s || c->p - s > 18)
		return 0; /* no digits, or maybe out of json_int_t range */
	if (*s == '0' && (c->p - s > 1 || neg))
		return 0; /* leading zero, or -0 (written as 0) */
	if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
		return 0; /* a real: left to the full check */
	return 1;
}

static int scan_word(struct canon *c, const char *w, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

static int eat(struct canon *c, char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 1;
	}
	return 0;
}

static int scan_array(struct canon *c)
{
	c->p++; /* '[' */
	if (eat(c, ']'))
		return 1;
	do
		if (!scan_value(c))
			return 0;
	while (eat(c, ','));
	return eat(c, ']');
}

/* The keys of one object so far, and a 256-bit set of their fingerprints:
 * a key whose fingerprint is not in it is new without comparing it to
 * every key before it (a fingerprint seen before only means: compare). */
struct keyset {
	struct ad_ev_span k[CANON_KEYS];
	size_t n;
	uint64_t print[4];
};

static unsigned fingerprint(const char *k, size_t n)
{
	if (n == 0)
		return 0;
	return (unsigned)(n * 29 + (unsigned char)k[0] * 7 +
	                  (unsigned char)k[n / 2] + (unsigned char)k[n - 1] * 3) &
	       255;
}

/* Is k (its raw bytes) already a key of ks? Notes its fingerprint. */
static int dup_key(struct keyset *ks, const char *k, size_t klen)
{
	unsigned h = fingerprint(k, klen);
	uint64_t bit = (uint64_t)1 << (h & 63);

	if ((ks->print[h >> 6] & bit) == 0) {
		ks->print[h >> 6] |= bit;
		return 0;
	}
	for (size_t i = 0; i < ks->n; i++)
		if (ks->k[i].n == klen && (klen == 0 || ks->k[i].p[0] == k[0]) &&
		    memcmp(ks->k[i].p, k, klen) == 0)
			return 1;
	return 0;
}

/* One "key":value member; records it in ks (and f, if given). */
static int scan_member(struct canon *c, struct keyset *ks,
                       struct ad_ev_fast *f)
{
	const char *k, *v;
	size_t klen, n = ks->n;

	if (n >= CANON_KEYS || !scan_string(c, &k, &klen) ||
	    dup_key(ks, k, klen) || !eat(c, ':'))
		return 0;
	ks->k[n].p = k;
	ks->k[n].n = klen;
	v = c->p;
	if (!scan_value(c))
		return 0;
	if (f && n < AD_EV_FAST_KEYS) {
		f->key[n] = ks->k[n];
		f->val[n].p = v;
		f->val[n].n = (size_t)(c->p - v);
	}
	ks->n = n + 1;
	return 1;
}

static int scan_object(struct canon *c, struct ad_ev_fast *f)
{
	struct keyset ks;

	ks.n = 0;
	memset(ks.print, 0, sizeof(ks.print));
	c->p++; /* '{' */
	if (!eat(c, '}')) {
		do
			if (!scan_member(c, &ks, f))
				return 0;
		while (eat(c, ','));
		if (!eat(c, '}'))
			return 0;
	}
	if (f)
		f->nkeys = ks.n;
	return 1;
}

static int scan_value(struct canon *c)
{
	const char *s;
	size_t n;
	int ok;

	if (c->p >= c->end)
		return 0;
	switch (*c->p) {
	case '"':
		return scan_string(c, &s, &n);
	case 't':
		return scan_word(c, "true", 4);
	case 'f':
		return scan_word(c, "false", 5);
	case 'n':
		return scan_word(c, "null", 4);
	case '{':
	case '[':
		if (++c->depth > CANON_DEPTH)
			return 0;
		ok = *c->p == '{' ? scan_object(c, NULL) : scan_array(c);
		c->depth--;
		return ok;
	default:
		return scan_number(c);
	}
}

int ad_ev_canon_fast(const char *line, size_t len, struct ad_ev_fast *f)
{
	struct canon c = {.p = line, .end = line + len, .depth = 1};

	f->nkeys = 0; /* spans beyond nkeys are never read */
	if (len == 0 || line[0] != '{' || !scan_object(&c, f))
		return 0;
	return c.p == c.end;
}

/* Building the tree of an accepted line: the cursor is a struct canon. */

static json_t *build_value(struct canon *c);

/* UTF-8 of cp (U+0001..U+10FFFF, not a surrogate) at out; its length. */
static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The escape at c->p (just after its backslash), decoded into out (room
 * for 4 bytes); its length, 0 if it is not a JSON escape of U+0001 and up
 * (a high surrogate only with its low one). */
static size_t build_escape(struct canon *c, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;
	unsigned cp, lo;

	if (c->p >= c->end)
		return 0;
	if (*c->p != 'u') {
		if ((k = memchr(from, *c->p, sizeof(from) - 1)) == NULL)
			return 0;
		c->p++;
		*out = to[k - from];
		return 1;
	}
	if (c->end - ++c->p < 4 || !hex4(c->p, &cp) || cp == 0 ||
	    (cp >= 0xDC00 && cp <= 0xDFFF))
		return 0;
	c->p += 4;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
		    !hex4(c->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
			return 0;
		c->p += 6;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	return put_utf8(out, cp);
}

/* The n raw bytes at s (a string's inside, escapes in it) decoded into a
 * malloc'ed *out (never longer than the raw form); 0 on a bad byte. */
static int build_unescape(const char *s, size_t n, char **out, size_t *len)
{
	struct canon in = {.p = s, .end = s + n};
	char *o = malloc(n + 1);
	const char *t;
	size_t k = 0, e;

	if ((*out = o) == NULL)
		return 0;
	for (;;) {
		t = skip_plain(in.p, in.end);
		memcpy(o + k, in.p, (size_t)(t - in.p));
		k += (size_t)(t - in.p);
		if ((in.p = t) == in.end)
			break;
		if (*in.p++ != '\\' || (e = build_escape(&in, o + k)) == 0)
			return 0; /* *out is freed by the caller */
		k += e; /* an escape is longer than what it stands for */
	}
	*len = k;
	return 1;
}

/* A string at c->p: its decoded bytes (*s, *n); *heap is what to free. */
static int build_string(struct canon *c, const char **s, size_t *n,
                        char **heap)
{
	const char *q, *in;
	int escaped = 0;

	*heap = NULL;
	if (c->p >= c->end || *c->p != '"')
		return 0;
	in = q = ++c->p;
	while ((q = skip_plain(q, c->end)) < c->end && *q == '\\') {
		escaped = 1;
		q += c->end - q >= 2 ? 2 : 1; /* past the escaped byte */
	}
	if (q >= c->end || *q != '"')
		return 0;
	c->p = q + 1;
	if (!escaped) {
		*s = in; /* no escape: the bytes as they are */
		*n = (size_t)(q - in);
		return 1;
	}
	if (!build_unescape(in, (size_t)(q - in), heap, n)) {
		free(*heap);
		*heap = NULL;
		return 0;
	}
	*s = *heap;
	return 1;
}

static json_t *build_str_value(struct canon *c)
{
	const char *s;
	char *heap;
	size_t n;
	json_t *v;

	if (!build_string(c, &s, &n, &heap))
		return NULL;
	v = json_stringn_nocheck(s, n); /* checked above: UTF-8, no NUL */
	free(heap);
	return v;
}

/* -?[0-9]{1,18}, not followed by a digit, fraction or exponent. */
static json_t *build_int(struct canon *c)
{
	const char *s;
	json_int_t v = 0;
	int neg = eat(c, '-');

	s = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && c->p - s < 18)
		v = v * 10 + (*c->p++ - '0');
	if (c->p == s || (c->p < c->end && ((*c->p >= '0' && *c->p <= '9') ||
	                                    *c->p == '.' || *c->p == 'e' ||
	                                    *c->p == 'E')))
		return NULL;
	return json_integer(neg ? -v : v);
}

/* One "key":value into o; a key o already has fails. */
static int build_member(struct canon *c, json_t *o)
{
	const char *k;
	char *heap;
	size_t kn, had = json_object_size(o);
	json_t *v;
	int ok;

	if (!build_string(c, &k, &kn, &heap))
		return 0;
	ok = eat(c, ':') && (v = build_value(c)) != NULL &&
	     json_object_setn_new_nocheck(o, k, kn, v) == 0 &&
	     json_object_size(o) == had + 1;
	free(heap);
	return ok;
}

static json_t *build_object(struct canon *c)
{
	json_t *o = json_object();

	c->p++; /* '{' */
	if (o == NULL || eat(c, '}'))
		return o;
	do
		if (!build_member(c, o))
			goto fail;
	while (eat(c, ','));
	if (eat(c, '}'))
		return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *build_array(struct canon *c)
{
	json_t *a = json_array(), *v;

	c->p++; /* '[' */
	if (a == NULL || eat(c, ']'))
		return a;
	do
		if ((v = build_value(c)) == NULL ||
		    json_array_append_new(a, v) != 0)
			goto fail;
	while (eat(c, ','));
	if (eat(c, ']'))
		return a;
fail:
	json_decref(a);
	return NULL;
}

static json_t *build_value(struct canon *c)
{
	json_t *v;

	if (c->p >= c->end)
		return NULL;
	switch (*c->p) {
	case '"':
		return build_str_value(c);
	case 't':
		return scan_word(c, "true", 4) ? json_true() : NULL;
	case 'f':
		return scan_word(c, "false", 5) ? json_false() : NULL;
	case 'n':
		return scan_word(c, "null", 4) ? json_null() : NULL;
	case '{':
	case '[':
		if (++c->depth > CANON_DEPTH)
			return NULL;
		v = *c->p == '{' ? build_object(c) : build_array(c);
		c->depth--;
		return v;
	default:
		return build_int(c);
	}
}

json_t *ad_ev_canon_build(const char *line, size_t len)
{
	struct canon c = {.p = line, .end = line + len, .depth = 1};
	json_t *o;

	if (len == 0 || line[0] != '{')
		return NULL;
	if ((o = build_object(&c)) != NULL && c.p != c.end) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* jansson's tree is taken only if it dumps back to the line: its lexer
 * can drop a byte and still succeed when an allocation fails (proto.c). */
json_t *ad_ev_canon_load(const char *line, size_t len)
{
	json_t *o = ad_ev_canon_build(line, len);
	char *d;

	if (o != NULL)
		return o;
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	d = o ? json_dumps(o, AD_EV_DUMP_FLAGS) : NULL;
	if (d == NULL || strlen(d) != len || memcmp(d, line, len) != 0) {
		json_decref(o);
		o = NULL;
	}
	free(d);
	return o;
}
