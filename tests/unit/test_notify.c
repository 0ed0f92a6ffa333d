/*
 * test_notify.c — the parts of notifications and ticket checks that need no
 * network: [notify NAME] and the check keys of the config and the policy,
 * check URLs (percent-encoding), webhook payloads (json and slack, field by
 * field) and the judgement of a ticket/precheck answer.
 *
 * The payload builder and the answer judge are daemon sources; they are
 * compiled into this test directly (unit tests link libapproverd.a only).
 * Everything that needs libcurl is tested against the real daemon in
 * tests/integration/t_notify_*.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "error.h"
#include "policy.h"

#include "../../approverd/daemon/notify_payload.c"
#include "../../approverd/daemon/ticket_eval.c"

/* ---- config ---------------------------------------------------------- */

static struct ad_config *cfg_ok(const char *text, int flags)
{
	struct ad_config *c = NULL;
	char err[512] = "";
	int rc = ad_config_parse(&c, "c.conf", text, flags, err, sizeof(err));

	if (rc != 0)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	return c;
}

static void cfg_fails(const char *text, const char *want)
{
	struct ad_config *c = (struct ad_config *)1;
	char err[512] = "";
	int rc = ad_config_parse(&c, "c.conf", text, AD_CONFIG_FULL, err,
				 sizeof(err));

	assert_int_equal(rc, AD_ERR_CONFIG);
	assert_null(c);
	if (strstr(err, want) == NULL)
		print_error("error '%s' lacks '%s'\n", err, want);
	assert_non_null(strstr(err, want));
}

static void test_config_notify(void **state)
{
	struct ad_config *c = cfg_ok(
		"[daemon]\nnotify_queue = 9\ncheck_timeout = 2s\n"
		"check_ca_file = /etc/ca.pem\ncheck_proxy = http://proxy:3128\n"
		"[notify chat]\nurl = https://hooks.example/T1?x=1\n"
		"format = slack\nevents = decision\n"
		"header_file = /etc/approverd/chat.header\nca_file = /etc/ca.pem\n"
		"proxy = socks5h://127.0.0.1:1080\ntimeout = 7s\nretries = 0\n"
		"backoff = 1m\n"
		"[notify siem]\nurl = http://127.0.0.1:8080/in\n", AD_CONFIG_FULL);

	(void)state;
	assert_int_equal(c->notify_queue, 9);
	assert_int_equal(c->check_timeout, 2);
	assert_string_equal(c->check_ca_file, "/etc/ca.pem");
	assert_string_equal(c->check_proxy, "http://proxy:3128");
	assert_int_equal(c->n_notify, 2);
	assert_string_equal(c->notify[0].name, "chat");
	assert_string_equal(c->notify[0].url, "https://hooks.example/T1?x=1");
	assert_int_equal(c->notify[0].format, AD_NOTIFY_SLACK);
	assert_int_equal(c->notify[0].events, AD_NOTIFY_EV_DECISION);
	assert_string_equal(c->notify[0].header_file, "/etc/approverd/chat.header");
	assert_string_equal(c->notify[0].proxy, "socks5h://127.0.0.1:1080");
	assert_int_equal(c->notify[0].timeout, 7);
	assert_int_equal(c->notify[0].retries, 0);
	assert_int_equal(c->notify[0].backoff, 60);
	assert_int_equal(c->notify[0].line, 6);
	/* defaults */
	assert_string_equal(c->notify[1].name, "siem");
	assert_int_equal(c->notify[1].format, AD_NOTIFY_JSON);
	assert_int_equal(c->notify[1].events,
			 AD_NOTIFY_EV_REQUEST | AD_NOTIFY_EV_DECISION);
	assert_null(c->notify[1].header_file);
	assert_null(c->notify[1].proxy);
	assert_null(c->notify[1].ca_file);
	assert_int_equal(c->notify[1].timeout, 5);
	assert_int_equal(c->notify[1].retries, 3);
	assert_int_equal(c->notify[1].backoff, 2);
	ad_config_free(c);
	c = cfg_ok("", AD_CONFIG_FULL);
	assert_int_equal(c->n_notify, 0);
	assert_int_equal(c->notify_queue, 256);
	assert_int_equal(c->check_timeout, 3);
	assert_null(c->check_proxy);
	ad_config_free(c);
}

