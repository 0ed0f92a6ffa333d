/*
 * evidence_enc.c — the text of an evidence line, written straight from the
 * caller's record: {"seq":N,"time":T,"event":E,"prev":P, then the record's
 * other fields in their order}. The writer used to copy the record into a
 * new object and json_dumps() it; that was a quarter of the daemon's
 * event-loop instructions per approval cycle (docs/BENCHMARKS.md).
 *
 * Invariants:
 *  - The output is byte for byte what json_dumps(AD_EV_DUMP_FLAGS) gives
 *    for that object (compact, ASCII only, insertion order): strings escape
 *    '"', '\\', the C0 controls (\b \f \n \r \t, else \u00XX) and every
 *    code point above 0x7F as \uXXXX (UTF-16 pairs past the BMP,
 *    upper-case hex); integers in decimal; reals go through jansson itself.
 *    test_evidence_enc and fuzz_evidence_enc compare the two.
 *  - A string that is not valid UTF-8 (jansson's rules: no overlong form,
 *    no surrogate, nothing past U+10FFFF) fails the record (AD_ERR_INVALID),
 *    as json_dumps() did; the writer's line check still runs after this.
 *  - Output is bounded: past AD_EVIDENCE_LINE_MAX the encoding stops with
 *    AD_ERR_TOOBIG; nesting deeper than AD_EV_ENC_DEPTH fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "evidence_int.h"

#define AD_EV_ENC_DEPTH 64

struct enc {
	char *p;
	size_t len, cap;
	int err;
};

static int room(struct enc *e, size_t n)
{
	char *np;
	size_t cap;

	if (e->err)
		return -1;
	if (e->len + n + 1 <= e->cap)
		return 0;
	if (e->len + n + 1 > AD_EVIDENCE_LINE_MAX) {
		e->err = AD_ERR_TOOBIG;
		return -1;
	}
	cap = e->cap ? e->cap : 1024;
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

static void put(struct enc *e, const char *s, size_t n)
{
	if (room(e, n) != 0)
		return;
	memcpy(e->p + e->len, s, n);
	e->len += n;
}

static void put_u16(struct enc *e, unsigned int u)
{
	static const char hex[] = "0123456789ABCDEF";
	char b[6] = {'\\', 'u', hex[(u >> 12) & 15], hex[(u >> 8) & 15],
		     hex[(u >> 4) & 15], hex[u & 15]};

	put(e, b, sizeof(b));
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

static void put_escaped(struct enc *e, unsigned int cp)
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
		put(e, simple, 2);
	} else if (cp < 0x10000) {
		put_u16(e, cp);
	} else {
		cp -= 0x10000;
		put_u16(e, 0xd800 | (cp >> 10));
		put_u16(e, 0xdc00 | (cp & 0x3ff));
	}
}

static void put_string(struct enc *e, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run;

	put(e, "\"", 1);
	while (i < n && !e->err) {
		unsigned int cp;
		size_t k;

		/* a run of bytes that stand for themselves */
		for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x80 &&
			      s[run] != '"' && s[run] != '\\';
		     run++)
			;
		put(e, str + i, run - i);
		if ((i = run) >= n)
			break;
		if ((k = utf8_next(s + i, n - i, &cp)) == 0) {
			e->err = AD_ERR_INVALID;
			return;
		}
		put_escaped(e, cp);
		i += k;
	}
	put(e, "\"", 1);
}

static void put_int(struct enc *e, json_int_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" JSON_INTEGER_FORMAT, v);

	put(e, b, (size_t)n);
}

/* Anything without a fast form (reals): jansson's own text. */
static void put_dumped(struct enc *e, const json_t *v)
{
	char *s = json_dumps(v, AD_EV_DUMP_FLAGS | JSON_ENCODE_ANY);

	if (s == NULL) {
		if (!e->err)
			e->err = AD_ERR_INVALID;
		return;
	}
	put(e, s, strlen(s));
	free(s);
}

static void put_value(struct enc *e, const json_t *v, int depth);

static void put_object(struct enc *e, const json_t *o, int depth)
{
	const char *key;
	size_t klen;
	const json_t *v;
	int first = 1;

	put(e, "{", 1);
	json_object_keylen_foreach((json_t *)o, key, klen, v)
	{
		if (!first)
			put(e, ",", 1);
		first = 0;
		put_string(e, key, klen); /* a key may hold a NUL */
		put(e, ":", 1);
		put_value(e, v, depth + 1);
	}
	put(e, "}", 1);
}

static void put_value(struct enc *e, const json_t *v, int depth)
{
	if (depth > AD_EV_ENC_DEPTH) {
		e->err = AD_ERR_INVALID;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		put_object(e, v, depth);
		break;
	case JSON_ARRAY:
		put(e, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				put(e, ",", 1);
			put_value(e, json_array_get(v, i), depth + 1);
		}
		put(e, "]", 1);
		break;
	case JSON_STRING:
		put_string(e, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		put_int(e, json_integer_value(v));
		break;
	case JSON_TRUE:
		put(e, "true", 4);
		break;
	case JSON_FALSE:
		put(e, "false", 5);
		break;
	case JSON_NULL:
		put(e, "null", 4);
		break;
	default:
		put_dumped(e, v);
		break;
	}
}

static void put_field(struct enc *e, const char *key, const json_t *v,
		      int first)
{
	if (!first)
		put(e, ",", 1);
	put_string(e, key, strlen(key));
	put(e, ":", 1);
	put_value(e, v, 1);
}

int ad_ev_encode_line(char **out, size_t *len, const json_t *rec,
		      uint64_t seq, const char *time, const char *prev_hex)
{
	struct enc e = {0};
	const char *key;
	const json_t *v;

	*out = NULL;
	*len = 0;
	put(&e, "{\"seq\":", 7);
	put_int(&e, (json_int_t)seq);
	put(&e, ",\"time\":", 8);
	put_string(&e, time, strlen(time));
	put_field(&e, "event", json_object_get(rec, "event"), 0);
	put(&e, ",\"prev\":", 8);
	put_string(&e, prev_hex, strlen(prev_hex));
	json_object_foreach((json_t *)rec, key, v)
	{
		if (strcmp(key, "event") != 0)
			put_field(&e, key, v, 0);
	}
	put(&e, "}", 1);
	if (!e.err && room(&e, 0) == 0)
		e.p[e.len] = '\0';
	if (e.err) {
		free(e.p);
		return e.err;
	}
	*out = e.p;
	*len = e.len;
	return 0;
}
