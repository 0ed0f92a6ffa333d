/*
 * config.c — load approverd.conf.
 *
 * Invariants (DESIGN.md §4.2, §4.7; config.h): read only through
 * ad_safe_read; unknown sections and keys, duplicate keys, relative paths,
 * bad numbers and durations are errors naming FILE:LINE and the key; on any
 * error no config is returned, so callers fail closed. Numbers and durations
 * go through num.h only. [subjects] uids: each item "N" or "N-M" with
 * 1 <= N <= M <= 4294967294, at most AD_SUBJECT_UIDS_MAX of them; a bad
 * item is an error naming it, never skipped (a typo must not make an AI
 * account human).
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"
#include "error.h"
#include "ini_lines.h"
#include "num.h"
#include "safefile.h"
#include "text.h"

/* SEC_DAEMON_CLIENT: [daemon] read by a client: only `socket` is taken (the
 * fallback for [client] socket), every other key is skipped unchecked. */
enum sec { SEC_NONE, SEC_DAEMON, SEC_SUBJECTS, SEC_CLIENT, SEC_SKIP,
	   SEC_NOTIFY, SEC_DAEMON_CLIENT };
enum kind { K_PATH, K_DURATION, K_U32, K_NAME, K_HOST, K_LIST, K_TEXT, K_UIDS };

struct key_def {
	enum sec sec;
	const char *key;
	enum kind kind;
	size_t off;        /* offset of the field in struct ad_config */
	size_t count_off;  /* K_LIST: offset of the count */
	uint64_t min, max;
};

#define F(x) offsetof(struct ad_config, x)
static const struct key_def keys[] = {
	{SEC_DAEMON, "socket", K_PATH, F(socket), 0, 0, 0},
	{SEC_DAEMON, "evidence", K_PATH, F(evidence), 0, 0, 0},
	{SEC_DAEMON, "host_key", K_PATH, F(host_key), 0, 0, 0},
	{SEC_DAEMON, "approvers_dir", K_PATH, F(approvers_dir), 0, 0, 0},
	{SEC_DAEMON, "policy", K_PATH, F(policy), 0, 0, 0},
	{SEC_DAEMON, "request_ttl", K_DURATION, F(request_ttl), 0, 1,
	 AD_DURATION_MAX},
	{SEC_DAEMON, "user", K_NAME, F(user), 0, 0, 0},
	{SEC_DAEMON, "host_id", K_HOST, F(host_id), 0, 0, 0},
	{SEC_DAEMON, "max_approval_ttl", K_DURATION, F(max_approval_ttl), 0, 1,
	 AD_DURATION_MAX},
	{SEC_DAEMON, "checkpoint_every", K_U32, F(checkpoint_every), 0, 1,
	 1000000},
	{SEC_DAEMON, "checkpoint_interval", K_DURATION, F(checkpoint_interval),
	 0, 1, AD_DURATION_MAX},
	{SEC_DAEMON, "max_pending_per_requester", K_U32,
	 F(max_pending_per_requester), 0, 1, 65536},
	{SEC_DAEMON, "max_connections", K_U32, F(max_connections), 0, 1,
	 65536},
	{SEC_DAEMON, "idle_timeout", K_DURATION, F(idle_timeout), 0, 1,
	 86400},
	{SEC_DAEMON, "notify_queue", K_U32, F(notify_queue), 0, 1, 65536},
	{SEC_DAEMON, "check_timeout", K_DURATION, F(check_timeout), 0, 1, 4},
	{SEC_DAEMON, "check_ca_file", K_PATH, F(check_ca_file), 0, 0, 0},
	{SEC_DAEMON, "check_proxy", K_TEXT, F(check_proxy), 0, 0, 0},
	{SEC_SUBJECTS, "users", K_LIST, F(subject_users), F(n_subject_users),
	 0, 0},
	{SEC_SUBJECTS, "groups", K_LIST, F(subject_groups),
	 F(n_subject_groups), 0, 0},
	{SEC_SUBJECTS, "uids", K_UIDS, F(subject_uids), F(n_subject_uids), 1,
	 AD_SUBJECT_UID_MAX},
	{SEC_CLIENT, "wait", K_DURATION, F(client_wait), 0, 0,
	 AD_CLIENT_WAIT_MAX},
	{SEC_CLIENT, "socket", K_PATH, F(client_socket), 0, 0, 0},
};
#undef F
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const sec_names[] = {"", "daemon", "subjects", "client",
					 "", "notify", "daemon"};

struct cfg_parse {
	struct ad_config *c;
	enum sec sec;
	unsigned seen[N_KEYS]; /* line of first occurrence, 0 = not seen */
};

