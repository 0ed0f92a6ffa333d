/*
 * notify_payload.c — the bodies webhooks receive: generic JSON and
 * Slack-compatible (docs/NOTIFY.md lists every field).
 *
 * Invariants (DESIGN.md §4.9): request fields are untrusted text. JSON
 * bodies are built by jansson, so every value is a properly escaped JSON
 * string. Slack text additionally escapes control bytes (ad_escape) and
 * Slack's own markup (&, <, >), so a reason or argument can never ping a
 * channel (<!channel>), forge a link or break out of a code span; long
 * values are cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify.h"

#define SLACK_FIELD_MAX 600
#define SLACK_CMD_MAX 1200
#define CMD_TEXT_MAX 4096

void notify_time_text(char out[32], uint64_t unix_s)
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	out[0] = '\0';
	if (gmtime_r(&t, &tm) != NULL)
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int arg_plain(const char *a)
{
	return a[0] != '\0' &&
	       strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_./=:,@%+-") == strlen(a);
}

/* argv as one shell-like line ('quoted' where needed), cut at the cap. */
static char *command_text(const struct notify_event *ev)
{
	char *out = calloc(1, CMD_TEXT_MAX);
	size_t o = 0;

	for (size_t i = 0; out != NULL && i < ev->argc; i++) {
		const char *a = ev->argv[i];
		int q = !arg_plain(a);
		if (i > 0 && o + 1 < CMD_TEXT_MAX - 1)
			out[o++] = ' ';
		if (q && o + 1 < CMD_TEXT_MAX - 1)
			out[o++] = '\'';
		for (; *a != '\0' && o + 5 < CMD_TEXT_MAX - 1; a++) {
			if (*a == '\'') { /* close, "'", reopen */
				memcpy(out + o, "'\"'\"'", 5);
				o += 5;
			} else {
				out[o++] = *a;
			}
		}
		if (q && o + 1 < CMD_TEXT_MAX - 1)
			out[o++] = '\'';
	}
	if (out != NULL && ev->argc == 0)
		snprintf(out, CMD_TEXT_MAX, "%s", ev->command);
	return out;
}

