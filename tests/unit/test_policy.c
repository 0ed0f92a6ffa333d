/* test_policy.c — policy.conf loading, matching, quorum, tickets, texts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ere_size.h"
#include "error.h"
#include "policy.h"

static const char base_policy[] =
	"# test policy\n"                                  /* 1 */
	"[role sre]\n"                                     /* 2 */
	"members = alice, bob, dave\n"                     /* 3 */
	"\n"                                               /* 4 */
	"[role payments-owner]\n"                          /* 5 */
	"members = carol, dave\n"                          /* 6 */
	"\n"                                               /* 7 */
	"[rule restart-web]\n"                             /* 8 */
	"command = /usr/bin/systemctl restart nginx*\n"    /* 9 */
	"runas = root\n"                                   /* 10 */
	"require = 1 sre     # quorum\n"                   /* 11 */
	"ticket = ^(CHG|INC)-[0-9]+$\n"                    /* 12 */
	"max_ttl = 30m\n"                                  /* 13 */
	"affects = nginx, web-frontend\n"                  /* 14 */
	"\n"
	"[rule read-logs]\n"
	"command = /usr/bin/journalctl --no-pager -u *\n"
	"action = allow\n"
	"\n"
	"[rule never]\n"
	"command = /usr/bin/passwd *\n"
	"action = deny\n"
	"\n"
	"[rule pay]\n"
	"command = /usr/local/bin/payctl *\n"
	"require = 1 sre + 1 payments-owner\n"
	"\n"
	"[rule su-root]\n"
	"service = su\n"
	"runas = root\n"
	"users = ai-deploy\n"
	"require = 2 sre\n"
	"\n"
	"[rule middle-star]\n"
	"command = /usr/bin/echo * x\n"
	"action = allow\n"
	"\n"
	"[rule star-literal]\n"
	"command = /usr/bin/printf a\\*b\n"
	"action = allow\n"
	"\n"
	"[rule fallback]\n"
	"command = /usr/bin/uptime\n"
	"\n"
	"[default]\n"
	"require = 1 sre\n";

static struct ad_policy *parse_ok(const char *text)
{
	struct ad_policy *p = NULL;
	char err[512];
	int rc = ad_policy_parse(&p, "t.conf", text, err, sizeof(err));

	if (rc != 0)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(p);
	return p;
}

/* Parse text that must fail; err must contain want. */
static void parse_fails(const char *text, const char *want)
{
	struct ad_policy *p = (struct ad_policy *)1;
	char err[512];
	int rc = ad_policy_parse(&p, "t.conf", text, err, sizeof(err));

	assert_int_equal(rc, AD_ERR_CONFIG);
	assert_null(p);
	if (strstr(err, want) == NULL)
		print_error("error '%s' lacks '%s'\n", err, want);
	assert_non_null(strstr(err, want));
}

struct req {
	struct ad_request r;
	char *argv[16];
};

/* service, requester, runas, then argv (argv[0] = command path), NULL. */
static struct ad_request *mkreq(struct req *q, const char *service,
				const char *user, const char *runas, ...)
{
	va_list ap;
	size_t n = 0;
	char *a;

	memset(q, 0, sizeof(*q));
	q->r.service = (char *)service;
	q->r.requester = (char *)user;
	q->r.runas_user = (char *)runas;
	va_start(ap, runas);
	while ((a = va_arg(ap, char *)) != NULL && n < 15)
		q->argv[n++] = a;
	va_end(ap);
	q->r.command = n > 0 ? q->argv[0] : (char *)"";
	q->r.argv.n = n;
	q->r.argv.v = q->argv;
	return &q->r;
}

static const char *rule_for(const struct ad_policy *p,
			    const struct ad_request *r)
{
	const struct ad_rule *rule = ad_policy_match(p, r);

	assert_non_null(rule);
	return rule->name;
}

#define SUDO(p, ...) rule_for(p, mkreq(&q, "sudo", "ai-deploy", "root", \
				       __VA_ARGS__, NULL))

static void test_wildcard_within_argument(void **state)
{
	struct ad_policy *p = parse_ok(base_policy);
	struct req q;

	(void)state;
	assert_string_equal(SUDO(p, "/usr/bin/systemctl", "restart",
				 "nginx.service"), "restart-web");
	assert_string_equal(SUDO(p, "/usr/bin/systemctl", "restart", "nginx"),
			    "restart-web");
	/* '*' never absorbs a further argument */
	assert_string_equal(SUDO(p, "/usr/bin/systemctl", "restart", "nginx",
				 "extra"), "default");
	assert_string_equal(SUDO(p, "/usr/bin/systemctl", "restart"),
			    "default");
	assert_string_equal(SUDO(p, "/usr/bin/systemctl", "restart",
				 "apache"), "default");
	assert_string_equal(SUDO(p, "/usr/bin/systemctl", "restartx",
				 "nginx"), "default");
	assert_string_equal(SUDO(p, "/usr/sbin/systemctl", "restart",
				 "nginx"), "default");
	/* a middle lone '*' is exactly one argument */
	assert_string_equal(SUDO(p, "/usr/bin/echo", "a", "x"), "middle-star");
	assert_string_equal(SUDO(p, "/usr/bin/echo", "", "x"), "middle-star");
	assert_string_equal(SUDO(p, "/usr/bin/echo", "a", "b", "x"), "default");
	assert_string_equal(SUDO(p, "/usr/bin/echo", "x"), "default");
	/* "\*" is a literal star */
	assert_string_equal(SUDO(p, "/usr/bin/printf", "a*b"), "star-literal");
	assert_string_equal(SUDO(p, "/usr/bin/printf", "aXb"), "default");
	ad_policy_free(p);
}