/* User, group and role names: portable characters, not starting with '-'
 * (text.h; the fronts' reader, nano_conf.c, judges by the same rule). */
static int name_ok(const char *s, size_t max)
{
	return ad_name_ok(s, strlen(s), max);
}

static int set_string(char **field, const char *v)
{
	char *d = strdup(v);

	if (d == NULL)
		return AD_ERR_NOMEM;
	free(*field);
	*field = d;
	return 0;
}

static int set_list(const struct key_def *k, struct ad_config *c,
		    const char *v, char *msg, size_t msglen)
{
	char ***lp = (char ***)((char *)c + k->off);
	size_t *np = (size_t *)((char *)c + k->count_off);
	char **list = NULL;
	size_t n = 0;
	int rc = ad_split_list(&list, &n, v);

	if (rc != 0) {
		snprintf(msg, msglen, "bad list for '%s': %s", k->key,
			 ad_strerror(rc));
		return rc == AD_ERR_NOMEM ? rc : AD_ERR_CONFIG;
	}
	for (size_t i = 0; i < n; i++) {
		if (!name_ok(list[i], 64)) {
			snprintf(msg, msglen, "bad name '%.64s' in '%s'",
				 list[i], k->key);
			ad_strv_free(list);
			return AD_ERR_CONFIG;
		}
	}
	if (*lp != NULL)
		ad_strv_free(*lp);
	*lp = list;
	*np = n;
	return 0;
}

/* One "N" or "N-M" item of uids (split in place at the '-', restored). */
static int uid_range_parse(struct ad_uid_range *r, char *item,
			   const struct key_def *k)
{
	char *dash = strchr(item, '-');
	int rc;

	if (dash == NULL) {
		rc = ad_parse_u32(&r->lo, item, (uint32_t)k->min,
				  (uint32_t)k->max);
		r->hi = r->lo;
		return rc;
	}
	*dash = '\0';
	rc = ad_parse_u32(&r->lo, item, (uint32_t)k->min, (uint32_t)k->max);
	if (rc == 0)
		rc = ad_parse_u32(&r->hi, dash + 1, (uint32_t)k->min,
				  (uint32_t)k->max);
	*dash = '-';
	if (rc == 0 && r->lo > r->hi)
		rc = AD_ERR_RANGE;
	return rc;
}

static int set_uids(const struct key_def *k, struct ad_config *c,
		    const char *v, char *msg, size_t msglen)
{
	struct ad_uid_range *r = NULL;
	char **list = NULL;
	size_t n = 0, i;
	int rc = ad_split_list(&list, &n, v);

	if (rc != 0) {
		snprintf(msg, msglen, "bad list for '%s': %s", k->key,
			 ad_strerror(rc));
		return rc == AD_ERR_NOMEM ? rc : AD_ERR_CONFIG;
	}
	if (n > AD_SUBJECT_UIDS_MAX) {
		snprintf(msg, msglen, "too many uid ranges in '%s' (at most %d; "
				      "'%.64s' is number %d)", k->key,
			 AD_SUBJECT_UIDS_MAX, list[AD_SUBJECT_UIDS_MAX],
			 AD_SUBJECT_UIDS_MAX + 1);
		rc = AD_ERR_CONFIG;
	} else if (n > 0 && (r = calloc(n, sizeof(*r))) == NULL) {
		rc = AD_ERR_NOMEM;
	}
	for (i = 0; rc == 0 && i < n; i++) {
		if (uid_range_parse(&r[i], list[i], k) != 0) {
			snprintf(msg, msglen, "bad uid range '%.64s' in '%s' (N "
					      "or N-M, %llu..%llu, N <= M)",
				 list[i], k->key, (unsigned long long)k->min,
				 (unsigned long long)k->max);
			rc = AD_ERR_CONFIG;
		}
	}
	ad_strv_free(list);
	if (rc != 0) {
		free(r);
		return rc;
	}
	free(c->subject_uids);
	c->subject_uids = r;
	c->n_subject_uids = n;
	return 0;
}

