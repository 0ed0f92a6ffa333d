/*
 * grant.c — standing grants: id syntax, canonical digest, JSON form
 * (docs/formats/governance.md §4, docs/formats/grant.md).
 *
 * Invariants (DESIGN.md §4.5, §4.9):
 *  - the digest covers every field an approver is shown and signs, in one
 *    fixed order under its own domain, so a grant digest can never equal a
 *    request digest or another grant's;
 *  - ad_grant_from_json() accepts only objects with exactly the documented
 *    keys, each of the right type and within its cap, strings without
 *    control characters (comment: printable ASCII only), uses 1..1000 and
 *    created < expires; on failure err names the field.
 */
#include "grant.h"

#include <stdio.h>
#include <string.h>

#include "canon.h"
#include "error.h"
#include "text.h"

static int upper_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

int ad_grant_id_valid(const char *s)
{
	static const char shape[] = "G-hhhh-hhhh";

	if (s == NULL || strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'h' ? !upper_hex(s[i]) : s[i] != shape[i])
			return 0;
	return 1;
}

int ad_grant_digest(uint8_t out[AD_DIGEST_LEN], const struct ad_grant *g)
{
	struct ad_canon c;

	ad_canon_init(&c, AD_DOMAIN_GRANT, NULL);
	ad_canon_u32(&c, AD_GRANT_VERSION);
	ad_canon_str(&c, g->host);
	ad_canon_str(&c, g->id);
	ad_canon_str(&c, g->requester);
	ad_canon_u32(&c, g->uid);
	ad_canon_str(&c, g->rule);
	ad_canon_str(&c, g->match);
	ad_canon_u32(&c, g->uses);
	ad_canon_u64(&c, g->created);
	ad_canon_u64(&c, g->expires);
	ad_canon_str(&c, g->comment);
	return ad_canon_final(&c, out);
}

json_t *ad_grant_to_json(const struct ad_grant *g)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:s,"
			 " s:I, s:s}",
			 "id", g->id, "host", g->host, "requester", g->requester,
			 "uid", (json_int_t)g->uid, "rule", g->rule,
			 "match", g->match, "uses", (json_int_t)g->uses,
			 "created", (json_int_t)g->created,
			 "expires", (json_int_t)g->expires,
			 "comment", g->comment,
			 "created_by_uid", (json_int_t)g->created_by_uid,
			 "created_by", g->created_by);
}

static int field_err(char *err, size_t errlen, int rc, const char *key,
		     const char *what)
{
	snprintf(err, errlen, "%s: %s", key, what);
	return rc;
}

/* A string field into out[cap]: 1..cap-1 bytes (0.. when may_empty). */
static int get_str(char *out, size_t cap, const json_t *j, const char *key,
		   int may_empty, char *err, size_t errlen)
{
	const json_t *v = json_object_get(j, key);
	size_t n;

	if (!json_is_string(v))
		return field_err(err, errlen, AD_ERR_INVALID, key,
				 v ? "not a string" : "missing");
	n = json_string_length(v);
	if (n >= cap)
		return field_err(err, errlen, AD_ERR_TOOBIG, key, "too long");
	if (n == 0 && !may_empty)
		return field_err(err, errlen, AD_ERR_INVALID, key, "empty");
	if (memchr(json_string_value(v), '\0', n) != NULL ||
	    ad_has_ctrl(json_string_value(v)))
		return field_err(err, errlen, AD_ERR_INVALID, key,
				 "control character");
	memcpy(out, json_string_value(v), n + 1);
	return 0;
}

static int get_uint(uint64_t *out, const json_t *j, const char *key,
		    uint64_t min, uint64_t max, char *err, size_t errlen)
{
	const json_t *v = json_object_get(j, key);

	if (!json_is_integer(v))
		return field_err(err, errlen, AD_ERR_INVALID, key,
				 v ? "not an integer" : "missing");
	if (json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) < min ||
	    (uint64_t)json_integer_value(v) > max)
		return field_err(err, errlen, AD_ERR_RANGE, key, "out of range");
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static int only_known_keys(const json_t *j, char *err, size_t errlen)
{
	static const char *const keys[] = {
		"id", "host", "requester", "uid", "rule", "match", "uses",
		"created", "expires", "comment", "created_by_uid", "created_by",
	};
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)j, k, v) {
		size_t i = 0;

		while (i < sizeof(keys) / sizeof(keys[0]) && strcmp(k, keys[i]))
			i++;
		if (i == sizeof(keys) / sizeof(keys[0]))
			return field_err(err, errlen, AD_ERR_INVALID, "grant",
					 "unknown key");
	}
	return 0;
}

static int grant_strings(struct ad_grant *g, const json_t *j, char *err,
			 size_t el)
{
	int r;

	if ((r = get_str(g->id, sizeof(g->id), j, "id", 0, err, el)) ||
	    (r = get_str(g->host, sizeof(g->host), j, "host", 0, err, el)) ||
	    (r = get_str(g->requester, sizeof(g->requester), j, "requester", 0,
			 err, el)) ||
	    (r = get_str(g->rule, sizeof(g->rule), j, "rule", 0, err, el)) ||
	    (r = get_str(g->match, sizeof(g->match), j, "match", 1, err, el)) ||
	    (r = get_str(g->comment, sizeof(g->comment), j, "comment", 1, err,
			 el)) ||
	    (r = get_str(g->created_by, sizeof(g->created_by), j, "created_by",
			 1, err, el)))
		return r;
	if (!ad_grant_id_valid(g->id))
		return field_err(err, el, AD_ERR_INVALID, "id",
				 "not a grant id G-XXXX-XXXX");
	if (!printable_ascii(g->comment))
		return field_err(err, el, AD_ERR_INVALID, "comment",
				 "not printable ASCII");
	return 0;
}

int ad_grant_from_json(struct ad_grant *g, const json_t *j, char *err,
		       size_t errlen)
{
	uint64_t uid, uses, by;
	int r;

	memset(g, 0, sizeof(*g));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!json_is_object(j))
		return field_err(err, errlen, AD_ERR_INVALID, "grant",
				 "not an object");
	if ((r = only_known_keys(j, err, errlen)) != 0 ||
	    (r = grant_strings(g, j, err, errlen)) != 0 ||
	    (r = get_uint(&uid, j, "uid", 0, UINT32_MAX, err, errlen)) ||
	    (r = get_uint(&uses, j, "uses", 1, AD_GRANT_USES_MAX, err, errlen)) ||
	    (r = get_uint(&g->created, j, "created", 0, INT64_MAX, err, errlen)) ||
	    (r = get_uint(&g->expires, j, "expires", g->created + 1, INT64_MAX,
			  err, errlen)) ||
	    (r = get_uint(&by, j, "created_by_uid", 0, UINT32_MAX, err, errlen))) {
		memset(g, 0, sizeof(*g));
		return r;
	}
	g->uid = (uint32_t)uid;
	g->uses = (uint32_t)uses;
	g->created_by_uid = (uint32_t)by;
	return 0;
}
