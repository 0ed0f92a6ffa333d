/*
 * proto.c — frames and messages of the approverd protocol.
 *
 * Invariants: see proto.h. Lengths are checked before any allocation; JSON
 * is parsed with a byte count (never relies on NUL termination), rejecting
 * duplicate keys; every getter checks type and size.
 */
#include "proto.h"
#include "evidence_int.h"
#include "json_enc.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "text.h"

int ad_frame_len(uint32_t *len_out, const uint8_t hdr[AD_FRAME_HDR],
		 size_t max)
{
	uint32_t n = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) |
		     ((uint32_t)hdr[2] << 8) | (uint32_t)hdr[3];

	*len_out = 0;
	if (n == 0 || (n & 0x80000000u))
		return AD_ERR_PROTO;
	if (n > max)
		return AD_ERR_TOOBIG;
	*len_out = n;
	return 0;
}

int ad_frame_encode(struct ad_buf *out, const json_t *msg, size_t max)
{
	char *text;
	size_t n;
	int r;

	if (!json_is_object(msg))
		return AD_ERR_INVALID;
	/* json_dumps(COMPACT | ENSURE_ASCII), byte for byte (json_enc.c) */
	r = ad_json_dump_compact(&text, &n, msg, max < SIZE_MAX ? max + 1 : max);
	if (r != 0)
		return r == AD_ERR_TOOBIG ? r : AD_ERR_NOMEM;
	if ((r = ad_buf_put_u32(out, (uint32_t)n)) == 0)
		r = ad_buf_put(out, text, n);
	free(text);
	return r;
}

/*
 * jansson 2.14 drops a byte and still succeeds when its lexer buffer cannot
 * grow (SECURITY-TESTING.md finding A2). The executables route jansson's
 * allocations through guard_malloc, which notes any failure; a parse during
 * which an allocation failed is thrown away. Single-threaded users only;
 * the sudo plugin and PAM module never install it (they may be unloaded).
 */
static int json_alloc_failed;

static void *guard_malloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		json_alloc_failed = 1;
	return p;
}

void ad_json_guard_install(void)
{
	json_set_alloc_funcs(guard_malloc, free);
}

/*
 * Frames written by approverd's own daemon and clients are canonical: the
 * encoder (json_enc.c) writes json_dumps' exact bytes. Such a frame's tree
 * is built straight from its bytes by the evidence scanner and builder
 * (evidence_canon.c: the same values and key order as json_loadb, checked
 * by fuzz_evidence and fuzz_proto), which costs less than half of jansson's
 * lexer. NULL for anything else (other writers, whitespace, reals, deep
 * nesting, any doubt): json_loadb then decides and explains.
 */
static _Atomic unsigned long frames_built;

static json_t *canon_frame(const uint8_t *p, size_t n)
{
	struct ad_ev_fast f;
	json_t *o;

	if (!ad_ev_canon_fast((const char *)p, n, &f))
		return NULL;
	if ((o = ad_ev_canon_build((const char *)p, n)) != NULL)
		atomic_fetch_add_explicit(&frames_built, 1, memory_order_relaxed);
	return o;
}

unsigned long ad_frame_built_count(void)
{
	return atomic_load_explicit(&frames_built, memory_order_relaxed);
}

int ad_frame_decode(json_t **out, const uint8_t *p, size_t n, char *err,
		    size_t errlen)
{
	json_error_t jerr;
	json_t *o, *v;

	*out = NULL;
	json_alloc_failed = 0;
	o = canon_frame(p, n);
	if (o == NULL)
		o = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (json_alloc_failed ||
	    (o == NULL && json_error_code(&jerr) == json_error_out_of_memory)) {
		snprintf(err, errlen, "frame: out of memory while parsing");
		json_decref(o);
		return AD_ERR_NOMEM;
	}
	if (o == NULL) {
		snprintf(err, errlen, "frame: bad JSON at byte %d: %s",
			 jerr.position, jerr.text);
		return AD_ERR_PROTO;
	}
	if (!json_is_object(o)) {
		snprintf(err, errlen, "frame: top level is not an object");
		json_decref(o);
		return AD_ERR_PROTO;
	}
	v = json_object_get(o, "v");
	if (!json_is_integer(v) || json_integer_value(v) != AD_PROTO_VERSION) {
		snprintf(err, errlen, "frame: 'v' must be the integer %d",
			 AD_PROTO_VERSION);
		json_decref(o);
		return AD_ERR_PROTO;
	}
	*out = o;
	return 0;
}