static int set_number(const struct key_def *k, struct ad_config *c,
		      const char *v, char *msg, size_t msglen)
{
	void *field = (char *)c + k->off;
	uint64_t d;
	uint32_t u;
	int rc;

	if (k->kind == K_U32) {
		rc = ad_parse_u32(&u, v, (uint32_t)k->min, (uint32_t)k->max);
		if (rc == 0)
			memcpy(field, &u, sizeof(u));
		else
			snprintf(msg, msglen, "bad number '%.64s' for '%s' "
					      "(%llu..%llu)", v, k->key,
				 (unsigned long long)k->min,
				 (unsigned long long)k->max);
		return rc != 0 ? AD_ERR_CONFIG : 0;
	}
	rc = ad_parse_duration(&d, v);
	if (rc == 0 && (d < k->min || d > k->max))
		rc = AD_ERR_RANGE;
	if (rc == 0)
		memcpy(field, &d, sizeof(d));
	else
		snprintf(msg, msglen, "bad duration '%.64s' for '%s' (%s; "
				      "use e.g. 30s, 15m, 2h, 1d; %llu..%llus)",
			 v, k->key, ad_strerror(rc),
			 (unsigned long long)k->min, (unsigned long long)k->max);
	return rc != 0 ? AD_ERR_CONFIG : 0;
}

static int set_value(const struct key_def *k, struct ad_config *c,
		     const char *v, char *msg, size_t msglen)
{
	char **field = (char **)((char *)c + k->off);

	switch (k->kind) {
	case K_PATH:
		if (v[0] != '/') {
			snprintf(msg, msglen, "'%s' must be an absolute path, "
					      "got '%.64s'", k->key, v);
			return AD_ERR_CONFIG;
		}
		return set_string(field, v);
	case K_NAME:
	case K_HOST:
		if (k->kind == K_NAME ? !name_ok(v, 32) : !ad_host_name_ok(v)) {
			snprintf(msg, msglen, "bad value '%.64s' for '%s'", v,
				 k->key);
			return AD_ERR_CONFIG;
		}
		return set_string(field, v);
	case K_LIST:
		return set_list(k, c, v, msg, msglen);
	case K_UIDS:
		return set_uids(k, c, v, msg, msglen);
	case K_TEXT: /* checked once the file is read (config_notify.c) */
		return set_string(field, v);
	default:
		return set_number(k, c, v, msg, msglen);
	}
}

static int cfg_section(void *user, const char *name, unsigned *line,
		       char *msg, size_t msglen)
{
	struct cfg_parse *p = user;

	if (strncmp(name, "notify", 6) == 0 && (name[6] == ' ' ||
						 name[6] == '\t')) {
		p->sec = p->c->flags == AD_CONFIG_CLIENT ? SEC_SKIP : SEC_NOTIFY;
		if (p->sec == SEC_SKIP)
			return 0;
		for (name += 7; *name == ' ' || *name == '\t';)
			name++;
		return ad_cfg_notify_begin(p->c, name, *line, msg, msglen);
	}
	for (int s = SEC_DAEMON; s <= SEC_CLIENT; s++) {
		if (strcmp(name, sec_names[s]) == 0) {
			p->sec = (enum sec)s;
			if (p->c->flags == AD_CONFIG_CLIENT && s == SEC_DAEMON)
				p->sec = SEC_DAEMON_CLIENT;
			return 0;
		}
	}
	/* also in client mode: a misspelt [subjects] must not pass silently */
	snprintf(msg, msglen, "unknown section [%.64s] (expected [daemon], "
			      "[subjects], [client] or [notify NAME])", name);
	return AD_ERR_CONFIG;
}

static int cfg_key(void *user, const char *key, const char *value,
		   unsigned line, char *msg, size_t msglen)
{
	struct cfg_parse *p = user;
	const char *sec = sec_names[p->sec];

	if (p->sec == SEC_SKIP)
		return 0;
	if (p->sec == SEC_DAEMON_CLIENT) {
		if (strcmp(key, "socket") != 0)
			return 0;
		p->sec = SEC_DAEMON;
		int rc = cfg_key(user, key, value, line, msg, msglen);
		p->sec = SEC_DAEMON_CLIENT;
		return rc;
	}
	if (p->sec == SEC_NOTIFY)
		return ad_cfg_notify_key(p->c, key, value, msg, msglen);
	for (size_t i = 0; i < N_KEYS; i++) {
		if (keys[i].sec != p->sec || strcmp(keys[i].key, key) != 0)
			continue;
		if (p->seen[i] != 0) {
			snprintf(msg, msglen, "duplicate key '%s' in [%s] "
					      "(first at line %u)", key, sec,
				 p->seen[i]);
			return AD_ERR_CONFIG;
		}
		p->seen[i] = line;
		if (ad_has_ctrl(value)) {
			snprintf(msg, msglen, "control character in the "
					      "value of '%s'", key);
			return AD_ERR_CONFIG;
		}
		return set_value(&keys[i], p->c, value, msg, msglen);
	}
	snprintf(msg, msglen, "unknown key '%.64s' in [%s]", key, sec);
	return AD_ERR_CONFIG;
}

