/*
 * ctl_report.c — `approverctl report`: one row per request from the
 * evidence file alone, after verifying it (docs/formats/report.md).
 *
 * Invariants: the verification header always comes first and says
 * DAMAGED (exit 1) when the file did not verify — rows then cover only the
 * records before the damage; every value from the file is printed escaped
 * (table: ad_escape; CSV: control and non-ASCII bytes as \xHH, then RFC
 * 4180 quoting; JSON: ASCII-only JSON). Nothing is written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "error.h"
#include "keys.h"
#include "report.h"
#include "text.h"

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };

struct rep_args {
	double since, until;
	int has_since, has_until;
	const char *requester, *rule, *keyfile, *file;
	enum fmt fmt;
	int breakglass;  /* --breakglass: rows approved by break-glass */
	int unreviewed;  /* --unreviewed: ... without a counted review */
};

static const char *const cols[] = {
    "id",          "time",        "requester",     "sponsor",      "command",
    "argv",        "reason",      "ticket",        "rule",         "requires",
    "approved_by", "approved_at", "quorum_met_by", "denied_by",    "refused",
    "affects",     "state",       "decision",      "consumed_pid", "exit",
    "checks",      "blocked",     "breakglass",    "breakglass_by",
    "justification", "reviewed",  "reviewed_by",   "review_comment",
    "grant",       NULL,
};

/* The grants section of the table (docs/formats/report.md "Grants"). */
static const char *const gcols[] = {
    "id",       "time",     "requester", "rule",      "match",
    "uses",     "uses_left", "used",     "expires",   "approved_by",
    "approved_at", "quorum_met_by", "refused", "revoked_by", "state",
    "comment",  "requests", NULL,
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: approverctl report [--since DATE] [--until DATE] "
	        "[--requester USER]\n"
	        "                          [--rule RULE] [--breakglass] "
	        "[--unreviewed]\n"
	        "                          [--format "
	        "table|json|csv] [--host-key HOST.pub] FILE\n"
	        "  one row per request from the evidence FILE (no daemon), "
	        "after verifying it\n"
	        "  DATE         2026-11-29 or 2026-11-29T10:00:00Z (UTC); "
	        "--until DATE-only includes that day\n"
	        "  --host-key   also verify checkpoint signatures\n"
	        "  --breakglass only requests approved by break-glass\n"
	        "  --unreviewed only break-glass requests without a counted "
	        "review\n"
	        "  standing grants follow in a second table (json: \"grants\"; "
	        "csv: kind=grant)\n"
	        "exit status: 0 verified, 1 evidence DAMAGED (rows up to the "
	        "damage), 2 usage or I/O error\n");
}

/* A cell's text (malloc'ed, not escaped yet). */
static char *text_of(const json_t *v)
{
	char *s = NULL;

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v) &&
	    asprintf(&s, "%lld", (long long)json_integer_value(v)) >= 0)
		return s;
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "yes" : "no");
	if (json_is_array(v) || json_is_object(v))
		return json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII |
		                         JSON_PRESERVE_ORDER);
	return strdup("");
}

/* Append "a, b" pieces to a malloc'ed string. */
static void cat(char **acc, const char *sep, const char *piece)
{
	char *n = NULL;

	if (asprintf(&n, "%s%s%s", *acc ? *acc : "", *acc && **acc ? sep : "",
	             piece ? piece : "") < 0)
		return;
	free(*acc);
	*acc = n;
}

static char *join_strings(const json_t *arr)
{
	char *acc = strdup("");
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		cat(&acc, ", ", json_string_value(v));
	}
	return acc;
}

/* approvals/refused: "alice@TIME" or "alice: why". */
static char *join_votes(const json_t *arr, int with_why)
{
	char *acc = strdup(""), *one = NULL;
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		const char *a =
		    json_string_value(json_object_get(v, "approver"));
		const char *x = json_string_value(
		    json_object_get(v, with_why ? "why" : "time"));
		if (asprintf(&one, "%s%s%s", a ? a : "?", with_why ? ": " : "@",
		             x ? x : "") < 0)
			continue;
		cat(&acc, with_why ? "; " : ", ", one);
		free(one);
	}
	return acc;
}

