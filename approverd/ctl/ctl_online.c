/*
 * ctl_online.c — approverctl commands that talk to approverd: list, show,
 * status, health, submit, approve, deny (approverctl(1)).
 *
 * Invariants (DESIGN.md §3 "approver", §4.9): every string that came from a
 * request is escaped (ad_escape) before it reaches the terminal; the daemon
 * decides who may see what (SO_PEERCRED), this file adds no authority of
 * its own; approve/deny sign exactly the `show --json` object fetched from
 * the daemon, through the same code as the offline `sign`.
 * Exit codes: 0 done, 1 refused (reason printed), 2 usage/IO, 3 unreachable.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "ctl.h"
#include "ctl_grant.h"
#include "ctl_online.h"
#include "error.h"
#include "proto.h"
#include "text.h"

#define CTL_TIMEOUT_MS 10000

/* The socket: -S, else the config's [client] socket. */
static int socket_path(char *out, size_t outlen)
{
	struct ad_config *cfg = NULL;
	char err[512];

	if (ctl_g.socket != NULL) {
		snprintf(out, outlen, "%s", ctl_g.socket);
		return 0;
	}
	if (ad_config_load(&cfg, ctl_g.config, AD_CONFIG_FULL, err,
			   sizeof(err)) != 0) {
		fprintf(stderr, "approverctl: %s (or give -S SOCKET)\n", err);
		return CTL_EXIT_USAGE;
	}
	snprintf(out, outlen, "%s", cfg->client_socket);
	ad_config_free(cfg);
	return 0;
}

int ctl_call(json_t *msg, json_t **reply)
{
	struct ad_client *c = NULL;
	char path[256], why[512];
	int r;

	*reply = NULL;
	if (msg == NULL)
		return CTL_EXIT_USAGE;
	if ((r = socket_path(path, sizeof(path))) != 0) {
		json_decref(msg);
		return r;
	}
	if ((r = ad_client_connect(&c, path, CTL_TIMEOUT_MS)) != 0) {
		fprintf(stderr, "approverctl: %s: %s\n", path, ad_strerror(r));
		json_decref(msg);
		return CTL_EXIT_UNREACHABLE;
	}
	r = ad_client_call(c, msg, reply, why, sizeof(why));
	ad_client_close(c);
	json_decref(msg);
	if (r == 0)
		return CTL_EXIT_OK;
	if (r == AD_ERR_IO || r == AD_ERR_TIMEOUT || r == AD_ERR_TRUNCATED ||
	    r == AD_ERR_CONNECT) {
		fprintf(stderr, "approverctl: approverd at %s: %s\n", path,
			ad_strerror(r));
		return CTL_EXIT_UNREACHABLE;
	}
	fprintf(stderr, "approverctl: refused (%s): %s\n", ad_errname(r),
		why[0] ? why : ad_strerror(r));
	return CTL_EXIT_REFUSED;
}