static int config_defaults(struct ad_config *c)
{
	c->request_ttl = 30 * 60;
	c->max_approval_ttl = 3600;
	c->checkpoint_every = 1000;
	c->checkpoint_interval = 5 * 60;
	c->max_pending_per_requester = 16;
	c->max_connections = 256;
	c->idle_timeout = 60;
	c->client_wait = AD_CLIENT_WAIT_DEFAULT;
	c->notify_queue = 256;
	c->check_timeout = 3;
	c->subject_users = calloc(1, sizeof(char *));
	c->subject_groups = calloc(1, sizeof(char *));
	if (c->subject_users == NULL || c->subject_groups == NULL ||
	    set_string(&c->socket, AD_DEFAULT_SOCKET) != 0 ||
	    set_string(&c->evidence, AD_DEFAULT_EVIDENCE) != 0 ||
	    set_string(&c->host_key, AD_DEFAULT_HOST_KEY) != 0 ||
	    set_string(&c->approvers_dir, AD_DEFAULT_APPROVERS_DIR) != 0 ||
	    set_string(&c->policy, AD_DEFAULT_POLICY) != 0 ||
	    set_string(&c->user, AD_DEFAULT_USER) != 0)
		return AD_ERR_NOMEM;
	return 0;
}

/* Fill what depends on other keys: host_id, [client] socket. */
static int config_finish(struct ad_config *c, char *err, size_t errlen)
{
	char host[256];

	if (c->host_id == NULL) {
		memset(host, 0, sizeof(host));
		if (gethostname(host, sizeof(host) - 1) != 0 ||
		    !ad_host_name_ok(host)) {
			snprintf(err, errlen, "%s: cannot use the host name as "
					      "host_id; set host_id in [daemon]",
				 c->path);
			return AD_ERR_CONFIG;
		}
		if (set_string(&c->host_id, host) != 0)
			return AD_ERR_NOMEM;
	}
	if (c->client_socket == NULL &&
	    set_string(&c->client_socket, c->socket) != 0)
		return AD_ERR_NOMEM;
	return ad_cfg_notify_finish(c, err, errlen);
}

int ad_config_parse(struct ad_config **out, const char *file,
		    const char *text, int flags, char *err, size_t errlen)
{
	struct cfg_parse p;
	int rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&p, 0, sizeof(p));
	if (flags != AD_CONFIG_FULL && flags != AD_CONFIG_CLIENT)
		return AD_ERR_INVALID;
	if ((p.c = calloc(1, sizeof(*p.c))) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: out of memory",
				 file != NULL ? file : "config");
		return AD_ERR_NOMEM;
	}
	p.c->flags = flags;
	rc = set_string(&p.c->path, file);
	if (rc == 0)
		rc = config_defaults(p.c);
	if (rc == 0)
		rc = ad_ini_parse(file, text, cfg_section, cfg_key, &p, err,
				  errlen);
	if (rc == 0)
		rc = config_finish(p.c, err, errlen);
	if (rc != 0) {
		if (rc == AD_ERR_NOMEM && err != NULL && err[0] == '\0')
			snprintf(err, errlen, "%s: out of memory", file);
		ad_config_free(p.c);
		return rc;
	}
	*out = p.c;
	return 0;
}

int ad_config_load(struct ad_config **out, const char *path, int flags,
		   char *err, size_t errlen)
{
	char why[AD_WHY_MAX];
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || path[0] != '/') {
		snprintf(err, errlen, "%s: config path must be absolute",
			 path != NULL ? path : "(null)");
		return AD_ERR_CONFIG;
	}
	rc = ad_safe_read(&text, &len, path, &ad_trust_root,
			  AD_CONFIG_FILE_MAX, why);
	if (rc != 0) {
		if (why[0] == '\0') /* e.g. out of memory: still name the file */
			snprintf(err, errlen, "%s: %s", path, ad_strerror(rc));
		else
			snprintf(err, errlen, "%s", why);
		return rc;
	}
	rc = ad_config_parse(out, path, text, flags, err, errlen);
	free(text);
	return rc;
}

void ad_config_free(struct ad_config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->socket);
	free(c->evidence);
	free(c->host_key);
	free(c->approvers_dir);
	free(c->policy);
	free(c->user);
	free(c->host_id);
	free(c->client_socket);
	free(c->check_ca_file);
	free(c->check_proxy);
	ad_cfg_notify_free(c);
	if (c->subject_users != NULL)
		ad_strv_free(c->subject_users);
	if (c->subject_groups != NULL)
		ad_strv_free(c->subject_groups);
	free(c->subject_uids);
	free(c);
}