static void test_glob_backtracking(void **state)
{
	struct ad_policy *p = parse_ok(
		"[rule g]\ncommand = /bin/g a*b*c --x=* \\\\\nrunas = www-*\n"
		"action = allow\n[default]\naction = deny\n");
	static char big[4096];
	struct req q;

	(void)state;
	assert_string_equal(rule_for(p, mkreq(&q, "sudo", "u", "www-data",
					      "/bin/g", "aXbYbZc", "--x=",
					      "\\", NULL)), "g");
	assert_string_equal(rule_for(p, mkreq(&q, "sudo", "u", "www-data",
					      "/bin/g", "abc", "--x=1 2",
					      "\\", NULL)), "g");
	assert_string_equal(rule_for(p, mkreq(&q, "sudo", "u", "www-data",
					      "/bin/g", "abcX", "--x=", "\\",
					      NULL)), "default");
	assert_string_equal(rule_for(p, mkreq(&q, "sudo", "u", "root",
					      "/bin/g", "abc", "--x=", "\\",
					      NULL)), "default");
	/* a long hostile argument is matched quickly and correctly */
	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = 'b';
	assert_string_equal(rule_for(p, mkreq(&q, "sudo", "u", "www-x",
					      "/bin/g", big, "--x=", "\\",
					      NULL)), "default");
	ad_policy_free(p);
}

static void test_quorum_eval_limits(void **state)
{
	struct ad_policy *p = parse_ok(base_policy);
	const char *many[4097];
	char missing[64];

	(void)state;
	for (size_t i = 0; i < 4097; i++)
		many[i] = "alice";
	assert_int_equal(ad_quorum_eval(&p->rules[0], p, many, 4097, missing,
					sizeof(missing)), AD_ERR_TOOBIG);
	assert_int_equal(ad_quorum_eval(&p->rules[0], p, many, 4096, missing,
					sizeof(missing)), 1);
	assert_int_equal(ad_quorum_eval(&p->rules[0], p, NULL, 1, missing,
					sizeof(missing)), AD_ERR_INVALID);
	ad_policy_free(p);
}

static void test_trailing_star(void **state)
{
	struct ad_policy *p = parse_ok(base_policy);
	struct req q;

	(void)state;
	assert_string_equal(SUDO(p, "/usr/bin/passwd"), "never");
	assert_string_equal(SUDO(p, "/usr/bin/passwd", "root"), "never");
	assert_string_equal(SUDO(p, "/usr/bin/passwd", "-d", "root", "x", "y"),
			    "never");
	assert_string_equal(SUDO(p, "/usr/bin/journalctl", "--no-pager", "-u",
				 "nginx", "-f"), "read-logs");
	assert_string_equal(SUDO(p, "/usr/bin/journalctl", "--no-pager"),
			    "default");
	assert_string_equal(SUDO(p, "/usr/bin/journalctl", "-u", "x"),
			    "default");
	ad_policy_free(p);
}

static void test_first_match_and_default(void **state)
{
	struct ad_policy *p = parse_ok(
		"[rule a]\ncommand = /bin/x *\naction = allow\n"
		"[rule b]\ncommand = /bin/x y\naction = deny\n"
		"[default]\naction = deny\n");
	struct req q;
	const struct ad_rule *r;

	(void)state;
	assert_string_equal(SUDO(p, "/bin/x", "y"), "a");
	r = ad_policy_match(p, mkreq(&q, "sudo", "u", "root", "/bin/y", NULL));
	assert_ptr_equal(r, &p->def);
	assert_string_equal(r->name, "default");
	assert_int_equal(r->action, AD_ACTION_DENY);
	ad_policy_free(p);
}

static void test_runas_service_users(void **state)
{
	struct ad_policy *p = parse_ok(base_policy);
	struct req q;

	(void)state;
	assert_string_equal(rule_for(p, mkreq(&q, "sudo", "ai-deploy",
					      "www-data", "/usr/bin/systemctl",
					      "restart", "nginx", NULL)),
			    "default");
	/* a command rule without 'service' matches only sudo */
	assert_string_equal(rule_for(p, mkreq(&q, "pkexec", "ai-deploy",
					      "root", "/usr/bin/passwd", NULL)),
			    "default");
	/* a rule without command matches any command of its services */
	assert_string_equal(rule_for(p, mkreq(&q, "su", "ai-deploy", "root",
					      NULL)), "su-root");
	assert_string_equal(rule_for(p, mkreq(&q, "su", "ai-deploy", "root",
					      "/bin/sh", "-c", "id", NULL)),
			    "su-root");
	assert_string_equal(rule_for(p, mkreq(&q, "su", "ai-ops", "root",
					      NULL)), "default");
	assert_string_equal(rule_for(p, mkreq(&q, "su", "ai-deploy", "bob",
					      NULL)), "default");
	assert_string_equal(rule_for(p, mkreq(&q, "sshd", "ai-deploy", "root",
					      NULL)), "default");
	ad_policy_free(p);
}

