/* test_token.c — approval tokens: binding, each specific rejection, mutation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "buf.h"
#include "error.h"
#include "keys.h"
#include "request.h"
#include "token.h"

/* GCC 12 mistakes "char *t; f(&t); strrchr(t, ..)" for a pointer to t. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif

#define NOW 1800000000ULL

static struct ad_seckey *alice, *bob, *mallory;
static struct ad_keyring *ring;
static uint8_t digest[AD_DIGEST_LEN], other_digest[AD_DIGEST_LEN];

static void statement(struct ad_statement *st, int decision)
{
	memset(st, 0, sizeof(*st));
	strcpy(st->host, "web1");
	strcpy(st->request_id, "R-7F3A-9C21");
	memcpy(st->digest, digest, AD_DIGEST_LEN);
	st->decision = (uint32_t)decision;
	st->not_before = NOW - 60;
	st->not_after = NOW + 900;
	st->uses = 1;
	strcpy(st->comment, "CHG-1 ok, alice");
}

static char *sign_as(const struct ad_seckey *k, int decision)
{
	struct ad_statement st;
	char *t = NULL;

	statement(&st, decision);
	assert_int_equal(ad_token_sign(&t, &st, k), 0);
	return t;
}

static int verify(const char *t, const char *host, const char *id,
                  const uint8_t *d, int want_decision, uint64_t now)
{
	struct ad_statement out;
	const struct ad_pubkey *signer = (const void *)1;
	int rc = ad_token_verify(&out, t, ring, host, id, d, want_decision, now,
	                         &signer);

	if (rc == 0)
		assert_non_null(signer);
	if (rc == AD_ERR_INVALID || rc == AD_ERR_UNKNOWN_KEY ||
	    rc == AD_ERR_BAD_SIGNATURE || rc == AD_ERR_TOOBIG)
		assert_null(signer); /* nothing trusted before the signature */
	return rc;
}

static int verify_ok_args(const char *t)
{
	return verify(t, "web1", "R-7F3A-9C21", digest, AD_DECISION_APPROVE,
	              NOW);
}

static void test_good(void **state)
{
	char *t = sign_as(alice, AD_DECISION_APPROVE);
	struct ad_statement out;
	const struct ad_pubkey *signer = NULL;
	char idhex[AD_KEYID_HEX], prefix[64];

	assert_int_equal(ad_token_verify(&out, t, ring, "web1", "R-7F3A-9C21",
	                                 digest, AD_DECISION_APPROVE, NOW,
	                                 &signer),
	                 0);
	assert_ptr_equal(signer, ad_keyring_find_name(ring, "alice"));
	assert_int_equal(out.decision, AD_DECISION_APPROVE);
	assert_true(out.not_after == NOW + 900);
	assert_string_equal(out.comment, "CHG-1 ok, alice");
	assert_int_equal(out.uses, 1);
	ad_key_id_hex(idhex, alice->pub.key_id);
	snprintf(prefix, sizeof(prefix), "approverd-ed25519-v1:%s:", idhex);
	assert_int_equal(strncmp(t, prefix, strlen(prefix)), 0);
	/* boundaries are inclusive */
	assert_int_equal(verify(t, "web1", "R-7F3A-9C21", digest, 0, NOW - 60),
	                 0);
	assert_int_equal(verify(t, "web1", "R-7F3A-9C21", digest, 0, NOW + 900),
	                 0);
	/* a fresh nonce each time */
	char *t2 = sign_as(alice, AD_DECISION_APPROVE);
	assert_string_not_equal(t, t2);
	free(t);
	free(t2);
}

/* The three-step check (the daemon's verifier thread): bind refuses until
 * the signature check has passed; a forged signature stays refused; the
 * statement is kept after an unknown key (for the refusal record) and
 * cleared after a syntax error; the steps agree with ad_token_verify. */
