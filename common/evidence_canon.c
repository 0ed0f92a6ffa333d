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
 */
#include <stdint.h>
#include <string.h>

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

/* Does any byte of w need a look (below 0x20, above 0x7F, '"' or '\\')?
 * Each test is exact as a yes/no (a borrow only ever adds a "yes" for a
 * word that already has one), so a word answered "no" holds only plain
 * bytes. */
static int word_special(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

	return (((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) |
	        ((b - ONES) & ~b) | w) & HIGH ? 1 : 0;
}

/* The first byte at or after p that is not a plain string byte (raw
 * 0x20..0x7F except '"' and '\\'), or end: eight bytes at a time, then
 * one by one. */
static const char *skip_plain(const char *p, const char *end)
{
	uint64_t w;

	while (end - p >= 8) {
		memcpy(&w, p, sizeof(w));
		if (word_special(w))
			break;
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

static int dup_key(const struct ad_ev_span *keys, size_t n, const char *k,
                   size_t klen)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].n == klen && (klen == 0 || keys[i].p[0] == k[0]) &&
		    memcmp(keys[i].p, k, klen) == 0)
			return 1;
	return 0;
}

/* One "key":value member; records it in keys[*n] (and f, if given). */
static int scan_member(struct canon *c, struct ad_ev_span *keys, size_t *n,
                       struct ad_ev_fast *f)
{
	const char *k, *v;
	size_t klen;

	if (*n >= CANON_KEYS || !scan_string(c, &k, &klen) ||
	    dup_key(keys, *n, k, klen) || !eat(c, ':'))
		return 0;
	keys[*n].p = k;
	keys[*n].n = klen;
	v = c->p;
	if (!scan_value(c))
		return 0;
	if (f && *n < AD_EV_FAST_KEYS) {
		f->key[*n] = keys[*n];
		f->val[*n].p = v;
		f->val[*n].n = (size_t)(c->p - v);
	}
	++*n;
	return 1;
}

static int scan_object(struct canon *c, struct ad_ev_fast *f)
{
	struct ad_ev_span keys[CANON_KEYS];
	size_t n = 0;

	c->p++; /* '{' */
	if (!eat(c, '}')) {
		do
			if (!scan_member(c, keys, &n, f))
				return 0;
		while (eat(c, ','));
		if (!eat(c, '}'))
			return 0;
	}
	if (f)
		f->nkeys = n;
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