static void test_config_notify_errors(void **state)
{
	(void)state;
	cfg_fails("[notify a]\nformat = json\n", "c.conf:1: [notify a] has no 'url'");
	cfg_fails("[notify a]\nurl = ftp://x/\n", "c.conf:2: bad 'url' 'ftp://x/': "
		  "must start with http:// or https://");
	cfg_fails("[notify a]\nurl = https:///x\n", "has no host");
	cfg_fails("[notify a]\nurl = https://x/a#frag\n", "byte 0x23");
	cfg_fails("[notify a]\nurl = https://x/\"\n", "byte 0x22");
	cfg_fails("[notify a]\nurl = http://x/\nformat = xml\n",
		  "c.conf:3: bad 'format' 'xml' (json or slack)");
	cfg_fails("[notify a]\nurl = http://x/\nevents = request, breakglas\n",
		  "bad event 'breakglas'");
	cfg_fails("[notify a]\nurl = http://x/\nurl = http://y/\n",
		  "c.conf:3: duplicate key 'url' in [notify a]");
	cfg_fails("[notify a]\nurl = http://x/\nheader = Authorization: x\n",
		  "c.conf:3: unknown key 'header' in [notify a]");
	cfg_fails("[notify a]\nurl = http://x/\nheader_file = secret.txt\n",
		  "'header_file' must be an absolute path");
	cfg_fails("[notify a]\nurl = http://x/\ntimeout = 61s\n",
		  "bad duration '61s' for 'timeout'");
	cfg_fails("[notify a]\nurl = http://x/\nretries = 11\n",
		  "bad number '11' for 'retries' (0..10)");
	cfg_fails("[notify a]\nurl = http://x/\nproxy = x\n", "bad 'proxy' 'x'");
	cfg_fails("[notify a]\nurl = http://x/\n[notify a]\nurl = http://x/\n",
		  "c.conf:3: duplicate [notify a] (first at line 1)");
	cfg_fails("[notify a/b]\nurl = http://x/\n", "bad name in [notify a/b]");
	cfg_fails("[daemon]\ncheck_timeout = 5s\n",
		  "bad duration '5s' for 'check_timeout'");
	cfg_fails("[daemon]\ncheck_proxy = nope\n", "bad 'check_proxy'");
	cfg_fails("[notice a]\nurl = http://x/\n", "unknown section [notice a]");
}

static void test_config_notify_client_mode(void **state)
{
	/* the sudo plugin and PAM module skip [notify] without looking */
	struct ad_config *c = cfg_ok("[notify a]\nurl = not a url\nbogus = 1\n"
				     "[subjects]\nusers = ai-a\n",
				     AD_CONFIG_CLIENT);

	(void)state;
	assert_int_equal(c->n_notify, 0);
	assert_int_equal(c->n_subject_users, 1);
	ad_config_free(c);
}

/* ---- policy ---------------------------------------------------------- */

#define ROLE "[role sre]\nmembers = alice\n"
#define DEF "[default]\nrequire = 1 sre\n"

static struct ad_policy *pol_ok(const char *text)
{
	struct ad_policy *p = NULL;
	char err[512] = "";
	int rc = ad_policy_parse(&p, "p.conf", text, err, sizeof(err));

	if (rc != 0)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	return p;
}

static void pol_fails(const char *text, const char *want)
{
	struct ad_policy *p = NULL;
	char err[512] = "";
	int rc = ad_policy_parse(&p, "p.conf", text, err, sizeof(err));

	assert_int_equal(rc, AD_ERR_CONFIG);
	assert_null(p);
	if (strstr(err, want) == NULL)
		print_error("error '%s' lacks '%s'\n", err, want);
	assert_non_null(strstr(err, want));
}

