/*
 * ctl_sign.c — approverctl sign, and the signing step approve/deny reuse.
 *
 * Invariants (DESIGN.md §3 "Approver, offline", §4.5, §4.9):
 *  - the digest signed is recomputed here from the request fields shown to
 *    the approver; a "digest" that differs is refused, never signed;
 *  - every request field is escaped before it reaches the terminal;
 *  - the confirmation screen shows every field the request digest binds
 *    (argv, env, runas ids and groups, tty, rhost, context), escaped;
 *  - not_after = now + ttl, and ttl never exceeds max_ttl when given,
 *    nor the time left before the request expires;
 *  - nothing is signed without a "yes" on the terminal unless --yes;
 *  - the token is the only thing written to stdout.
 */
#include "ctl_sign.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl.h"
#include "ctl_grant.h"
#include "ctl_pass.h"
#include "error.h"
#include "keys.h"
#include "num.h"
#include "text.h"
#include "token.h"

struct sign_input {
	struct ad_request req;
	uint8_t digest[AD_DIGEST_LEN];
	uint64_t max_ttl; /* 0 = none given */
	uint64_t expires; /* 0 = none given */
	uint64_t bg_max_ttl; /* [breakglass] max_ttl, 0 = none given */
	const json_t *bg;    /* the "breakglass" object, or NULL */
};