static void test_split_steps(void **state)
{
	struct ad_token_pending p;
	const struct ad_pubkey *signer = NULL;
	struct ad_seckey *fake = NULL;
	char *t = sign_as(alice, AD_DECISION_APPROVE), *tf;

	(void)state;
	assert_int_equal(ad_token_prepare(&p, t, ring, &signer), 0);
	assert_ptr_equal(signer, ad_keyring_find_name(ring, "alice"));
	/* not checked yet: fails closed */
	assert_int_equal(ad_token_bind(&p, "web1", "R-7F3A-9C21", digest,
				       AD_DECISION_APPROVE, NOW),
			 AD_ERR_BAD_SIGNATURE);
	assert_int_equal(ad_token_check_sig(&p), 0);
	assert_int_equal(ad_token_bind(&p, "web1", "R-7F3A-9C21", digest,
				       AD_DECISION_APPROVE, NOW), 0);
	assert_int_equal(ad_token_bind(&p, "web2", "R-7F3A-9C21", digest,
				       AD_DECISION_APPROVE, NOW),
			 AD_ERR_WRONG_HOST);
	assert_int_equal(ad_token_bind(&p, "web1", "R-7F3A-9C21", other_digest,
				       AD_DECISION_APPROVE, NOW),
			 AD_ERR_WRONG_DIGEST);
	/* one flipped byte of the signed statement: the check fails */
	p.stmt[p.stmt_len / 2] ^= 1;
	assert_int_equal(ad_token_check_sig(&p), AD_ERR_BAD_SIGNATURE);
	assert_int_equal(ad_token_bind(&p, "web1", "R-7F3A-9C21", digest,
				       AD_DECISION_APPROVE, NOW),
			 AD_ERR_BAD_SIGNATURE);
	/* mallory's signature under alice's key id */
	assert_int_equal(ad_seckey_generate(&fake, "mallory", "mallory"), 0);
	memcpy(fake->pub.key_id, alice->pub.key_id, AD_KEYID_LEN);
	tf = sign_as(fake, AD_DECISION_APPROVE);
	assert_int_equal(ad_token_prepare(&p, tf, ring, &signer), 0);
	assert_int_equal(ad_token_check_sig(&p), AD_ERR_BAD_SIGNATURE);
	assert_int_equal(verify_ok_args(tf), AD_ERR_BAD_SIGNATURE);
	free(tf);
	ad_seckey_free(fake);
	/* unknown key: refused, statement kept for the record */
	tf = sign_as(mallory, AD_DECISION_APPROVE);
	assert_int_equal(ad_token_prepare(&p, tf, ring, &signer),
			 AD_ERR_UNKNOWN_KEY);
	assert_null(signer);
	assert_string_equal(p.st.request_id, "R-7F3A-9C21");
	free(tf);
	/* syntax error: nothing kept */
	assert_int_equal(ad_token_prepare(&p, "approverd-ed25519-v1:zz", ring,
					  &signer), AD_ERR_INVALID);
	assert_null(signer);
	assert_string_equal(p.st.request_id, "");
	free(t);
}

static void test_specific_errors(void **state)
{
	char *t = sign_as(alice, AD_DECISION_APPROVE);
	char *d = sign_as(bob, AD_DECISION_DENY);
	char *m = sign_as(mallory, AD_DECISION_APPROVE);
	const char *id = "R-7F3A-9C21";

	assert_int_equal(verify(t, "web1", "R-0000-0000", digest, 1, NOW),
	                 AD_ERR_WRONG_REQUEST);
	assert_int_equal(verify(t, "web2", id, digest, 1, NOW),
	                 AD_ERR_WRONG_HOST);
	assert_int_equal(verify(t, "web1", id, other_digest, 1, NOW),
	                 AD_ERR_WRONG_DIGEST);
	assert_int_equal(verify(t, "web1", id, digest, 1, NOW + 901),
	                 AD_ERR_EXPIRED);
	assert_int_equal(verify(t, "web1", id, digest, 1, NOW - 61),
	                 AD_ERR_NOT_YET_VALID);
	assert_int_equal(verify(m, "web1", id, digest, 1, NOW),
	                 AD_ERR_UNKNOWN_KEY);
	/* a deny token presented as an approval */
	assert_int_equal(
	    verify(d, "web1", id, digest, AD_DECISION_APPROVE, NOW),
	    AD_ERR_WRONG_DECISION);
	assert_int_equal(verify(d, "web1", id, digest, AD_DECISION_DENY, NOW),
	                 0);
	assert_int_equal(verify(d, "web1", id, digest, AD_DECISION_ANY, NOW),
	                 0);
	assert_int_equal(verify(t, "web1", id, digest, AD_DECISION_DENY, NOW),
	                 AD_ERR_WRONG_DECISION);
	free(t);
	free(d);
	free(m);
}