static void test_policy_check_keys(void **state)
{
	struct ad_policy *p = pol_ok(
		ROLE "[rule r]\ncommand = /bin/x *\nrequire = 1 sre\n"
		"ticket_check_url = https://t.example/api/{ticket}?r={rule}\n"
		"ticket_check_field = fields.status.name\n"
		"ticket_check_value = Open\n"
		"precheck_url = http://127.0.0.1:9/ready/{host}\n"
		"[rule plain]\ncommand = /bin/y\n"
		DEF "ticket_check_url = https://t.example/{ticket}\n");

	(void)state;
	assert_int_equal(p->n_rules, 2);
	assert_string_equal(p->rules[0].ticket_check.url,
			    "https://t.example/api/{ticket}?r={rule}");
	assert_string_equal(p->rules[0].ticket_check.field, "fields.status.name");
	assert_string_equal(p->rules[0].ticket_check.value, "Open");
	assert_int_equal(p->rules[0].ticket_check.line, 6);
	assert_string_equal(p->rules[0].precheck.url,
			    "http://127.0.0.1:9/ready/{host}");
	assert_null(p->rules[0].precheck.field);
	assert_null(p->rules[1].ticket_check.url); /* no inheritance */
	assert_null(p->rules[1].precheck.url);
	assert_string_equal(p->def.ticket_check.url, "https://t.example/{ticket}");
	ad_policy_free(p);
}

static void test_policy_check_errors(void **state)
{
	(void)state;
	pol_fails(ROLE "[rule r]\ncommand = /x\nticket_check_url = https://t/x\n" DEF,
		  "p.conf:5: 'ticket_check_url' must contain {ticket}");
	pol_fails(ROLE "[rule r]\ncommand = /x\nprecheck_url = https://t/{id}\n" DEF,
		  "'precheck_url': unknown placeholder at '{id}'");
	pol_fails(ROLE "[rule r]\ncommand = /x\nprecheck_url = ftp://t/\n" DEF,
		  "bad 'precheck_url'");
	pol_fails(ROLE "[rule r]\ncommand = /x\nticket_check_url = https://t/{ticket}\n"
		  "ticket_check_field = status\n" DEF,
		  "p.conf:3: [rule r]: 'ticket_check_field' and 'ticket_check_value' "
		  "go together");
	pol_fails(ROLE "[rule r]\ncommand = /x\nprecheck_field = ok\n"
		  "precheck_value = true\n" DEF,
		  "'precheck_field' needs 'precheck_url'");
	pol_fails(ROLE "[rule r]\ncommand = /x\naction = allow\n"
		  "ticket_check_url = https://t/{ticket}\n" DEF,
		  "'ticket_check_url' only applies to action = approve");
	pol_fails(ROLE "[rule r]\ncommand = /x\nticket_check_field = a..b\n" DEF,
		  "bad 'ticket_check_field' 'a..b'");
	pol_fails(ROLE "[rule r]\ncommand = /x\nprecheck_url = http://a/\n"
		  "precheck_url = http://b/\n" DEF,
		  "p.conf:6: duplicate key 'precheck_url'");
}