static int sign_err(int rc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int sign_err(int rc, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "approverctl sign: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return rc;
}

static int opt_uint(uint64_t *out, const json_t *show, const char *key,
                    uint64_t max)
{
	const json_t *v = json_object_get(show, key);

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return sign_err(AD_ERR_INVALID,
		                "input: %s: not an integer in range", key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* Recompute the request digest and compare it with "digest". */
static int sign_input_parse(struct sign_input *in, const json_t *show)
{
	const json_t *d = json_object_get(show, "digest");
	char err[256] = "", hex[AD_DIGEST_HEX];
	int rc;

	memset(in, 0, sizeof(*in));
	ad_request_init(&in->req);
	if (!json_is_object(show) ||
	    !json_is_object(json_object_get(show, "request")))
		return sign_err(AD_ERR_INVALID, "input: no \"request\" object");
	if (!json_is_string(d))
		return sign_err(AD_ERR_INVALID, "input: no \"digest\" string");
	if ((rc = ad_request_from_json(&in->req,
	                               json_object_get(show, "request"), err,
	                               sizeof(err))) != 0)
		return sign_err(rc, "input: request.%s", err);
	if (in->req.id[0] == '\0' || in->req.host[0] == '\0')
		return sign_err(AD_ERR_INVALID, "input: request.%s",
		                in->req.id[0] ? "host: empty" : "id: empty");
	if (strlen(in->req.host) >= AD_HOST_MAX)
		return sign_err(AD_ERR_TOOBIG,
		                "input: request.host: longer "
		                "than %d bytes",
		                AD_HOST_MAX - 1);
	if ((rc = ad_request_digest(in->digest, &in->req)) != 0)
		return sign_err(rc, "digest: %s", ad_strerror(rc));
	ad_digest_hex(hex, in->digest);
	if (strcmp(hex, json_string_value(d)) != 0) {
		char *e = ad_escape(json_string_value(d));
		sign_err(AD_ERR_WRONG_DIGEST,
		         "digest mismatch: input says %s, the request "
		         "fields give %s; refusing to sign",
		         e ? e : "?", hex);
		free(e);
		return AD_ERR_WRONG_DIGEST;
	}
	if ((rc = opt_uint(&in->max_ttl, show, "max_ttl", AD_DURATION_MAX)) ||
	    (rc = opt_uint(&in->expires, show, "expires", INT64_MAX)) ||
	    (rc = opt_uint(&in->bg_max_ttl, show, "breakglass_max_ttl",
	                   AD_DURATION_MAX)))
		return rc;
	in->bg = json_object_get(show, "breakglass");
	return 0;
}

static void show_line(const char *label, const char *value)
{
	char *e = ad_escape(value ? value : "");

	fprintf(stderr, "  %-10s %s\n", label,
	        e == NULL ? "?" : (e[0] ? e : "(none)"));
	free(e);
}

/* Every environment entry on its own line: the digest binds them all. */
static void show_env(const struct ad_strv *v)
{
	if (v->n == 0)
		fprintf(stderr, "  %-10s (none)\n", "env");
	for (size_t i = 0; i < v->n; i++) {
		char *e = ad_escape(v->v[i]);
		fprintf(stderr, "  %-10s %s\n", i == 0 ? "env" : "",
		        e ? e : "?");
		free(e);
	}
}

static void show_argv(const struct ad_strv *v)
{
	fprintf(stderr, "  %-10s", "argv");
	for (size_t i = 0; i < v->n; i++) {
		char *e = ad_escape(v->v[i]);
		fprintf(stderr, " \"%s\"", e ? e : "?");
		free(e);
	}
	fputc('\n', stderr);
}

static void show_time(const char *label, uint64_t t)
{
	char buf[64] = "?";
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) != NULL)
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(stderr, "  %-10s %s\n", label, buf);
}

/* "LABEL  NAME (uid U[, gid G])" with NAME escaped. */
static void show_ids(const char *label, const char *name, uint32_t uid,
                     const uint32_t *gid)
{
	char *e = ad_escape(name ? name : "");

	fprintf(stderr, "  %-10s %s (uid %u", label, e ? e : "?",
	        (unsigned)uid);
	if (gid != NULL)
		fprintf(stderr, ", gid %u", (unsigned)*gid);
	fprintf(stderr, ")\n");
	free(e);
}

static const char *sign_verb(int decision)
{
	switch (decision) {
	case AD_DECISION_DENY:
		return "DENY";
	case AD_DECISION_BREAKGLASS:
		return "BREAK THE GLASS (approve at once, without the quorum) "
		       "on";
	case AD_DECISION_REVIEW:
		return "REVIEW the break-glass approval of";
	default:
		return "APPROVE";
	}
}

/* What a reviewer reviews: who broke the glass, and why. */
static void show_breakglass(const json_t *bg)
{
	const char *by = json_string_value(json_object_get(bg, "by"));
	const char *j = json_string_value(json_object_get(bg, "justification"));

	if (!json_is_object(bg))
		return;
	show_line("broken by", by);
	show_line("because", j);
}

static void sign_show(const struct sign_input *in, const struct ad_seckey *k,
                      int decision, uint64_t ttl, uint64_t now)
{
	const struct ad_request *r = &in->req;
	char dur[32], hex[AD_DIGEST_HEX], id[AD_KEYID_HEX];

	fprintf(stderr, "You are about to %s request %s:\n",
	        sign_verb(decision), r->id);
	show_line("host", r->host);
	show_ids("requester", r->requester, r->uid, NULL);
	show_line("sponsor", r->sponsor);
	show_line("service", r->service);
	show_ids("run as", r->runas_user, r->runas_uid, &r->runas_gid);
	show_line("groups", r->runas_groups);
	show_line("command", r->command);
	show_argv(&r->argv);
	show_line("cwd", r->cwd);
	if (r->chroot[0] != '\0')
		show_line("chroot", r->chroot);
	show_line("exe hash", r->exe_hash);
	show_env(&r->env);
	show_line("tty", r->tty);
	show_line("rhost", r->rhost);
	show_time("created", r->created_us / 1000000);
	show_line("reason", r->reason);
	show_line("ticket", r->ticket);
	show_line("rollback", r->rollback);
	show_line("agent", r->agent);
	show_line("rule", r->rule);
	show_breakglass(in->bg);
	ad_format_duration(dur, sizeof(dur), ttl);
	fprintf(stderr, "  %-10s %s\n", "ttl", dur);
	show_time("valid to", now + ttl);
	if (in->expires != 0)
		show_time("req. exp.", in->expires);
	ad_digest_hex(hex, in->digest);
	fprintf(stderr, "  %-10s %s\n", "digest", hex);
	ad_key_id_hex(id, k->pub.key_id);
	fprintf(stderr, "  %-10s %s (user %s, key id %s)\n", "signer",
	        k->pub.name, k->pub.user, id);
}

/* Load keyfile, asking for its passphrase when it is encrypted. */
static int sign_load_key(struct ad_seckey **k, const char *keyfile)
{
	char why[AD_WHY_MAX] = "", *text = NULL, *pass = NULL, *prompt = NULL;
	size_t len = 0;
	int rc;

	*k = NULL;
	if ((rc = ad_seckey_read_file(&text, &len, keyfile, why)) != 0)
		return sign_err(rc, "%s", why);
	rc = 0;
	if (ad_seckey_needs_passphrase(text, len) > 0) {
		if (asprintf(&prompt, "Passphrase for %s: ", keyfile) < 0)
			prompt = NULL;
		rc = ctl_pass_read(&pass, prompt ? prompt : "Passphrase: ", 0);
		free(prompt);
	}
	if (rc == 0)
		rc = ad_seckey_parse(k, text, len, pass, why);
	if (rc < 0 && why[0] != '\0')
		sign_err(rc, "%s: %s", keyfile, why);
	else if (rc < 0)
		sign_err(rc, "%s: %s", keyfile, ad_strerror(rc));
	if (pass != NULL)
		ctl_pass_free(pass);
	ad_seckey_text_free(text, len);
	return rc;
}

static void sign_ttl_capped(uint64_t from, uint64_t to, const char *what)
{
	char a[32], b[32];

	ad_format_duration(a, sizeof(a), from);
	ad_format_duration(b, sizeof(b), to);
	fprintf(stderr, "approverctl sign: ttl %s capped to %s (%s)\n", a, b,
	        what);
}

/*
 * ttl 0 = default; capped by the rule's max_ttl and by the time left before
 * the request expires (the daemon refuses a not_after past either). Returns
 * 0 when the request has already expired.
 */
static uint64_t sign_ttl(uint64_t ttl, uint64_t max_ttl, const char *cap,
                         uint64_t expires, uint64_t now)
{
	if (ttl == 0)
		ttl = CTL_SIGN_DEFAULT_TTL;
	if (max_ttl != 0 && ttl > max_ttl) {
		sign_ttl_capped(ttl, max_ttl, cap);
		ttl = max_ttl;
	}
	if (expires != 0) {
		if (expires <= now)
			return 0;
		if (now + ttl > expires) {
			sign_ttl_capped(ttl, expires - now,
			                "the request expires then");
			ttl = expires - now;
		}
	}
	return ttl;
}

/* A break-glass is capped by [breakglass] max_ttl, not the rule's; a
 * review only needs to be valid while it is submitted. */
static uint64_t sign_ttl_for(const struct sign_input *in, int decision,
                             uint64_t ttl, uint64_t now)
{
	if (decision == AD_DECISION_REVIEW)
		return ttl ? ttl : CTL_SIGN_DEFAULT_TTL;
	if (decision == AD_DECISION_BREAKGLASS)
		return sign_ttl(ttl, in->bg_max_ttl, "[breakglass] max_ttl",
		                in->expires, now);
	return sign_ttl(ttl, in->max_ttl, "the rule's max_ttl", in->expires,
	                now);
}

static int sign_confirm(int decision)
{
	int yes = ctl_tty_confirm(decision == AD_DECISION_DENY ? "Sign this DENIAL?"
	                          : decision == AD_DECISION_BREAKGLASS
	                              ? "Sign this BREAK-GLASS approval?"
	                          : decision == AD_DECISION_REVIEW
	                              ? "Sign this REVIEW?"
	                              : "Sign this APPROVAL?");
	if (yes < 0)
		return sign_err(AD_ERR_DENIED,
		                "no terminal to confirm on; "
		                "use --yes after checking the request");
	if (yes == 0)
		return sign_err(AD_ERR_DENIED, "not signed");
	return 0;
}

/* The signed comment: printable ASCII, shorter than AD_COMMENT_MAX. */
static int comment_ok(const char *c)
{
	size_t n = c ? strlen(c) : 0;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)c[i] < 0x20 || (unsigned char)c[i] > 0x7e)
			return 0;
	return n < AD_COMMENT_MAX;
}

