/* test_grant.c — standing grants: id syntax, the canonical grant digest
 * (every bound field changes it; the domain separates it from requests),
 * the JSON form (round trip, every refusal names its field). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "canon.h"
#include "error.h"
#include "grant.h"

static void sample(struct ad_grant *g)
{
	memset(g, 0, sizeof(*g));
	strcpy(g->id, "G-7F3A-9C21");
	strcpy(g->host, "web1");
	strcpy(g->requester, "ai-deploy");
	g->uid = 1500;
	strcpy(g->rule, "restart-web");
	strcpy(g->match, "/usr/bin/systemctl restart nginx");
	g->uses = 5;
	g->created = 1800000000;
	g->expires = 1800000000 + 3600;
	strcpy(g->comment, "CHG-42 rollout");
	g->created_by_uid = 1001;
	strcpy(g->created_by, "alice");
}

static void test_id_syntax(void **state)
{
	(void)state;
	assert_true(ad_grant_id_valid("G-7F3A-9C21"));
	assert_true(ad_grant_id_valid("G-0000-FFFF"));
	assert_false(ad_grant_id_valid("R-7F3A-9C21"));  /* a request id */
	assert_false(ad_grant_id_valid("G-7f3a-9c21"));  /* lower case */
	assert_false(ad_grant_id_valid("G-7F3A9C21"));
	assert_false(ad_grant_id_valid("G-7F3A-9C21X"));
	assert_false(ad_grant_id_valid("G-7F3A-9C2"));
	assert_false(ad_grant_id_valid("G-7G3A-9C21"));
	assert_false(ad_grant_id_valid(""));
	assert_false(ad_grant_id_valid(NULL));
}

/* Each bound field changes the digest; created_by does not (not shown
 * as signed, set by the daemon from SO_PEERCRED). */
static void test_digest_binds_fields(void **state)
{
	struct ad_grant g, m;
	uint8_t base[AD_DIGEST_LEN], d[AD_DIGEST_LEN];

	(void)state;
	sample(&g);
	assert_int_equal(ad_grant_digest(base, &g), 0);
	assert_int_equal(ad_grant_digest(d, &g), 0);
	assert_memory_equal(base, d, AD_DIGEST_LEN);
	for (int f = 0; f < 10; f++) {
		m = g;
		switch (f) {
		case 0: m.id[10] = '2'; break;
		case 1: strcpy(m.host, "web2"); break;
		case 2: strcpy(m.requester, "ai-ops"); break;
		case 3: m.uid++; break;
		case 4: strcpy(m.rule, "restart-db"); break;
		case 5: strcpy(m.match, ""); break;
		case 6: m.uses++; break;
		case 7: m.created++; break;
		case 8: m.expires++; break;
		case 9: strcpy(m.comment, "CHG-43 rollout"); break;
		}
		assert_int_equal(ad_grant_digest(d, &m), 0);
		assert_memory_not_equal(base, d, AD_DIGEST_LEN);
	}
	m = g;
	m.created_by_uid = 0;
	strcpy(m.created_by, "root");
	assert_int_equal(ad_grant_digest(d, &m), 0);
	assert_memory_equal(base, d, AD_DIGEST_LEN);
}

/* Moving bytes between adjacent fields changes the digest (lengths are
 * encoded), and the domain is not the request digest's. */
static void test_digest_separation(void **state)
{
	struct ad_grant g, m;
	struct ad_canon c;
	uint8_t a[AD_DIGEST_LEN], b[AD_DIGEST_LEN];

	(void)state;
	sample(&g);
	m = g;
	strcpy(g.requester, "ai-dep");
	strcpy(g.rule, "loyrestart");
	strcpy(m.requester, "ai-deploy");
	strcpy(m.rule, "restart");
	assert_int_equal(ad_grant_digest(a, &g), 0);
	assert_int_equal(ad_grant_digest(b, &m), 0);
	assert_memory_not_equal(a, b, AD_DIGEST_LEN);
	/* the same encoding under the request domain gives another digest */
	ad_canon_init(&c, AD_DOMAIN_REQUEST, NULL);
	ad_canon_u32(&c, AD_GRANT_VERSION);
	ad_canon_str(&c, m.host);
	ad_canon_str(&c, m.id);
	ad_canon_str(&c, m.requester);
	ad_canon_u32(&c, m.uid);
	ad_canon_str(&c, m.rule);
	ad_canon_str(&c, m.match);
	ad_canon_u32(&c, m.uses);
	ad_canon_u64(&c, m.created);
	ad_canon_u64(&c, m.expires);
	ad_canon_str(&c, m.comment);
	assert_int_equal(ad_canon_final(&c, a), 0);
	assert_memory_not_equal(a, b, AD_DIGEST_LEN);
}