static json_t *argv_json(const struct notify_event *ev)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < ev->argc; i++)
		if (json_array_append_new(a, json_string(ev->argv[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *time_or_null(uint64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	notify_time_text(buf, t);
	return json_string(buf);
}

static json_t *generic_json(const struct notify_event *ev)
{
	char approve[128];
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s,"
		      " s:o?, s:s, s:s, s:s, s:s, s:s, s:o?, s:o?}",
		      "source", "approverd", "event", ev->event, "state",
		      ev->state, "id", ev->id, "host", ev->host, "requester",
		      ev->requester, "uid", (json_int_t)ev->uid, "service",
		      ev->service, "runas", ev->runas, "command", ev->command,
		      "argv", argv_json(ev), "cwd", ev->cwd, "reason",
		      ev->reason, "ticket", ev->ticket, "rule", ev->rule,
		      "requires", ev->requires, "expires",
		      time_or_null(ev->expires), "time", time_or_null(ev->time));
	if (o == NULL)
		return NULL;
	if (strcmp(ev->event, "request") == 0) {
		snprintf(approve, sizeof(approve), "approverctl approve %s", ev->id);
		if (json_object_set_new(o, "approve_command", json_string(approve)))
			goto fail;
	} else if (json_object_set_new(o, "why", json_string(ev->why)) ||
		   json_object_set_new(o, "approvers", json_string(ev->approvers))) {
		goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* One byte of untrusted text as Slack mrkdwn: control bytes as \n, \r,
 * \t or \xHH; &, <, > as entities; in a code span ` becomes '. */
static size_t slack_byte(char *out, unsigned char ch, int in_code)
{
	static const char hex[] = "0123456789abcdef";

	switch (ch) {
	case '&': memcpy(out, "&amp;", 5); return 5;
	case '<': memcpy(out, "&lt;", 4); return 4;
	case '>': memcpy(out, "&gt;", 4); return 4;
	case '\n': memcpy(out, "\\n", 2); return 2;
	case '\r': memcpy(out, "\\r", 2); return 2;
	case '\t': memcpy(out, "\\t", 2); return 2;
	default: break;
	}
	if (ch < 0x20 || ch == 0x7f) {
		out[0] = '\\';
		out[1] = 'x';
		out[2] = hex[ch >> 4];
		out[3] = hex[ch & 15];
		return 4;
	}
	out[0] = in_code && ch == '`' ? '\'' : (char)ch;
	return 1;
}

/* Untrusted (valid UTF-8) text for Slack, cut near cap at a character
 * boundary; malloc'ed. */
static char *slack_text(const char *s, size_t cap, int in_code)
{
	size_t n = strlen(s), o = 0, i;
	char *out = malloc(n * 5 + 8);

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (o >= cap && ((unsigned char)s[i] & 0xc0) != 0x80)
			break;
		o += slack_byte(out + o, (unsigned char)s[i], in_code);
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* Append "label value\n" (value escaped) to b (bounded). */
static void add_line(char *b, size_t cap, const char *label, const char *v)
{
	char *t;

	if (v == NULL || v[0] == '\0' || (t = slack_text(v, SLACK_FIELD_MAX, 0)) == NULL)
		return;
	snprintf(b + strlen(b), cap - strlen(b), "*%s:* %s\n", label, t);
	free(t);
}

/* Short untrusted text (names) escaped into a fixed buffer. */
static void esc_into(char *dst, size_t n, const char *s)
{
	char *t = slack_text(s, 64, 0);

	snprintf(dst, n, "%s", t != NULL ? t : "?");
	free(t);
}

static char *slack_request_text(const struct notify_event *ev,
				const char *cmd, size_t cap)
{
	char *b = calloc(1, cap), *who = slack_text(ev->requester, 64, 0);
	char *c = slack_text(cmd, SLACK_CMD_MAX, 1), exp[32];
	char runas[400], service[400];

	if (b == NULL || who == NULL || c == NULL) {
		free(b);
		b = NULL;
		goto out;
	}
	notify_time_text(exp, ev->expires);
	esc_into(runas, sizeof(runas), ev->runas);
	esc_into(service, sizeof(service), ev->service);
	snprintf(b, cap, ":lock: *Approval needed* for `%s` on %s\n*%s* "
		 "wants to run as *%s* via %s:\n```%s```\n", ev->id, ev->host,
		 who, runas, service, c);
	add_line(b, cap, "Reason", ev->reason);
	add_line(b, cap, "Ticket", ev->ticket);
	add_line(b, cap, "Rule", ev->rule);
	add_line(b, cap, "Requires", ev->requires);
	add_line(b, cap, "Expires", ev->expires ? exp : "");
	snprintf(b + strlen(b), cap - strlen(b), "Approve with `approverctl "
		 "approve %s` (or deny with `approverctl deny %s`)", ev->id,
		 ev->id);
out:
	free(who);
	free(c);
	return b;
}

static char *slack_decision_text(const struct notify_event *ev,
				 const char *cmd, size_t cap)
{
	char *b = calloc(1, cap), *who = slack_text(ev->requester, 64, 0);
	char *c = slack_text(cmd, SLACK_CMD_MAX, 1);
	const char *icon = strcmp(ev->event, "breakglass") == 0
				   ? ":rotating_light: BREAK-GLASS"
			   : strcmp(ev->state, "approved") == 0 ? ":white_check_mark:"
			   : strcmp(ev->state, "denied") == 0 ? ":no_entry:"
			   : ":hourglass:";

	if (b == NULL || who == NULL || c == NULL) {
		free(b);
		b = NULL;
		goto out;
	}
	snprintf(b, cap, "%s `%s` on %s is *%s* (no further action needed)\n"
		 "*%s*: ```%s```\n", icon, ev->id, ev->host, ev->state, who, c);
	add_line(b, cap, "Approved by", ev->approvers);
	add_line(b, cap, "Why", ev->why);
out:
	free(who);
	free(c);
	return b;
}

static json_t *slack_json(const struct notify_event *ev)
{
	size_t cap = 2 * SLACK_CMD_MAX + 8 * SLACK_FIELD_MAX + 1024;
	char *cmd = command_text(ev), *text = NULL;
	json_t *o = NULL;

	if (cmd == NULL)
		return NULL;
	text = strcmp(ev->event, "request") == 0
		       ? slack_request_text(ev, cmd, cap)
		       : slack_decision_text(ev, cmd, cap);
	if (text != NULL)
		o = json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}]}", "text", text,
			      "blocks", "type", "section", "text", "type",
			      "mrkdwn", "text", text);
	free(cmd);
	free(text);
	return o;
}

char *notify_payload(enum ad_notify_format format,
		     const struct notify_event *ev)
{
	json_t *o = format == AD_NOTIFY_SLACK ? slack_json(ev) : generic_json(ev);
	char *s;

	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}