static char *cell_refused(const json_t *row)
{
	const json_t *r = json_object_get(row, "refused");
	char *list = join_votes(r, 1), *s = NULL;

	if (json_array_size(r) == 0) {
		free(list);
		return strdup("0");
	}
	if (asprintf(&s, "%zu (%s)", json_array_size(r), list ? list : "") < 0)
		s = NULL;
	free(list);
	return s;
}

static char *cell_denied(const json_t *row)
{
	const json_t *v = json_object_get(row, "denied_by");
	const char *a = json_string_value(json_object_get(v, "approver"));
	const char *t = json_string_value(json_object_get(v, "time"));
	const char *w = json_string_value(json_object_get(v, "why"));
	char *s = NULL;

	if (!a)
		return strdup("");
	if (asprintf(&s, "%s@%s: %s", a, t ? t : "", w ? w : "") < 0)
		s = NULL;
	return s;
}

static char *cell_exit(const json_t *row)
{
	const json_t *sig = json_object_get(row, "signal");
	char *s = NULL;

	if (json_is_integer(sig) &&
	    asprintf(&s, "signal %lld", (long long)json_integer_value(sig)) >=
	        0)
		return s;
	return text_of(json_object_get(row, "exit_status"));
}

static char *cell_checks(const json_t *row)
{
	char *acc = strdup(""), *one = NULL;
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(row, "checks"), i, c)
	{
		const char *k = json_string_value(json_object_get(c, "kind"));
		const char *r = json_string_value(json_object_get(c, "result"));
		if (asprintf(&one, "%s:%s", k ? k : "?", r ? r : "?") < 0)
			continue;
		cat(&acc, ", ", one);
		free(one);
	}
	return acc;
}

/* revoked_by of a grant: "name@TIME". */
static char *cell_revoked(const json_t *row)
{
	const json_t *v = json_object_get(row, "revoked_by");
	const char *a = json_string_value(json_object_get(v, "approver"));
	const char *t = json_string_value(json_object_get(v, "time"));
	char *s = NULL;

	if (!a && !t)
		return strdup("");
	if (asprintf(&s, "%s@%s", a ? a : "root", t ? t : "") < 0)
		s = NULL;
	return s;
}

/* A grant row under a request column (CSV): match as the command,
 * comment as the reason; "kind" says which it is. */
static const char *grant_alias(const char *col)
{
	if (strcmp(col, "command") == 0)
		return "match";
	if (strcmp(col, "reason") == 0)
		return "comment";
	return col;
}

static char *cell(const json_t *row, const char *col)
{
	int grant = json_object_get(row, "kind") != NULL;

	if (strcmp(col, "kind") == 0)
		return strdup(grant ? "grant" : "request");
	if (grant)
		col = grant_alias(col);
	if (strcmp(col, "revoked_by") == 0)
		return cell_revoked(row);
	if (strcmp(col, "requests") == 0)
		return join_strings(json_object_get(row, "requests"));
	if (strcmp(col, "approved_by") == 0)
		return join_votes(json_object_get(row, "approvals"), 0);
	if (strcmp(col, "quorum_met_by") == 0 || strcmp(col, "affects") == 0)
		return join_strings(json_object_get(
		    row, col[0] == 'q' ? "approvers" : "affects"));
	if (strcmp(col, "refused") == 0)
		return cell_refused(row);
	if (strcmp(col, "denied_by") == 0)
		return cell_denied(row);
	if (strcmp(col, "exit") == 0)
		return cell_exit(row);
	if (strcmp(col, "checks") == 0)
		return cell_checks(row);
	return text_of(json_object_get(row, col));
}

/* CSV field: backslash doubled, control and non-ASCII bytes as \xHH, then
 * quoted (quotes doubled) when it holds a comma, quote or space. */
static void put_csv(const char *s)
{
	int q = strpbrk(s, ",\" ") != NULL;

	if (q)
		putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", stdout);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\x%02x", *p);
		else if (*p == '"')
			fputs("\"\"", stdout);
		else
			putchar(*p);
	}
	if (q)
		putchar('"');
}