static void test_check_url_encoding(void **state)
{
	struct ad_http_check c = {"https://t.example/i/{ticket}?r={rule}&h={host}",
				  NULL, NULL, 1};
	char *u = NULL;

	(void)state;
	assert_int_equal(ad_http_check_url(&u, &c, "CHG-1/../x?y=1&z #\xc3\xa9",
					   "restart-web", "web01.example"), 0);
	assert_string_equal(u, "https://t.example/i/CHG-1%2F..%2Fx%3Fy%3D1%26z%20"
			       "%23%C3%A9?r=restart-web&h=web01.example");
	free(u);
	assert_int_equal(ad_http_check_url(&u, &c, "", "r", "h"), 0);
	assert_string_equal(u, "https://t.example/i/?r=r&h=h");
	free(u);
	{
		char big[3000];
		memset(big, '/', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(ad_http_check_url(&u, &c, big, "r", "h"),
				 AD_ERR_TOOBIG);
		assert_null(u);
	}
}

/* ---- payloads -------------------------------------------------------- */

static const char *const ev_argv[] = {"/usr/bin/systemctl", "restart",
				      "nginx web", "it's"};

static struct notify_event sample(const char *event, const char *state)
{
	struct notify_event ev = {
		.event = event, .state = state, .id = "R-7F3A-9C21",
		.host = "web01", .requester = "ai-deploy", .uid = 4242,
		.service = "sudo", .runas = "root",
		.command = "/usr/bin/systemctl", .argv = ev_argv, .argc = 4,
		.cwd = "/srv", .reason = "deploy <!channel> & fix",
		.ticket = "CHG-42", .rule = "restart-web",
		.requires = "1 approval from role sre", .why = "",
		.approvers = "", .expires = 1795936262, .time = 1795934462,
	};
	return ev;
}

static json_t *payload_json(enum ad_notify_format f,
			    const struct notify_event *ev)
{
	char *s = notify_payload(f, ev);
	json_error_t e;
	json_t *o;

	assert_non_null(s);
	o = json_loads(s, JSON_REJECT_DUPLICATES, &e);
	free(s);
	assert_non_null(o);
	return o;
}

#define STR(o, k) json_string_value(json_object_get((o), (k)))

static void test_payload_json_request(void **state)
{
	struct notify_event ev = sample("request", "pending");
	json_t *o = payload_json(AD_NOTIFY_JSON, &ev), *a;

	(void)state;
	assert_string_equal(STR(o, "source"), "approverd");
	assert_string_equal(STR(o, "event"), "request");
	assert_string_equal(STR(o, "state"), "pending");
	assert_string_equal(STR(o, "id"), "R-7F3A-9C21");
	assert_string_equal(STR(o, "host"), "web01");
	assert_string_equal(STR(o, "requester"), "ai-deploy");
	assert_int_equal(json_integer_value(json_object_get(o, "uid")), 4242);
	assert_string_equal(STR(o, "service"), "sudo");
	assert_string_equal(STR(o, "runas"), "root");
	assert_string_equal(STR(o, "command"), "/usr/bin/systemctl");
	a = json_object_get(o, "argv");
	assert_int_equal(json_array_size(a), 4);
	assert_string_equal(json_string_value(json_array_get(a, 2)), "nginx web");
	assert_string_equal(STR(o, "cwd"), "/srv");
	assert_string_equal(STR(o, "reason"), "deploy <!channel> & fix");
	assert_string_equal(STR(o, "ticket"), "CHG-42");
	assert_string_equal(STR(o, "rule"), "restart-web");
	assert_string_equal(STR(o, "requires"), "1 approval from role sre");
	assert_string_equal(STR(o, "expires"), "2026-11-29T07:11:02Z");
	assert_string_equal(STR(o, "time"), "2026-11-29T06:41:02Z");
	assert_string_equal(STR(o, "approve_command"),
			    "approverctl approve R-7F3A-9C21");
	assert_null(json_object_get(o, "why"));
	assert_int_equal(json_object_size(o), 19);
	json_decref(o);
}

static void test_payload_json_decision(void **state)
{
	struct notify_event ev = sample("decision", "approved");
	json_t *o;

	(void)state;
	ev.approvers = "alice, bob";
	ev.expires = 0;
	o = payload_json(AD_NOTIFY_JSON, &ev);
	assert_string_equal(STR(o, "event"), "decision");
	assert_string_equal(STR(o, "state"), "approved");
	assert_string_equal(STR(o, "approvers"), "alice, bob");
	assert_string_equal(STR(o, "why"), "");
	assert_true(json_is_null(json_object_get(o, "expires")));
	assert_null(json_object_get(o, "approve_command"));
	json_decref(o);
	ev = sample("decision", "denied");
	ev.why = "not during the freeze";
	o = payload_json(AD_NOTIFY_JSON, &ev);
	assert_string_equal(STR(o, "state"), "denied");
	assert_string_equal(STR(o, "why"), "not during the freeze");
	json_decref(o);
}

static void test_payload_slack_request(void **state)
{
	struct notify_event ev = sample("request", "pending");
	json_t *o = payload_json(AD_NOTIFY_SLACK, &ev), *b;
	const char *t;

	(void)state;
	t = STR(o, "text");
	assert_non_null(t);
	assert_non_null(strstr(t, "*Approval needed* for `R-7F3A-9C21` on web01"));
	assert_non_null(strstr(t, "*ai-deploy* wants to run as *root* via sudo"));
	assert_non_null(strstr(t, "```/usr/bin/systemctl restart 'nginx web' "
				  "'it'\"'\"'s'```"));
	/* Slack markup from the request is escaped: no channel ping */
	assert_non_null(strstr(t, "*Reason:* deploy &lt;!channel&gt; &amp; fix"));
	assert_null(strstr(t, "<!channel>"));
	assert_non_null(strstr(t, "*Ticket:* CHG-42"));
	assert_non_null(strstr(t, "*Rule:* restart-web"));
	assert_non_null(strstr(t, "*Requires:* 1 approval from role sre"));
	assert_non_null(strstr(t, "*Expires:* 2026-11-29T07:11:02Z"));
	assert_non_null(strstr(t, "`approverctl approve R-7F3A-9C21`"));
	b = json_array_get(json_object_get(o, "blocks"), 0);
	assert_string_equal(STR(b, "type"), "section");
	assert_string_equal(STR(json_object_get(b, "text"), "type"), "mrkdwn");
	assert_string_equal(STR(json_object_get(b, "text"), "text"), t);
	json_decref(o);
}

static void test_payload_slack_decision_and_escapes(void **state)
{
	static const char *const evil[] = {"/bin/echo", "`rm -rf`\n<@U1>"};
	struct notify_event ev = sample("decision", "denied");
	json_t *o;
	const char *t;

	(void)state;
	ev.argv = evil;
	ev.argc = 2;
	ev.why = "no\r\nforged: line";
	o = payload_json(AD_NOTIFY_SLACK, &ev);
	t = STR(o, "text");
	assert_non_null(strstr(t, "`R-7F3A-9C21` on web01 is *denied*"));
	/* backticks cannot close the code span; newlines are escaped */
	assert_non_null(strstr(t, "```/bin/echo ''rm -rf'\\n&lt;@U1&gt;'```"));
	assert_non_null(strstr(t, "*Why:* no\\r\\nforged: line"));
	assert_null(strstr(t, "Approved by"));
	json_decref(o);
	ev = sample("decision", "approved");
	ev.approvers = "alice";
	o = payload_json(AD_NOTIFY_SLACK, &ev);
	assert_non_null(strstr(STR(o, "text"), "*Approved by:* alice"));
	json_decref(o);
}

/* ---- answers of ticket checks and prechecks -------------------------- */

static int judge(const char *field, const char *value, const char *body,
		 char *why)
{
	struct ad_http_check c = {"http://x/{ticket}", (char *)field,
				  (char *)value, 1};

	return check_answer_ok(&c, body, strlen(body), why, TICKET_WHY_MAX);
}

static void test_check_answer(void **state)
{
	char why[TICKET_WHY_MAX];

	(void)state;
	assert_int_equal(judge(NULL, NULL, "not json at all", why), 1);
	assert_int_equal(judge("status", "open", "{\"status\":\"open\"}", why), 1);
	assert_string_equal(why, "field status is \"open\"");
	assert_int_equal(judge("status", "open", "{\"status\":\"closed\"}", why), 0);
	assert_string_equal(why, "field status is \"closed\", expected \"open\"");
	assert_int_equal(judge("fields.status.name", "Open",
			       "{\"fields\":{\"status\":{\"name\":\"Open\"}}}",
			       why), 1);
	assert_int_equal(judge("fields.status.name", "Open",
			       "{\"fields\":{\"status\":\"Open\"}}", why), 0);
	assert_string_equal(why, "answer has no text field fields.status.name");
	assert_int_equal(judge("ready", "true", "{\"ready\":true}", why), 1);
	assert_int_equal(judge("ready", "true", "{\"ready\":false}", why), 0);
	assert_int_equal(judge("n", "3", "{\"n\":3}", why), 1);
	assert_int_equal(judge("status", "open", "[\"open\"]", why), 0);
	assert_int_equal(judge("status", "open", "{\"status\":\"open\",\"status\":"
			       "\"open\"}", why), 0);
	assert_string_equal(why, "answer is not JSON (field status wanted)");
	assert_int_equal(judge("status", "open", "<html>", why), 0);
	assert_int_equal(judge("status", "open", "{\"status\":\"op\\u0000en\"}",
			       why), 0);
	assert_int_equal(judge("status", "open", "{\"status\":\"\\u001b[31m\"}",
			       why), 0);
	assert_non_null(strstr(why, "\\x1b[31m"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_notify),
		cmocka_unit_test(test_config_notify_errors),
		cmocka_unit_test(test_config_notify_client_mode),
		cmocka_unit_test(test_policy_check_keys),
		cmocka_unit_test(test_policy_check_errors),
		cmocka_unit_test(test_check_url_encoding),
		cmocka_unit_test(test_payload_json_request),
		cmocka_unit_test(test_payload_json_decision),
		cmocka_unit_test(test_payload_slack_request),
		cmocka_unit_test(test_payload_slack_decision_and_escapes),
		cmocka_unit_test(test_check_answer),
	};

	return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