int ctl_sign_show_json(char **token_out, const json_t *show,
                       const char *keyfile, int decision, uint64_t ttl,
                       const char *comment, int assume_yes)
{
	struct sign_input in;
	struct ad_statement st;
	struct ad_seckey *k = NULL;
	uint64_t now = (uint64_t)time(NULL);
	int rc;

	*token_out = NULL;
	if (json_object_get(show, "grant") != NULL) /* a standing grant */
		return ctl_grant_sign(token_out, show, keyfile, decision, ttl,
		                      comment, assume_yes);
	if (sodium_init() < 0)
		return AD_ERR_CRYPTO;
	if (!comment_ok(comment))
		return sign_err(AD_ERR_INVALID,
		                "--comment: at most 255 printable "
		                "ASCII characters");
	if ((rc = sign_input_parse(&in, show)) != 0 ||
	    (rc = sign_load_key(&k, keyfile)) != 0)
		goto out;
	if ((ttl = sign_ttl_for(&in, decision, ttl, now)) == 0) {
		rc = sign_err(AD_ERR_EXPIRED, "the request has already expired");
		goto out;
	}
	sign_show(&in, k, decision, ttl, now);
	if (!assume_yes && (rc = sign_confirm(decision)) != 0)
		goto out;
	memset(&st, 0, sizeof(st));
	snprintf(st.host, sizeof(st.host), "%s", in.req.host);
	memcpy(st.request_id, in.req.id, sizeof(st.request_id));
	memcpy(st.digest, in.digest, AD_DIGEST_LEN);
	st.decision = (uint32_t)decision;
	st.not_before = now;
	st.not_after = now + ttl;
	st.uses = 1;
	snprintf(st.comment, sizeof(st.comment), "%s", comment ? comment : "");
	if ((rc = ad_token_sign(token_out, &st, k)) != 0)
		sign_err(rc,
		         "signing failed: %s (host, request id or "
		         "comment not accepted)",
		         ad_strerror(rc));
out:
	ad_seckey_free(k);
	ad_request_free(&in.req);
	return rc;
}

