/*
 * policy_check.c — the rule keys ticket_check_url/_field/_value and
 * precheck_url/_field/_value, and the URL a check fetches.
 *
 * Invariants (DESIGN.md §7; docs/NOTIFY.md): a check URL is an http(s) URL
 * (ad_url_check) whose only '{' '}' are the placeholders {ticket}, {rule}
 * and {host}; ticket_check_url must contain {ticket}; every value put into
 * a URL is percent-encoded, so a ticket can never add a path segment, a
 * query parameter or another host; field and value come together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "policy_int.h"

#define CHECK_URL_MAX 4096
#define FIELD_MAX 128

static const char *const placeholders[] = {"{ticket}", "{rule}", "{host}"};
#define N_PH (sizeof(placeholders) / sizeof(placeholders[0]))

/* Index of the placeholder at s, or -1. */
static int placeholder_at(const char *s)
{
	for (size_t i = 0; i < N_PH; i++)
		if (strncmp(s, placeholders[i], strlen(placeholders[i])) == 0)
			return (int)i;
	return -1;
}

static int url_template_ok(const char *v, const char *key, char *msg,
			   size_t msglen)
{
	char why[128];

	if (ad_url_check(v, why, sizeof(why)) != 0) {
		snprintf(msg, msglen, "bad '%s' '%.64s': %s", key, v, why);
		return AD_ERR_CONFIG;
	}
	for (const char *p = v; *p != '\0'; p++) {
		int ph = *p == '{' ? placeholder_at(p) : -1;
		if (ph >= 0) {
			p += strlen(placeholders[ph]) - 1;
			continue;
		}
		if (*p == '{' || *p == '}') {
			snprintf(msg, msglen, "'%s': unknown placeholder at "
				 "'%.16s' (use {ticket}, {rule} or {host})", key,
				 p);
			return AD_ERR_CONFIG;
		}
	}
	if (strncmp(key, "ticket", 6) == 0 && strstr(v, "{ticket}") == NULL) {
		snprintf(msg, msglen, "'%s' must contain {ticket}", key);
		return AD_ERR_CONFIG;
	}
	return 0;
}

/* A dotted path of JSON object keys: "status" or "fields.status.name". */
static int field_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > FIELD_MAX || v[0] == '.' || v[n - 1] == '.' ||
	    strstr(v, "..") != NULL)
		return 0;
	return strspn(v, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int ad_policy_http_key(struct ad_http_check *check, const char *key,
		       int which, const char *v, unsigned line, char *msg,
		       size_t msglen)
{
	char **dst = which == 0 ? &check->url
		     : which == 1 ? &check->field : &check->value;

	if (which == 0 && url_template_ok(v, key, msg, msglen) != 0)
		return AD_ERR_CONFIG;
	if (which == 1 && !field_ok(v)) {
		snprintf(msg, msglen, "bad '%s' '%.64s' (JSON object keys "
			 "joined by '.', e.g. fields.status.name)", key, v);
		return AD_ERR_CONFIG;
	}
	if (which == 2 && strlen(v) > FIELD_MAX) {
		snprintf(msg, msglen, "'%s' longer than %d bytes", key,
			 FIELD_MAX);
		return AD_ERR_CONFIG;
	}
	if (which == 0)
		check->line = line;
	free(*dst);
	return (*dst = strdup(v)) == NULL ? AD_ERR_NOMEM : 0;
}

static int one_consistent(const struct ad_rule *r,
			  const struct ad_http_check *c, const char *prefix,
			  char *msg, size_t msglen)
{
	const char *name = r->name;

	if ((c->field == NULL) != (c->value == NULL)) {
		snprintf(msg, msglen, "[rule %s]: '%s_field' and '%s_value' go "
			 "together", name, prefix, prefix);
		return AD_ERR_CONFIG;
	}
	if (c->field != NULL && c->url == NULL) {
		snprintf(msg, msglen, "[rule %s]: '%s_field' needs '%s_url'",
			 name, prefix, prefix);
		return AD_ERR_CONFIG;
	}
	if (c->url != NULL && r->action != AD_ACTION_APPROVE) {
		snprintf(msg, msglen, "[rule %s]: '%s_url' only applies to "
			 "action = approve", name, prefix);
		return AD_ERR_CONFIG;
	}
	return 0;
}

int ad_policy_http_consistent(const struct ad_rule *r, char *msg,
			      size_t msglen, unsigned *line)
{
	*line = r->line;
	if (one_consistent(r, &r->ticket_check, "ticket_check", msg,
			   msglen) != 0 ||
	    one_consistent(r, &r->precheck, "precheck", msg, msglen) != 0)
		return AD_ERR_CONFIG;
	return 0;
}

void ad_http_check_free(struct ad_http_check *check)
{
	free(check->url);
	free(check->field);
	free(check->value);
	memset(check, 0, sizeof(*check));
}

/* Append s percent-encoded; -1 when it would not fit. */
static int put_encoded(char *out, size_t *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
			    *p == '_' || *p == '~';
		if (*o + 4 >= CHECK_URL_MAX)
			return -1;
		if (plain) {
			out[(*o)++] = (char)*p;
			continue;
		}
		out[(*o)++] = '%';
		out[(*o)++] = hex[*p >> 4];
		out[(*o)++] = hex[*p & 15];
	}
	return 0;
}

int ad_http_check_url(char **out, const struct ad_http_check *check,
		      const char *ticket, const char *rule, const char *host)
{
	const char *vals[N_PH] = {ticket ? ticket : "", rule ? rule : "",
				  host ? host : ""};
	char *buf;
	size_t o = 0;

	*out = NULL;
	if (check->url == NULL)
		return AD_ERR_INVALID;
	if ((buf = malloc(CHECK_URL_MAX)) == NULL)
		return AD_ERR_NOMEM;
	for (const char *p = check->url; *p != '\0'; p++) {
		int ph = *p == '{' ? placeholder_at(p) : -1;
		if ((ph >= 0 && put_encoded(buf, &o, vals[ph]) != 0) ||
		    (ph < 0 && o + 2 >= CHECK_URL_MAX)) {
			free(buf);
			return AD_ERR_TOOBIG;
		}
		if (ph >= 0)
			p += strlen(placeholders[ph]) - 1;
		else
			buf[o++] = *p;
	}
	buf[o] = '\0';
	*out = buf;
	return 0;
}
