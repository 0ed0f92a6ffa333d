/*
 * bench_evgen — write an evidence file of N records shaped like the
 * daemon's own (approverd/daemon/create.c, submit.c, ops.c): cycles of
 * request (with the full request object and its digests), approval
 * (counted, with token_hash), approved, consume and result, a signed
 * checkpoint every CKPT records, as approverd writes with the default
 * checkpoint_every. Every request is consumed, so a daemon replaying the
 * file starts with nothing pending.
 *
 *   bench_evgen EVIDENCE HOSTKEY N [CKPT]
 *
 * HOSTKEY is created when missing (ad_hostkey_load_or_create, HOSTKEY.pub
 * next to it), so a daemon configured with the same host_key opens the
 * file. Records are written in batches and synced every 1000 records (the
 * file is a benchmark fixture, not evidence).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bench.h"
#include "error.h"
#include "evidence.h"
#include "keys.h"
#include "request.h"
#include "safefile.h"

#define H "bench_evgen"

struct gen {
	struct ad_evidence *ev;
	uint64_t n, ckpt, now;
	uint64_t seq;   /* last record written (durable or not) */
	uint64_t since; /* records written since the last checkpoint */
	uint32_t i;
};

static void put(struct gen *g, json_t *rec)
{
	/* ad_evidence_seq/uncovered count durable records only: count here */
	if (rec == NULL || ad_evidence_write(g->ev, rec, &g->seq, NULL) != 0)
		bench_die(H, "writing record %llu failed",
		          (unsigned long long)g->seq + 1);
	json_decref(rec);
	if (++g->since % 1000 == 0 && ad_evidence_sync(g->ev) != 0)
		bench_die(H, "sync failed");
	if (g->since >= g->ckpt) {
		if (ad_evidence_sync(g->ev) != 0 ||
		    ad_evidence_checkpoint(g->ev, &g->seq) != 0)
			bench_die(H, "checkpoint failed");
		g->since = 0;
	}
}

static void fill_request(struct ad_request *r, const struct gen *g)
{
	char arg[32];
	static char *av[] = {"/usr/bin/systemctl", "restart", NULL, NULL};

	ad_request_init(r);
	snprintf(arg, sizeof(arg), "nginx@%u", g->i);
	av[2] = arg;
	r->requester = strdup("ai-deploy");
	r->uid = 2001;
	r->host = strdup("benchhost");
	r->service = strdup("sudo");
	r->runas_user = strdup("root");
	r->runas_groups = strdup("0");
	r->command = strdup(av[0]);
	r->exe_hash = strdup("9f86d081884c7d659a2feaa0c55ad015"
	                     "a3bf4f1b2b0b822cd15d6c15b0f00a08");
	r->argv.n = 3;
	r->argv.v = calloc(4, sizeof(char *));
	for (size_t k = 0; r->argv.v && k < 3; k++)
		r->argv.v[k] = strdup(av[k]);
	r->cwd = strdup("/home/ai-deploy");
	r->reason = strdup("deploy release 2026.11.29");
	r->ticket = strdup("CHG-4711");
	r->agent = strdup("deploy-bot/1.4");
	r->tty = strdup("/dev/pts/3");
	r->rule = strdup("restart-web");
	r->created_us = g->now * 1000000u + g->i;
	snprintf(r->id, sizeof(r->id), "R-%04X-%04X", (g->i >> 16) & 0xffff,
	         g->i & 0xffff);
	if (r->argv.v == NULL || ad_request_complete(r) != 0)
		bench_die(H, "out of memory");
}

