/*
 * report_grants.c — standing grants in the audit report: one grant row per
 * `grant` record, updated by the records that name its id (approval,
 * denial, approved, revoke, expire) and by the `consume` records of the
 * requests it covered (docs/formats/report.md "Grants").
 *
 * Invariants: only records that verified reach here (report_rows.c); a
 * repeated grant id is ignored; rows hold JSON values only and are escaped
 * by the printer.
 */
#include <string.h>

#include "report.h"

static const char *const gcopied[] = {
    "id",      "time",    "host",       "requester", "uid",   "rule",
    "match",   "uses",    "created",    "expires",   "comment",
    "created_by", "state", NULL,
};

void report_grant_new(struct report_data *d, const json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *g, *v;

	if (!id || !*id || json_object_get(d->gbyid, id) || !(g = json_object()))
		return;
	for (size_t i = 0; gcopied[i]; i++)
		if ((v = json_object_get(rec, gcopied[i])) != NULL)
			json_object_set(g, gcopied[i], v);
	json_object_set_new(g, "kind", json_string("grant"));
	if ((v = json_object_get(rec, "uses")) != NULL)
		json_object_set(g, "uses_left", v);
	json_object_set_new(g, "used", json_integer(0));
	json_object_set_new(g, "approvals", json_array());
	json_object_set_new(g, "refused", json_array());
	json_object_set_new(g, "approved_at", json_null());
	json_object_set_new(g, "approvers", json_array());
	json_object_set_new(g, "revoked_by", json_null());
	json_object_set_new(g, "requests", json_array());
	json_object_set(d->gbyid, id, g);
	json_array_append_new(d->grants, g);
}

static json_t *gvote(const json_t *rec, const char *name_key)
{
	json_t *v = json_object();
	const char *keys[] = {"user", "time", "comment", NULL};

	if (v == NULL)
		return NULL;
	if (json_object_get(rec, name_key))
		json_object_set(v, "approver", json_object_get(rec, name_key));
	for (size_t i = 0; keys[i]; i++)
		if (json_object_get(rec, keys[i]))
			json_object_set(v, keys[i], json_object_get(rec, keys[i]));
	return v;
}

static void on_gvote(json_t *g, const json_t *rec)
{
	json_t *v = gvote(rec, "approver");

	if (v == NULL)
		return;
	if (json_is_true(json_object_get(rec, "counted"))) {
		json_array_append_new(json_object_get(g, "approvals"), v);
		return;
	}
	if (json_object_get(rec, "why"))
		json_object_set(v, "why", json_object_get(rec, "why"));
	json_array_append_new(json_object_get(g, "refused"), v);
}

int report_grant_event(struct report_data *d, const char *ev, const char *id,
                       const json_t *rec)
{
	json_t *g = json_object_get(d->gbyid, id);

	if (g == NULL)
		return 0;
	if (strcmp(ev, "approval") == 0) {
		on_gvote(g, rec);
	} else if (strcmp(ev, "approved") == 0) {
		json_object_set(g, "approved_at", json_object_get(rec, "time"));
		if (json_is_array(json_object_get(rec, "approvers")))
			json_object_set(g, "approvers",
			                json_object_get(rec, "approvers"));
		json_object_set_new(g, "state", json_string("active"));
	} else if (strcmp(ev, "revoke") == 0 ||
	           (strcmp(ev, "denial") == 0 &&
	            json_is_true(json_object_get(rec, "counted")))) {
		json_object_set_new(g, "revoked_by", gvote(rec, ev[0] == 'r'
		                                                    ? "by"
		                                                    : "approver"));
		json_object_set_new(g, "state", json_string("revoked"));
	} else if (strcmp(ev, "denial") == 0) {
		on_gvote(g, rec);
	} else if (strcmp(ev, "expire") == 0) {
		json_object_set_new(g, "state", json_string("expired"));
	}
	return 1;
}

void report_grant_consume(struct report_data *d, const json_t *rec)
{
	const char *gid = json_string_value(json_object_get(rec, "grant"));
	json_t *g = gid && *gid ? json_object_get(d->gbyid, gid) : NULL;
	json_t *left = json_object_get(rec, "grant_uses_left");

	if (g == NULL)
		return;
	json_object_set_new(g, "used", json_integer(json_integer_value(
	                                   json_object_get(g, "used")) + 1));
	if (json_is_integer(left))
		json_object_set(g, "uses_left", left);
	json_array_append(json_object_get(g, "requests"),
	                  json_object_get(rec, "id"));
}
