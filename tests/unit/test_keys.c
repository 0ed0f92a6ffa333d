/* test_keys.c — Ed25519 wrappers (RFC 8032), key files, keyring, host key. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "canon.h"
#include "error.h"
#include "keys.h"

/* GCC 12 mistakes "char *t; f(&t); strstr(t, ..)" for a pointer to t itself. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif

/* Fast Argon2id parameters for tests; the default is tested once. */
#define T_OPS 1ULL
#define T_MEM 8192ULL

static const char msg1023[] =
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
    "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
    "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
    "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
    "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
    "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
    "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
    "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
    "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
    "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
    "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
    "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
    "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
    "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
    "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
    "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
    "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
    "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
    "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
    "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
    "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
    "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0";

struct vec {
	const char *seed, *pk, *msg, *sig;
};

/* RFC 8032 section 7.1: TEST 1, 2, 3 and 1024. */
static const struct vec vecs[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
     "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
     msg1023,
     "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
     "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"},
};

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;

	assert_int_equal(
	    sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL), 0);
	return n;
}

static void test_rfc8032(void **state)
{
	uint8_t seed[32], pk[32], sig[64], want[64], msg[1024];
	struct ad_seckey *k;

	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		unhex(seed, 32, vecs[i].seed);
		unhex(pk, 32, vecs[i].pk);
		unhex(want, 64, vecs[i].sig);
		size_t mlen = unhex(msg, sizeof(msg), vecs[i].msg);
		if (i == 3)
			assert_int_equal(mlen, 1023);
		assert_int_equal(ad_seckey_from_seed(&k, seed, "rfc", "rfc"),
		                 0);
		assert_memory_equal(k->pub.pk, pk, 32);
		assert_int_equal(ad_sign_detached(sig, msg, mlen, k), 0);
		assert_memory_equal(sig, want, 64);
		assert_int_equal(ad_verify_detached(want, msg, mlen, pk), 0);
		want[i * 7] ^= 0x01;
		assert_int_equal(ad_verify_detached(want, msg, mlen, pk),
		                 AD_ERR_BAD_SIGNATURE);
		want[i * 7] ^= 0x01;
		if (mlen > 0) {
			msg[mlen - 1] ^= 0x80;
			assert_int_equal(
			    ad_verify_detached(want, msg, mlen, pk),
			    AD_ERR_BAD_SIGNATURE);
		}
		ad_seckey_free(k);
	}
}

static void test_key_id(void **state)
{
	uint8_t pk[32], id[8], h[32], cat[18 + 32];
	char hex[AD_KEYID_HEX];

	unhex(pk, 32, vecs[0].pk);
	memcpy(cat, "approverd-keyid-v1", 18);
	memcpy(cat + 18, pk, 32);
	crypto_generichash(h, 32, cat, sizeof(cat), NULL, 0);
	assert_int_equal(ad_key_id(id, pk), 0);
	assert_memory_equal(id, h, 8);
	ad_key_id_hex(hex, id);
	assert_int_equal(strlen(hex), 16);
	assert_int_equal(strspn(hex, "0123456789abcdef"), 16);
}

static struct ad_seckey *new_key(const char *name)
{
	struct ad_seckey *k = NULL;

	assert_int_equal(ad_seckey_generate(&k, name, name), 0);
	return k;
}

static char *pub_text(const struct ad_seckey *k)
{
	char *t = NULL;

	assert_int_equal(ad_pubkey_format(&t, &k->pub), 0);
	return t;
}

static int parse_pub(const char *t, size_t n)
{
	struct ad_pubkey p;
	char why[AD_WHY_MAX] = "";
	int rc = ad_pubkey_parse(&p, t, n, why);

	if (rc != 0)
		assert_true(why[0] != '\0');
	return rc;
}

