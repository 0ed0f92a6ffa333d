/*
 * json_enc.c — compact JSON text of a jansson value, byte for byte what
 * json_dumps(JSON_COMPACT | JSON_ENSURE_ASCII) gives (jansson 2.14 keeps
 * insertion order), without its per-chunk callbacks: the evidence lines
 * (evidence_enc.c) and the protocol frames (proto.c) are written with it.
 *
 * Invariants:
 *  - Strings escape '"', '\\', the C0 controls (\b \f \n \r \t, else
 *    \u00XX) and every code point above 0x7F as \uXXXX (UTF-16 pairs past
 *    the BMP, upper-case hex); object keys may hold NUL (their length is
 *    used); integers in decimal; reals go through jansson itself.
 *    test_evidence_enc and fuzz_evidence_enc compare with json_dumps().
 *  - A string that is not valid UTF-8 (jansson's rules: no overlong form,
 *    no surrogate, nothing past U+10FFFF) fails (AD_ERR_INVALID), as
 *    json_dumps() did.
 *  - Output is bounded by e->max (AD_ERR_TOOBIG, nothing more built);
 *    nesting deeper than AD_JENC_DEPTH fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json_enc.h"

#define AD_JENC_DEPTH 64

static int room(struct ad_jenc *e, size_t n)
{
	char *np;
	size_t cap;

	if (e->err)
		return -1;
	if (n > e->max || e->len + n + 1 > e->max) {
		e->err = AD_ERR_TOOBIG;
		return -1;
	}
	if (e->len + n + 1 <= e->cap)
		return 0;
	/* the first buffer stays under glibc's large-chunk size (1008 bytes
	 * usable): a first large malloc consolidates the fast bins and costs
	 * more than the encoding */
	cap = e->cap ? e->cap : 1000;
	while (cap < e->len + n + 1)
		cap *= 2;
	if ((np = realloc(e->p, cap)) == NULL) {
		e->err = AD_ERR_NOMEM;
		return -1;
	}
	e->p = np;
	e->cap = cap;
	return 0;
}

void ad_jenc_raw(struct ad_jenc *e, const char *s, size_t n)
{
	if (room(e, n) != 0)
		return;
	memcpy(e->p + e->len, s, n);
	e->len += n;
}

static void put_u16(struct ad_jenc *e, unsigned int u)
{
	static const char hex[] = "0123456789ABCDEF";
	char b[6] = {'\\', 'u', hex[(u >> 12) & 15], hex[(u >> 8) & 15],
		     hex[(u >> 4) & 15], hex[u & 15]};

	ad_jenc_raw(e, b, sizeof(b));
}

/* The code point at s (n bytes left) and its length, or 0 if invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned int *cp)
{
	size_t k;
	unsigned int c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xc2 || c > 0xf4)
		return 0;
	k = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (k > n)
		return 0;
	c &= k == 2 ? 0x1f : k == 3 ? 0x0f : 0x07;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && c < 0x800) || (k == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return k;
}

static void put_escaped(struct ad_jenc *e, unsigned int cp)
{
	const char *simple = NULL;

	switch (cp) {
	case '"': simple = "\\\""; break;
	case '\\': simple = "\\\\"; break;
	case '\b': simple = "\\b"; break;
	case '\f': simple = "\\f"; break;
	case '\n': simple = "\\n"; break;
	case '\r': simple = "\\r"; break;
	case '\t': simple = "\\t"; break;
	default: break;
	}
	if (simple != NULL) {
		ad_jenc_raw(e, simple, 2);
	} else if (cp < 0x10000) {
		put_u16(e, cp);
	} else {
		cp -= 0x10000;
		put_u16(e, 0xd800 | (cp >> 10));
		put_u16(e, 0xdc00 | (cp & 0x3ff));
	}
}

void ad_jenc_string(struct ad_jenc *e, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run;

	ad_jenc_raw(e, "\"", 1);
	while (i < n && !e->err) {
		unsigned int cp;
		size_t k;

		/* a run of bytes that stand for themselves */
		for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x80 &&
			      s[run] != '"' && s[run] != '\\';
		     run++)
			;
		ad_jenc_raw(e, str + i, run - i);
		if ((i = run) >= n)
			break;
		if ((k = utf8_next(s + i, n - i, &cp)) == 0) {
			e->err = AD_ERR_INVALID;
			return;
		}
		put_escaped(e, cp);
		i += k;
	}
	ad_jenc_raw(e, "\"", 1);
}

/* The digits json_dumps prints ("%" JSON_INTEGER_FORMAT), without the
 * cost of snprintf; INT64_MIN through the unsigned negation. */
void ad_jenc_int(struct ad_jenc *e, json_int_t v)
{
	char b[24], *p = b + sizeof(b);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	ad_jenc_raw(e, p, (size_t)(b + sizeof(b) - p));
}

/* Anything without a fast form (reals): jansson's own text. */
static void put_dumped(struct ad_jenc *e, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);

	if (s == NULL) {
		if (!e->err)
			e->err = AD_ERR_INVALID;
		return;
	}
	ad_jenc_raw(e, s, strlen(s));
	free(s);
}


static void value_d(struct ad_jenc *e, const json_t *v, int depth);

static void put_object(struct ad_jenc *e, const json_t *o, int depth)
{
	const char *key;
	size_t klen;
	const json_t *v;
	int first = 1;

	ad_jenc_raw(e, "{", 1);
	json_object_keylen_foreach((json_t *)o, key, klen, v)
	{
		if (!first)
			ad_jenc_raw(e, ",", 1);
		first = 0;
		ad_jenc_string(e, key, klen); /* a key may hold a NUL */
		ad_jenc_raw(e, ":", 1);
		value_d(e, v, depth + 1);
	}
	ad_jenc_raw(e, "}", 1);
}

static void value_d(struct ad_jenc *e, const json_t *v, int depth)
{
	if (depth > AD_JENC_DEPTH) {
		e->err = AD_ERR_INVALID;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		put_object(e, v, depth);
		break;
	case JSON_ARRAY:
		ad_jenc_raw(e, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				ad_jenc_raw(e, ",", 1);
			value_d(e, json_array_get(v, i), depth + 1);
		}
		ad_jenc_raw(e, "]", 1);
		break;
	case JSON_STRING:
		ad_jenc_string(e, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		ad_jenc_int(e, json_integer_value(v));
		break;
	case JSON_TRUE:
		ad_jenc_raw(e, "true", 4);
		break;
	case JSON_FALSE:
		ad_jenc_raw(e, "false", 5);
		break;
	case JSON_NULL:
		ad_jenc_raw(e, "null", 4);
		break;
	default:
		put_dumped(e, v);
		break;
	}
}

void ad_jenc_value(struct ad_jenc *e, const json_t *v)
{
	value_d(e, v, 1);
}

int ad_jenc_finish(struct ad_jenc *e, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (!e->err && room(e, 0) == 0)
		e->p[e->len] = '\0';
	if (e->err) {
		free(e->p);
		e->p = NULL;
		return e->err;
	}
	*out = e->p;
	*len = e->len;
	e->p = NULL;
	return 0;
}

int ad_json_dump_compact(char **out, size_t *len, const json_t *v, size_t max)
{
	struct ad_jenc e = {.max = max};

	ad_jenc_value(&e, v);
	return ad_jenc_finish(&e, out, len);
}
