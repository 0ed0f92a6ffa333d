/*
 * notify.c — webhook targets ([notify NAME]), their secret headers, and
 * one delivery per target and event through the HTTP engine.
 *
 * Invariants (DESIGN.md §4.7, §7; docs/NOTIFY.md):
 *  - Secrets never come from the main config: a header is read from
 *    header_file, opened like every trusted file (absolute, no symlink,
 *    regular, owned by root or the daemon user, parents safe) and refused
 *    if it grants any group or other permission; its lines live in
 *    sodium_malloc'ed memory, wiped on free, and never reach a log.
 *  - Sending never blocks the caller: notifier_event() only queues; a
 *    full queue drops the message and reports "dropped" (recorded).
 *  - Every final outcome (sent, failed after N tries, dropped) is logged
 *    and handed to the outcome callback (the daemon records it in the
 *    evidence); each failed try is logged by the engine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon.h"
#include "error.h"
#include "notify.h"
#include "safefile.h"

#define HEADER_FILE_MAX 4096
#define HEADERS_MAX 8
#define CA_FILE_MAX (16 * 1024 * 1024)

struct target {
	char *name, *url, *ca_file, *proxy;
	enum ad_notify_format format;
	unsigned events;
	uint64_t timeout, backoff;
	uint32_t retries;
	char *hdr[HEADERS_MAX];  /* sodium_malloc'ed "Name: value" */
	size_t n_hdr;
};

struct notifier {
	struct nh *http;
	struct target *t;
	size_t n;
	notify_outcome_fn outcome;
	void *arg;
};

struct delivery {
	char target[72], event[16], id[AD_ID_MAX], state[16];
	notify_outcome_fn outcome;
	void *arg;
};

static void target_free(struct target *t)
{
	free(t->name);
	free(t->url);
	free(t->ca_file);
	free(t->proxy);
	for (size_t i = 0; i < t->n_hdr; i++)
		sodium_free(t->hdr[i]);
	memset(t, 0, sizeof(*t));
}

void notifier_free(struct notifier *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		target_free(&n->t[i]);
	free(n->t);
	free(n);
}

/* "Name: value": a token name, printable ASCII value. */
static int header_line_ok(const char *l, size_t len)
{
	size_t name = 0;

	while (name < len && (l[name] == '-' || (l[name] >= '0' && l[name] <= '9') ||
			      ((l[name] | 0x20) >= 'a' && (l[name] | 0x20) <= 'z')))
		name++;
	if (name == 0 || name >= len || l[name] != ':')
		return 0;
	for (size_t i = name + 1; i < len; i++)
		if ((unsigned char)l[i] < 0x20 || (unsigned char)l[i] > 0x7e)
			return 0;
	return 1;
}

static int header_add(struct target *t, const char *l, size_t len,
		      const char *path, char *err, size_t errlen)
{
	if (!header_line_ok(l, len) || t->n_hdr >= HEADERS_MAX) {
		snprintf(err, errlen, "%s: line %zu is not 'Name: value' (or "
			 "more than %d headers)", path, t->n_hdr + 1, HEADERS_MAX);
		return AD_ERR_CONFIG;
	}
	if ((t->hdr[t->n_hdr] = sodium_malloc(len + 1)) == NULL)
		return AD_ERR_NOMEM;
	memcpy(t->hdr[t->n_hdr], l, len);
	t->hdr[t->n_hdr++][len] = '\0';
	return 0;
}

/* Lines of buf[0..len): blank lines and '#' comments skipped. */
static int headers_parse(struct target *t, const char *buf, size_t len,
			 const char *path, char *err, size_t errlen)
{
	size_t i = 0;
	int r;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t e = nl != NULL ? (size_t)(nl - buf) : len, l = e - i;
		if (l > 0 && buf[e - 1] == '\r')
			l--;
		if (l > 0 && buf[i] != '#' &&
		    (r = header_add(t, buf + i, l, path, err, errlen)) != 0)
			return r;
		i = e + 1;
	}
	return 0;
}

static int header_file_read(struct target *t, const char *path,
			    uid_t trusted_uid, char *err, size_t errlen)
{
	struct ad_trust tr = {.extra_uid = trusted_uid, .check_parents = 1};
	char why[AD_WHY_MAX], *buf;
	struct stat st;
	ssize_t got = 0;
	int fd = -1, r;

	if ((r = ad_safe_open(&fd, path, &tr, HEADER_FILE_MAX, why)) != 0) {
		snprintf(err, errlen, "[notify %s] header_file %s", t->name, why);
		return r;
	}
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "[notify %s] header_file %s: readable by "
			 "group or others (mode %04o); use chmod 600", t->name,
			 path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return AD_ERR_UNTRUSTED;
	}
	if ((buf = sodium_malloc(HEADER_FILE_MAX + 1)) == NULL) {
		close(fd);
		return AD_ERR_NOMEM;
	}
	got = read(fd, buf, HEADER_FILE_MAX);
	close(fd);
	r = got < 0 ? AD_ERR_IO : headers_parse(t, buf, (size_t)got, path, err, errlen);
	if (got < 0)
		snprintf(err, errlen, "%s: read: %s", path, strerror(errno));
	sodium_free(buf);
	return r;
}

/* A CA file adds trust anchors: it must be a trusted file (§4.7). */
static int ca_file_check(const char *path, const char *what, uid_t trusted_uid,
			 char *err, size_t errlen)
{
	struct ad_trust tr = {.extra_uid = trusted_uid, .check_parents = 1};
	char why[AD_WHY_MAX];
	int fd = -1, r;

	if (path == NULL)
		return 0;
	if ((r = ad_safe_open(&fd, path, &tr, CA_FILE_MAX, why)) != 0) {
		snprintf(err, errlen, "%s %s", what, why);
		return r;
	}
	close(fd);
	return 0;
}