static void test_pubkey_roundtrip(void **state)
{
	struct ad_seckey *k = new_key("alice");
	struct ad_pubkey p;
	char why[AD_WHY_MAX];
	char *t = pub_text(k);

	assert_int_equal(ad_pubkey_parse(&p, t, strlen(t), why), 0);
	assert_memory_equal(&p, &k->pub, sizeof(p));
	assert_non_null(strstr(t, "algorithm=ed25519\n"));
	free(t);
	ad_seckey_free(k);
}

/* Replace the first occurrence of from by to in a copy of t. */
static char *subst(const char *t, const char *from, const char *to)
{
	const char *p = strstr(t, from);
	char *out;

	assert_non_null(p);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(p - t), t, to,
	                     p + strlen(from)) > 0);
	return out;
}

static void expect_bad_pub(const char *t)
{
	assert_int_equal(parse_pub(t, strlen(t)), AD_ERR_INVALID);
}

static void test_pubkey_strict(void **state)
{
	struct ad_seckey *k = new_key("alice"), *k2 = new_key("bob");
	char *t = pub_text(k), *t2 = pub_text(k2), *x;
	char line[128];

	x = subst(t, "name=", "comment=x\nname=");
	expect_bad_pub(x);
	free(x);
	x = subst(t, "user=", "user=bob\nuser=");
	expect_bad_pub(x);
	free(x);
	x = subst(t, "algorithm=ed25519\n", "");
	expect_bad_pub(x);
	free(x);
	x = subst(t, "ed25519", "ed448");
	expect_bad_pub(x);
	free(x);
	x = subst(t, "name=alice", "name=al ice");
	expect_bad_pub(x);
	free(x);
	x = subst(t, "name=alice", "name=-alice");
	expect_bad_pub(x);
	free(x);
	x = subst(t, "\n", "\r\n");
	expect_bad_pub(x);
	free(x);
	x = subst(t, "key=", "key= ");
	expect_bad_pub(x);
	free(x);
	x = subst(t, "=\n", "==\n");
	expect_bad_pub(x);
	free(x);
	/* key_id of another key: mismatch */
	snprintf(line, sizeof(line), "key_id=%.16s", strstr(t2, "key_id=") + 7);
	x = subst(t, "key_id=", "key_id=0000000000000000\nold=");
	expect_bad_pub(x);
	free(x);
	const char *kid = strstr(t, "key_id=");
	char mine[24];
	snprintf(mine, sizeof(mine), "%.23s", kid);
	x = subst(t, mine, line);
	expect_bad_pub(x);
	free(x);
	/* upper-case hex is not canonical */
	for (size_t i = 0; i < 16; i++)
		mine[7 + i] =
		    (char)(mine[7 + i] >= 'a' ? mine[7 + i] - 32 : mine[7 + i]);
	if (strpbrk(mine + 7, "ABCDEF") != NULL) {
		char low[24];
		snprintf(low, sizeof(low), "%.23s", kid);
		x = subst(t, low, mine);
		expect_bad_pub(x);
		free(x);
	}
	/* embedded NUL */
	size_t n = strlen(t);
	x = strdup(t);
	x[5] = '\0';
	assert_int_equal(parse_pub(x, n), AD_ERR_INVALID);
	free(x);
	free(t);
	free(t2);
	ad_seckey_free(k);
	ad_seckey_free(k2);
}

/* Every single-byte flip and every truncation must be refused. */
static void test_pubkey_mutation(void **state)
{
	struct ad_seckey *k = new_key("alice");
	char *t = pub_text(k);
	size_t n = strlen(t);
	const char *key_id = strstr(t, "key_id=") + 7;
	char *x = malloc(n + 1);

	assert_int_equal(parse_pub(t, n), 0);
	for (size_t i = 0; i < n; i++) {
		memcpy(x, t, n + 1);
		x[i] ^= (char)0xff;
		assert_true(parse_pub(x, n) < 0);
	}
	/* low-bit flips stay inside the alphabet of key_id/key values */
	for (size_t i = (size_t)(key_id - t); i < n - 1; i++) {
		if (t[i] == '\n' || t[i] == '=' || t[i - 1] == '\n')
			continue;
		if (strncmp(t + i, "key=", 4) == 0) {
			i += 3;
			continue;
		}
		memcpy(x, t, n + 1);
		x[i] ^= 0x01;
		assert_true(parse_pub(x, n) < 0);
	}
	for (size_t cut = 0; cut < n; cut++)
		assert_true(parse_pub(t, cut) < 0);
	free(x);
	free(t);
	ad_seckey_free(k);
}