static json_t *msg_base(void)
{
	json_t *o = json_object();

	if (o != NULL &&
	    json_object_set_new(o, "v", json_integer(AD_PROTO_VERSION)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *ad_msg_new(const char *op)
{
	json_t *o = msg_base();

	if (o != NULL && json_object_set_new(o, "op", json_string(op)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *ad_msg_ok(void)
{
	json_t *o = msg_base();

	if (o != NULL && json_object_set_new(o, "ok", json_true()) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *ad_msg_error(int err, const char *message)
{
	json_t *o = msg_base();
	char *safe;

	if (o == NULL)
		return NULL;
	safe = ad_escape(message ? message : ad_strerror(err));
	if (safe == NULL ||
	    json_object_set_new(o, "ok", json_false()) != 0 ||
	    json_object_set_new(o, "error", json_string(ad_errname(err))) != 0 ||
	    json_object_set_new(o, "message", json_string(safe)) != 0) {
		free(safe);
		json_decref(o);
		return NULL;
	}
	free(safe);
	return o;
}

int ad_errcode(const char *name)
{
	for (int e = 0; e >= -64; e--)
		if (strcmp(ad_errname(e), name) == 0 &&
		    strcmp(name, "unknown") != 0)
			return e;
	return AD_ERR_PROTO;
}

int ad_msg_status(const json_t *reply, char *msg, size_t msglen)
{
	const json_t *ok = json_object_get(reply, "ok");
	const char *m = NULL, *e = NULL;
	int code;

	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if (!json_is_boolean(ok))
		return AD_ERR_PROTO;
	if (json_is_true(ok))
		return 0;
	if (ad_json_str(&e, reply, "error", 64) != 0)
		return AD_ERR_PROTO;
	code = ad_errcode(e);
	if (code == AD_OK)
		code = AD_ERR_PROTO;
	if (msg != NULL && msglen > 0 &&
	    ad_json_str(&m, reply, "message", 4096) == 0)
		snprintf(msg, msglen, "%s", m);
	return code;
}

int ad_json_str(const char **out, const json_t *o, const char *key,
		size_t max)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return AD_ERR_NOTFOUND;
	if (!json_is_string(v))
		return AD_ERR_PROTO;
	if (json_string_length(v) > max)
		return AD_ERR_TOOBIG;
	if (strlen(json_string_value(v)) != json_string_length(v))
		return AD_ERR_PROTO; /* embedded NUL */
	*out = json_string_value(v);
	return 0;
}

int ad_json_u64(uint64_t *out, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return AD_ERR_NOTFOUND;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return AD_ERR_PROTO;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

void ad_decision_free(struct ad_decision *d)
{
	if (d == NULL)
		return;
	free(d->rule);
	free(d->requires);
	free(d->approvers);
	free(d->reason);
	free(d->blocked);
	memset(d, 0, sizeof(*d));
}

static int set_str(json_t *o, const char *key, const char *s)
{
	return json_object_set_new(o, key, json_string(s ? s : "")) == 0
		       ? 0 : AD_ERR_NOMEM;
}

static json_t *approvers_array(const char *list)
{
	json_t *a = json_array();
	char **v = NULL;
	size_t n = 0;

	if (a == NULL || ad_split_list(&v, &n, list ? list : "") != 0) {
		json_decref(a);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			a = NULL;
			break;
		}
	ad_strv_free(v);
	return a;
}

int ad_decision_to_json(json_t *o, const struct ad_decision *d)
{
	int r = 0;

	r |= set_str(o, "id", d->id);
	r |= set_str(o, "state", ad_state_name(d->state));
	r |= set_str(o, "rule", d->rule);
	r |= set_str(o, "requires", d->requires);
	r |= set_str(o, "reason", d->reason);
	r |= set_str(o, "blocked", d->blocked);
	if (json_object_set_new(o, "approvers", approvers_array(d->approvers)) ||
	    json_object_set_new(o, "not_after", json_integer((json_int_t)d->not_after)) ||
	    json_object_set_new(o, "expires", json_integer((json_int_t)d->expires)))
		r = AD_ERR_NOMEM;
	return r ? AD_ERR_NOMEM : 0;
}

/* Optional string field: absent -> "", present -> bounded copy. */
static int dup_field(char **out, const json_t *o, const char *key, size_t max)
{
	const char *s = NULL;
	int r = ad_json_str(&s, o, key, max);

	*out = NULL;
	if (r == AD_ERR_NOTFOUND)
		s = "";
	else if (r != 0)
		return r;
	*out = strdup(s);
	return *out ? 0 : AD_ERR_NOMEM;
}

static int join_approvers(char **out, const json_t *o)
{
	const json_t *a = json_object_get(o, "approvers"), *v;
	struct ad_buf b;
	size_t i;
	int r = 0;

	*out = NULL;
	if (a == NULL)
		return (*out = strdup("")) ? 0 : AD_ERR_NOMEM;
	if (!json_is_array(a) || json_array_size(a) > 256)
		return AD_ERR_PROTO;
	ad_buf_init(&b, 256 * 65);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || json_string_length(v) > 64 ||
		    ad_has_ctrl(json_string_value(v))) {
			r = AD_ERR_PROTO;
			break;
		}
		if ((i > 0 && (r = ad_buf_put(&b, ",", 1)) != 0) ||
		    (r = ad_buf_put(&b, json_string_value(v),
				    strlen(json_string_value(v)))) != 0)
			break;
	}
	if (r == 0 && (*out = strndup((const char *)b.data ? (const char *)b.data : "", b.len)) == NULL)
		r = AD_ERR_NOMEM;
	ad_buf_free(&b);
	return r;
}

int ad_decision_from_json(struct ad_decision *d, const json_t *o)
{
	const char *id = NULL, *st = NULL;
	int r, s;

	memset(d, 0, sizeof(*d));
	if ((r = ad_json_str(&id, o, "id", AD_ID_MAX - 1)) != 0 ||
	    (r = ad_json_str(&st, o, "state", 32)) != 0)
		return r == AD_ERR_NOTFOUND ? AD_ERR_PROTO : r;
	if (ad_has_ctrl(id) || (s = ad_state_parse(st)) < 0)
		return AD_ERR_PROTO;
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->state = (enum ad_state)s;
	if ((r = dup_field(&d->rule, o, "rule", 256)) != 0 ||
	    (r = dup_field(&d->requires, o, "requires", 1024)) != 0 ||
	    (r = dup_field(&d->reason, o, "reason", 1024)) != 0 ||
	    (r = dup_field(&d->blocked, o, "blocked", 1024)) != 0 ||
	    (r = join_approvers(&d->approvers, o)) != 0)
		goto fail;
	r = ad_json_u64(&d->not_after, o, "not_after");
	if (r == 0 || r == AD_ERR_NOTFOUND)
		r = ad_json_u64(&d->expires, o, "expires");
	if (r == 0 || r == AD_ERR_NOTFOUND)
		return 0;
fail:
	ad_decision_free(d);
	return r == AD_ERR_TOOBIG ? AD_ERR_PROTO : r;
}
