/*
 * request.c — request lifetime, the two digests, the JSON form and the
 * executable hash (see request.h).
 *
 * Invariants (DESIGN.md §3 step 3, §4.5, §4.9):
 *  - The execution digest covers only the execution fields; the request
 *    digest covers the execution digest plus every context field. Both use
 *    the canonical encoding of canon.h in the order documented in
 *    docs/formats/crypto.md; changing the order is a format change.
 *  - from_json accepts only known keys, exact JSON types, uids and gids
 *    0..2^32-2 ((uid_t)-1 means "no identity" to the kernel and is refused),
 *    no embedded NUL, and the caps of request.h; err names the field.
 */
#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "canon.h"
#include "error.h"
#include "text.h"

static const char *const state_names[] = {
    [AD_STATE_NONE] = "none",           [AD_STATE_ALLOWED] = "allowed",
    [AD_STATE_DENIED] = "denied",       [AD_STATE_PENDING] = "pending",
    [AD_STATE_APPROVED] = "approved",   [AD_STATE_EXPIRED] = "expired",
    [AD_STATE_WITHDRAWN] = "withdrawn", [AD_STATE_CONSUMED] = "consumed",
};
#define N_STATES (sizeof(state_names) / sizeof(state_names[0]))

const char *ad_state_name(enum ad_state s)
{
	if ((unsigned)s >= N_STATES)
		return "unknown";
	return state_names[s];
}

int ad_state_parse(const char *name)
{
	for (size_t i = 0; name != NULL && i < N_STATES; i++)
		if (strcmp(name, state_names[i]) == 0)
			return (int)i;
	return -1;
}

/* The string fields, for free/complete/JSON; kind selects the cap. */
enum fkind { F_FIELD, F_CONTEXT };
struct sfield {
	const char *name;
	size_t off;
	enum fkind kind;
};
/* clang-format off */
#define SF(f, k) {#f, offsetof(struct ad_request, f), k}
/* clang-format on */
static const struct sfield sfields[] = {
    SF(requester, F_FIELD),  SF(host, F_FIELD),         SF(service, F_FIELD),
    SF(runas_user, F_FIELD), SF(runas_groups, F_FIELD), SF(command, F_FIELD),
    SF(exe_hash, F_FIELD),   SF(cwd, F_FIELD),          SF(chroot, F_FIELD),
    SF(reason, F_CONTEXT),   SF(ticket, F_CONTEXT),     SF(rollback, F_CONTEXT),
    SF(agent, F_CONTEXT),    SF(sponsor, F_FIELD),      SF(tty, F_FIELD),
    SF(rhost, F_FIELD),      SF(rule, F_FIELD),
};
#define N_SFIELDS (sizeof(sfields) / sizeof(sfields[0]))

static char **sfield_ptr(struct ad_request *r, const struct sfield *f)
{
	return (char **)(void *)((char *)r + f->off);
}

static const char *sfield_get(const struct ad_request *r,
                              const struct sfield *f)
{
	const char *s =
	    *(char *const *)(const void *)((const char *)r + f->off);
	return s != NULL ? s : "";
}

void ad_request_init(struct ad_request *r)
{
	memset(r, 0, sizeof(*r));
}