static int dup_or_null(char **dst, const char *s)
{
	*dst = NULL;
	return s != NULL && (*dst = strdup(s)) == NULL ? AD_ERR_NOMEM : 0;
}

static int target_init(struct target *t, const struct ad_notify_target *c,
		       uid_t trusted_uid, char *err, size_t errlen)
{
	t->format = c->format;
	t->events = c->events;
	t->timeout = c->timeout;
	t->backoff = c->backoff;
	t->retries = c->retries;
	if (dup_or_null(&t->name, c->name) != 0 || dup_or_null(&t->url, c->url) != 0 ||
	    dup_or_null(&t->ca_file, c->ca_file) != 0 ||
	    dup_or_null(&t->proxy, c->proxy) != 0)
		return AD_ERR_NOMEM;
	if (ca_file_check(c->ca_file, "ca_file", trusted_uid, err, errlen) != 0)
		return AD_ERR_UNTRUSTED;
	if (c->header_file == NULL)
		return 0;
	return header_file_read(t, c->header_file, trusted_uid, err, errlen);
}

int notifier_new(struct notifier **out, struct nh *http,
		 const struct ad_config *cfg, uid_t trusted_uid,
		 notify_outcome_fn outcome, void *arg, char *err, size_t errlen)
{
	struct notifier *n = calloc(1, sizeof(*n));
	int r = 0;

	*out = NULL;
	if (n == NULL || (cfg->n_notify > 0 &&
			  (n->t = calloc(cfg->n_notify, sizeof(*n->t))) == NULL)) {
		free(n);
		return AD_ERR_NOMEM;
	}
	n->http = http;
	n->outcome = outcome;
	n->arg = arg;
	r = ca_file_check(cfg->check_ca_file, "[daemon] check_ca_file",
			  trusted_uid, err, errlen);
	for (; r == 0 && n->n < cfg->n_notify; n->n++)
		r = target_init(&n->t[n->n], &cfg->notify[n->n], trusted_uid, err,
				errlen);
	if (r != 0) {
		if (r == AD_ERR_NOMEM)
			snprintf(err, errlen, "[notify]: out of memory");
		notifier_free(n);
		return r;
	}
	*out = n;
	return 0;
}

static void report(struct delivery *dv, const char *result, unsigned tries,
		   long status, const char *error)
{
	struct notify_outcome o = {dv->target, dv->event, dv->id, dv->state,
				   result, tries, status, error};

	d_log(strcmp(result, "sent") == 0 ? LOG_INFO : LOG_WARNING,
	      "notify %s: %s %s (%s) %s after %u tr%s%s%s", dv->target,
	      dv->event, dv->id, dv->state, result, tries,
	      tries == 1 ? "y" : "ies", error[0] ? ": " : "", error);
	if (dv->outcome != NULL)
		dv->outcome(dv->arg, &o);
}

static void delivery_done(void *arg, const struct nh_result *res)
{
	struct delivery *dv = arg;

	if (!res->cancelled)
		report(dv, res->ok ? "sent" : "failed", res->tries, res->status,
		       res->ok ? "" : res->error);
	else
		d_log(LOG_WARNING, "notify %s: %s %s not delivered: %s",
		      dv->target, dv->event, dv->id, res->error);
	free(dv);
}

static void deliver(struct notifier *n, const struct target *t,
		    const struct notify_event *ev, const char *body)
{
	struct delivery *dv = calloc(1, sizeof(*dv));
	char label[160];
	struct nh_req rq = {
		.label = label, .url = t->url, .body = body,
		.headers = (const char *const *)t->hdr, .n_headers = t->n_hdr,
		.ca_file = t->ca_file, .proxy = t->proxy,
		.timeout_ms = t->timeout * 1000, .retries = t->retries,
		.backoff_ms = t->backoff * 1000, .body_max = 0,
		.done = delivery_done, .arg = dv,
	};
	int r;

	if (dv == NULL)
		return;
	snprintf(dv->target, sizeof(dv->target), "%s", t->name);
	snprintf(dv->event, sizeof(dv->event), "%s", ev->event);
	snprintf(dv->id, sizeof(dv->id), "%s", ev->id);
	snprintf(dv->state, sizeof(dv->state), "%s", ev->state);
	dv->outcome = n->outcome;
	dv->arg = n->arg;
	snprintf(label, sizeof(label), "notify %s %s %s", t->name, ev->event,
		 ev->id);
	if ((r = nh_submit(n->http, &rq)) != 0) {
		report(dv, "dropped", 0, 0, r == AD_ERR_LIMIT
		       ? "queue full (notify_queue)" : ad_strerror(r));
		free(dv);
	}
}

void notifier_event(struct notifier *n, const struct notify_event *ev)
{
	unsigned bit = strcmp(ev->event, "request") == 0 ? AD_NOTIFY_EV_REQUEST
							 : AD_NOTIFY_EV_DECISION;

	if (strcmp(ev->event, "breakglass") == 0)
		bit = ~0u; /* every target, whatever its events filter */

	for (size_t i = 0; n != NULL && i < n->n; i++) {
		char *body;
		if (!(n->t[i].events & bit))
			continue;
		if ((body = notify_payload(n->t[i].format, ev)) == NULL) {
			d_log(LOG_ERR, "notify %s: out of memory building the "
			      "%s message for %s", n->t[i].name, ev->event, ev->id);
			continue;
		}
		deliver(n, &n->t[i], ev, body);
		free(body);
	}
}