static void sign_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: approverctl sign -k KEYFILE [--deny | --breakglass | "
	    "--review]\n"
	    "         [--ttl DUR] [--comment TEXT] [--yes] < show.json > "
	    "token\n"
	    "  Reads what `approverctl show ID --json` printed, recomputes the "
	    "request digest,\n"
	    "  shows the request on stderr, asks for confirmation on the "
	    "terminal (unless\n"
	    "  --yes) and writes a signed approval (or, with --deny, denial) "
	    "token to stdout.\n"
	    "  --breakglass  a break-glass approval: approves at once without "
	    "the quorum;\n"
	    "                --comment is the justification (required); "
	    "--ttl is capped by\n"
	    "                [breakglass] max_ttl\n"
	    "  --review      a review of a break-glass approval; --comment "
	    "required\n"
	    "  --ttl DUR   validity (30s, 15m, 2h; default 15m), capped by "
	    "the rule's max_ttl\n"
	    "  --comment   signed comment, at most 255 printable ASCII "
	    "characters\n"
	    "  The passphrase is read from the terminal or from the file "
	    "named by\n  APPROVERD_PASSPHRASE_FILE.\n");
}

struct sign_opts {
	const char *keyfile, *comment;
	int decision, yes;
	uint64_t ttl;
};

/* A break-glass carries its justification, a review its comment. */
static int sign_needs_comment(const struct sign_opts *o)
{
	if ((o->decision != AD_DECISION_BREAKGLASS &&
	     o->decision != AD_DECISION_REVIEW) ||
	    (o->comment != NULL && o->comment[0] != '\0'))
		return 0;
	fprintf(stderr, "approverctl sign: --%s needs --comment TEXT\n",
	        o->decision == AD_DECISION_REVIEW ? "review" : "breakglass");
	return -1;
}

static int sign_args(struct sign_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"deny", no_argument, NULL, 'd'},
	    {"breakglass", no_argument, NULL, 'B'},
	    {"review", no_argument, NULL, 'R'},
	    {"ttl", required_argument, NULL, 't'},
	    {"comment", required_argument, NULL, 'c'},
	    {"yes", no_argument, NULL, 'y'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->decision = AD_DECISION_APPROVE;
	while ((ch = getopt_long(argc, argv, "k:dt:c:yh", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'k':
			o->keyfile = optarg;
			break;
		case 'd':
			o->decision = AD_DECISION_DENY;
			break;
		case 'B':
			o->decision = AD_DECISION_BREAKGLASS;
			break;
		case 'R':
			o->decision = AD_DECISION_REVIEW;
			break;
		case 'c':
			o->comment = optarg;
			break;
		case 'y':
			o->yes = 1;
			break;
		case 't':
			if (ad_parse_duration(&o->ttl, optarg) != 0 ||
			    o->ttl == 0) {
				fprintf(stderr,
				        "approverctl sign: --ttl %s: not a "
				        "duration > 0 (30s, 15m, 2h)\n",
				        optarg);
				return -1;
			}
			break;
		case 'h':
			sign_usage(stdout);
			return 1;
		default:
			sign_usage(stderr);
			return -1;
		}
	}
	if (optind != argc || o->keyfile == NULL) {
		sign_usage(stderr);
		return -1;
	}
	return sign_needs_comment(o);
}

/* stdin as JSON, size-capped, duplicate keys refused. */
static json_t *sign_read_stdin(void)
{
	char *buf = malloc(CTL_SIGN_INPUT_MAX + 1);
	size_t n = 0;
	json_error_t e;
	json_t *j = NULL;

	if (buf == NULL)
		return NULL;
	n = fread(buf, 1, CTL_SIGN_INPUT_MAX + 1, stdin);
	if (n > CTL_SIGN_INPUT_MAX)
		fprintf(stderr, "approverctl sign: stdin: more than %d bytes\n",
		        CTL_SIGN_INPUT_MAX);
	else if ((j = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &e)) == NULL)
		fprintf(stderr, "approverctl sign: stdin:%d:%d: %s\n", e.line,
		        e.column, e.text);
	free(buf);
	return j;
}

int ctl_sign(int argc, char **argv)
{
	struct sign_opts o;
	char *token = NULL;
	json_t *show;
	int rc = sign_args(&o, argc, argv);

	if (rc != 0)
		return rc > 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	if ((show = sign_read_stdin()) == NULL)
		return CTL_EXIT_USAGE;
	rc = ctl_sign_show_json(&token, show, o.keyfile, o.decision, o.ttl,
	                        o.comment, o.yes);
	json_decref(show);
	if (rc != 0)
		return rc == AD_ERR_NOTFOUND || rc == AD_ERR_IO
		           ? CTL_EXIT_USAGE
		           : CTL_EXIT_REFUSED;
	printf("%s\n", token);
	free(token);
	return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
}
