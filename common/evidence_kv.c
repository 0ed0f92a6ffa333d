/*
 * evidence_kv.c — the syslog form of an evidence record (DESIGN.md §4.6,
 * §4.9): "seq=12 event=request id=R-7F3A-9C21 ... hash=HEX".
 *
 * Invariants: every value passes through ad_escape, so no control byte,
 * newline or unbalanced quote from a request can reach syslog or forge a
 * key=value pair; keys are reduced to [A-Za-z0-9_.-]; values with any other
 * byte than [A-Za-z0-9._:/@+,-] are double-quoted. ad_evidence_kv_daemon
 * writes byte for byte what ad_evidence_kv writes for the daemon's copy of
 * a record (tests/unit/test_evidence_kv_fast.c, tests/fuzz/
 * fuzz_evidence_kv.c compare the two).
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

/* Is s valid UTF-8 to jansson (json_string accepts it)? ASCII without
 * asking, which is every key and hash the daemon itself writes. */
static int jansson_utf8(const char *s)
{
	json_t *t;

	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			goto ask;
	return 1;
ask:
	t = json_string(s);
	json_decref(t);
	return t != NULL;
}

/* Bit c of a 128-bit set, as its (low, high) 64-bit halves. */
#define BIT_LO(c) ((c) < 64 ? (uint64_t)1 << (c) : 0)
#define BIT_HI(c) ((c) >= 64 ? (uint64_t)1 << ((c)-64) : 0)
#define RANGE_LO(a, z) ((((uint64_t)2 << ((z) - (a))) - 1) << (a))
#define RANGE_HI(a, z) ((((uint64_t)2 << ((z) - (a))) - 1) << ((a)-64))

/* plain_byte() and add_key()'s kept bytes as bit sets over ASCII:
 * [0-9] . - in the low half, [A-Za-z] _ in the high one; plain adds
 * : / @ + , (test_evidence_kv_fast sends all 256 bytes through both). */
static const uint64_t KEY_LO = RANGE_LO('0', '9') | BIT_LO('.') | BIT_LO('-');
static const uint64_t KEY_HI =
    RANGE_HI('A', 'Z') | RANGE_HI('a', 'z') | BIT_HI('_');
static const uint64_t PLAIN_LO = RANGE_LO('0', '9') | BIT_LO('.') |
                                 BIT_LO('-') | BIT_LO(':') | BIT_LO('/') |
                                 BIT_LO('+') | BIT_LO(',');
static const uint64_t PLAIN_HI =
    RANGE_HI('A', 'Z') | RANGE_HI('a', 'z') | BIT_HI('_') | BIT_HI('@');

static int in_set(unsigned char c, uint64_t lo, uint64_t hi)
{
	if (c < 64)
		return (int)((lo >> c) & 1);
	return c < 128 && ((hi >> (c - 64)) & 1);
}

/* plain(), one table look-up a byte. */
static int plain_fast(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!in_set((unsigned char)s[i], PLAIN_LO, PLAIN_HI))
			return 0;
	return 1;
}

/* add_key(), writing through a local pointer. */
static void add_key_fast(struct sbuf *b, const char *key)
{
	size_t n = strlen(key);
	char *o;

	if (sb_room(b, n + 2) != 0)
		return;
	o = b->p + b->len;
	*o++ = ' ';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];

		o[i] = in_set(c, KEY_LO, KEY_HI) ? (char)c : '_';
	}
	o[n] = '=';
	o[n + 1] = '\0';
	b->len += n + 2;
}

/* add_string, with a plain string copied as it is (what the escape
 * would write for it) instead of escaped. */
static void add_string_fast(struct sbuf *b, const char *s, size_t n)
{
	if (plain_fast(s, n))
		sb_add(b, s, n);
	else
		add_string(b, s, n);
}

/* x in decimal as snprintf("%lld") writes it, without snprintf. */
static void add_int(struct sbuf *b, json_int_t x)
{
	char num[24], *p = num + sizeof(num);
	uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (x < 0)
		*--p = '-';
	sb_add(b, p, (size_t)(num + sizeof(num) - p));
}

/* add_value, the common kinds (strings, integers) without a call to
 * the escape or to snprintf. */
static void add_value_fast(struct sbuf *b, const json_t *v)
{
	if (json_is_string(v))
		add_string_fast(b, json_string_value(v), json_string_length(v));
	else if (json_is_integer(v))
		add_int(b, json_integer_value(v));
	else
		add_value(b, v);
}

