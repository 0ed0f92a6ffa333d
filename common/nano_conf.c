/*
 * nano_conf.c — see nano_conf.h. A line-by-line reader of a strict subset
 * of the INI that config.c reads through libinih and ini_lines.c:
 *
 *   blank line          only spaces/tabs
 *   comment             '#' or ';' first on the line, then any byte but
 *                       controls (UTF-8 included: inih skips the line)
 *   [daemon] [subjects] [client] [notify NAME]   nothing before or after
 *   key = value         key [a-z_]+ at column 0, spaces around '=', value
 *                       printable ASCII without '#' and ';'
 *
 * Each line may end in "\r\n" and holds at most AD_INI_LINE_MAX bytes, as
 * in ini_lines.c. Keys are judged as config.c does in client mode:
 * [subjects] users, groups (names by text.h's ad_name_ok, as config.c)
 * and uids;
 * [client] wait and socket;
 * [daemon] socket (every other [daemon] key and every [notify] key is
 * skipped by the full reader too). Any doubt: 0.
 */
#include "nano_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "ini_lines.h"
#include "num.h"
#include "safefile.h"
#include "text.h"

enum nsec { N_NONE, N_DAEMON, N_SUBJECTS, N_CLIENT, N_SKIP };
enum nseen { S_UIDS, S_USERS, S_GROUPS, S_WAIT, S_CSOCK, S_DSOCK, S_N };

/* The keys a client reads (config.c's keys[] in client mode). */
static const struct {
	enum nsec sec;
	const char *key;
	enum nseen slot;
} nkeys[] = {
    {N_SUBJECTS, "uids", S_UIDS},  {N_SUBJECTS, "users", S_USERS},
    {N_SUBJECTS, "groups", S_GROUPS}, {N_CLIENT, "wait", S_WAIT},
    {N_CLIENT, "socket", S_CSOCK}, {N_DAEMON, "socket", S_DSOCK},
};

#define NANO_UID_MAX AD_SUBJECT_UID_MAX
#define NANO_WAIT_MAX AD_CLIENT_WAIT_MAX
_Static_assert(AD_NANO_RANGES_MAX == AD_SUBJECT_UIDS_MAX,
	       "nano_conf.c must allow exactly config.c's number of uid ranges");

static int is_print(char ch)
{
	return ch >= 0x20 && ch <= 0x7e;
}

/* C0 controls but tab, and DEL; bytes >= 0x80 are not controls here. */
static int is_ctrl(char ch)
{
	unsigned char u = (unsigned char)ch;

	return (u < 0x20 && u != '\t') || u == 0x7f;
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* s[0..n) equals the NUL-terminated word w. */
static int word_is(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n && w[i] != '\0'; i++)
		if (s[i] != w[i])
			return 0;
	return i == n && w[i] == '\0';
}

/* The next item of a list value v[0..n) from *i: items are separated by
 * commas and spaces (config.c's ad_split_list, for printable text). 1 and
 * v[*i..*k) the item, or 0 at the end. */
static int next_item(const char *v, size_t n, size_t *i, size_t *k)
{
	while (*i < n && (v[*i] == ',' || v[*i] == ' '))
		(*i)++;
	for (*k = *i; *k < n && v[*k] != ',' && v[*k] != ' ';)
		(*k)++;
	return *i < n;
}

/* One `uids` item "N" or "N-M", 1 <= N <= M <= NANO_UID_MAX, read by
 * num.h as config.c reads it; a number of more than 10 digits (leading
 * zeros) is left to config.c. */
static int uid_item(struct ad_nano_conf *c, const char *s, size_t n)
{
	uint64_t lo, hi;
	size_t k = 0;

	while (k < n && s[k] != '-')
		k++;
	if (k > 10 || ad_parse_u64_n(&lo, s, k, 1, NANO_UID_MAX) != 0)
		return 0;
	hi = lo;
	if (k < n && (n - k - 1 > 10 ||
		      ad_parse_u64_n(&hi, s + k + 1, n - k - 1, 1,
				     NANO_UID_MAX) != 0))
		return 0;
	if (lo > hi || c->n >= AD_NANO_RANGES_MAX)
		return 0;
	c->r[c->n++] = (struct ad_uid_range){(uint32_t)lo, (uint32_t)hi};
	return 1;
}

/* The value of `uids`. */
static int uid_list(struct ad_nano_conf *c, const char *v, size_t n)
{
	for (size_t i = 0, k; next_item(v, n, &i, &k); i = k)
		if (!uid_item(c, v + i, k - i))
			return 0;
	return 1;
}

/* The value of `users` or `groups` at offset off of the text: names
 * separated by commas and spaces, into v (count *n). */