static char tmpdir[64];

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void write_pub(const char *file, const struct ad_seckey *k)
{
	char *t = pub_text(k);
	write_file(file, t, 0644);
	free(t);
}

static void test_keyring(void **state)
{
	struct ad_seckey *a = new_key("alice"), *b = new_key("bob");
	struct ad_keyring *ring = NULL;
	char why[AD_WHY_MAX] = "";

	write_pub("alice.pub", a);
	write_pub("bob.pub", b);
	write_file("README", "not a key\n", 0644);
	write_file(".hidden.pub", "junk\n", 0644);
	assert_int_equal(
	    ad_keyring_load_dir(&ring, tmpdir, &ad_trust_root, why), 0);
	assert_int_equal(ad_keyring_count(ring), 2);
	assert_ptr_equal(ad_keyring_find_id(ring, a->pub.key_id),
	                 ad_keyring_find_name(ring, "alice"));
	assert_memory_equal(ad_keyring_find_name(ring, "bob")->pk, b->pub.pk,
	                    32);
	assert_null(ad_keyring_find_name(ring, "carol"));
	ad_keyring_free(ring);
	/* a file whose name= does not match its stem */
	write_pub("carol.pub", a);
	assert_int_equal(
	    ad_keyring_load_dir(&ring, tmpdir, &ad_trust_root, why),
	    AD_ERR_INVALID);
	assert_null(ring);
	assert_non_null(strstr(why, "carol.pub"));
	unlink(strcat(strcpy((char[128]){0}, tmpdir), "/carol.pub"));
	/* a group-writable key file is refused by safe-open */
	write_pub("bob.pub", b);
	chmod(strcat(strcpy((char[128]){0}, tmpdir), "/bob.pub"), 0664);
	assert_int_equal(
	    ad_keyring_load_dir(&ring, tmpdir, &ad_trust_root, why),
	    AD_ERR_UNTRUSTED);
	assert_non_null(strstr(why, "bob.pub"));
	write_pub("bob.pub", b);
	/* one bad file fails the whole directory */
	write_file("zed.pub", "algorithm=ed25519\n", 0644);
	assert_int_equal(
	    ad_keyring_load_dir(&ring, tmpdir, &ad_trust_root, why),
	    AD_ERR_INVALID);
	assert_non_null(strstr(why, "zed.pub"));
	unlink(strcat(strcpy((char[128]){0}, tmpdir), "/zed.pub"));
	/* keyring_add refuses duplicates */
	assert_int_equal(ad_keyring_new(&ring), 0);
	assert_int_equal(ad_keyring_add(ring, &a->pub), 0);
	assert_int_equal(ad_keyring_add(ring, &a->pub), AD_ERR_INVALID);
	ad_keyring_free(ring);
	ad_seckey_free(a);
	ad_seckey_free(b);
}