static json_t *request_rec(const struct gen *g, char dh[AD_DIGEST_HEX])
{
	uint8_t d[AD_DIGEST_LEN], e[AD_DIGEST_LEN];
	char eh[AD_DIGEST_HEX];
	struct ad_request r;
	json_t *rec;

	fill_request(&r, g);
	if (ad_request_digest(d, &r) != 0 || ad_exec_digest(e, &r) != 0)
		bench_die(H, "digest failed");
	ad_digest_hex(dh, d);
	ad_digest_hex(eh, e);
	rec = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:o,"
	    " s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s,s], s:s, s:i, s:I,"
	    " s:s, s:s, s:o}",
	    "event", "request", "id", r.id, "digest", dh, "exec_digest", eh,
	    "requester", r.requester, "uid", 2001, "sponsor", r.sponsor, "host",
	    r.host, "service", r.service, "runas", r.runas_user, "command",
	    r.command, "argv",
	    json_pack("[s,s,s]", r.argv.v[0], r.argv.v[1], r.argv.v[2]),
	    "exe_hash", r.exe_hash, "cwd", r.cwd, "reason", r.reason, "ticket",
	    r.ticket, "rollback", r.rollback, "agent", r.agent, "rule", r.rule,
	    "affects", "nginx", "web-frontend", "requires",
	    "1 approval from role sre", "max_ttl", 1800, "expires",
	    (json_int_t)(g->now + 1800), "state", "pending", "why", "",
	    "request", ad_request_to_json(&r));
	ad_request_free(&r);
	return rec;
}

static void cycle(struct gen *g)
{
	char dh[AD_DIGEST_HEX], id[AD_ID_MAX], th[AD_DIGEST_HEX];
	uint8_t tok[AD_DIGEST_LEN];

	snprintf(id, sizeof(id), "R-%04X-%04X", (g->i >> 16) & 0xffff,
	         g->i & 0xffff);
	randombytes_buf(tok, sizeof(tok));
	ad_digest_hex(th, tok);
	put(g, request_rec(g, dh));
	put(g, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:i, s:b, s:s,"
	                 " s:i, s:s}",
	                 "event", "approval", "id", id, "approver", "alice",
	                 "user", "alice", "key_id", "0123456789abcdef",
	                 "not_after", (json_int_t)(g->now + 900), "comment",
	                 "ok", "submitter_uid", 2101, "counted", 1, "why", "",
	                 "uses", 1, "token_hash", th));
	put(g, json_pack("{s:s, s:s, s:[s], s:I, s:i}", "event", "approved",
	                 "id", id, "approvers", "alice", "not_after",
	                 (json_int_t)(g->now + 900), "uses", 1));
	put(g, json_pack("{s:s, s:s, s:i}", "event", "consume", "id", id, "pid",
	                 4242));
	put(g, json_pack("{s:s, s:s, s:i}", "event", "result", "id", id,
	                 "exit_status", 0));
	g->i++;
}

int main(int argc, char **argv)
{
	struct gen g = {.ckpt = 1000, .now = (uint64_t)time(NULL)};
	struct ad_evidence_info info;
	struct ad_seckey *hk = NULL;
	char why[AD_WHY_MAX], err[512];

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: %s EVIDENCE HOSTKEY N [CKPT]\n", H);
		return 2;
	}
	g.n = bench_arg_u32(H, "N", argv[3], 1, 100000000);
	if (argc == 5)
		g.ckpt = bench_arg_u32(H, "CKPT", argv[4], 1, 1000000);
	if (sodium_init() < 0 ||
	    ad_hostkey_load_or_create(&hk, argv[2], &ad_trust_root, why) != 0)
		bench_die(H, "host key %s: %s", argv[2], why);
	if (ad_evidence_open(&g.ev, argv[1], hk->sk, hk->pub.pk, &info, err,
	                     sizeof(err)) != 0)
		bench_die(H, "%s", err);
	while (g.seq + 6 <= g.n)
		cycle(&g);
	if (ad_evidence_sync(g.ev) != 0 ||
	    ad_evidence_checkpoint(g.ev, NULL) != 0)
		bench_die(H, "final checkpoint failed");
	printf("evgen_records %llu\n",
	       (unsigned long long)ad_evidence_seq(g.ev));
	ad_evidence_close(g.ev);
	ad_seckey_free(hk);
	return 0;
}
