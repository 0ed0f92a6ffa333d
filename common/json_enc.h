/*
 * json_enc.h — compact JSON text of jansson values, exactly as
 * json_dumps(JSON_COMPACT | JSON_ENSURE_ASCII) (json_enc.c).
 */
#ifndef APPROVERD_JSON_ENC_H
#define APPROVERD_JSON_ENC_H

#include <stddef.h>

#include <jansson.h>

/* Text being built; zero it and set max (bytes, NUL excluded + 1). The
 * first error sticks: later calls do nothing. */
struct ad_jenc {
	char *p;
	size_t len, cap, max;
	int err; /* AD_ERR_NOMEM, AD_ERR_TOOBIG, AD_ERR_INVALID */
};

void ad_jenc_raw(struct ad_jenc *e, const char *s, size_t n);
void ad_jenc_string(struct ad_jenc *e, const char *s, size_t n);
void ad_jenc_int(struct ad_jenc *e, json_int_t v);
void ad_jenc_value(struct ad_jenc *e, const json_t *v);
/* The text (malloc'ed, NUL-terminated) or the first error (freed). */
int ad_jenc_finish(struct ad_jenc *e, char **out, size_t *len);
/* json_dumps(v, COMPACT | ENSURE_ASCII | ENCODE_ANY) in at most max - 1
 * bytes: 0, AD_ERR_NOMEM, AD_ERR_TOOBIG or AD_ERR_INVALID. */
int ad_json_dump_compact(char **out, size_t *len, const json_t *v,
                         size_t max);

#endif