/* Signed by mallory's key while claiming alice's key id. */
static void test_wrong_key(void **state)
{
	struct ad_seckey *fake = NULL;
	char *t;

	assert_int_equal(ad_seckey_generate(&fake, "mallory", "mallory"), 0);
	memcpy(fake->pub.key_id, alice->pub.key_id, AD_KEYID_LEN);
	t = sign_as(fake, AD_DECISION_APPROVE);
	assert_int_equal(verify_ok_args(t), AD_ERR_BAD_SIGNATURE);
	free(t);
	ad_seckey_free(fake);
}

/* The signed bytes are exactly the documented canonical statement. */
static void test_format(void **state)
{
	struct ad_statement st;
	struct ad_buf b;
	uint8_t bin[AD_TOKEN_MAX], sig[AD_SIG_LEN];
	size_t n = 0;
	char *t = sign_as(alice, AD_DECISION_DENY);
	const char *b64 = strrchr(t, ':') + 1;

	assert_int_equal(ad_token_parse(&st, sig, t), 0);
	assert_int_equal(sodium_base642bin(bin, sizeof(bin), b64, strlen(b64),
	                                   NULL, &n, NULL,
	                                   sodium_base64_VARIANT_ORIGINAL),
	                 0);
	ad_buf_init(&b, 4096);
	assert_int_equal(ad_buf_put_cstring(&b, "approverd-token-v1"), 0);
	assert_int_equal(ad_buf_put_u32(&b, 1), 0);
	assert_int_equal(ad_buf_put_cstring(&b, "web1"), 0);
	assert_int_equal(ad_buf_put_cstring(&b, "R-7F3A-9C21"), 0);
	assert_int_equal(ad_buf_put_string(&b, digest, 32), 0);
	assert_int_equal(ad_buf_put_u32(&b, AD_DECISION_DENY), 0);
	assert_int_equal(ad_buf_put_u64(&b, NOW - 60), 0);
	assert_int_equal(ad_buf_put_u64(&b, NOW + 900), 0);
	assert_int_equal(ad_buf_put_string(&b, st.nonce, 16), 0);
	assert_int_equal(ad_buf_put_string(&b, alice->pub.key_id, 8), 0);
	assert_int_equal(ad_buf_put_u32(&b, 1), 0);
	assert_int_equal(ad_buf_put_cstring(&b, "CHG-1 ok, alice"), 0);
	assert_int_equal(n, b.len + AD_SIG_LEN);
	assert_memory_equal(bin, b.data, b.len);
	assert_memory_equal(bin + b.len, sig, AD_SIG_LEN);
	assert_int_equal(ad_verify_detached(sig, b.data, b.len, alice->pub.pk),
	                 0);
	ad_buf_free(&b);
	free(t);
}

static void test_sign_refuses(void **state)
{
	struct ad_statement st;
	char *t = NULL;

	statement(&st, AD_DECISION_APPROVE);
	st.host[0] = '\0';
	assert_int_equal(ad_token_sign(&t, &st, alice), AD_ERR_INVALID);
	statement(&st, AD_DECISION_APPROVE);
	st.not_before = st.not_after + 1;
	assert_int_equal(ad_token_sign(&t, &st, alice), AD_ERR_INVALID);
	statement(&st, AD_DECISION_APPROVE);
	st.uses = 0;
	assert_int_equal(ad_token_sign(&t, &st, alice), AD_ERR_INVALID);
	statement(&st, AD_DECISION_REVIEW + 1); /* 1..4 are decisions */
	assert_int_equal(ad_token_sign(&t, &st, alice), AD_ERR_INVALID);
	statement(&st, AD_DECISION_ANY);
	assert_int_equal(ad_token_sign(&t, &st, alice), AD_ERR_INVALID);
	statement(&st, AD_DECISION_APPROVE);
	strcpy(st.request_id, "R 1");
	assert_int_equal(ad_token_sign(&t, &st, alice), AD_ERR_INVALID);
	statement(&st, AD_DECISION_APPROVE);
	strcpy(st.comment, "line\nbreak");
	assert_int_equal(ad_token_sign(&t, &st, alice), AD_ERR_INVALID);
	assert_null(t);
}