static void put_row(const json_t *row, enum fmt fmt,
                    const char *const *cs)
{
	for (size_t i = 0; cs[i]; i++) {
		char *v = cell(row, cs[i]), *e;
		if (i)
			fputs(fmt == FMT_CSV ? "," : " | ", stdout);
		if (fmt == FMT_CSV) {
			put_csv(v ? v : "");
		} else {
			e = ad_escape(v ? v : "");
			fputs(e ? e : "?", stdout);
			free(e);
		}
		free(v);
	}
	if (fmt == FMT_CSV) {
		fputs(",", stdout);
		put_csv(json_object_get(row, "kind") ? "grant" : "request");
	}
	putchar('\n');
}

static void header(FILE *f, const struct rep_args *a,
                   const struct report_data *d)
{
	const struct ad_verify_report *v = &d->vr;
	char *file = ad_escape(a->file), *why = ad_escape(v->why);

	if (d->damaged)
		fprintf(f,
		        "# evidence %s: DAMAGED at seq %llu (line %llu): %s; "
		        "rows cover only the first %llu record(s)\n",
		        file ? file : "?", (unsigned long long)v->bad_seq,
		        (unsigned long long)v->bad_line, why ? why : "?",
		        (unsigned long long)d->records);
	else
		fprintf(f,
		        "# evidence %s: verified (%s): %llu records, %llu "
		        "checkpoints, %llu record(s) after the last "
		        "checkpoint\n",
		        file ? file : "?",
		        v->signatures_checked
		            ? "chain and checkpoint signatures "
		              "with the host key"
		            : "chain only, no --host-key",
		        (unsigned long long)v->records,
		        (unsigned long long)v->checkpoints,
		        (unsigned long long)v->uncovered);
	free(file);
	free(why);
}

static int wanted(const json_t *row, const struct rep_args *a)
{
	const char *req = json_string_value(json_object_get(row, "requester"));
	const char *rule = json_string_value(json_object_get(row, "rule"));
	double t;

	if (a->requester && (!req || strcmp(req, a->requester) != 0))
		return 0;
	if (a->rule && (!rule || strcmp(rule, a->rule) != 0))
		return 0;
	if ((a->breakglass || a->unreviewed) &&
	    !json_is_true(json_object_get(row, "breakglass")))
		return 0;
	if (a->unreviewed &&
	    strcmp(json_string_value(json_object_get(row, "reviewed")), "no"))
		return 0;
	if (!a->has_since && !a->has_until)
		return 1;
	if (report_parse_time(&t,
	                      json_string_value(json_object_get(row, "time"))))
		return 0;
	return (!a->has_since || t >= a->since) &&
	       (!a->has_until || t < a->until);
}

/* The grants the filters keep (none with --breakglass/--unreviewed). */
static json_t *grants_of(const struct rep_args *a,
                         const struct report_data *d)
{
	json_t *sel = json_array(), *g;
	size_t i;

	if (sel == NULL || a->breakglass || a->unreviewed)
		return sel;
	json_array_foreach(d->grants, i, g)
	{
		if (wanted(g, a))
			json_array_append(sel, g);
	}
	return sel;
}

static void print_json(const struct rep_args *a, const struct report_data *d,
                       json_t *sel)
{
	const struct ad_verify_report *v = &d->vr;
	json_t *o = json_pack(
	    "{s:s, s:{s:b, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:s}, s:O}",
	    "file", a->file, "evidence", "verified", !d->damaged, "damaged",
	    d->damaged, "signatures_checked", v->signatures_checked, "records",
	    (json_int_t)v->records, "checkpoints", (json_int_t)v->checkpoints,
	    "uncovered", (json_int_t)v->uncovered, "bad_seq",
	    (json_int_t)v->bad_seq, "bad_line", (json_int_t)v->bad_line, "why",
	    v->why, "requests", sel);
	json_t *g = grants_of(a, d);

	if (o != NULL && g != NULL)
		json_object_set(o, "grants", g);
	json_decref(g);
	char *s = o ? json_dumps(o, JSON_INDENT(1) | JSON_ENSURE_ASCII |
	                                JSON_PRESERVE_ORDER)
	            : NULL;

	printf("%s\n", s ? s : "{\"error\":\"out of memory\"}");
	free(s);
	json_decref(o);
}

static void put_head(const char *const *cs, enum fmt fmt)
{
	for (size_t i = 0; cs[i]; i++)
		printf(i ? (fmt == FMT_CSV ? ",%s" : " | %s") : "%s", cs[i]);
	if (fmt == FMT_CSV)
		fputs(",kind", stdout);
	putchar('\n');
}