static void test_users_group(void **state)
{
	struct ad_policy *p = parse_ok(
		"[rule g]\nusers = %root, ai-x\nservice = sudo, su\n"
		"action = allow\n[default]\naction = deny\n");
	struct req q;

	(void)state;
	/* root's primary group is root (gid 0): real NSS */
	assert_string_equal(rule_for(p, mkreq(&q, "su", "root", "root", NULL)),
			    "g");
	assert_string_equal(rule_for(p, mkreq(&q, "sudo", "ai-x", "root",
					      "/bin/true", NULL)), "g");
	assert_string_equal(rule_for(p, mkreq(&q, "su", "no-such-user-q7",
					      "root", NULL)), "default");
	assert_string_equal(rule_for(p, mkreq(&q, "login", "root", "root",
					      NULL)), "default");
	ad_policy_free(p);
}

static char *with_require(const char *req)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "[role sre]\nmembers = alice, bob, dave\n"
		 "[role payments-owner]\nmembers = carol\n"
		 "[rule r]\ncommand = /bin/x\nrequire = %s\n"
		 "[default]\naction = deny\n", req);
	return buf;
}

static void test_quorum_parse_errors(void **state)
{
	(void)state;
	parse_fails(with_require("0 sre"), "t.conf:7: bad count '0'");
	parse_fails(with_require("sre"), "t.conf:7: expected 'COUNT ROLE'");
	parse_fails(with_require("1 nosuchrole"),
		    "t.conf:7: unknown role 'nosuchrole'");
	parse_fails(with_require("1 sre +"), "t.conf:7: empty term");
	parse_fails(with_require("+ 1 sre"), "t.conf:7: empty term");
	parse_fails(with_require("99999999999999999999 sre"),
		    "t.conf:7: bad count");
	parse_fails(with_require("33 sre"), "t.conf:7: bad count '33'");
	parse_fails(with_require("-1 sre"), "t.conf:7: bad count");
	parse_fails(with_require("4 sre"), "which has 3 member(s)");
	parse_fails(with_require("1 sre + 2 sre"), "role 'sre' appears twice");
	parse_fails(with_require("1 sre 1 payments-owner"), "unknown role");
	parse_fails(with_require(""), "t.conf:5: [rule r]: action approve "
				      "needs 'require' (and [default] has none)");
}

static int eval(const struct ad_policy *p, const char *rule,
		const char *want_missing, ...)
{
	const char *names[8];
	char missing[128];
	const struct ad_rule *r = NULL;
	size_t n = 0;
	va_list ap;
	int rc;

	for (size_t i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].name, rule) == 0)
			r = &p->rules[i];
	assert_non_null(r);
	va_start(ap, want_missing);
	while ((names[n] = va_arg(ap, const char *)) != NULL && n < 7)
		n++;
	va_end(ap);
	rc = ad_quorum_eval(r, p, names, n, missing, sizeof(missing));
	assert_string_equal(missing, want_missing);
	return rc;
}

static void test_quorum_eval(void **state)
{
	struct ad_policy *p = parse_ok(base_policy);

	(void)state;
	assert_int_equal(eval(p, "pay", "1 more from role payments-owner",
			      "alice", NULL), 0);
	assert_int_equal(eval(p, "pay", "", "alice", "carol", NULL), 1);
	/* dave is in both roles: he fills one slot only */
	assert_int_equal(eval(p, "pay", "1 more from role payments-owner",
			      "dave", NULL), 0);
	assert_int_equal(eval(p, "pay", "1 more from role payments-owner",
			      "dave", "dave", NULL), 0);
	/* ...but the best assignment is found whatever the order */
	assert_int_equal(eval(p, "pay", "", "dave", "alice", NULL), 1);
	assert_int_equal(eval(p, "pay", "", "alice", "dave", NULL), 1);
	assert_int_equal(eval(p, "pay", "1 more from role sre and 1 more from "
				       "role payments-owner", "mallory", NULL),
			 0);
	/* the same human twice counts once */
	assert_int_equal(eval(p, "su-root", "1 more from role sre", "alice",
			      "alice", NULL), 0);
	assert_int_equal(eval(p, "su-root", "", "alice", "bob", NULL), 1);
	assert_int_equal(eval(p, "su-root", "2 more from role sre", NULL), 0);
	assert_int_equal(eval(p, "read-logs", "", NULL), 1);
	assert_int_equal(eval(p, "never", "denied by policy", "alice", NULL),
			 0);
	ad_policy_free(p);
}

static const struct ad_rule *rule_named(const struct ad_policy *p,
					const char *name)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].name, name) == 0)
			return &p->rules[i];
	fail_msg("no rule %s", name);
	return NULL;
}

