/*
 * report_rows.c — read the verified part of an evidence file and fold its
 * records into one row per request (docs/formats/report.md).
 *
 * Invariants: only the vr.records lines that verified are parsed (a longer
 * line stops the read: the file changed after verification); records
 * without a known request id are skipped; rows are JSON values only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report.h"
#include "text.h"

static const char *const copied[] = {
    "id",       "time",    "requester", "sponsor",  "host",    "service",
    "runas",    "command", "argv",      "cwd",      "reason",  "ticket",
    "rollback", "agent",   "rule",      "requires", "affects", "state",
    "why",      "checks",  "blocked",   "grant",    NULL,
};

static void set_str(json_t *row, const char *k, const json_t *rec,
                    const char *rk)
{
	json_t *v = json_object_get(rec, rk);

	if (v)
		json_object_set(row, k, v);
}

static void new_row(struct report_data *d, const json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *st = json_string_value(json_object_get(rec, "state"));
	json_t *row;

	if (!id || !*id || json_object_get(d->byid, id) || !st)
		return; /* refused caller, or a repeat */
	if (!(row = json_object()))
		return;
	for (size_t i = 0; copied[i]; i++)
		set_str(row, copied[i], rec, copied[i]);
	json_object_set_new(row, "decision",
	                    json_string(strcmp(st, "pending") ? st : ""));
	json_object_set_new(row, "approvals", json_array());
	json_object_set_new(row, "refused", json_array());
	json_object_set_new(row, "approved_at", json_null());
	json_object_set_new(row, "approvers", json_array());
	json_object_set_new(row, "denied_by", json_null());
	json_object_set_new(row, "consumed_pid", json_null());
	json_object_set_new(row, "exit_status", json_null());
	json_object_set_new(row, "signal", json_null());
	json_object_set_new(row, "ended", json_string(st));
	/* governance.md §6: "" / false / "n-a" until a break-glass */
	if (!json_object_get(row, "blocked"))
		json_object_set_new(row, "blocked", json_string(""));
	if (!json_object_get(row, "grant"))
		json_object_set_new(row, "grant", json_string(""));
	json_object_set_new(row, "breakglass", json_false());
	json_object_set_new(row, "breakglass_by", json_string(""));
	json_object_set_new(row, "justification", json_string(""));
	json_object_set_new(row, "reviewed", json_string("n-a"));
	json_object_set_new(row, "reviewed_by", json_string(""));
	json_object_set_new(row, "review_comment", json_string(""));
	json_object_set(d->byid, id, row);
	json_array_append_new(d->rows, row);
}

static json_t *vote(const json_t *rec)
{
	json_t *v = json_object();

	set_str(v, "approver", rec, "approver");
	set_str(v, "user", rec, "user");
	set_str(v, "time", rec, "time");
	return v;
}

static void decide(json_t *row, const char *decision, const char *state)
{
	const char *dec = json_string_value(json_object_get(row, "decision"));

	if (!dec || !*dec)
		json_object_set_new(row, "decision", json_string(decision));
	json_object_set_new(row, "state", json_string(state));
}

/* A counted break-glass approval: unreviewed until a counted review. */
static void on_breakglass(json_t *row, const json_t *rec)
{
	json_object_set_new(row, "breakglass", json_true());
	set_str(row, "breakglass_by", rec, "approver");
	set_str(row, "justification", rec, "justification");
	if (strcmp(json_string_value(json_object_get(row, "reviewed")), "yes"))
		json_object_set_new(row, "reviewed", json_string("no"));
}

static void on_review(json_t *row, const json_t *rec)
{
	json_t *v;

	if (json_is_true(json_object_get(rec, "counted"))) {
		json_object_set_new(row, "reviewed", json_string("yes"));
		set_str(row, "reviewed_by", rec, "reviewer");
		set_str(row, "review_comment", rec, "comment");
		return;
	}
	if (!(v = json_object()))
		return;
	set_str(v, "approver", rec, "reviewer");
	set_str(v, "user", rec, "user");
	set_str(v, "time", rec, "time");
	set_str(v, "why", rec, "why");
	json_object_set_new(v, "review", json_true());
	json_array_append_new(json_object_get(row, "refused"), v);
}

static void on_vote(json_t *row, const json_t *rec, int denial)
{
	json_t *v = vote(rec);

	if (json_is_true(json_object_get(rec, "breakglass")))
		json_object_set_new(v, "breakglass", json_true());
	if (!json_is_true(json_object_get(rec, "counted"))) {
		set_str(v, "why", rec, "why");
		json_array_append_new(json_object_get(row, "refused"), v);
		return;
	}
	if (!denial) {
		if (json_is_true(json_object_get(rec, "breakglass")))
			on_breakglass(row, rec);
		json_array_append_new(json_object_get(row, "approvals"), v);
		return;
	}
	set_str(v, "why", rec, "why_denied");
	json_object_set_new(row, "denied_by", v);
	decide(row, "denied", "denied");
}