/* Table: a second section; CSV: more rows under the same columns. */
static void print_grants(const struct rep_args *a,
                         const struct report_data *d)
{
	json_t *sel = grants_of(a, d), *g;
	size_t i;

	if (json_array_size(sel) > 0 && a->fmt == FMT_TABLE) {
		printf("\n# grants\n");
		put_head(gcols, a->fmt);
	}
	json_array_foreach(sel, i, g)
	{
		put_row(g, a->fmt, a->fmt == FMT_CSV ? cols : gcols);
	}
	json_decref(sel);
}

static void print_report(const struct rep_args *a, const struct report_data *d)
{
	json_t *sel = json_array(), *row;
	size_t i;

	json_array_foreach(d->rows, i, row)
	{
		if (wanted(row, a))
			json_array_append(sel, row);
	}
	if (a->fmt == FMT_JSON) {
		print_json(a, d, sel);
	} else {
		header(a->fmt == FMT_CSV ? stderr : stdout, a, d);
		put_head(cols, a->fmt);
		json_array_foreach(sel, i, row)
		{
			put_row(row, a->fmt, cols);
		}
		print_grants(a, d);
	}
	json_decref(sel);
}

static int set_opt(struct rep_args *a, int ch, const char *arg)
{
	switch (ch) {
	case 's':
		a->has_since = 1;
		return report_parse_date(&a->since, arg, 0);
	case 'u':
		a->has_until = 1;
		return report_parse_date(&a->until, arg, 1);
	case 'r':
		a->requester = arg;
		return 0;
	case 'R':
		a->rule = arg;
		return 0;
	case 'k':
		a->keyfile = arg;
		return 0;
	case 'f':
		a->fmt = strcmp(arg, "csv") == 0    ? FMT_CSV
		         : strcmp(arg, "json") == 0 ? FMT_JSON
		                                    : FMT_TABLE;
		return strcmp(arg, "csv") && strcmp(arg, "json") &&
		               strcmp(arg, "table")
		           ? AD_ERR_INVALID
		           : 0;
	default:
		return AD_ERR_INVALID;
	}
}

static void bad_value(int ch, const char *arg)
{
	const char *opt = ch == 's'   ? "--since"
	                  : ch == 'u' ? "--until"
	                  : ch == 'f' ? "--format"
	                              : "option";
	char *why = NULL;

	if (asprintf(&why, "invalid value '%s' (see --help)", arg) < 0)
		why = NULL;
	report_complain("report", opt, why ? why : "invalid value");
	free(why);
}

/* -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct rep_args *a)
{
	static const struct option lo[] = {
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"requester", required_argument, NULL, 'r'},
	    {"rule", required_argument, NULL, 'R'},
	    {"format", required_argument, NULL, 'f'},
	    {"host-key", required_argument, NULL, 'k'},
	    {"breakglass", no_argument, NULL, 'B'},
	    {"unreviewed", no_argument, NULL, 'U'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch, idx;

	while ((ch = getopt_long(argc, argv, "s:u:r:R:f:k:h", lo, &idx)) !=
	       -1) {
		if (ch == 'h') {
			usage(stdout);
			return CTL_EXIT_OK;
		}
		if (ch == 'B' || ch == 'U') {
			*(ch == 'B' ? &a->breakglass : &a->unreviewed) = 1;
			continue;
		}
		if (ch == '?' || set_opt(a, ch, optarg) != 0) {
			if (ch != '?')
				bad_value(ch, optarg);
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	a->file = argv[optind];
	return -1;
}

int ctl_report(int argc, char **argv)
{
	struct rep_args a;
	struct report_data d;
	uint8_t pk[AD_PK_LEN];
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = parse(argc, argv, &a)) >= 0)
		return rc;
	if (a.keyfile && report_host_key(pk, a.keyfile, "report") != 0)
		return CTL_EXIT_USAGE;
	if (report_load(&d, a.file, a.keyfile ? pk : NULL, "report") != 0) {
		report_free(&d);
		return CTL_EXIT_USAGE;
	}
	print_report(&a, &d);
	rc = d.damaged ? CTL_EXIT_REFUSED : CTL_EXIT_OK;
	report_free(&d);
	return rc;
}