/* " hash=HEX" as add_value(json_string(hash_hex)) wrote it. */
static void add_hash(struct sbuf *b, const char *hash_hex)
{
	add_key_fast(b, "hash");
	if (jansson_utf8(hash_hex))
		add_string_fast(b, hash_hex, strlen(hash_hex));
	else
		sb_str(b, "\"\"");
}

/* The first line buffer: most lines fit, and it stays under glibc's
 * large-chunk size (1008 bytes usable), whose first malloc consolidates
 * the fast bins and costs more than the line itself. */
#define KV_FIRST_CAP 1000

/*
 * ad_evidence_kv_daemon writes what ad_evidence_kv wrote for the copy
 * object the daemon built: {"seq": seq} then json_object_set(copy, key, v)
 * for every key of rec but "request", in rec's order. json_object_set
 * sees a key up to its first NUL (jansson keys may hold NUL) and refuses
 * a key that is not UTF-8, and keys equal up to a NUL collapse into one
 * entry at the first one's place holding the last one's value. A record
 * whose keys are all ASCII without NUL ("plain") has none of that, and
 * the line is written straight from rec; any other record goes through
 * the linear look-ups below, still without a copy.
 */

/* Only ASCII keys without a NUL inside? */
static int keys_plain(const json_t *rec)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)rec, key, v)
	{
		const char *p = key;

		for (; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x80)
				return 0;
		if ((size_t)(p - key) !=
		    json_object_iter_key_len(json_object_key_to_iter(key)))
			return 0;
	}
	return 1;
}

/* Would the copy hold key (a C string, i.e. cut at its first NUL)? */
static int copy_kept(const char *key)
{
	return strcmp(key, "request") != 0 && jansson_utf8(key);
}

/* The copy's value under name: the last kept key of rec equal to it. */
static json_t *copy_get(const json_t *rec, const char *name, int plain)
{
	const char *key;
	json_t *v, *found = NULL;

	if (plain)
		return json_object_get(rec, name);
	json_object_foreach((json_t *)rec, key, v)
	{
		if (strcmp(key, name) == 0 && copy_kept(key))
			found = v;
	}
	return found;
}

/* Is the key at iter the first kept key of rec with that C string? */
static int copy_first(const json_t *rec, void *iter)
{
	const char *name = json_object_iter_key(iter);
	void *it = json_object_iter((json_t *)rec);

	for (; it != NULL && it != iter;
	     it = json_object_iter_next((json_t *)rec, it))
		if (strcmp(json_object_iter_key(it), name) == 0)
			return 0; /* equal strings: kept iff name is */
	return 1;
}

/* seq, time, event, prev (the line's own head) or request (left out)? */
static int header_or_request(const char *key)
{
	switch (key[0]) {
	case 's':
		return strcmp(key, "seq") == 0;
	case 't':
		return strcmp(key, "time") == 0;
	case 'e':
		return strcmp(key, "event") == 0;
	case 'p':
		return strcmp(key, "prev") == 0;
	case 'r':
		return strcmp(key, "request") == 0;
	default:
		return 0;
	}
}

static void copy_fields(struct sbuf *b, const json_t *rec, int plain)
{
	void *it = json_object_iter((json_t *)rec);

	for (; it != NULL; it = json_object_iter_next((json_t *)rec, it)) {
		const char *key = json_object_iter_key(it);
		json_t *v = json_object_iter_value(it);

		if (header_or_request(key))
			continue;
		if (!plain && (!copy_kept(key) || !copy_first(rec, it)))
			continue;
		if (!plain)
			v = copy_get(rec, key, 0);
		add_key_fast(b, strcmp(key, "hash") == 0 ? "_hash" : key);
		add_value_fast(b, v);
	}
}

char *ad_evidence_kv_daemon(const json_t *rec, uint64_t seq,
                            const char *hash_hex)
{
	struct sbuf b = {0};
	int plain = keys_plain(rec);
	json_t *s = copy_get(rec, "seq", plain);
	json_int_t n = s != NULL ? json_integer_value(s) : (json_int_t)seq;

	if ((b.p = malloc(KV_FIRST_CAP)) == NULL)
		return NULL;
	b.cap = KV_FIRST_CAP;
	sb_str(&b, "seq=");
	add_int(&b, n > 0 ? n : 0);
	add_key_fast(&b, "event");
	add_value_fast(&b, copy_get(rec, "event", plain));
	copy_fields(&b, rec, plain);
	if (hash_hex)
		add_hash(&b, hash_hex);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
