/*
 * ticket_eval.c — does a ticket or precheck answer say "yes"?
 *
 * Invariants (DESIGN.md §4.9): the answer is untrusted: parsed by jansson
 * from at most TICKET_ANSWER_MAX bytes (duplicate keys refused), the field
 * is found by walking object keys only, and every value quoted in the
 * reason is escaped and cut; anything unexpected means "failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "text.h"
#include "ticket.h"

/* The value at a dotted path of object keys, NULL if absent. */
static json_t *walk(json_t *root, const char *path)
{
	char key[160];
	const char *p = path;

	while (root != NULL && *p != '\0') {
		size_t n = strcspn(p, ".");
		if (n >= sizeof(key) || !json_is_object(root))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		root = json_object_get(root, key);
		p += n + (p[n] == '.');
	}
	return root;
}

/* Scalar as text: strings as is, integers, true/false. */
static int scalar_text(const json_t *v, char *out, size_t outlen)
{
	if (json_is_string(v))
		snprintf(out, outlen, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(out, outlen, "%s", json_is_true(v) ? "true" : "false");
	else
		return -1;
	return 0;
}

static void quoted(char *out, size_t outlen, const char *s)
{
	char *e = ad_escape(s);

	snprintf(out, outlen, "\"%.64s%s\"", e ? e : "?",
		 e && strlen(e) > 64 ? "..." : "");
	free(e);
}

int check_answer_ok(const struct ad_http_check *check, const char *body,
		    size_t len, char *why, size_t whylen)
{
	char got[256], q1[96], q2[96];
	json_error_t jerr;
	json_t *root, *v;
	int ok;

	if (check->field == NULL) {
		snprintf(why, whylen, "answer 2xx");
		return 1;
	}
	root = len <= TICKET_ANSWER_MAX
		       ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)
		       : NULL;
	if (root == NULL) {
		snprintf(why, whylen, "answer is not JSON (field %s wanted)",
			 check->field);
		return 0;
	}
	v = walk(root, check->field);
	if (v == NULL || scalar_text(v, got, sizeof(got)) != 0) {
		snprintf(why, whylen, "answer has no text field %s",
			 check->field);
		json_decref(root);
		return 0;
	}
	json_decref(root);
	ok = strcmp(got, check->value) == 0;
	quoted(q1, sizeof(q1), got);
	quoted(q2, sizeof(q2), check->value);
	if (ok)
		snprintf(why, whylen, "field %s is %s", check->field, q1);
	else
		snprintf(why, whylen, "field %s is %s, expected %s",
			 check->field, q1, q2);
	return ok;
}
