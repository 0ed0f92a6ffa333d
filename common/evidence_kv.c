/*
 * evidence_kv.c — the syslog form of an evidence record (DESIGN.md §4.6,
 * §4.9): "seq=12 event=request id=R-7F3A-9C21 ... hash=HEX".
 *
 * Invariants: every value passes through ad_escape, so no control byte,
 * newline or unbalanced quote from a request can reach syslog or forge a
 * key=value pair; keys are reduced to [A-Za-z0-9_.-]; values with any other
 * byte than [A-Za-z0-9._:/@+,-] are double-quoted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence_int.h"
#include "json_enc.h"
#include "text.h"

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

/* Room for n more bytes and the NUL; 0, or -1 (b->oom set). */
static int sb_room(struct sbuf *b, size_t n)
{
	char *np;
	size_t cap;

	if (b->oom)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	if (n > (SIZE_MAX - b->len - 1) / 2) {
		b->oom = 1;
		return -1;
	}
	cap = (b->len + n + 1) * 2;
	if (cap < 256)
		cap = 256;
	if (!(np = realloc(b->p, cap))) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (sb_room(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static int alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* A byte a value may hold without quotes: [A-Za-z0-9._:/@+,-]. */
static int plain_byte(unsigned char c)
{
	return alnum(c) || c == '.' || c == '_' || c == ':' || c == '/' ||
	       c == '@' || c == '+' || c == ',' || c == '-';
}

static int plain(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!plain_byte((unsigned char)s[i]))
			return 0;
	return 1;
}

/* " KEY=" with every byte outside [A-Za-z0-9_.-] replaced by '_'. */
static void add_key(struct sbuf *b, const char *key)
{
	size_t n = strlen(key);

	if (sb_room(b, n + 2) != 0)
		return;
	b->p[b->len++] = ' ';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];

		b->p[b->len++] = (alnum(c) || c == '_' || c == '.' || c == '-')
					 ? (char)c : '_';
	}
	b->p[b->len++] = '=';
	b->p[b->len] = '\0';
}

/* A string value, escaped straight into b; quoted unless plain (the
 * escape keeps plain bytes as they are and turns every other into a
 * non-plain form, so plain input is exactly plain output). */
static void add_string(struct sbuf *b, const char *s, size_t n)
{
	int quote = !plain(s, n);

	if (n > (SIZE_MAX - 3) / 4) {
		b->oom = 1;
		return;
	}
	if (sb_room(b, n * 4 + 2) != 0)
		return;
	if (quote)
		b->p[b->len++] = '"';
	b->len += ad_escape_into(b->p + b->len, s, n);
	if (quote)
		b->p[b->len++] = '"';
	b->p[b->len] = '\0';
}

/* Other values: integers as digits, the rest as escaped compact JSON
 * (quoted unless true, false, null or a real that is plain). */
static void add_value(struct sbuf *b, const json_t *v)
{
	char num[32], *dump, *esc;
	size_t n;
	int quote;

	if (!v) {
		sb_str(b, "\"\"");
		return;
	}
	if (json_is_string(v)) {
		add_string(b, json_string_value(v), json_string_length(v));
		return;
	}
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld",
		         (long long)json_integer_value(v));
		sb_str(b, num);
		return;
	}
	/* json_dumps(AD_EV_DUMP_FLAGS | JSON_ENCODE_ANY), byte for byte */
	if (ad_json_dump_compact(&dump, &n, v, (size_t)1 << 24) != 0) {
		b->oom = 1;
		return;
	}
	esc = ad_escape_n(dump, n);
	free(dump);
	if (!esc) {
		b->oom = 1;
		return;
	}
	quote = (!json_is_true(v) && !json_is_false(v) && !json_is_null(v) &&
	         !json_is_real(v)) || !plain(esc, strlen(esc));
	if (quote)
		sb_str(b, "\"");
	sb_str(b, esc);
	if (quote)
		sb_str(b, "\"");
	free(esc);
}

static void add_fields(struct sbuf *b, const json_t *rec)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)rec, key, v)
	{
		if (!strcmp(key, "seq") || !strcmp(key, "time") ||
		    !strcmp(key, "event") || !strcmp(key, "prev"))
			continue;
		/* "hash" is ours (the line hash); a field of that name is
		 * renamed so that no record can forge it */
		add_key(b, strcmp(key, "hash") == 0 ? "_hash" : key);
		add_value(b, v);
	}
}

char *ad_evidence_kv_seq(const json_t *rec, uint64_t seq, const char *hash_hex)
{
	struct sbuf b = {0};
	char num[32];

	if (!json_is_object(rec))
		return NULL;
	snprintf(num, sizeof(num), "seq=%llu", (unsigned long long)seq);
	sb_str(&b, num);
	add_key(&b, "event");
	add_value(&b, json_object_get(rec, "event"));
	add_fields(&b, rec);
	if (hash_hex) {
		json_t *h = json_string(hash_hex);
		add_key(&b, "hash");
		add_value(&b, h);
		json_decref(h);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

char *ad_evidence_kv(const json_t *rec, const char *hash_hex)
{
	json_int_t seq = json_integer_value(json_object_get(rec, "seq"));

	return ad_evidence_kv_seq(rec, seq > 0 ? (uint64_t)seq : 0, hash_hex);
}
