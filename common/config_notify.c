/*
 * config_notify.c — [notify NAME] sections of approverd.conf and the URL
 * check shared with the policy's ticket_check_url / precheck_url.
 *
 * Invariants (DESIGN.md §4.7, §7; docs/NOTIFY.md): a target has an http(s)
 * URL without spaces, control bytes or fragment; secrets never appear in
 * the config: a header is named only as header_file (an absolute path, read
 * and trust-checked by the daemon); unknown or duplicate keys, bad numbers
 * and durations are errors; numbers go through num.h only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "error.h"
#include "num.h"
#include "text.h"

enum nkey { NK_URL, NK_FORMAT, NK_EVENTS, NK_HEADER_FILE, NK_CA_FILE,
	    NK_PROXY, NK_TIMEOUT, NK_RETRIES, NK_BACKOFF, NK_N };

static const char *const nkey_names[NK_N] = {
	"url", "format", "events", "header_file", "ca_file", "proxy",
	"timeout", "retries", "backoff",
};

static int scheme_len(const char *url)
{
	if (strncmp(url, "http://", 7) == 0)
		return 7;
	if (strncmp(url, "https://", 8) == 0)
		return 8;
	return 0;
}

int ad_url_check(const char *url, char *why, size_t whylen)
{
	size_t n = strlen(url);
	int sl = scheme_len(url);
	const char *p;

	if (sl == 0) {
		snprintf(why, whylen, "must start with http:// or https://");
		return AD_ERR_CONFIG;
	}
	if (n > AD_URL_MAX) {
		snprintf(why, whylen, "longer than %d bytes", AD_URL_MAX);
		return AD_ERR_CONFIG;
	}
	for (p = url; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\\' ||
		    ch == '#' || ch == '<' || ch == '>') {
			snprintf(why, whylen, "byte 0x%02x at offset %zu is not "
				 "allowed in a URL", ch, (size_t)(p - url));
			return AD_ERR_CONFIG;
		}
	}
	if (url[sl] == '\0' || url[sl] == '/' || url[sl] == '?' ||
	    url[sl] == '@') {
		snprintf(why, whylen, "has no host");
		return AD_ERR_CONFIG;
	}
	return 0;
}

static int proxy_ok(const char *v)
{
	static const char *const schemes[] = {"http://", "https://",
					      "socks5://", "socks5h://"};
	char why[8];

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);
		char tmp[AD_URL_MAX + 16];
		if (strncmp(v, schemes[i], n) != 0 || strlen(v) > AD_URL_MAX)
			continue;
		snprintf(tmp, sizeof(tmp), "http://%s", v + n);
		return ad_url_check(tmp, why, sizeof(why)) == 0;
	}
	return 0;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '-' || s[0] == '.')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int ad_cfg_notify_begin(struct ad_config *c, const char *name,
			unsigned line, char *msg, size_t msglen)
{
	struct ad_notify_target *nt;

	if (!name_ok(name)) {
		snprintf(msg, msglen, "bad name in [notify %.64s] (letters, "
			 "digits, '.', '_', '-'; at most 64)", name);
		return AD_ERR_CONFIG;
	}
	for (size_t i = 0; i < c->n_notify; i++) {
		if (strcmp(c->notify[i].name, name) == 0) {
			snprintf(msg, msglen, "duplicate [notify %s] (first at "
				 "line %u)", name, c->notify[i].line);
			return AD_ERR_CONFIG;
		}
	}
	if (c->n_notify >= AD_NOTIFY_TARGETS_MAX) {
		snprintf(msg, msglen, "more than %d [notify] sections",
			 AD_NOTIFY_TARGETS_MAX);
		return AD_ERR_CONFIG;
	}
	nt = realloc(c->notify, (c->n_notify + 1) * sizeof(*nt));
	if (nt == NULL)
		return AD_ERR_NOMEM;
	c->notify = nt;
	nt = &nt[c->n_notify];
	memset(nt, 0, sizeof(*nt));
	nt->line = line;
	nt->events = AD_NOTIFY_EV_REQUEST | AD_NOTIFY_EV_DECISION;
	nt->timeout = 5;
	nt->retries = 3;
	nt->backoff = 2;
	if ((nt->name = strdup(name)) == NULL)
		return AD_ERR_NOMEM;
	c->n_notify++;
	return 0;
}

static int set_events(struct ad_notify_target *t, const char *v, char *msg,
		      size_t msglen)
{
	char **list = NULL;
	size_t n = 0;
	int rc = ad_split_list(&list, &n, v);

	if (rc != 0)
		return rc == AD_ERR_NOMEM ? rc : AD_ERR_CONFIG;
	t->events = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], "request") == 0)
			t->events |= AD_NOTIFY_EV_REQUEST;
		else if (strcmp(list[i], "decision") == 0)
			t->events |= AD_NOTIFY_EV_DECISION;
		else {
			snprintf(msg, msglen, "bad event '%.64s' in 'events' "
				 "(request, decision)", list[i]);
			ad_strv_free(list);
			return AD_ERR_CONFIG;
		}
	}
	ad_strv_free(list);
	if (t->events == 0) {
		snprintf(msg, msglen, "'events' is empty (request, decision)");
		return AD_ERR_CONFIG;
	}
	return 0;
}

static int set_path(char **field, const char *key, const char *v, char *msg,
		    size_t msglen)
{
	char *d;

	if (v[0] != '/') {
		snprintf(msg, msglen, "'%s' must be an absolute path, got "
			 "'%.64s'", key, v);
		return AD_ERR_CONFIG;
	}
	if ((d = strdup(v)) == NULL)
		return AD_ERR_NOMEM;
	free(*field);
	*field = d;
	return 0;
}

static int set_duration(uint64_t *out, const char *key, const char *v,
			uint64_t min, uint64_t max, char *msg, size_t msglen)
{
	uint64_t d = 0;
	int rc = ad_parse_duration(&d, v);

	if (rc == 0 && (d < min || d > max))
		rc = AD_ERR_RANGE;
	if (rc != 0) {
		snprintf(msg, msglen, "bad duration '%.64s' for '%s' (%s; "
			 "%llu..%llus)", v, key, ad_strerror(rc),
			 (unsigned long long)min, (unsigned long long)max);
		return AD_ERR_CONFIG;
	}
	*out = d;
	return 0;
}

static int set_url(struct ad_notify_target *t, const char *v, char *msg,
		   size_t msglen)
{
	char why[128];

	if (ad_url_check(v, why, sizeof(why)) != 0) {
		snprintf(msg, msglen, "bad 'url' '%.64s': %s", v, why);
		return AD_ERR_CONFIG;
	}
	free(t->url);
	return (t->url = strdup(v)) == NULL ? AD_ERR_NOMEM : 0;
}

static int set_proxy(char **field, const char *key, const char *v,
		     char *msg, size_t msglen)
{
	if (!proxy_ok(v)) {
		snprintf(msg, msglen, "bad '%s' '%.64s' (http://, https://, "
			 "socks5:// or socks5h://HOST[:PORT])", key, v);
		return AD_ERR_CONFIG;
	}
	free(*field);
	return (*field = strdup(v)) == NULL ? AD_ERR_NOMEM : 0;
}

static int set_format(struct ad_notify_target *t, const char *v, char *msg,
		      size_t msglen)
{
	if (strcmp(v, "json") == 0)
		t->format = AD_NOTIFY_JSON;
	else if (strcmp(v, "slack") == 0)
		t->format = AD_NOTIFY_SLACK;
	else {
		snprintf(msg, msglen, "bad 'format' '%.64s' (json or slack)", v);
		return AD_ERR_CONFIG;
	}
	return 0;
}

static int notify_value(struct ad_notify_target *t, int k, const char *v,
			char *msg, size_t msglen)
{
	switch (k) {
	case NK_URL: return set_url(t, v, msg, msglen);
	case NK_FORMAT: return set_format(t, v, msg, msglen);
	case NK_EVENTS: return set_events(t, v, msg, msglen);
	case NK_HEADER_FILE:
		return set_path(&t->header_file, "header_file", v, msg, msglen);
	case NK_CA_FILE: return set_path(&t->ca_file, "ca_file", v, msg, msglen);
	case NK_PROXY: return set_proxy(&t->proxy, "proxy", v, msg, msglen);
	case NK_TIMEOUT:
		return set_duration(&t->timeout, "timeout", v, 1, 60, msg,
				    msglen);
	case NK_BACKOFF:
		return set_duration(&t->backoff, "backoff", v, 1, 3600, msg,
				    msglen);
	default:
		if (ad_parse_u32(&t->retries, v, 0, 10) == 0)
			return 0;
		snprintf(msg, msglen, "bad number '%.64s' for 'retries' (0..10)",
			 v);
		return AD_ERR_CONFIG;
	}
}

int ad_cfg_notify_key(struct ad_config *c, const char *key, const char *v,
		      char *msg, size_t msglen)
{
	struct ad_notify_target *t = &c->notify[c->n_notify - 1];
	int k;

	for (k = 0; k < NK_N && strcmp(nkey_names[k], key) != 0; k++)
		;
	if (k == NK_N) {
		snprintf(msg, msglen, "unknown key '%.64s' in [notify %s]", key,
			 t->name);
		return AD_ERR_CONFIG;
	}
	if (t->seen & (1u << k)) {
		snprintf(msg, msglen, "duplicate key '%s' in [notify %s]", key,
			 t->name);
		return AD_ERR_CONFIG;
	}
	t->seen |= 1u << k;
	if (ad_has_ctrl(v)) {
		snprintf(msg, msglen, "control character in the value of '%s'",
			 key);
		return AD_ERR_CONFIG;
	}
	return notify_value(t, k, v, msg, msglen);
}

int ad_cfg_notify_finish(const struct ad_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n_notify; i++) {
		if (c->notify[i].url == NULL) {
			snprintf(err, errlen, "%s:%u: [notify %s] has no 'url'",
				 c->path, c->notify[i].line, c->notify[i].name);
			return AD_ERR_CONFIG;
		}
	}
	if (c->check_proxy != NULL && !proxy_ok(c->check_proxy)) {
		snprintf(err, errlen, "%s: bad 'check_proxy' in [daemon] "
			 "(http://, https://, socks5:// or socks5h://HOST[:PORT])",
			 c->path);
		return AD_ERR_CONFIG;
	}
	return 0;
}

void ad_cfg_notify_free(struct ad_config *c)
{
	for (size_t i = 0; i < c->n_notify; i++) {
		free(c->notify[i].name);
		free(c->notify[i].url);
		free(c->notify[i].header_file);
		free(c->notify[i].ca_file);
		free(c->notify[i].proxy);
	}
	free(c->notify);
	c->notify = NULL;
	c->n_notify = 0;
}