static void test_mutation(void **state)
{
	char *t = sign_as(alice, AD_DECISION_APPROVE);
	size_t n = strlen(t);
	char *x = malloc(n + 2);
	static const uint8_t flips[] = {0xff, 0x01, 0x20};

	assert_int_equal(verify_ok_args(t), 0);
	for (size_t f = 0; f < sizeof(flips); f++) {
		for (size_t i = 0; i < n; i++) {
			memcpy(x, t, n + 1);
			x[i] = (char)(x[i] ^ flips[f]);
			if (x[i] == '\0')
				continue; /* same as a truncation, below */
			if (verify_ok_args(x) == 0)
				fail_msg("flip 0x%02x at %zu accepted: %s",
				         flips[f], i, x);
		}
	}
	for (size_t cut = 0; cut < n; cut++) {
		memcpy(x, t, cut);
		x[cut] = '\0';
		assert_true(verify_ok_args(x) < 0);
	}
	/* no whitespace or garbage tolerated */
	snprintf(x, n + 2, "%s\n", t);
	assert_int_equal(verify_ok_args(x), AD_ERR_INVALID);
	memcpy(x, t, n + 1);
	x[n - 10] = ' ';
	assert_int_equal(verify_ok_args(x), AD_ERR_INVALID);
	free(x);
	free(t);
	/* too long */
	char *big = malloc(AD_TOKEN_MAX + 2);
	memset(big, 'A', AD_TOKEN_MAX + 1);
	big[AD_TOKEN_MAX + 1] = '\0';
	assert_int_equal(verify_ok_args(big), AD_ERR_TOOBIG);
	free(big);
}

static void test_names(void **state)
{
	assert_int_equal(ad_decision_parse("approve"), AD_DECISION_APPROVE);
	assert_int_equal(ad_decision_parse("deny"), AD_DECISION_DENY);
	assert_int_equal(ad_decision_parse("yes"), -1);
	assert_string_equal(ad_decision_name(AD_DECISION_DENY), "deny");
}

/* Break-glass (3) and review (4) tokens (docs/formats/governance.md §3):
 * a round trip, bound to their decision, and no single-byte change of a
 * break-glass token verifies. */
static void test_gov_decisions(void **state)
{
	static const int decs[] = {AD_DECISION_BREAKGLASS, AD_DECISION_REVIEW};
	struct ad_statement st, out;
	const struct ad_pubkey *signer = NULL;
	char *t = NULL;

	for (size_t i = 0; i < 2; i++) {
		t = sign_as(bob, decs[i]);
		assert_int_equal(ad_token_verify(&out, t, ring, "web1",
		                                 "R-7F3A-9C21", digest, decs[i],
		                                 NOW, &signer),
		                 0);
		assert_int_equal(out.decision, (uint32_t)decs[i]);
		assert_string_equal(out.comment, "CHG-1 ok, alice");
		assert_ptr_equal(signer, ad_keyring_find_name(ring, "bob"));
		assert_int_equal(verify(t, "web1", "R-7F3A-9C21", digest, 0, NOW),
		                 0);
		assert_int_equal(verify_ok_args(t), AD_ERR_WRONG_DECISION);
		assert_int_equal(verify(t, "web1", "R-7F3A-9C21", other_digest,
		                        decs[i], NOW),
		                 AD_ERR_WRONG_DIGEST);
		free(t);
	}
	t = sign_as(alice, AD_DECISION_APPROVE);
	assert_int_equal(verify(t, "web1", "R-7F3A-9C21", digest,
	                        AD_DECISION_BREAKGLASS, NOW),
	                 AD_ERR_WRONG_DECISION);
	free(t);
	t = sign_as(alice, AD_DECISION_BREAKGLASS);
	for (size_t i = 0; t[i] != '\0'; i++) {
		char save = t[i];

		t[i] = (char)(t[i] ^ 0x01);
		if (verify(t, "web1", "R-7F3A-9C21", digest,
		           AD_DECISION_BREAKGLASS, NOW) == 0)
			fail_msg("flip at %zu accepted", i);
		t[i] = save;
	}
	free(t);
	statement(&st, AD_DECISION_REVIEW + 1); /* no such decision */
	assert_int_equal(ad_token_sign(&t, &st, alice), AD_ERR_INVALID);
	assert_null(t);
	assert_int_equal(ad_decision_parse("breakglass"), AD_DECISION_BREAKGLASS);
	assert_int_equal(ad_decision_parse("review"), AD_DECISION_REVIEW);
	assert_string_equal(ad_decision_name(AD_DECISION_BREAKGLASS),
	                    "breakglass");
	assert_string_equal(ad_decision_name(AD_DECISION_REVIEW), "review");
}

/* ---- approverctl keygen + sign, the real binary ---- */

static char rtdir[64];

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *slurp(const char *name)
{
	char path[128], *buf = calloc(1, 8192);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", rtdir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(buf, 1, 8191, f) < 8191);
	fclose(f);
	return buf;
}