static void strv_free(struct ad_strv *v)
{
	for (size_t i = 0; v->v != NULL && i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

void ad_request_free(struct ad_request *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < N_SFIELDS; i++)
		free(*sfield_ptr(r, &sfields[i]));
	strv_free(&r->argv);
	strv_free(&r->env);
	ad_request_init(r);
}

int ad_request_complete(struct ad_request *r)
{
	for (size_t i = 0; i < N_SFIELDS; i++) {
		char **p = sfield_ptr(r, &sfields[i]);
		if (*p == NULL && (*p = strdup("")) == NULL)
			return AD_ERR_NOMEM;
	}
	return 0;
}

int ad_exec_digest(uint8_t out[AD_DIGEST_LEN], const struct ad_request *r)
{
	struct ad_canon c;

	ad_canon_init(&c, AD_DOMAIN_EXEC, NULL);
	ad_canon_str(&c, r->requester);
	ad_canon_u32(&c, r->uid);
	ad_canon_str(&c, r->host);
	ad_canon_str(&c, r->service);
	ad_canon_str(&c, r->runas_user);
	ad_canon_u32(&c, r->runas_uid);
	ad_canon_u32(&c, r->runas_gid);
	ad_canon_str(&c, r->runas_groups);
	ad_canon_str(&c, r->command);
	ad_canon_str(&c, r->exe_hash);
	ad_canon_list(&c, r->argv.v, r->argv.n);
	ad_canon_str(&c, r->cwd);
	ad_canon_str(&c, r->chroot);
	ad_canon_list(&c, r->env.v, r->env.n);
	return ad_canon_final(&c, out);
}

int ad_request_digest(uint8_t out[AD_DIGEST_LEN], const struct ad_request *r)
{
	uint8_t exec[AD_DIGEST_LEN];
	struct ad_canon c;
	int rc;

	memset(out, 0, AD_DIGEST_LEN);
	if ((rc = ad_exec_digest(exec, r)) != 0)
		return rc;
	if (memchr(r->id, '\0', sizeof(r->id)) == NULL)
		return AD_ERR_INVALID;
	ad_canon_init(&c, AD_DOMAIN_REQUEST, NULL);
	ad_canon_bytes(&c, exec, sizeof(exec));
	ad_canon_str(&c, r->id);
	ad_canon_str(&c, r->reason);
	ad_canon_str(&c, r->ticket);
	ad_canon_str(&c, r->rollback);
	ad_canon_str(&c, r->agent);
	ad_canon_str(&c, r->sponsor);
	ad_canon_str(&c, r->tty);
	ad_canon_str(&c, r->rhost);
	ad_canon_str(&c, r->rule);
	ad_canon_u64(&c, r->created_us);
	return ad_canon_final(&c, out);
}

void ad_digest_hex(char out[AD_DIGEST_HEX], const uint8_t d[AD_DIGEST_LEN])
{
	sodium_bin2hex(out, AD_DIGEST_HEX, d, AD_DIGEST_LEN);
}

/* ---- JSON ---- */

/* k is one of our own ASCII field names: no UTF-8 check needed. */
static int json_put(json_t *o, const char *k, json_t *v)
{
	return v == NULL || json_object_set_new_nocheck(o, k, v) != 0 ? -1 : 0;
}

static json_t *strv_to_json(const struct ad_strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < v->n; i++) {
		if (json_array_append_new(
		        a, json_string(v->v[i] ? v->v[i] : ""))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *ad_request_to_json(const struct ad_request *r)
{
	json_t *o = json_object();
	int bad = o == NULL;

	for (size_t i = 0; !bad && i < N_SFIELDS; i++)
		bad = json_put(o, sfields[i].name,
		               json_string(sfield_get(r, &sfields[i])));
	bad = bad || json_put(o, "uid", json_integer(r->uid)) ||
	      json_put(o, "runas_uid", json_integer(r->runas_uid)) ||
	      json_put(o, "runas_gid", json_integer(r->runas_gid)) ||
	      json_put(o, "argv", strv_to_json(&r->argv)) ||
	      json_put(o, "env", strv_to_json(&r->env)) ||
	      json_put(o, "id", json_string(r->id)) ||
	      json_put(o, "created_us",
	               json_integer((json_int_t)(r->created_us & INT64_MAX)));
	if (bad || r->created_us > INT64_MAX) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int fail(char *err, size_t errlen, int rc, const char *field,
                const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", field, what);
	return rc;
}

/* A JSON string without NUL and at most cap bytes, copied. */
static int json_str(char **out, const json_t *v, size_t cap, const char *field,
                    char *err, size_t errlen)
{
	*out = NULL;
	if (!json_is_string(v))
		return fail(err, errlen, AD_ERR_INVALID, field, "not a string");
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (n > cap)
		return fail(err, errlen, AD_ERR_TOOBIG, field, "too long");
	if (memchr(s, '\0', n) != NULL)
		return fail(err, errlen, AD_ERR_INVALID, field,
		            "contains a NUL byte");
	if ((*out = strndup(s, n)) == NULL)
		return fail(err, errlen, AD_ERR_NOMEM, field, "out of memory");
	return 0;
}

static int json_u64(uint64_t *out, const json_t *v, uint64_t max,
                    const char *field, char *err, size_t errlen)
{
	*out = 0;
	if (!json_is_integer(v))
		return fail(err, errlen, AD_ERR_INVALID, field,
		            "not an integer");
	json_int_t x = json_integer_value(v);
	if (x < 0 || (uint64_t)x > max)
		return fail(err, errlen, AD_ERR_RANGE, field, "out of range");
	*out = (uint64_t)x;
	return 0;
}

static int json_strv(struct ad_strv *out, const json_t *v, size_t maxn,
                     const char *field, char *err, size_t errlen)
{
	size_t i;
	const json_t *item;
	int rc;

	strv_free(out);
	if (!json_is_array(v))
		return fail(err, errlen, AD_ERR_INVALID, field, "not an array");
	if (json_array_size(v) > maxn)
		return fail(err, errlen, AD_ERR_TOOBIG, field,
		            "too many entries");
	out->v = calloc(json_array_size(v) + 1, sizeof(char *));
	if (out->v == NULL)
		return fail(err, errlen, AD_ERR_NOMEM, field, "out of memory");
	json_array_foreach(v, i, item)
	{
		if ((rc = json_str(&out->v[i], item, AD_FIELD_MAX, field, err,
		                   errlen)) != 0)
			return rc;
		out->n = i + 1;
	}
	return 0;
}

/* Request ids: [A-Za-z0-9_-], shorter than AD_ID_MAX. */
static int id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n >= AD_ID_MAX)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789_-") == n;
}

static int exe_hash_valid(const char *s)
{
	size_t n = strlen(s);
	return n == 0 ||
	       (n == AD_DIGEST_LEN * 2 && strspn(s, "0123456789abcdef") == n);
}

static int from_json_string(struct ad_request *r, const char *key,
                            const json_t *v, char *err, size_t errlen)
{
	for (size_t i = 0; i < N_SFIELDS; i++) {
		const struct sfield *f = &sfields[i];
		if (strcmp(key, f->name) != 0)
			continue;
		char **p = sfield_ptr(r, f);
		free(*p);
		*p = NULL;
		return json_str(
		    p, v, f->kind == F_CONTEXT ? AD_CONTEXT_MAX : AD_FIELD_MAX,
		    key, err, errlen);
	}
	return 1; /* not a string field */
}

static int from_json_other(struct ad_request *r, const char *key,
                           const json_t *v, char *err, size_t errlen)
{
	uint64_t x;
	char *s;
	int rc;

	if (strcmp(key, "argv") == 0)
		return json_strv(&r->argv, v, AD_ARGV_MAX, key, err, errlen);
	if (strcmp(key, "env") == 0)
		return json_strv(&r->env, v, AD_ENV_MAX, key, err, errlen);
	if (strcmp(key, "id") == 0) {
		if ((rc = json_str(&s, v, AD_ID_MAX - 1, key, err, errlen)))
			return rc;
		rc = id_valid(s) ? 0
		                 : fail(err, errlen, AD_ERR_INVALID, key,
		                        "bad character");
		if (rc == 0)
			memcpy(r->id, s, strlen(s) + 1);
		free(s);
		return rc;
	}
	if (strcmp(key, "created_us") == 0) {
		rc = json_u64(&x, v, INT64_MAX, key, err, errlen);
		r->created_us = x;
		return rc;
	}
	uint32_t *u = strcmp(key, "uid") == 0         ? &r->uid
	              : strcmp(key, "runas_uid") == 0 ? &r->runas_uid
	              : strcmp(key, "runas_gid") == 0 ? &r->runas_gid
	                                              : NULL;
	if (u == NULL) { /* the key is untrusted text: escape it */
		char *e = ad_escape(key);
		rc = fail(err, errlen, AD_ERR_INVALID, e ? e : "?",
		          "unknown key");
		free(e);
		return rc;
	}
	rc = json_u64(&x, v, UINT32_MAX - 1, key, err, errlen);
	*u = (uint32_t)x;
	return rc;
}

static int from_json_required(const json_t *j, char *err, size_t errlen)
{
	static const char *const need[] = {
	    "requester",  "uid",       "host",     "service",
	    "runas_user", "runas_uid", "runas_gid"};

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (json_object_get(j, need[i]) == NULL)
			return fail(err, errlen, AD_ERR_INVALID, need[i],
			            "missing");
	return 0;
}

int ad_request_from_json(struct ad_request *r, const json_t *j, char *err,
                         size_t errlen)
{
	const char *key;
	const json_t *v;
	int rc;

	ad_request_init(
	    r); /* output zeroed on entry (r may be uninitialised) */
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!json_is_object(j))
		return fail(err, errlen, AD_ERR_INVALID, "request",
		            "not a JSON object");
	if ((rc = from_json_required(j, err, errlen)) != 0)
		return rc;
	json_object_foreach((json_t *)j, key, v)
	{
		rc = from_json_string(r, key, v, err, errlen);
		if (rc == 1)
			rc = from_json_other(r, key, v, err, errlen);
		if (rc != 0)
			goto out;
	}
	rc = exe_hash_valid(r->exe_hash ? r->exe_hash : "")
	         ? ad_request_complete(r)
	         : fail(err, errlen, AD_ERR_INVALID, "exe_hash",
	                "not 64 lowercase hex digits");
out:
	if (rc != 0)
		ad_request_free(r);
	return rc;
}

int ad_file_hash_fd(char out[AD_DIGEST_HEX], int fd)
{
	crypto_generichash_state h;
	uint8_t buf[65536], d[AD_DIGEST_LEN];
	struct stat st;
	off_t off = 0;
	ssize_t n;

	memset(out, 0, AD_DIGEST_HEX);
	if (fstat(fd, &st) != 0)
		return AD_ERR_IO;
	if (!S_ISREG(st.st_mode))
		return AD_ERR_INVALID;
	if (crypto_generichash_init(&h, NULL, 0, AD_DIGEST_LEN) != 0)
		return AD_ERR_CRYPTO;
	for (;;) {
		n = pread(fd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		crypto_generichash_update(&h, buf, (size_t)n);
		off += n;
	}
	if (n < 0)
		return AD_ERR_IO;
	if (crypto_generichash_final(&h, d, sizeof(d)) != 0)
		return AD_ERR_CRYPTO;
	ad_digest_hex(out, d);
	return 0;
}