json_t *ctl_msg_id(const char *op, const char *id)
{
	json_t *m = ad_msg_new(op);

	if (m != NULL && id != NULL &&
	    json_object_set_new(m, "id", json_string(id)) != 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* Escaped string field of o ("" if absent); caller frees. */
char *ctl_esc(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return ad_escape(s ? s : "");
}

static void print_json(const json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

static int is_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/* --json / --all style flags only; returns -1 on anything else. */
static int flags(int argc, char **argv, int *json, int *all)
{
	static const struct option lo[] = {
		{"json", no_argument, NULL, 'j'},
		{"all", no_argument, NULL, 'a'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'j')
			*json = 1;
		else if (ch == 'a' && all != NULL)
			*all = 1;
		else
			return -1;
	}
	return 0;
}

static void print_summary(const json_t *q)
{
	const json_t *argv = json_object_get(q, "argv"), *a;
	char *id = ctl_esc(q, "id"), *st = ctl_esc(q, "state");
	char *who = ctl_esc(q, "requester"), *rule = ctl_esc(q, "rule");
	size_t i;

	if (json_is_string(json_object_get(q, "kind"))) { /* a grant */
		ctl_grant_print_summary(q);
		free(id);
		free(st);
		free(who);
		free(rule);
		return;
	}
	printf("%-12s %-9s %6llds %-12s %-14s", id ? id : "", st ? st : "",
	       (long long)json_integer_value(json_object_get(q, "age")),
	       who ? who : "", rule ? rule : "");
	json_array_foreach(argv, i, a) {
		char *e = ad_escape(json_string_value(a) ? json_string_value(a) : "");
		printf(" %s", e ? e : "?");
		free(e);
	}
	printf("\n");
	free(id);
	free(st);
	free(who);
	free(rule);
}

int ctl_list(int argc, char **argv)
{
	int json = 0, all = 0, rc;
	json_t *m, *reply = NULL, *q;
	size_t i;

	if (is_help(argc, argv) || flags(argc, argv, &json, &all) != 0 ||
	    optind != argc) {
		fprintf(is_help(argc, argv) ? stdout : stderr,
			"usage: approverctl list [--all] [--json]\n");
		return is_help(argc, argv) ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	}
	m = ad_msg_new("list");
	if (m != NULL && all)
		json_object_set_new(m, "all", json_true());
	if ((rc = ctl_call(m, &reply)) != CTL_EXIT_OK)
		return rc;
	if (json) {
		print_json(json_object_get(reply, "requests"));
	} else {
		printf("%-12s %-9s %7s %-12s %-14s %s\n", "ID", "STATE", "AGE",
		       "REQUESTER", "RULE", "COMMAND");
		json_array_foreach(json_object_get(reply, "requests"), i, q)
			print_summary(q);
	}
	json_decref(reply);
	return CTL_EXIT_OK;
}

static void fmt_time(char *out, size_t n, json_int_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, n, "-");
	else
		strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void show_line(const char *label, const json_t *o, const char *key)
{
	char *e = ctl_esc(o, key);

	printf("%-10s %s\n", label, e ? e : "?");
	free(e);
}

static void show_list(const char *label, const json_t *arr, const char *sep)
{
	const json_t *v;
	size_t i;

	printf("%-10s", label);
	json_array_foreach(arr, i, v) {
		char *e = ad_escape(json_string_value(v) ? json_string_value(v) : "");
		printf("%s%s", i == 0 ? " " : sep, e ? e : "?");
		free(e);
	}
	printf("\n");
}

/* Ticket / precheck outcomes (docs/NOTIFY.md): "kind result (HTTP n) url". */
static void show_checks(const json_t *checks)
{
	const json_t *k;
	size_t i;

	json_array_foreach(checks, i, k) {
		char *kind = ctl_esc(k, "kind"), *res = ctl_esc(k, "result");
		char *url = ctl_esc(k, "url"), *why = ctl_esc(k, "why");

		printf("%-10s %s %s (HTTP %lld) %s%s%s\n", "check",
		       kind ? kind : "?", res ? res : "?",
		       (long long)json_integer_value(json_object_get(k, "http_status")),
		       url ? url : "?", why && why[0] ? ": " : "",
		       why ? why : "");
		free(kind);
		free(res);
		free(url);
		free(why);
	}
}

/* Every environment entry on its own line: the digest binds them all. */
static void show_env(const json_t *env)
{
	const json_t *v;
	size_t i;

	if (json_array_size(env) == 0)
		printf("%-10s (none)\n", "env");
	json_array_foreach(env, i, v) {
		char *e = ad_escape(json_string_value(v) ? json_string_value(v)
							 : "");
		printf("%-10s %s\n", i == 0 ? "env" : "", e ? e : "?");
		free(e);
	}
}

/* Break-glass and its review (docs/formats/governance.md §3). */
static void show_breakglass(const json_t *b)
{
	char *by = ctl_esc(b, "by"), *u = ctl_esc(b, "user");
	char *j = ctl_esc(b, "justification"), *rb = ctl_esc(b, "reviewed_by");
	char *rc = ctl_esc(b, "review_comment");

	if (!json_is_object(b))
		goto out;
	printf("%-10s by %s (user %s): %s\n", "breakglass", by ? by : "?",
	       u ? u : "?", j ? j : "?");
	if (json_is_true(json_object_get(b, "reviewed")))
		printf("%-10s by %s: %s\n", "reviewed", rb ? rb : "?",
		       rc ? rc : "?");
	else
		printf("%-10s no (approverctl review ID --comment TEXT)\n",
		       "reviewed");
out:
	free(by);
	free(u);
	free(j);
	free(rb);
	free(rc);
}

static void show_human(const json_t *s)
{
	const json_t *r = json_object_get(s, "request"), *a;
	char created[64], expires[64];
	size_t i;

	fmt_time(created, sizeof(created),
		 json_integer_value(json_object_get(r, "created_us")) / 1000000);
	fmt_time(expires, sizeof(expires),
		 json_integer_value(json_object_get(s, "expires")));
	show_line("id", r, "id");
	show_line("state", s, "state");
	if (json_string_length(json_object_get(s, "blocked")) > 0)
		show_line("blocked", s, "blocked"); /* governance.md §2 */
	show_line("requester", r, "requester");
	printf("%-10s %lld\n", "uid", (long long)json_integer_value(json_object_get(r, "uid")));
	show_line("sponsor", r, "sponsor");
	show_line("host", r, "host");
	show_line("service", r, "service");
	show_line("runas", r, "runas_user");
	printf("%-10s uid %lld, gid %lld\n", "runas ids",
	       (long long)json_integer_value(json_object_get(r, "runas_uid")),
	       (long long)json_integer_value(json_object_get(r, "runas_gid")));
	show_line("groups", r, "runas_groups");
	show_line("command", r, "command");
	show_list("argv", json_object_get(r, "argv"), " ");
	show_line("cwd", r, "cwd");
	show_line("chroot", r, "chroot");
	show_line("exe hash", r, "exe_hash");
	show_env(json_object_get(r, "env"));
	show_line("tty", r, "tty");
	show_line("rhost", r, "rhost");
	show_line("reason", r, "reason");
	show_line("ticket", r, "ticket");
	show_line("rollback", r, "rollback");
	show_line("agent", r, "agent");
	show_line("rule", r, "rule");
	show_line("requires", s, "requires");
	show_list("affects", json_object_get(s, "affects"), ", ");
	printf("%-10s %s\n%-10s %s\n", "created", created, "expires", expires);
	printf("%-10s %llds\n", "max_ttl", (long long)json_integer_value(json_object_get(s, "max_ttl")));
	json_array_foreach(json_object_get(s, "approvals"), i, a) {
		char *n = ctl_esc(a, "approver"), *u = ctl_esc(a, "user");
		printf("%-10s %s (user %s)\n", "approved", n ? n : "?", u ? u : "?");
		free(n);
		free(u);
	}
	show_breakglass(json_object_get(s, "breakglass"));
	show_checks(json_object_get(s, "checks"));
	show_line("digest", s, "digest");
}

/* Fetch the `show` object of id (caller json_decref's *show). */
int ctl_fetch_show(const char *id, json_t **show)
{
	json_t *reply = NULL;
	int rc = ctl_call(ctl_msg_id("show", id), &reply);

	*show = NULL;
	if (rc != CTL_EXIT_OK)
		return rc;
	*show = json_incref(json_object_get(reply, "show"));
	json_decref(reply);
	if (!json_is_object(*show)) {
		json_decref(*show);
		*show = NULL;
		fprintf(stderr, "approverctl: malformed show reply for %s\n", id);
		return CTL_EXIT_UNREACHABLE;
	}
	return CTL_EXIT_OK;
}

int ctl_show(int argc, char **argv)
{
	int json = 0, rc;
	json_t *s = NULL;

	if (is_help(argc, argv) || flags(argc, argv, &json, NULL) != 0 ||
	    optind + 1 != argc) {
		fprintf(is_help(argc, argv) ? stdout : stderr,
			"usage: approverctl show ID [--json]\n");
		return is_help(argc, argv) ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	}
	if ((rc = ctl_fetch_show(argv[optind], &s)) != CTL_EXIT_OK)
		return rc;
	if (json)
		print_json(s);
	else if (json_object_get(s, "grant") != NULL)
		ctl_grant_show_human(s);
	else
		show_human(s);
	json_decref(s);
	return CTL_EXIT_OK;
}

static void print_decision(const json_t *d)
{
	char *id = ctl_esc(d, "id"), *st = ctl_esc(d, "state");
	char *req = ctl_esc(d, "requires"), *why = ctl_esc(d, "reason");
	char until[64];
	const json_t *v;
	size_t i;

	printf("%s %s", id ? id : "?", st ? st : "?");
	if (st && (strcmp(st, "approved") == 0 || strcmp(st, "consumed") == 0) &&
	    json_array_size(json_object_get(d, "approvers")) > 0) {
		printf(" by");
		json_array_foreach(json_object_get(d, "approvers"), i, v) {
			char *e = ad_escape(json_string_value(v) ? json_string_value(v) : "");
			printf("%s%s", i ? ", " : " ", e ? e : "?");
			free(e);
		}
	}
	fmt_time(until, sizeof(until),
		 json_integer_value(json_object_get(d, "not_after")));
	if (strcmp(until, "-") != 0)
		printf(" until %s", until);
	if (st && strcmp(st, "pending") == 0 && req && req[0])
		printf(" (needs %s)", req);
	if (why && why[0])
		printf(": %s", why);
	printf("\n");
	free(id);
	free(st);
	free(req);
	free(why);
}

int ctl_status(int argc, char **argv)
{
	int json = 0, rc;
	json_t *reply = NULL;

	if (is_help(argc, argv) || flags(argc, argv, &json, NULL) != 0 ||
	    optind + 1 != argc) {
		fprintf(is_help(argc, argv) ? stdout : stderr,
			"usage: approverctl status ID [--json]\n");
		return is_help(argc, argv) ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	}
	if ((rc = ctl_call(ctl_msg_id("status", argv[optind]), &reply)) != 0)
		return rc;
	if (json)
		print_json(reply);
	else
		print_decision(reply);
	json_decref(reply);
	return CTL_EXIT_OK;
}

int ctl_health(int argc, char **argv)
{
	int json = 0, rc;
	json_t *reply = NULL;
	char *ev, *host;

	if (is_help(argc, argv) || flags(argc, argv, &json, NULL) != 0 ||
	    optind != argc) {
		fprintf(is_help(argc, argv) ? stdout : stderr,
			"usage: approverctl health [--json]\n");
		return is_help(argc, argv) ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	}
	if ((rc = ctl_call(ad_msg_new("health"), &reply)) != 0)
		return rc;
	ev = ctl_esc(reply, "evidence");
	host = ctl_esc(reply, "host");
	if (json)
		print_json(reply);
	else
		printf("approverd on %s: %lld pending, %lld connections, evidence "
		       "%s (seq %lld)\n", host ? host : "?",
		       (long long)json_integer_value(json_object_get(reply, "pending")),
		       (long long)json_integer_value(json_object_get(reply, "connections")),
		       ev ? ev : "?",
		       (long long)json_integer_value(json_object_get(reply, "evidence_seq")));
	rc = ev && strcmp(ev, "ok") == 0 ? CTL_EXIT_OK : CTL_EXIT_REFUSED;
	free(ev);
	free(host);
	json_decref(reply);
	return rc;
}

int ctl_submit_token(const char *token, const char *id)
{
	return ctl_submit_token_as(token, id, 0);
}

int ctl_submit_token_as(const char *token, const char *id, int json)
{
	json_t *m = ad_msg_new("submit"), *reply = NULL;
	int rc;

	if (m == NULL || json_object_set_new(m, "token", json_string(token)) ||
	    (id && json_object_set_new(m, "id", json_string(id)))) {
		json_decref(m);
		return CTL_EXIT_USAGE;
	}
	if ((rc = ctl_call(m, &reply)) != CTL_EXIT_OK)
		return rc;
	if (json)
		print_json(reply);
	else
		print_decision(reply);
	json_decref(reply);
	return CTL_EXIT_OK;
}

/* A token from stdin: one line, surrounding whitespace removed. */
static int read_token(char *buf, size_t len)
{
	size_t n = fread(buf, 1, len - 1, stdin);

	buf[n] = '\0';
	if (n == len - 1 && !feof(stdin)) {
		fprintf(stderr, "approverctl submit: token on stdin longer than "
			"%zu bytes\n", len - 2);
		return CTL_EXIT_USAGE;
	}
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
		buf[--n] = '\0';
	return n > 0 ? 0 : CTL_EXIT_USAGE;
}

int ctl_submit(int argc, char **argv)
{
	static const struct option lo[] = {
		{"id", required_argument, NULL, 'i'}, {NULL, 0, NULL, 0},
	};
	static char buf[4096 + 2];
	const char *id = NULL, *token;
	int ch;

	while (!is_help(argc, argv) &&
	       (ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch != 'i')
			return CTL_EXIT_USAGE;
		id = optarg;
	}
	if (is_help(argc, argv) || optind + 1 != argc) {
		fprintf(is_help(argc, argv) ? stdout : stderr,
			"usage: approverctl submit [--id ID] TOKEN|-\n");
		return is_help(argc, argv) ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	}
	token = argv[optind];
	if (strcmp(token, "-") == 0) {
		if (read_token(buf, sizeof(buf)) != 0) {
			fprintf(stderr, "approverctl submit: no token on stdin\n");
			return CTL_EXIT_USAGE;
		}
		token = buf;
	}
	return ctl_submit_token(token, id);
}