static void test_json_round_trip(void **state)
{
	struct ad_grant g, back;
	uint8_t a[AD_DIGEST_LEN], b[AD_DIGEST_LEN];
	char err[128];
	json_t *j;

	(void)state;
	sample(&g);
	assert_non_null(j = ad_grant_to_json(&g));
	assert_int_equal(ad_grant_from_json(&back, j, err, sizeof(err)), 0);
	assert_memory_equal(&g, &back, sizeof(g));
	assert_int_equal(ad_grant_digest(a, &g), 0);
	assert_int_equal(ad_grant_digest(b, &back), 0);
	assert_memory_equal(a, b, AD_DIGEST_LEN);
	json_decref(j);
}

/* Change key to v (NULL: remove it), parse, expect rc and err naming
 * want (a prefix of err). v is consumed. */
static void refused(const char *key, json_t *v, int rc, const char *want)
{
	struct ad_grant g;
	char err[128];
	json_t *j;

	sample(&g);
	j = ad_grant_to_json(&g);
	if (v != NULL)
		json_object_set_new(j, key, v);
	else
		json_object_del(j, key);
	assert_int_equal(ad_grant_from_json(&g, j, err, sizeof(err)), rc);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("err '%s' does not start with '%s'", err, want);
	/* nothing is left half-filled */
	assert_int_equal(g.uses, 0);
	assert_int_equal(g.id[0], '\0');
	json_decref(j);
}

static void test_json_refusals(void **state)
{
	char big[2048];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused("id", NULL, AD_ERR_INVALID, "id: missing");
	refused("id", json_string("R-7F3A-9C21"), AD_ERR_INVALID, "id: not a grant");
	refused("uid", json_string("1500"), AD_ERR_INVALID, "uid: not an integer");
	refused("uid", json_integer(-1), AD_ERR_RANGE, "uid: out of range");
	refused("uid", json_integer(0x100000000LL), AD_ERR_RANGE, "uid");
	refused("uses", json_integer(0), AD_ERR_RANGE, "uses");
	refused("uses", json_integer(1001), AD_ERR_RANGE, "uses");
	refused("expires", json_integer(1800000000), AD_ERR_RANGE, "expires");
	refused("host", json_string(""), AD_ERR_INVALID, "host: empty");
	refused("host", json_string(big), AD_ERR_TOOBIG, "host: too long");
	refused("requester", json_string("ai\ndeploy"), AD_ERR_INVALID,
		"requester: control");
	refused("rule", json_integer(3), AD_ERR_INVALID, "rule: not a string");
	refused("match", json_string(big), AD_ERR_TOOBIG, "match: too long");
	refused("comment", json_string("caf\xc3\xa9"), AD_ERR_INVALID,
		"comment: not printable");
	refused("comment", json_string("a\x7f"), AD_ERR_INVALID, "comment");
	refused("extra", json_true(), AD_ERR_INVALID, "grant: unknown key");
	refused("created_by", json_null(), AD_ERR_INVALID, "created_by");
}

static void test_json_not_object(void **state)
{
	struct ad_grant g;
	char err[64];
	json_t *a = json_array();

	(void)state;
	assert_int_equal(ad_grant_from_json(&g, a, err, sizeof(err)),
			 AD_ERR_INVALID);
	assert_string_equal(err, "grant: not an object");
	assert_int_equal(ad_grant_from_json(&g, NULL, err, sizeof(err)),
			 AD_ERR_INVALID);
	json_decref(a);
}

/* Empty match and comment are allowed ("" = any command of the rule). */
static void test_json_optional_empty(void **state)
{
	struct ad_grant g;
	char err[64];
	json_t *j;

	(void)state;
	sample(&g);
	g.match[0] = g.comment[0] = g.created_by[0] = '\0';
	j = ad_grant_to_json(&g);
	assert_int_equal(ad_grant_from_json(&g, j, err, sizeof(err)), 0);
	assert_string_equal(g.match, "");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_id_syntax),
	    cmocka_unit_test(test_digest_binds_fields),
	    cmocka_unit_test(test_digest_separation),
	    cmocka_unit_test(test_json_round_trip),
	    cmocka_unit_test(test_json_refusals),
	    cmocka_unit_test(test_json_not_object),
	    cmocka_unit_test(test_json_optional_empty),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