static int name_list(struct ad_nano_name *v, size_t *n, const char *s,
		     size_t len, size_t off)
{
	for (size_t i = 0, k; next_item(s, len, &i, &k); i = k) {
		if (!ad_name_ok(s + i, k - i, 64) || *n >= AD_NANO_NAMES_MAX)
			return 0;
		v[*n].off = (uint32_t)(off + i);
		v[*n].len = (uint32_t)(k - i);
		(*n)++;
	}
	return 1;
}

/* [client] wait, 0..NANO_WAIT_MAX seconds, read by num.h as config.c
 * reads it; more than 9 digits (leading zeros) is left to config.c. */
static int wait_ok(uint64_t *out, const char *v, size_t n)
{
	size_t d = n > 0 && !is_digit(v[n - 1]) ? n - 1 : n;

	return d <= 9 && ad_parse_duration_n(out, v, n) == 0 &&
	       *out <= NANO_WAIT_MAX;
}

/* "[...]" of length n: the section it opens, or -1 if not understood. */
static int section(const char *s, size_t n)
{
	if (n < 3 || s[0] != '[' || s[n - 1] != ']')
		return -1;
	s++;
	n -= 2;
	if (word_is(s, n, "daemon"))
		return N_DAEMON;
	if (word_is(s, n, "subjects"))
		return N_SUBJECTS;
	if (word_is(s, n, "client"))
		return N_CLIENT;
	if (n > 7 && word_is(s, 7, "notify ")) {
		for (size_t i = 7; i < n; i++)
			if (!ad_name_char(s[i]))
				return -1;
		return N_SKIP;
	}
	return -1;
}

/* One "key = value" line, at offset off of the text, in section sec;
 * seen[] catches duplicates. */
static int key_line(struct ad_nano_conf *c, enum nsec sec, unsigned seen[],
		    const char *s, size_t n, size_t off)
{
	size_t k = 0, v, e;
	int slot = -1;

	while (k < n && ((s[k] >= 'a' && s[k] <= 'z') || s[k] == '_'))
		k++;
	if (k == 0 || sec == N_NONE)
		return 0;
	for (v = k; v < n && s[v] == ' ';)
		v++;
	if (v == n || s[v] != '=')
		return 0;
	for (v++; v < n && s[v] == ' ';)
		v++;
	for (e = n; e > v && s[e - 1] == ' ';)
		e--;
	for (size_t i = v; i < e; i++)
		if (s[i] == '#' || s[i] == ';')
			return 0;
	for (size_t i = 0; i < sizeof(nkeys) / sizeof(nkeys[0]); i++)
		if (nkeys[i].sec == sec && word_is(s, k, nkeys[i].key))
			slot = (int)nkeys[i].slot;
	if (slot < 0) /* other [daemon] and [notify] keys: skipped */
		return sec == N_DAEMON || sec == N_SKIP;
	if (seen[slot]++ != 0)
		return 0;
	switch (slot) {
	case S_UIDS:
		return uid_list(c, s + v, e - v);
	case S_USERS:
		return name_list(c->users, &c->n_users, s + v, e - v, off + v);
	case S_GROUPS:
		return name_list(c->groups, &c->n_groups, s + v, e - v,
				 off + v);
	case S_WAIT:
		return (c->has_wait = wait_ok(&c->wait, s + v, e - v));
	default: /* a socket: an absolute path */
		if (e == v || s[v] != '/')
			return 0;
		*(slot == S_CSOCK ? &c->csock : &c->dsock) =
		    (struct ad_nano_name){(uint32_t)(off + v), (uint32_t)(e - v)};
		return 1;
	}
}

int ad_nano_parse(struct ad_nano_conf *c, const char *text, size_t len)
{
	unsigned seen[S_N] = {0};
	enum nsec sec = N_NONE;
	size_t i = 0;

	c->n = c->n_users = c->n_groups = 0;
	c->csock.len = c->dsock.len = 0;
	c->wait = 0;
	c->has_wait = 0;
	c->line = 0;
	if (text == NULL || len > AD_CONFIG_FILE_MAX)
		return 0;
	while (i < len) {
		size_t b = i, n, j;
		int s;

		c->line++;
		while (i < len && text[i] != '\n')
			i++;
		n = i - b;
		if (i < len)
			i++; /* the '\n' */
		if (n > 0 && text[b + n - 1] == '\r')
			n--;
		if (n > AD_INI_LINE_MAX)
			return 0;
		/* j = first non-blank; a line starting with '#' or ';' is
		 * a comment for inih whatever follows (UTF-8 included), so
		 * only controls are refused there; every other line must be
		 * printable ASCII, a tab only among the leading blanks */
		for (j = 0; j < n && (text[b + j] == ' ' || text[b + j] == '\t');)
			j++;
		if (j == n)
			continue; /* blank */
		if (j > 0)
			return 0; /* indented: the full reader refuses or folds */
		if (text[b] == '#' || text[b] == ';') {
			for (size_t k = 0; k < n; k++)
				if (is_ctrl(text[b + k]))
					return 0;
			continue;
		}
		for (size_t k = 0; k < n; k++)
			if (!is_print(text[b + k]))
				return 0;
		if (text[b] == '[') {
			if ((s = section(text + b, n)) < 0)
				return 0;
			sec = (enum nsec)s;
			continue;
		}
		if (!key_line(c, sec, seen, text + b, n, b))
			return 0;
	}
	c->line = 0;
	return 1;
}