static void test_ticket_ttl_affects(void **state)
{
	struct ad_policy *p = parse_ok(base_policy);
	const struct ad_rule *web = rule_named(p, "restart-web");
	const struct ad_rule *fb = rule_named(p, "fallback");

	(void)state;
	assert_int_equal(ad_ticket_ok(web, "CHG-123"), 1);
	assert_int_equal(ad_ticket_ok(web, "INC-9"), 1);
	assert_int_equal(ad_ticket_ok(web, "chg-123"), 0);
	assert_int_equal(ad_ticket_ok(web, "CHG-12x"), 0);
	assert_int_equal(ad_ticket_ok(web, "xCHG-1"), 0);
	assert_int_equal(ad_ticket_ok(web, ""), 0);
	assert_int_equal(ad_ticket_ok(web, NULL), 0);
	assert_int_equal(ad_ticket_ok(fb, NULL), 1);
	assert_int_equal(ad_rule_max_ttl(web, 3600), 1800);
	assert_int_equal(ad_rule_max_ttl(fb, 3600), 3600);
	assert_int_equal(web->n_affects, 2);
	assert_string_equal(web->affects[1], "web-frontend");
	/* approve rule without require takes [default]'s */
	assert_int_equal(fb->n_require, 1);
	assert_string_equal(fb->require[0].role_name, "sre");
	assert_int_equal(fb->require[0].count, 1);
	ad_policy_free(p);
}

/* A ticket regex that regcomp would blow up (nested intervals: hundreds
 * of MiB, found by fuzz_policy) is refused before regcomp, by name; the
 * usual ticket patterns are far below the bound. */
static void test_ticket_regex_size(void **state)
{
	static const struct {
		const char *re;
		size_t min, max; /* the estimate, within */
	} ok[] = {
	    {"^(CHG|INC)-[0-9]+$", 10, 16},
	    {"^[A-Z]{2,10}-[0-9]{1,8}$", 19, 22},
	    {"^JIRA-[0-9]{4}$", 10, 12},
	    {"(ab|cd){10}", 40, 40},
	    {"[]{}()]x{2}", 3, 3},
	    {"[[:digit:]{]{5}", 5, 5},
	    {"\\{9}", 3, 3},   /* an escaped brace: three atoms */
	    {"\\\\{9}", 9, 9}, /* an escaped backslash, nine times */
	    {"a{,50}", 50, 50}, /* glibc: {0,50} */
	    {"a{,}", 1, 1},     /* glibc: {0,}, a star */
	    {"x{12,}", 13, 13},
	};
	size_t n;
	char big[4096];
	struct ad_policy *p;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(ad_ere_size(ok[i].re, &n), 0);
		if (n < ok[i].min || n > ok[i].max)
			print_error("%s: %zu not in %zu..%zu\n", ok[i].re, n,
				    ok[i].min, ok[i].max);
		assert_true(n >= ok[i].min && n <= ok[i].max);
	}
	/* nested intervals multiply, sequential ones add; saturating */
	assert_int_equal(ad_ere_size("((a{99}){99}){99}", &n), 0);
	assert_true(n > AD_ERE_SIZE_MAX);
	assert_int_equal(ad_ere_size("((((a{32767}){32767}){32767}){32767})",
					&n), 0);
	assert_true(n > AD_ERE_SIZE_MAX);
	assert_int_equal(ad_ere_size("t]{,31000}5", &n), 0); /* fuzz_policy */
	assert_true(n > AD_ERE_SIZE_MAX);
	/* escaped digits inside an interval are digits to glibc */
	assert_int_equal(ad_ere_size("t]{,1550\\0}\\\\", &n), 0);
	assert_true(n > AD_ERE_SIZE_MAX);
	assert_int_equal(ad_ere_size("a{1\\2}", &n), 0);
	assert_int_equal(n, 12);
	assert_int_equal(ad_ere_size("a{1\\}", &n), 0); /* \} closes nothing */
	assert_int_equal(n, 4); /* a, {, 1, \} */
	assert_int_equal(ad_ere_size("[0-9]{100}-[0-9]{100}", &n), 0);
	assert_int_equal(n, 201);
	/* unbalanced: an estimate all the same; regcomp then says why */
	assert_int_equal(ad_ere_size("((a{50}", &n), 0);
	assert_int_equal(n, 50);
	memset(big, '(', 40);
	big[40] = 'a';
	big[41] = '\0';
	assert_int_equal(ad_ere_size(big, &n), -1); /* too deep */
	assert_int_equal(ad_ere_size("((((((a))))))", &n), 0); /* 6 deep */
	assert_int_equal(ad_ere_size("(((((((a)))))))", &n), -1);
	/* a repetition of a repetition (regcomp's time explodes with them;
	 * the first is what fuzz_policy found) */
	assert_int_equal(ad_ere_size("^(CHG|INC)??????????+++++++", &n), -1);
	assert_int_equal(ad_ere_size("a??", &n), -1);
	assert_int_equal(ad_ere_size("a+*", &n), -1);
	assert_int_equal(ad_ere_size("a{2}{3}", &n), -1);
	assert_int_equal(ad_ere_size("a?{3}", &n), -1);
	assert_int_equal(ad_ere_size("a{3}?", &n), -1);
	assert_int_equal(ad_ere_size("a{,}?", &n), -1);
	assert_int_equal(ad_ere_size("(a?)+", &n), 0); /* a group between */
	assert_int_equal(ad_ere_size("a?b?\\??", &n), 0); /* \? is an atom */
	assert_int_equal(ad_ere_size("\\?*?", &n), -1);
	assert_int_equal(ad_ere_size("[?]?", &n), 0);

	parse_fails("[rule a]\ncommand = /bin/x\nticket = ^((A{99}){99}){99}$\n"
		    "[default]\naction = deny\n",
		    "t.conf:3: bad 'ticket' regex '^((A{99}){99}){99}$': too "
		    "complex");
	parse_fails("[rule a]\ncommand = /bin/x\nticket = ((((((((((((((((((("
		    "((((((((((((((((((((a\n[default]\naction = deny\n",
		    "t.conf:3: bad 'ticket' regex");
	parse_fails("[rule a]\ncommand = /bin/x\nticket = ^x??+\n"
		    "[default]\naction = deny\n",
		    "t.conf:3: bad 'ticket' regex '^x??+': too complex "
		    "(groups nested more than 6 deep, a repetition of a "
		    "repetition");
	p = parse_ok("[role r]\nmembers = alice\n[rule a]\ncommand = /bin/x\n"
		     "require = 1 r\nticket = ^[A-Z]{2,10}-[0-9]{1,8}$\n"
		     "[default]\naction = deny\n");
	assert_int_equal(ad_ticket_ok(rule_named(p, "a"), "CHG-1234"), 1);
	assert_int_equal(ad_ticket_ok(rule_named(p, "a"), "C-1234"), 0);
	ad_policy_free(p);
}