static void write_show_exp(const char *name, const struct ad_request *r,
                           const char *digest_hex, uint64_t expires);

static void write_show(const char *name, const struct ad_request *r,
                       const char *digest_hex)
{
	write_show_exp(name, r, digest_hex, 0);
}

/* The show JSON; expires = 0 leaves the request's expiry out. */
static void write_show_exp(const char *name, const struct ad_request *r,
                           const char *digest_hex, uint64_t expires)
{
	char path[128];
	json_t *show = json_object();

	if (expires != 0)
		json_object_set_new(show, "expires", json_integer((json_int_t)expires));

	json_object_set_new(show, "request", ad_request_to_json(r));
	json_object_set_new(show, "digest", json_string(digest_hex));
	json_object_set_new(show, "max_ttl", json_integer(600));
	json_object_set_new(show, "state", json_string("pending"));
	snprintf(path, sizeof(path), "%s/%s", rtdir, name);
	assert_int_equal(json_dump_file(show, path, 0), 0);
	json_decref(show);
}

static void rt_request(struct ad_request *r, uint8_t d[AD_DIGEST_LEN],
                       char hex[AD_DIGEST_HEX])
{
	static char *argv[] = {"systemctl", "restart", "nginx"};

	ad_request_init(r);
	r->requester = strdup("ai-deploy");
	r->uid = 1001;
	r->host = strdup("web1");
	r->service = strdup("sudo");
	r->runas_user = strdup("root");
	r->argv.n = 3;
	r->argv.v = calloc(4, sizeof(char *));
	for (int i = 0; i < 3; i++)
		r->argv.v[i] = strdup(argv[i]);
	strcpy(r->id, "R-1111-2222");
	r->reason = strdup("deploy");
	r->created_us = 1700000000000000ULL;
	assert_int_equal(ad_request_complete(r), 0);
	assert_int_equal(ad_request_digest(d, r), 0);
	ad_digest_hex(hex, d);
}

static int verify_file(const char *name, const struct ad_keyring *kr,
                       const uint8_t d[AD_DIGEST_LEN], int want,
                       struct ad_statement *st)
{
	const struct ad_pubkey *signer;
	char *tok = slurp(name);
	char *nl = strchr(tok, '\n');
	int rc;

	assert_non_null(nl);
	assert_string_equal(nl, "\n"); /* one line */
	*nl = '\0';
	rc = ad_token_verify(st, tok, kr, "web1", "R-1111-2222", d, want,
	                     (uint64_t)time(NULL), &signer);
	free(tok);
	return rc;
}