/* A byte loop, not memcpy: with _FORTIFY_SOURCE a copy into a fresh
 * allocation becomes __memcpy_chk, one more import for every sudo. */
static char *copy_out(const char *p, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		for (size_t j = 0; j < n; j++)
			d[j] = p[j];
		d[n] = '\0';
	}
	return d;
}

/* A [client]/[daemon] socket given in the text, else config.c's default. */
static char *socket_copy(const struct ad_nano_name *v, const char *text)
{
	return v->len ? copy_out(text + v->off, v->len)
		      : copy_out(AD_DEFAULT_SOCKET, sizeof(AD_DEFAULT_SOCKET) - 1);
}

static char **names_copy(const struct ad_nano_name *v, size_t n,
			 const char *text)
{
	char **l = calloc(n + 1, sizeof(*l));

	for (size_t i = 0; l != NULL && i < n; i++) {
		if ((l[i] = copy_out(text + v[i].off, v[i].len)) == NULL) {
			ad_strv_free(l);
			return NULL;
		}
	}
	return l;
}

int ad_nano_config(struct ad_config **out, const struct ad_nano_conf *c,
		   const char *text, const char *path, const char *host)
{
	struct ad_config *cfg = calloc(1, sizeof(*cfg));
	const struct ad_nano_name *cs = c->csock.len ? &c->csock : &c->dsock;

	*out = NULL;
	if (cfg == NULL)
		return AD_ERR_NOMEM;
	cfg->flags = AD_CONFIG_CLIENT;
	cfg->subject_users = names_copy(c->users, c->n_users, text);
	cfg->n_subject_users = c->n_users;
	cfg->subject_groups = names_copy(c->groups, c->n_groups, text);
	cfg->n_subject_groups = c->n_groups;
	if (c->n > 0 &&
	    (cfg->subject_uids = calloc(c->n, sizeof(*cfg->subject_uids))))
		for (size_t i = 0; i < c->n; i++)
			cfg->subject_uids[i] = c->r[i];
	cfg->n_subject_uids = c->n;
	/* config.c: defaults, then [client] socket falls back to [daemon] */
	cfg->client_wait = c->has_wait ? c->wait : AD_CLIENT_WAIT_DEFAULT;
	cfg->socket = socket_copy(&c->dsock, text);
	cfg->client_socket = socket_copy(cs, text);
	cfg->path = copy_out(path, strlen(path));
	cfg->host_id = copy_out(host, strlen(host));
	if (cfg->subject_users == NULL || cfg->subject_groups == NULL ||
	    (c->n > 0 && cfg->subject_uids == NULL) || cfg->socket == NULL ||
	    cfg->client_socket == NULL || cfg->path == NULL ||
	    cfg->host_id == NULL) {
		ad_config_free(cfg);
		return AD_ERR_NOMEM;
	}
	*out = cfg;
	return 0;
}

int ad_nano_load(struct ad_config **out, const char *path, char *why,
		 size_t whylen)
{
	char swhy[AD_WHY_MAX], host[256];
	struct ad_nano_conf nc;
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	rc = ad_safe_read(&text, &len, path, &ad_trust_root,
			  AD_CONFIG_FILE_MAX, swhy);
	if (rc != 0) {
		if (why != NULL && whylen > 0)
			snprintf(why, whylen, "%s", swhy[0] != '\0' ? swhy
							 : path);
		return rc;
	}
	host[sizeof(host) - 1] = '\0';
	if (!ad_nano_parse(&nc, text, len) ||
	    gethostname(host, sizeof(host) - 1) != 0 ||
	    !ad_host_name_ok(host))
		rc = 1;
	else if ((rc = ad_nano_config(out, &nc, text, path, host)) != 0 &&
		 why != NULL &&
		 whylen > 0)
		snprintf(why, whylen, "%s: out of memory", path);
	free(text);
	return rc;
}