static void test_seckey_encrypted(void **state)
{
	struct ad_seckey *k = new_key("alice"), *back = NULL;
	char why[AD_WHY_MAX] = "", *t = NULL, *x;
	size_t n = 0;
	uint8_t sig[64];

	assert_int_equal(
	    ad_seckey_format(&t, &n, k, "correct horse", T_OPS, T_MEM), 0);
	assert_int_equal(ad_seckey_needs_passphrase(t, n), 1);
	assert_null(strstr(t, "encryption=none"));
	assert_int_equal(ad_seckey_parse(&back, t, n, "correct horse", why), 0);
	assert_memory_equal(back->sk, k->sk, 64);
	assert_memory_equal(&back->pub, &k->pub, sizeof(k->pub));
	assert_int_equal(ad_sign_detached(sig, "m", 1, back), 0);
	assert_int_equal(ad_verify_detached(sig, "m", 1, k->pub.pk), 0);
	ad_seckey_free(back);
	assert_int_equal(ad_seckey_parse(&back, t, n, "wrong horse", why),
	                 AD_ERR_PASSPHRASE);
	assert_null(back);
	assert_int_equal(ad_seckey_parse(&back, t, n, NULL, why),
	                 AD_ERR_PASSPHRASE);
	/* header fields are bound as associated data */
	x = subst(t, "name=alice", "name=alicf");
	assert_int_equal(
	    ad_seckey_parse(&back, x, strlen(x), "correct horse", why),
	    AD_ERR_PASSPHRASE);
	free(x);
	x = subst(t, "user=alice", "user=bob");
	assert_int_equal(
	    ad_seckey_parse(&back, x, strlen(x), "correct horse", why),
	    AD_ERR_PASSPHRASE);
	free(x);
	x = subst(t, "memlimit=8192", "memlimit=16384");
	assert_int_equal(
	    ad_seckey_parse(&back, x, strlen(x), "correct horse", why),
	    AD_ERR_PASSPHRASE);
	free(x);
	x = subst(t, "memlimit=8192", "memlimit=99999999999");
	assert_int_equal(
	    ad_seckey_parse(&back, x, strlen(x), "correct horse", why),
	    AD_ERR_RANGE);
	free(x);
	/* every truncation is refused */
	for (size_t cut = 0; cut < n; cut++)
		assert_true(
		    ad_seckey_parse(&back, t, cut, "correct horse", why) < 0);
	ad_seckey_text_free(t, n);
	/* the default cost works too */
	assert_int_equal(
	    ad_seckey_format(&t, &n, k, "pw", AD_KDF_OPSLIMIT, AD_KDF_MEMLIMIT),
	    0);
	assert_int_equal(ad_seckey_parse(&back, t, n, "pw", why), 0);
	ad_seckey_free(back);
	ad_seckey_text_free(t, n);
	ad_seckey_free(k);
}

static void test_seckey_plain(void **state)
{
	struct ad_seckey *k = new_key("alice"), *k2 = new_key("bob"), *back;
	char why[AD_WHY_MAX], *t = NULL, *t2 = NULL, *x;
	size_t n = 0, n2 = 0;

	assert_int_equal(ad_seckey_format(&t, &n, k, NULL, 0, 0), 0);
	assert_int_equal(ad_seckey_needs_passphrase(t, n), 0);
	assert_non_null(strstr(t, "encryption=none\n"));
	assert_int_equal(ad_seckey_parse(&back, t, n, NULL, why), 0);
	assert_memory_equal(back->sk, k->sk, 64);
	ad_seckey_free(back);
	/* a key id that is not the key's */
	char kid[24], kid2[24];
	snprintf(kid, sizeof(kid), "%.23s", strstr(t, "key_id="));
	assert_int_equal(ad_seckey_format(&t2, &n2, k2, NULL, 0, 0), 0);
	snprintf(kid2, sizeof(kid2), "%.23s", strstr(t2, "key_id="));
	x = subst(t, kid, kid2);
	assert_int_equal(ad_seckey_parse(&back, x, strlen(x), NULL, why),
	                 AD_ERR_INVALID);
	assert_non_null(strstr(why, "does not match"));
	free(x);
	/* a lines out of order */
	x = subst(t, "encryption=none\n", "");
	assert_int_equal(ad_seckey_parse(&back, x, strlen(x), NULL, why),
	                 AD_ERR_INVALID);
	free(x);
	for (size_t cut = 0; cut < n; cut++)
		assert_true(ad_seckey_parse(&back, t, cut, NULL, why) < 0);
	for (size_t i = 0; i < n; i++) {
		x = strdup(t);
		x[i] ^= (char)0xff;
		assert_true(ad_seckey_parse(&back, x, n, NULL, why) < 0);
		free(x);
	}
	ad_seckey_text_free(t, n);
	ad_seckey_text_free(t2, n2);
	ad_seckey_free(k);
	ad_seckey_free(k2);
}