static void test_requires_text(void **state)
{
	struct ad_policy *p = parse_ok(base_policy);
	char buf[256], small[16];

	(void)state;
	assert_int_equal(ad_rule_requires_text(rule_named(p, "restart-web"),
					       buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1 approval from role sre; ticket matching "
				 "^(CHG|INC)-[0-9]+$ required");
	assert_int_equal(ad_rule_requires_text(rule_named(p, "pay"), buf,
					       sizeof(buf)), 0);
	assert_string_equal(buf, "1 approval from role sre and 1 approval "
				 "from role payments-owner");
	assert_int_equal(ad_rule_requires_text(rule_named(p, "su-root"), buf,
					       sizeof(buf)), 0);
	assert_string_equal(buf, "2 approvals from role sre");
	assert_int_equal(ad_rule_requires_text(rule_named(p, "never"), buf,
					       sizeof(buf)), 0);
	assert_string_equal(buf, "denied by policy");
	assert_int_equal(ad_rule_requires_text(rule_named(p, "pay"), small,
					       sizeof(small)), AD_ERR_TOOBIG);
	assert_true(strlen(small) < sizeof(small));
	ad_policy_free(p);
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	parse_fails("[rule a]\ncomand = /bin/x\n[default]\naction = deny\n",
		    "t.conf:2: unknown key 'comand' in [rule a]");
	parse_fails("[default]\naction = deny\n[rules a]\n",
		    "t.conf:3: unknown section [rules a]");
	parse_fails("[rule a]\ncommand = /bin/x\n", "t.conf: no [default]");
	parse_fails("[rule a]\ncommand = /bin/x\nticket = (\n[default]\n"
		    "action = deny\n", "t.conf:3: bad 'ticket' regex '('");
	parse_fails("[rule a]\ncommand = /bin/x\nmax_ttl = 10x\n[default]\n"
		    "action = deny\n", "t.conf:3: bad duration '10x'");
	parse_fails("[rule a]\ncommand = bin/x\n[default]\naction = deny\n",
		    "t.conf:2: bad 'command': command must start with an "
		    "absolute path");
	parse_fails("[rule a]\ncommand = /bin/*\n[default]\naction = deny\n",
		    "t.conf:2: bad 'command': '*' is not allowed");
	parse_fails("[rule a]\ncommand = /bin/x\naction = maybe\n[default]\n"
		    "action = deny\n", "t.conf:3: bad action 'maybe'");
	parse_fails("[rule a]\naction = allow\nrequire = 1 x\n[default]\n"
		    "action = deny\n", "t.conf:1: [rule a]: 'require', 'ticket'");
	parse_fails("[rule a]\naction = allow\n[rule a]\naction = deny\n",
		    "t.conf:3: duplicate [rule a] (first at line 1)");
	parse_fails("[rule a]\naction = allow\naction = deny\n",
		    "t.conf:3: duplicate key 'action' in [rule a] (first at "
		    "line 2)");
	parse_fails("[rule a]\n[default]\naction = deny\n",
		    "t.conf:1: [rule a] is empty");
	parse_fails("[role r]\n[default]\naction = deny\n",
		    "t.conf:1: [role r] has no 'members'");
	parse_fails("[default]\ncommand = /bin/x\n",
		    "t.conf:2: unknown key 'command' in [default]");
	parse_fails("[default]\naction = deny\n  action = allow\n",
		    "t.conf:3: indented line");
	parse_fails("action = deny\n", "t.conf:1: key 'action' outside");
	parse_fails("[default]\nrequire = 1 sre\n", "t.conf:2: unknown role "
						    "'sre'");
	parse_fails("[default]\naction = deny\nno equals sign\n",
		    "t.conf:3: expected 'key = value'");
	parse_fails("[rule bad/name]\naction = deny\n[default]\n",
		    "t.conf:1: bad name in [rule bad/name]");
	parse_fails("[role r]\nmembers = a, ../b\n[default]\naction = deny\n",
		    "t.conf:2: bad name '../b' in 'members'");
	parse_fails("[rule a]\nrunas = a b\n[default]\naction = deny\n",
		    "t.conf:2: bad 'runas': expected one word");
}

static void test_long_line_refused(void **state)
{
	char text[1024];

	(void)state;
	/* inih would silently split this line; we refuse it */
	snprintf(text, sizeof(text), "[default]\naction = deny\n"
		 "[rule a]\ncommand = /bin/x %0300d\n", 7);
	parse_fails(text, "t.conf:4: line too long");
	/* exactly 197 characters (plus CRLF) is accepted */
	snprintf(text, sizeof(text), "[default]\r\naction = deny\r\n"
		 "affects = %0187d\r\n", 7);
	assert_int_equal(strlen(strstr(text, "affects")), 199);
	ad_policy_free(parse_ok(text));
	snprintf(text, sizeof(text), "[default]\naction = deny\n"
		 "affects = %0188d", 7);
	parse_fails(text, "t.conf:3: line too long (more than 197");
}

/* The example of DESIGN.md §5, verbatim (with its # comments). */
static void test_design_example(void **state)
{
	static const char ex[] =
		"# policy.conf — first matching rule wins\n"
		"[role sre]\n"
		"members = alice, bob            # approver names "
		"(approvers.d/NAME.pub)\n\n"
		"[role payments-owner]\nmembers = carol\n\n"
		"[rule restart-web]\n"
		"command = /usr/bin/systemctl restart nginx*\n"
		"runas = root\n"
		"require = 1 sre                 # quorum: \"2 sre\", \"1 sre "
		"+ 1 payments-owner\"\n"
		"ticket = ^(CHG|INC)-[0-9]+$     # a ticket matching this is "
		"required\n"
		"max_ttl = 30m                   # longest approval an "
		"approver may sign\n"
		"affects = nginx, web-frontend   # downstream systems, copied "
		"into evidence\n\n"
		"[rule read-logs]\n"
		"command = /usr/bin/journalctl --no-pager -u *\n"
		"action = allow\n\n"
		"[rule never]\ncommand = /usr/bin/passwd *\naction = deny\n\n"
		"[default]\nrequire = 1 sre\n";
	struct ad_policy *p = parse_ok(ex);
	const struct ad_rule *web = rule_named(p, "restart-web");

	(void)state;
	assert_int_equal(p->n_roles, 2);
	assert_int_equal(p->roles[0].n_members, 2);
	assert_string_equal(web->ticket_text, "^(CHG|INC)-[0-9]+$");
	assert_int_equal(web->max_ttl, 1800);
	assert_string_equal(web->affects[1], "web-frontend");
	assert_int_equal(ad_policy_is_approver(p, "carol"), 1);
	assert_int_equal(ad_policy_is_approver(p, "mallory"), 0);
	ad_policy_free(p);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}


/* docs/formats/governance.md §1: every new key, inheritance, defaults. */
static const char gov_policy[] =
	"[role sre]\n"                                     /* 1 */
	"members = alice, bob\n"                           /* 2 */
	"[role payments-owner]\n"                          /* 3 */
	"members = carol\n"                                /* 4 */
	"[role breakglass]\n"                              /* 5 */
	"members = alice\n"                                /* 6 */
	"[rule pay]\n"                                     /* 7 */
	"command = /usr/local/bin/payctl *\n"              /* 8 */
	"owner = business:payments-owner, technical:sre\n" /* 9 */
	"window = Mon-Fri 09:00-17:00, Sat-Mon 22:00-02:00\n" /* 10 */
	"rollback = required\n"                            /* 11 */
	"grants = no\n"                                    /* 12 */
	"[rule logs]\n"                                    /* 13 */
	"command = /usr/bin/journalctl *\n"                /* 14 */
	"action = allow\n"                                 /* 15 */
	"[rule plain]\n"                                   /* 16 */
	"command = /usr/bin/uptime\n"                      /* 17 */
	"grant_max_ttl = 2h\n"                             /* 18 */
	"grant_max_uses = 5\n"                             /* 19 */
	"[default]\n"                                      /* 20 */
	"require = 1 sre\n"                                /* 21 */
	"window = daily 08:00-20:00\n"                     /* 22 */
	"rollback = required\n";                           /* 23 */

static void test_gov_keys(void **state)
{
	struct ad_policy *p = parse_ok(gov_policy);
	const struct ad_rule *pay = &p->rules[0], *logs = &p->rules[1];
	const struct ad_rule *plain = &p->rules[2];
	char buf[512];

	(void)state;
	assert_int_equal(pay->n_require, 2);
	assert_string_equal(pay->require[0].role_name, "payments-owner");
	assert_int_equal(pay->require[0].count, 1);
	assert_string_equal(pay->require[1].role_name, "sre");
	assert_string_equal(pay->owner_labels[0], "business");
	assert_string_equal(pay->owner_labels[1], "technical");
	assert_null(pay->owner_labels[2]);
	assert_int_equal(ad_rule_requires_text(pay, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "1 approval from role payments-owner "
				    "(business owner) and 1 approval from "
				    "role sre (technical owner)"));
	assert_non_null(strstr(buf, "rollback plan required"));
	assert_int_equal(pay->n_windows, 2);
	assert_int_equal(pay->windows[0].days, 0x3e);
	assert_int_equal(pay->windows[0].start_min, 540);
	assert_int_equal(pay->windows[0].end_min, 1020);
	assert_int_equal(pay->windows[1].days, 0x43); /* Sat, Sun, Mon */
	assert_int_equal(pay->rollback_required, 1);
	assert_int_equal(pay->grants_allowed, 0);
	assert_int_equal(pay->grant_max_ttl, 7 * 86400);
	assert_int_equal(pay->grant_max_uses, 100);
	/* allow rule: rollback inherited, no window */
	assert_int_equal(logs->rollback_required, 1);
	assert_int_equal(logs->n_windows, 0);
	/* inherited window and rollback, own grant caps */
	assert_int_equal(plain->n_windows, 1);
	assert_string_equal(plain->window_text, "daily 08:00-20:00");
	assert_int_equal(plain->rollback_required, 1);
	assert_int_equal(plain->grants_allowed, 1);
	assert_int_equal(plain->grant_max_ttl, 7200);
	assert_int_equal(plain->grant_max_uses, 5);
	assert_null(plain->owner_labels);
	/* break-glass: the role named breakglass, defaults */
	assert_int_equal(p->breakglass_role, 2);
	assert_int_equal(p->breakglass_max_ttl, 3600);
	assert_int_equal(p->breakglass_min_justification, 10);
	ad_policy_free(p);
}

static void test_gov_defaults_and_breakglass(void **state)
{
	struct ad_policy *p = parse_ok(base_policy);
	const struct ad_rule *r = &p->rules[0];

	(void)state;
	assert_int_equal(r->rollback_required, 0);
	assert_int_equal(r->grants_allowed, 1);
	assert_int_equal(r->grant_max_ttl, 7 * 86400);
	assert_int_equal(r->grant_max_uses, 100);
	assert_int_equal(r->n_windows, 0);
	assert_string_equal(r->window_text, "");
	assert_int_equal(p->breakglass_role, SIZE_MAX);
	assert_int_equal(p->lookup_failed.rollback_required, 0);
	ad_policy_free(p);
	p = parse_ok("[role oncall]\nmembers = alice\n[breakglass]\n"
		     "role = oncall\nmax_ttl = 2h\nmin_justification = 20\n"
		     "[default]\nrequire = 1 oncall\n");
	assert_int_equal(p->breakglass_role, 0);
	assert_int_equal(p->breakglass_max_ttl, 7200);
	assert_int_equal(p->breakglass_min_justification, 20);
	ad_policy_free(p);
	/* owner in [default] is inherited with its labels */
	p = parse_ok("[role a]\nmembers = x\n[role b]\nmembers = y\n"
		     "[rule r]\ncommand = /bin/true\n"
		     "[default]\nowner = biz:a, tech:b\n");
	assert_int_equal(p->rules[0].n_require, 2);
	assert_string_equal(p->rules[0].owner_labels[1], "tech");
	ad_policy_free(p);
}

#define GOV_HEAD "[role sre]\nmembers = alice\n[rule r]\n" \
		 "command = /bin/true\n"
#define GOV_TAIL "[default]\nrequire = 1 sre\n"

static void test_gov_errors(void **state)
{
	(void)state;
	parse_fails(GOV_HEAD "window = Mon-Fry 09:00-17:00\n" GOV_TAIL,
		    "t.conf:5: window: 'Mon-Fry 09:00-17:00': unknown day "
		    "'Fry'");
	parse_fails(GOV_HEAD "window = Mon 9:00-17:00\n" GOV_TAIL,
		    "t.conf:5: window: 'Mon 9:00-17:00': bad times");
	parse_fails(GOV_HEAD "window = Mon 09:00-24:01\n" GOV_TAIL,
		    "bad times");
	parse_fails(GOV_HEAD "window = Mon 09:00-09:00\n" GOV_TAIL,
		    "start and end are equal");
	parse_fails(GOV_HEAD "window = Mon 24:00-02:00\n" GOV_TAIL,
		    "cannot start at 24:00");
	parse_fails(GOV_HEAD "window = Mon 09:00-10:00,\n" GOV_TAIL,
		    "window: empty entry");
	parse_fails(GOV_HEAD "window = Mon\n" GOV_TAIL, "expected 'DAYS");
	parse_fails(GOV_HEAD "window = Mon 09:00-10:00 x\n" GOV_TAIL,
		    "expected 'DAYS");
	parse_fails(GOV_HEAD "rollback = maybe\n" GOV_TAIL,
		    "t.conf:5: bad value 'maybe' for 'rollback' (required or "
		    "optional)");
	parse_fails(GOV_HEAD "grants = 1\n" GOV_TAIL, "for 'grants' (yes or no)");
	parse_fails(GOV_HEAD "grant_max_ttl = 0\n" GOV_TAIL,
		    "t.conf:5: bad duration '0' for 'grant_max_ttl'");
	parse_fails(GOV_HEAD "grant_max_uses = 1001\n" GOV_TAIL,
		    "bad value '1001' for 'grant_max_uses' (1..1000)");
	parse_fails(GOV_HEAD "require = 1 sre\nowner = biz:sre\n" GOV_TAIL,
		    "t.conf:6: 'owner' and 'require' in the same section "
		    "(line 5)");
	parse_fails(GOV_HEAD "owner = biz:nosuch\n" GOV_TAIL,
		    "t.conf:5: unknown role 'nosuch' in 'owner'");
	parse_fails(GOV_HEAD "owner = sre\n" GOV_TAIL,
		    "'owner': bad entry 'sre' (expected LABEL:ROLE");
	parse_fails(GOV_HEAD "owner = a:sre, b:sre\n" GOV_TAIL,
		    "role 'sre' appears twice in 'owner'");
	parse_fails(GOV_HEAD "action = allow\nwindow = daily 01:00-02:00\n"
		    GOV_TAIL, "t.conf:6: 'window', 'owner', 'grants'");
	parse_fails(GOV_HEAD "action = deny\nrollback = required\n" GOV_TAIL,
		    "t.conf:6: 'rollback' does not apply to action = deny");
	parse_fails("[role sre]\nmembers = a\n[breakglass]\nrole = nobody\n"
		    GOV_TAIL, "t.conf:4: [breakglass]: unknown role 'nobody'");
	parse_fails("[role sre]\nmembers = a\n[breakglass]\nmax_ttl = 25h\n"
		    GOV_TAIL, "t.conf:4: bad duration '25h' for 'max_ttl'");
	parse_fails("[role sre]\nmembers = a\n[breakglass]\n"
		    "min_justification = 256\n" GOV_TAIL,
		    "bad value '256' for 'min_justification' (1..255)");
	parse_fails("[role sre]\nmembers = a\n[breakglass]\nfoo = 1\n"
		    GOV_TAIL, "t.conf:4: unknown key 'foo' in [breakglass]");
	parse_fails("[role sre]\nmembers = a\n[breakglass]\n[breakglass]\n"
		    GOV_TAIL, "t.conf:4: duplicate [breakglass] (first at "
		    "line 3)");
	parse_fails("[breakglass]\nrole = sre\nrole = sre\n[role sre]\n"
		    "members = a\n" GOV_TAIL, "t.conf:3: duplicate key 'role'");
}

static void test_rollback_ok(void **state)
{
	struct ad_policy *p = parse_ok(gov_policy);

	(void)state;
	assert_int_equal(ad_rollback_ok(&p->rules[0], NULL), 0);
	assert_int_equal(ad_rollback_ok(&p->rules[0], ""), 0);
	assert_int_equal(ad_rollback_ok(&p->rules[0], "  \t "), 0);
	assert_int_equal(ad_rollback_ok(&p->rules[0], " git revert x"), 1);
	ad_policy_free(p);
	p = parse_ok(base_policy);
	assert_int_equal(ad_rollback_ok(&p->rules[0], ""), 1);
	ad_policy_free(p);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/test_policy.XXXXXX", path[256], link[256];
	char err[512];
	struct ad_policy *p = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/policy.conf", dir);
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	write_file(path, "[default]\naction = deny\n\n[rule x]\nservice = "
			 "sudo\n  oops = 1\n", 0644);
	assert_int_equal(ad_policy_load(&p, path, err, sizeof(err)),
			 AD_ERR_CONFIG);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ":6: indented line"));
	write_file(path, base_policy, 0644);
	assert_int_equal(ad_policy_load(&p, path, err, sizeof(err)), 0);
	assert_int_equal(p->n_rules, 8);
	ad_policy_free(p);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(ad_policy_load(&p, path, err, sizeof(err)),
			 AD_ERR_UNTRUSTED);
	assert_null(p);
	assert_non_null(strstr(err, path));
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(symlink(path, link), 0);
	assert_int_not_equal(ad_policy_load(&p, link, err, sizeof(err)), 0);
	assert_null(p);
	assert_int_equal(ad_policy_load(&p, "policy.conf", err, sizeof(err)),
			 AD_ERR_CONFIG);
	assert_non_null(strstr(err, "must be absolute"));
	unlink(link);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wildcard_within_argument),
		cmocka_unit_test(test_glob_backtracking),
		cmocka_unit_test(test_quorum_eval_limits),
		cmocka_unit_test(test_trailing_star),
		cmocka_unit_test(test_first_match_and_default),
		cmocka_unit_test(test_runas_service_users),
		cmocka_unit_test(test_users_group),
		cmocka_unit_test(test_quorum_parse_errors),
		cmocka_unit_test(test_quorum_eval),
		cmocka_unit_test(test_ticket_ttl_affects),
		cmocka_unit_test(test_requires_text),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_long_line_refused),
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_gov_keys),
		cmocka_unit_test(test_gov_defaults_and_breakglass),
		cmocka_unit_test(test_gov_errors),
		cmocka_unit_test(test_rollback_ok),
		cmocka_unit_test(test_ticket_regex_size),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
