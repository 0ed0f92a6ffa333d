/*
 * ctl_metrics.c — `approverctl metrics`: Prometheus text exposition of an
 * evidence file for node_exporter's textfile collector
 * (docs/formats/report.md).
 *
 * Invariants: every sample has HELP and TYPE lines before it; label values
 * are escaped per the exposition format (\\, \", \n) and any other control
 * or non-ASCII byte is written as \xHH inside the label; the file is
 * verified first and approverd_evidence_verified says whether it did.
 * Nothing is written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "error.h"
#include "keys.h"
#include "report.h"

static const double buckets[] = {60, 300, 900, 1800, 3600, 14400, 86400};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: approverctl metrics [--host-key HOST.pub] FILE\n"
	           "  Prometheus text format for node_exporter's textfile "
	           "collector,\n"
	           "  from the evidence FILE alone (no daemon)\n"
	           "exit status: 0 printed (approverd_evidence_verified says "
	           "whether it verified),\n"
	           "             2 usage or I/O error\n");
}

static void head(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_label(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
	     p++) {
		if (*p == '\\' || *p == '"')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static const char *sget(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void by_state(const struct report_data *d)
{
	static const char *const states[] = {"pending",   "allowed",  "denied",
	                                     "approved",  "consumed", "expired",
	                                     "withdrawn", NULL};
	size_t i, n;
	json_t *row;

	head("approverd_requests", "gauge",
	     "Requests in the evidence file by current state.");
	for (size_t s = 0; states[s]; s++) {
		n = 0;
		json_array_foreach(d->rows, i, row)
		{
			n += strcmp(sget(row, "state"), states[s]) == 0;
		}
		printf("approverd_requests{state=\"%s\"} %zu\n", states[s], n);
	}
	n = 0;
	json_array_foreach(d->rows, i, row)
	{
		n += strcmp(sget(row, "state"), "pending") == 0;
	}
	head("approverd_pending_requests", "gauge",
	     "Requests without a final event (no decision yet).");
	printf("approverd_pending_requests %zu\n", n);
}

/* One sample per (outcome, rule) pair, counted over the rows. */
static void decisions(const struct report_data *d)
{
	json_t *seen = json_object(), *row, *v;
	const char *key;
	size_t i;
	char *k = NULL;

	json_array_foreach(d->rows, i, row)
	{
		if (!*sget(row, "decision"))
			continue;
		if (asprintf(&k, "%s\n%s", sget(row, "decision"),
		             sget(row, "rule")) < 0)
			continue;
		v = json_object_get(seen, k);
		json_object_set_new(seen, k,
		                    json_integer(json_integer_value(v) + 1));
		free(k);
	}
	head("approverd_decisions_total", "counter",
	     "Decided requests by outcome and policy rule.");
	json_object_foreach(seen, key, v)
	{
		const char *nl = strchr(key, '\n');
		char *outcome = strndup(key, (size_t)(nl - key));
		fputs("approverd_decisions_total{outcome=", stdout);
		put_label(outcome ? outcome : "?");
		fputs(",rule=", stdout);
		put_label(nl + 1);
		printf("} %lld\n", (long long)json_integer_value(v));
		free(outcome);
	}
	json_decref(seen);
}

static void latency(const struct report_data *d)
{
	size_t i, count = 0, in[NBUCKETS] = {0};
	double sum = 0, t0, t1;
	json_t *row;

	json_array_foreach(d->rows, i, row)
	{
		if (report_parse_time(&t0, sget(row, "time")) ||
		    report_parse_time(&t1, sget(row, "approved_at")))
			continue;
		count++;
		sum += t1 - t0;
		for (size_t b = 0; b < NBUCKETS; b++)
			in[b] += t1 - t0 <= buckets[b];
	}
	head("approverd_approval_latency_seconds", "histogram",
	     "Seconds from request to approved (quorum met).");
	for (size_t b = 0; b < NBUCKETS; b++)
		printf("approverd_approval_latency_seconds_bucket{le=\"%g\"} "
		       "%zu\n",
		       buckets[b], in[b]);
	printf("approverd_approval_latency_seconds_bucket{le=\"+Inf\"} %zu\n"
	       "approverd_approval_latency_seconds_sum %.6f\n"
	       "approverd_approval_latency_seconds_count %zu\n",
	       count, sum, count);
}

static void refused(const struct report_data *d)
{
	size_t i, n = 0;
	json_t *row;

	json_array_foreach(d->rows, i, row)
	{
		n += json_array_size(json_object_get(row, "refused"));
	}
	head("approverd_refused_votes_total", "counter",
	     "Signed tokens (approvals, denials, break-glass, reviews) "
	     "that were not counted.");
	printf("approverd_refused_votes_total %zu\n", n);
}

/* governance.md §3: break-glass approvals, and those not reviewed yet. */
static void breakglass(const struct report_data *d)
{
	size_t i, n = 0, open = 0;
	json_t *row;

	json_array_foreach(d->rows, i, row)
	{
		if (!json_is_true(json_object_get(row, "breakglass")))
			continue;
		n++;
		open += strcmp(sget(row, "reviewed"), "no") == 0;
	}
	head("approverd_breakglass_total", "counter",
	     "Requests approved by break-glass.");
	printf("approverd_breakglass_total %zu\n", n);
	head("approverd_breakglass_unreviewed", "gauge",
	     "Break-glass approvals without a counted review.");
	printf("approverd_breakglass_unreviewed %zu\n", open);
}

static void evidence(const struct report_data *d)
{
	struct timespec now;
	double t;

	head("approverd_evidence_records", "gauge",
	     "Evidence records that verified (before any damage).");
	printf("approverd_evidence_records %llu\n",
	       (unsigned long long)d->records);
	head("approverd_evidence_bytes", "gauge",
	     "Bytes of those records, newlines included.");
	printf("approverd_evidence_bytes %llu\n", (unsigned long long)d->bytes);
	head("approverd_evidence_uncovered_records", "gauge",
	     "Records after the last checkpoint (not signed yet).");
	printf("approverd_evidence_uncovered_records %llu\n",
	       (unsigned long long)d->vr.uncovered);
	head("approverd_evidence_verified", "gauge",
	     "1 if the evidence file verified (signatures too with "
	     "--host-key), else 0.");
	printf("approverd_evidence_verified %d\n", d->damaged ? 0 : 1);
	if (report_parse_time(&t, d->last_ckpt_time) != 0)
		return; /* no checkpoint: no age sample */
	clock_gettime(CLOCK_REALTIME, &now);
	head("approverd_evidence_last_checkpoint_age_seconds", "gauge",
	     "Seconds since the last checkpoint's time.");
	printf("approverd_evidence_last_checkpoint_age_seconds %.3f\n",
	       (double)now.tv_sec + now.tv_nsec / 1e9 - t);
}

int ctl_metrics(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"host-key", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct report_data d;
	const char *keyfile = NULL;
	uint8_t pk[AD_PK_LEN];
	int ch;

	while ((ch = getopt_long(argc, argv, "k:h", lo, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			return CTL_EXIT_OK;
		}
		if (ch != 'k') {
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
		keyfile = optarg;
	}
	if (optind != argc - 1) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (keyfile && report_host_key(pk, keyfile, "metrics") != 0)
		return CTL_EXIT_USAGE;
	if (report_load(&d, argv[optind], keyfile ? pk : NULL, "metrics")) {
		report_free(&d);
		return CTL_EXIT_USAGE;
	}
	by_state(&d);
	decisions(&d);
	latency(&d);
	refused(&d);
	breakglass(&d);
	evidence(&d);
	report_free(&d);
	return CTL_EXIT_OK;
}