static void test_seckey_files(void **state)
{
	struct ad_seckey *k = new_key("alice"), *back = NULL;
	char why[AD_WHY_MAX], path[128], link[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/alice.key", tmpdir);
	snprintf(link, sizeof(link), "%s/link.key", tmpdir);
	unlink(path);
	assert_int_equal(ad_seckey_save(k, path, "pw", T_OPS, T_MEM, why), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* never overwrites */
	assert_true(ad_seckey_save(k, path, "pw", T_OPS, T_MEM, why) < 0);
	assert_int_equal(ad_seckey_load(&back, path, "pw", why), 0);
	assert_memory_equal(back->sk, k->sk, 64);
	ad_seckey_free(back);
	assert_int_equal(ad_seckey_load(&back, path, "pW", why),
	                 AD_ERR_PASSPHRASE);
	assert_non_null(strstr(why, "alice.key"));
	chmod(path, 0640);
	assert_int_equal(ad_seckey_load(&back, path, "pw", why),
	                 AD_ERR_UNTRUSTED);
	assert_non_null(strstr(why, "too open"));
	chmod(path, 0600);
	unlink(link);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(ad_seckey_load(&back, link, "pw", why), AD_ERR_IO);
	assert_non_null(strstr(why, "symbolic link"));
	unlink(link);
	unlink(path);
	ad_seckey_free(k);
}

static void test_hostkey(void **state)
{
	struct ad_seckey *h = NULL, *h2 = NULL;
	struct ad_pubkey p;
	char why[AD_WHY_MAX], key[128], pub[128];
	struct stat st;

	snprintf(key, sizeof(key), "%s/host.key", tmpdir);
	snprintf(pub, sizeof(pub), "%s/host.pub", tmpdir);
	unlink(key);
	unlink(pub);
	assert_int_equal(
	    ad_hostkey_load_or_create(&h, key, &ad_trust_root, why), 0);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(ad_pubkey_load(&p, pub, &ad_trust_root, 1, why), 0);
	assert_memory_equal(p.pk, h->pub.pk, 32);
	/* loads the same key the second time */
	assert_int_equal(
	    ad_hostkey_load_or_create(&h2, key, &ad_trust_root, why), 0);
	assert_memory_equal(h2->sk, h->sk, 64);
	ad_seckey_free(h2);
	/* host.pub recreated when missing */
	unlink(pub);
	assert_int_equal(
	    ad_hostkey_load_or_create(&h2, key, &ad_trust_root, why), 0);
	ad_seckey_free(h2);
	assert_int_equal(ad_pubkey_load(&p, pub, &ad_trust_root, 1, why), 0);
	/* host.pub of another key */
	struct ad_seckey *o = new_key("host");
	write_pub("host.pub", o);
	assert_int_equal(
	    ad_hostkey_load_or_create(&h2, key, &ad_trust_root, why),
	    AD_ERR_INVALID);
	assert_non_null(strstr(why, "host.pub"));
	ad_seckey_free(o);
	/* readable by group */
	chmod(key, 0640);
	assert_int_equal(
	    ad_hostkey_load_or_create(&h2, key, &ad_trust_root, why),
	    AD_ERR_UNTRUSTED);
	assert_null(h2);
	unlink(key);
	unlink(pub);
	ad_seckey_free(h);
}

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/test_keys.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc8032),
	    cmocka_unit_test(test_key_id),
	    cmocka_unit_test(test_pubkey_roundtrip),
	    cmocka_unit_test(test_pubkey_strict),
	    cmocka_unit_test(test_pubkey_mutation),
	    cmocka_unit_test(test_keyring),
	    cmocka_unit_test(test_seckey_encrypted),
	    cmocka_unit_test(test_seckey_plain),
	    cmocka_unit_test(test_seckey_files),
	    cmocka_unit_test(test_hostkey),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