static void test_ctl_roundtrip(void **state)
{
	const char *b = getenv("APPROVERD_BUILD");
	char ctl[256], why[AD_WHY_MAX], hex[AD_DIGEST_HEX], pubpath[128];
	uint8_t d[AD_DIGEST_LEN];
	struct ad_request r;
	struct ad_pubkey pk;
	struct ad_keyring *kr;
	struct ad_statement st;

	snprintf(ctl, sizeof(ctl), "%s/approverctl", b ? b : "build");
	assert_int_equal(access(ctl, X_OK), 0);
	strcpy(rtdir, "/tmp/test_token.XXXXXX");
	assert_non_null(mkdtemp(rtdir));
	assert_int_equal(
	    run("echo 'pass phrase' > %s/pw; echo nope > %s/bad", rtdir, rtdir),
	    0);
	setenv("APPROVERD_PASSPHRASE_FILE",
	       strcat(strcpy((char[128]){0}, rtdir), "/pw"), 1);
	assert_int_equal(run("%s keygen --name carol --out-dir %s > %s/printed",
	                     ctl, rtdir, rtdir),
	                 0);
	assert_int_equal(
	    run("%s keygen --name carol --out-dir %s 2>/dev/null", ctl, rtdir),
	    1); /* never overwrites */
	snprintf(pubpath, sizeof(pubpath), "%s/carol.pub", rtdir);
	assert_int_equal(ad_pubkey_load(&pk, pubpath, &ad_trust_root, 1, why),
	                 0);
	char *printed = slurp("printed"), *file = slurp("carol.pub");
	assert_string_equal(printed, file);
	free(printed);
	free(file);
	assert_int_equal(ad_keyring_new(&kr), 0);
	assert_int_equal(ad_keyring_add(kr, &pk), 0);

	rt_request(&r, d, hex);
	write_show("show.json", &r, hex);
	assert_int_equal(
	    run("%s sign -k %s/carol.key --yes --ttl 5m --comment hi"
	        " < %s/show.json > %s/tok 2>/dev/null",
	        ctl, rtdir, rtdir, rtdir),
	    0);
	assert_int_equal(verify_file("tok", kr, d, AD_DECISION_APPROVE, &st),
	                 0);
	assert_true(st.not_after - st.not_before == 300);
	assert_string_equal(st.comment, "hi");
	/* --ttl above max_ttl is capped to it */
	assert_int_equal(run("%s sign -k %s/carol.key --yes --ttl 2h"
	                     " < %s/show.json > %s/tok 2>/dev/null",
	                     ctl, rtdir, rtdir, rtdir),
	                 0);
	assert_int_equal(verify_file("tok", kr, d, AD_DECISION_APPROVE, &st),
	                 0);
	assert_true(st.not_after - st.not_before == 600);
	/* never past the request's expiry: 10m asked, 100s left */
	write_show_exp("exp.json", &r, hex, (uint64_t)time(NULL) + 100);
	assert_int_equal(run("%s sign -k %s/carol.key --yes --ttl 10m"
	                     " < %s/exp.json > %s/tok 2>/dev/null",
	                     ctl, rtdir, rtdir, rtdir),
	                 0);
	assert_int_equal(verify_file("tok", kr, d, AD_DECISION_APPROVE, &st),
	                 0);
	assert_true(st.not_after <= (uint64_t)time(NULL) + 100);
	assert_true(st.not_after - st.not_before <= 100);
	/* an already expired request is not signed at all */
	write_show_exp("exp.json", &r, hex, (uint64_t)time(NULL) - 10);
	assert_int_equal(run("%s sign -k %s/carol.key --yes"
	                     " < %s/exp.json > %s/tok3 2>/dev/null",
	                     ctl, rtdir, rtdir, rtdir),
	                 1);
	/* a denial is not an approval */
	assert_int_equal(run("%s sign -k %s/carol.key --yes --deny"
	                     " < %s/show.json > %s/tok 2>/dev/null",
	                     ctl, rtdir, rtdir, rtdir),
	                 0);
	assert_int_equal(verify_file("tok", kr, d, AD_DECISION_APPROVE, &st),
	                 AD_ERR_WRONG_DECISION);
	/* the digest is recomputed: changed argv with the old digest refused */
	free(r.argv.v[2]);
	r.argv.v[2] = strdup("apache2");
	write_show("evil.json", &r, hex);
	assert_int_equal(run("%s sign -k %s/carol.key --yes < %s/evil.json"
	                     " > %s/tok2 2>/dev/null",
	                     ctl, rtdir, rtdir, rtdir),
	                 1);
	/* wrong passphrase */
	assert_int_equal(
	    run("APPROVERD_PASSPHRASE_FILE=%s/bad %s sign -k "
	        "%s/carol.key --yes < %s/show.json > %s/tok2 2>/dev/null",
	        rtdir, ctl, rtdir, rtdir, rtdir),
	    1);
	char *empty = slurp("tok2");
	assert_string_equal(empty, "");
	free(empty);
	ad_request_free(&r);
	ad_keyring_free(kr);
	unsetenv("APPROVERD_PASSPHRASE_FILE");
	assert_int_equal(run("rm -rf '%s'", rtdir), 0);
}

static int setup(void **state)
{
	if (ad_seckey_generate(&alice, "alice", "alice") != 0 ||
	    ad_seckey_generate(&bob, "bob", "bob") != 0 ||
	    ad_seckey_generate(&mallory, "mallory", "mallory") != 0 ||
	    ad_keyring_new(&ring) != 0 || ad_keyring_add(ring, &alice->pub) ||
	    ad_keyring_add(ring, &bob->pub))
		return -1;
	randombytes_buf(digest, sizeof(digest));
	memcpy(other_digest, digest, sizeof(digest));
	other_digest[31] ^= 1;
	return 0;
}

static int teardown(void **state)
{
	ad_seckey_free(alice);
	ad_seckey_free(bob);
	ad_seckey_free(mallory);
	ad_keyring_free(ring);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_split_steps),
	    cmocka_unit_test(test_specific_errors),
	    cmocka_unit_test(test_wrong_key),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_sign_refuses),
	    cmocka_unit_test(test_mutation),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_gov_decisions),
	    cmocka_unit_test(test_ctl_roundtrip),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