static void on_event(json_t *row, const char *ev, const json_t *rec)
{
	if (strcmp(ev, "approval") == 0 || strcmp(ev, "denial") == 0) {
		on_vote(row, rec, ev[0] == 'd');
	} else if (strcmp(ev, "review") == 0) {
		on_review(row, rec);
	} else if (strcmp(ev, "approved") == 0) {
		if (json_is_true(json_object_get(rec, "breakglass")))
			set_str(row, "breakglass_by", rec, "breakglass_by");
		set_str(row, "approved_at", rec, "time");
		set_str(row, "approvers", rec, "approvers");
		set_str(row, "not_after", rec, "not_after");
		decide(row, "approved", "approved");
	} else if (strcmp(ev, "consume") == 0) {
		set_str(row, "consumed_pid", rec, "pid");
		set_str(row, "consumed_at", rec, "time");
		json_object_set_new(row, "state", json_string("consumed"));
	} else if (strcmp(ev, "result") == 0) {
		set_str(row, "exit_status", rec, "exit_status");
		set_str(row, "signal", rec, "signal");
	} else if (strcmp(ev, "expire") == 0 || strcmp(ev, "withdraw") == 0) {
		decide(row, ev[0] == 'e' ? "expired" : "withdrawn",
		       ev[0] == 'e' ? "expired" : "withdrawn");
		set_str(row, "ended_why", rec, "why");
	}
}

static void apply(struct report_data *d, const json_t *rec)
{
	const char *ev = json_string_value(json_object_get(rec, "event"));
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *row;

	if (!ev)
		return;
	if (strcmp(ev, "checkpoint") == 0) {
		const char *t = json_string_value(json_object_get(rec, "time"));
		snprintf(d->last_ckpt_time, sizeof(d->last_ckpt_time), "%s",
		         t ? t : "");
	} else if (strcmp(ev, "request") == 0) {
		new_row(d, rec);
	} else if (strcmp(ev, "grant") == 0) {
		report_grant_new(d, rec);
	} else if (id && report_grant_event(d, ev, id, rec)) {
		return;
	} else if (id && (row = json_object_get(d->byid, id))) {
		if (strcmp(ev, "consume") == 0)
			report_grant_consume(d, rec);
		on_event(row, ev, rec);
	}
}

/* Read the first n lines of f; 0 or an ad_err. */
static int read_lines(struct report_data *d, FILE *f, uint64_t n)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	json_t *rec;

	while (d->records < n && (len = getline(&line, &cap, f)) > 0) {
		if (len > AD_EVIDENCE_LINE_MAX || line[len - 1] != '\n')
			break;
		rec = json_loadb(line, (size_t)len - 1, JSON_REJECT_DUPLICATES,
		                 NULL);
		if (!json_is_object(rec)) {
			json_decref(rec);
			break;
		}
		apply(d, rec);
		json_decref(rec);
		d->records++;
		d->bytes += (uint64_t)len;
	}
	free(line);
	return 0;
}

int report_load(struct report_data *d, const char *path, const uint8_t *host_pk,
                const char *cmd)
{
	FILE *f;
	uint64_t n;
	int r;

	memset(d, 0, sizeof(*d));
	ad_evidence_verify(path, host_pk, &d->vr);
	if (d->vr.status != 0 && d->vr.bad_line == 0) {
		report_complain(cmd, "evidence",
		                d->vr.why[0] ? d->vr.why
		                             : ad_strerror(d->vr.status));
		return d->vr.status;
	}
	d->damaged = d->vr.status != 0;
	d->rows = json_array();
	d->byid = json_object();
	d->grants = json_array();
	d->gbyid = json_object();
	if (!d->rows || !d->byid || !d->grants || !d->gbyid) {
		report_complain(cmd, path, "out of memory");
		return AD_ERR_NOMEM;
	}
	if (!(f = fopen(path, "re"))) {
		report_complain(cmd, path, "cannot open");
		return AD_ERR_IO;
	}
	n = d->vr.records;
	/* a broken prev at line N+1 may mean line N itself was edited */
	if (d->damaged && n > 0 && strncmp(d->vr.why, "prev ", 5) == 0)
		n--;
	r = read_lines(d, f, n);
	fclose(f);
	return r;
}

void report_free(struct report_data *d)
{
	json_decref(d->rows);
	json_decref(d->byid);
	json_decref(d->grants);
	json_decref(d->gbyid);
	d->rows = d->byid = d->grants = d->gbyid = NULL;
}
