/*
 * evidence_kv.c — the syslog form of an evidence record (DESIGN.md §4.6,
 * §4.9): "seq=12 event=request id=R-7F3A-9C21 ... hash=HEX".
 *
 * Invariants: every value passes through ad_escape, so no control byte,
 * newline or unbalanced quote from a request can reach syslog or forge a
 * key=value pair; keys are reduced to [A-Za-z0-9_.-]; values with any other
 * byte than [A-Za-z0-9._:/@+,-] are double-quoted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence_int.h"
#include "text.h"

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *np;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		if (!(np = realloc(b->p, cap))) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static int plain(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr(
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		        "0123456789._:/@+,-",
		        *s))
			return 0;
	return 1;
}

static void add_key(struct sbuf *b, const char *key)
{
	sb_str(b, " ");
	for (; *key; key++) {
		char c = *key;
		if (!strchr(
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		        "0123456789_.-",
		        c))
			c = '_';
		sb_add(b, &c, 1);
	}
	sb_str(b, "=");
}

/* Escaped text of a string value, or of compact JSON for other values. */
static char *value_text(const json_t *v, int *quote)
{
	char num[32], *dump, *esc;

	*quote = 0;
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld",
		         (long long)json_integer_value(v));
		return strdup(num);
	}
	if (json_is_string(v)) {
		esc = ad_escape_n(json_string_value(v), json_string_length(v));
	} else {
		if (!(dump = json_dumps(v, AD_EV_DUMP_FLAGS | JSON_ENCODE_ANY)))
			return NULL;
		esc = ad_escape(dump);
		free(dump);
		*quote = !json_is_true(v) && !json_is_false(v) &&
		         !json_is_null(v) && !json_is_real(v);
	}
	if (esc && !*quote)
		*quote = !plain(esc);
	return esc;
}

static void add_value(struct sbuf *b, const json_t *v)
{
	int quote;
	char *t;

	if (!v) {
		sb_str(b, "\"\"");
		return;
	}
	if (!(t = value_text(v, &quote))) {
		b->oom = 1;
		return;
	}
	if (quote)
		sb_str(b, "\"");
	sb_str(b, t);
	if (quote)
		sb_str(b, "\"");
	free(t);
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
