/*
 * test_evidence.c — the evidence log (DESIGN.md §4.1, §4.6, §6) on real
 * files: round trip, exact line format, checkpoint signatures, mutation
 * (every byte flipped, every truncation, deletions, swaps, re-chained
 * forgeries), torn-tail recovery, ENOSPC on a real tiny tmpfs, the syslog
 * form, and the approverctl CLI (fork/exec of $APPROVERD_BUILD/approverctl).
 *
 * `test_evidence --fixture DIR` writes the fixtures that
 * tests/integration/t_evidence_cli.sh checks the CLI against.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "evidence.h"
#include "evidence_int.h"
#include "keys.h"

static char dir[64];
static uint8_t host_pk[crypto_sign_PUBLICKEYBYTES];
static uint8_t host_sk[crypto_sign_SECRETKEYBYTES];
static uint8_t other_pk[crypto_sign_PUBLICKEYBYTES];

/* ---------- helpers ---------- */

static void test_clock(void *arg, struct timespec *ts)
{
	unsigned *n = arg;
	ts->tv_sec = 1795941062 + (*n)++; /* 2026-11-29T08:31:02Z */
	ts->tv_nsec = 123456789;
}

static char *path_of(const char *name)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void spit(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static json_t *sample_record(unsigned i)
{
	static const char *const ev[] = {"request", "approval", "approved",
	                                 "consume", "result"};
	char id[32];

	snprintf(id, sizeof(id), "R-%04X-%04X", i, i * 7);
	return json_pack("{s:s, s:s, s:s, s:[sss], s:s, s:i}", "event",
	                 ev[i % 5], "id", id, "requester", "ai-deploy", "argv",
	                 "/usr/bin/systemctl", "restart", "nginx", "reason",
	                 "deploy \"v2\"\n\x1b[31mred", "uid", 1001 + (int)i);
}

/* A log of n records with a checkpoint after every cp_every, ending with a
 * checkpoint. Returns the number of lines. */
static unsigned gen_log(const char *path, unsigned n, unsigned cp_every)
{
	struct ad_evidence *ev;
	struct ad_evidence_info info;
	char err[512];
	unsigned clk = 0, lines = 0;

	unlink(path);
	assert_int_equal(ad_evidence_open(&ev, path, host_sk, host_pk, &info,
	                                  err, sizeof(err)),
	                 0);
	ad_evidence_set_clock(ev, test_clock, &clk);
	for (unsigned i = 0; i < n; i++) {
		json_t *rec = sample_record(i);
		assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL), 0);
		json_decref(rec);
		lines++;
		if ((i + 1) % cp_every == 0 || i + 1 == n) {
			assert_int_equal(ad_evidence_checkpoint(ev, NULL), 0);
			lines++;
		}
	}
	ad_evidence_close(ev);
	return lines;
}

/* Offsets of the starts of each line (and one past the end). */
static size_t line_starts(const char *buf, size_t len, size_t *starts,
                          size_t max)
{
	size_t n = 0;
	starts[n++] = 0;
	for (size_t i = 0; i < len && n < max; i++)
		if (buf[i] == '\n')
			starts[n++] = i + 1;
	return n - 1; /* number of complete lines */
}

static int verify_file(const char *path, const uint8_t *pk,
                       struct ad_verify_report *rep)
{
	return ad_evidence_verify(path, pk, rep);
}

/* ---------- round trip and format ---------- */

struct collect {
	unsigned n;
	char events[64][16];
	uint64_t seqs[64];
};

static int collect_cb(void *arg, const json_t *rec)
{
	struct collect *c = arg;
	if (c->n >= 64)
		return -100;
	snprintf(c->events[c->n], 16, "%s",
	         json_string_value(json_object_get(rec, "event")));
	c->seqs[c->n++] =
	    (uint64_t)json_integer_value(json_object_get(rec, "seq"));
	return 0;
}

static void test_roundtrip(void **state)
{
	const char *p = path_of("rt.log");
	struct ad_evidence *ev;
	struct ad_evidence_info info;
	struct ad_verify_report rep;
	struct collect c = {0};
	char err[512], hash[AD_EVIDENCE_HASH_HEX], head[AD_EVIDENCE_HASH_HEX];
	uint64_t seq;
	unsigned clk = 0;
	json_t *rec;

	unlink(p);
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, NULL, &info, err, sizeof(err)),
	    0);
	assert_true(info.created);
	assert_int_equal(info.records, 0);
	ad_evidence_set_clock(ev, test_clock, &clk);
	for (unsigned i = 0; i < 3; i++) {
		rec = sample_record(i);
		assert_int_equal(ad_evidence_append(ev, rec, &seq, hash), 0);
		assert_int_equal(seq, i + 1);
		json_decref(rec);
	}
	/* group commit: two writes, one sync */
	rec = json_pack("{s:s, s:s, s:s}", "event", "expire", "id", "R-1",
	                "why", "ttl");
	assert_int_equal(ad_evidence_write(ev, rec, &seq, NULL), 0);
	assert_int_equal(seq, 4);
	assert_int_equal(ad_evidence_seq(ev), 3); /* not durable yet */
	assert_int_equal(ad_evidence_write(ev, rec, &seq, NULL), 0);
	assert_int_equal(ad_evidence_sync(ev), 0);
	assert_int_equal(ad_evidence_seq(ev), 5);
	json_decref(rec);
	assert_int_equal(ad_evidence_uncovered(ev), 5);
	assert_int_equal(ad_evidence_checkpoint(ev, &seq), 0);
	assert_int_equal(seq, 6);
	assert_int_equal(ad_evidence_uncovered(ev), 0);
	ad_evidence_head(ev, head);
	ad_evidence_close(ev);

	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, host_pk, &info, err, sizeof(err)),
	    0);
	assert_false(info.created);
	assert_false(info.recovered);
	assert_int_equal(info.records, 6);
	assert_int_equal(info.checkpoints, 1);
	assert_string_equal(info.head, head);
	ad_evidence_close(ev);

	assert_int_equal(ad_evidence_replay(p, collect_cb, &c, host_pk, &rep),
	                 0);
	assert_int_equal(c.n, 6);
	assert_string_equal(c.events[0], "request");
	assert_string_equal(c.events[3], "expire");
	assert_string_equal(c.events[5], "checkpoint");
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(c.seqs[i], i + 1);
	assert_int_equal(verify_file(p, host_pk, &rep), 0);
	assert_int_equal(rep.records, 6);
	assert_int_equal(rep.checkpoints, 1);
	assert_int_equal(rep.uncovered, 0);
	assert_string_equal(rep.head, head);
	/* another host's key: the checkpoint is rejected */
	assert_int_equal(verify_file(p, other_pk, &rep), AD_ERR_CHECKPOINT);
	assert_int_equal(rep.bad_seq, 6);
}

static void test_line_format(void **state)
{
	const char *p = path_of("fmt.log");
	uint8_t h[AD_EVIDENCE_HASH_LEN], msg[AD_EV_SIGMSG_MAX], sig[64];
	char hex[AD_EVIDENCE_HASH_HEX], want[512];
	size_t len, starts[8], m = 0;
	char *buf;
	json_t *cp;

	gen_log(p, 1, 1);
	buf = slurp(p, &len);
	assert_int_equal(line_starts(buf, len, starts, 8), 2);
	snprintf(
	    want, sizeof(want),
	    "{\"seq\":1,\"time\":\"2026-11-29T08:31:02.123456Z\","
	    "\"event\":\"request\",\"prev\":\"%064d\",\"id\":\"R-0000-0000\","
	    "\"requester\":\"ai-deploy\",\"argv\":[\"/usr/bin/systemctl\","
	    "\"restart\",\"nginx\"],\"reason\":\"deploy \\\"v2\\\"\\n"
	    "\\u001B[31mred\",\"uid\":1001}\n",
	    0);
	assert_int_equal(strncmp(buf, want, starts[1]), 0);
	assert_int_equal(strlen(want), starts[1]);
	/* line 2's prev is BLAKE2b-256 of line 1 without its newline */
	crypto_generichash(h, sizeof(h), (const uint8_t *)buf, starts[1] - 1,
	                   NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	cp = json_loadb(buf + starts[1], starts[2] - starts[1] - 1, 0, NULL);
	assert_non_null(cp);
	assert_string_equal(json_string_value(json_object_get(cp, "prev")),
	                    hex);
	assert_string_equal(json_string_value(json_object_get(cp, "head")),
	                    hex);
	assert_int_equal(json_integer_value(json_object_get(cp, "count")), 1);
	assert_string_equal(json_string_value(json_object_get(cp, "time")),
	                    "2026-11-29T08:31:03.123456Z");
	/* the signed bytes, built by hand from docs/formats/evidence.md */
	memcpy(msg, "approverd-checkpoint-v1", 24); /* includes the NUL */
	m = 24;
	memcpy(msg + m, "\0\0\0\0\0\0\0\1", 8);
	m += 8;
	memcpy(msg + m, h, 32);
	m += 32;
	memcpy(msg + m,
	       "\0\0\0\x1b"
	       "2026-11-29T08:31:03.123456Z",
	       31);
	m += 31;
	memcpy(msg + m, host_pk, 32);
	m += 32;
	assert_int_equal(
	    sodium_hex2bin(sig, 64,
	                   json_string_value(json_object_get(cp, "signature")),
	                   128, NULL, NULL, NULL),
	    0);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, m, host_pk), 0);
	msg[30] ^= 1; /* count 1 -> 0: must not verify */
	assert_int_not_equal(crypto_sign_verify_detached(sig, msg, m, host_pk),
	                     0);
	json_decref(cp);
	free(buf);
}

static void test_append_rejects(void **state)
{
	const char *p = path_of("rej.log");
	struct ad_evidence *ev;
	char err[512], *big;
	struct stat st;
	json_t *rec;

	unlink(p);
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, host_pk, NULL, err, sizeof(err)),
	    0);
	rec = json_pack("{s:s}", "id", "R-1"); /* no event */
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL),
	                 AD_ERR_INVALID);
	json_decref(rec);
	rec = json_pack("{s:s}", "event", "party"); /* unknown */
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL),
	                 AD_ERR_INVALID);
	json_decref(rec);
	rec = json_pack("{s:s, s:i}", "event", "checkpoint", "count", 0);
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL),
	                 AD_ERR_INVALID);
	json_decref(rec);
	rec = json_pack("{s:s, s:i}", "event", "start", "seq",
	                9); /* header key */
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL),
	                 AD_ERR_INVALID);
	json_decref(rec);
	rec = json_pack("{s:s, s:s}", "event", "start", "hash", "x");
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL),
	                 AD_ERR_INVALID); /* reserved for the syslog form */
	json_decref(rec);
	big = malloc(AD_EVIDENCE_LINE_MAX);
	assert_non_null(big);
	memset(big, 'a', AD_EVIDENCE_LINE_MAX - 1);
	big[AD_EVIDENCE_LINE_MAX - 1] = '\0';
	rec = json_pack("{s:s, s:s}", "event", "start", "version", big);
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL),
	                 AD_ERR_TOOBIG);
	json_decref(rec);
	free(big);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 0); /* nothing was written */
	assert_int_equal(ad_evidence_seq(ev), 0);
	ad_evidence_close(ev);
	/* a secret key that does not match the public key is refused */
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, other_pk, NULL, err, sizeof(err)),
	    AD_ERR_INVALID);
	assert_null(ev);
	assert_non_null(strstr(err, "does not match"));
}

static int stop_at_3(void *arg, const json_t *rec)
{
	unsigned *n = arg;
	return ++*n == 3 ? -77 : 0;
}

static void test_replay_and_lock(void **state)
{
	const char *p = path_of("lock.log");
	struct ad_evidence *ev, *ev2;
	struct ad_verify_report rep;
	char err[512];
	unsigned n = 0;

	gen_log(p, 5, 10);
	assert_int_equal(ad_evidence_replay(p, stop_at_3, &n, host_pk, &rep),
	                 -77);
	assert_int_equal(n, 3);
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, host_pk, NULL, err, sizeof(err)),
	    0);
	assert_int_equal(
	    ad_evidence_open(&ev2, p, host_sk, host_pk, NULL, err, sizeof(err)),
	    AD_ERR_STATE);
	assert_non_null(strstr(err, "locked"));
	ad_evidence_close(ev);
	/* untrusted files are refused: symlink, world-writable */
	assert_int_equal(symlink(p, path_of("link.log")), 0);
	assert_int_equal(ad_evidence_open(&ev, path_of("link.log"), host_sk,
	                                  host_pk, NULL, err, sizeof(err)),
	                 AD_ERR_UNTRUSTED);
	assert_int_equal(chmod(p, 0666), 0);
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, host_pk, NULL, err, sizeof(err)),
	    AD_ERR_UNTRUSTED);
	assert_non_null(strstr(err, p));
	assert_int_equal(ad_evidence_replay(p, stop_at_3, &n, host_pk, &rep),
	                 AD_ERR_UNTRUSTED);
}

/* ---------- mutations ---------- */

#define MUT_RECORDS 12
#define MUT_CP 4

/* Line (1-based) containing byte i. */
static size_t line_of(const size_t *starts, size_t nlines, size_t i)
{
	size_t l = 1;
	while (l < nlines && starts[l] <= i)
		l++;
	return l;
}

static void test_mutation_flip_every_byte(void **state)
{
	const char *p = path_of("flip-src.log"), *m = path_of("flip.log");
	static const uint8_t masks[] = {0x01, 0x20, 0x80};
	struct ad_verify_report rep;
	size_t len, starts[64], nlines, i, k;
	char *buf;

	nlines = gen_log(p, MUT_RECORDS, MUT_CP);
	buf = slurp(p, &len);
	assert_int_equal(line_starts(buf, len, starts, 64), nlines);
	assert_int_equal(verify_file(p, host_pk, &rep), 0);
	for (i = 0; i < len; i++) {
		for (k = 0; k < sizeof(masks); k++) {
			size_t l = line_of(starts, nlines, i);
			buf[i] ^= (char)masks[k];
			spit(m, buf, len);
			buf[i] ^= (char)masks[k];
			if (verify_file(m, host_pk, &rep) == 0)
				fail_msg(
				    "byte %zu ^ 0x%02x (line %zu) not detected",
				    i, masks[k], l);
			/* the edited record, or the next one whose prev breaks
			 */
			if (rep.bad_seq != l && rep.bad_seq != l + 1)
				fail_msg(
				    "byte %zu ^ 0x%02x in line %zu reported at "
				    "seq %llu (%s)",
				    i, masks[k], l,
				    (unsigned long long)rep.bad_seq, rep.why);
		}
	}
	free(buf);
}

static void test_mutation_truncate(void **state)
{
	const char *p = path_of("trunc-src.log"), *m = path_of("trunc.log");
	struct ad_verify_report rep;
	struct ad_verify_opts o;
	size_t len, starts[64], nlines, cut;
	char *buf;

	nlines = gen_log(p, MUT_RECORDS, MUT_CP);
	buf = slurp(p, &len);
	line_starts(buf, len, starts, 64);
	assert_int_equal(verify_file(p, host_pk, &rep), 0);
	memset(&o, 0, sizeof(o));
	o.host_pk = host_pk;
	o.anchor_seq = nlines; /* what syslog saw last */
	snprintf(o.anchor_hash, sizeof(o.anchor_hash), "%s", rep.head);
	assert_int_equal(ad_evidence_verify_ex(p, &o, &rep), 0);
	for (cut = 0; cut < len; cut++) { /* every byte offset */
		size_t l = line_of(starts, nlines, cut);
		int boundary = starts[l - 1] == cut;
		spit(m, buf, cut);
		if (ad_evidence_verify_ex(m, &o, &rep) == 0)
			fail_msg("truncation at %zu not detected", cut);
		if (!boundary) { /* torn line: detected without the anchor */
			assert_int_equal(verify_file(m, host_pk, &rep),
			                 AD_ERR_TRUNCATED);
			assert_int_equal(rep.bad_seq, l);
		} else { /* a valid prefix: only the syslog anchor shows it */
			assert_int_equal(verify_file(m, host_pk, &rep), 0);
			assert_int_equal(rep.records, l - 1);
		}
	}
	free(buf);
}

/* Write lines of buf in the given order (count entries). */
static void write_lines(const char *path, const char *buf, const size_t *starts,
                        const size_t *order, size_t count)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	for (size_t j = 0; j < count; j++)
		fwrite(buf + starts[order[j]], 1,
		       starts[order[j] + 1] - starts[order[j]], f);
	fclose(f);
}

static void test_mutation_delete_and_swap(void **state)
{
	const char *p = path_of("ds-src.log"), *m = path_of("ds.log");
	struct ad_verify_report rep;
	struct ad_verify_opts o;
	size_t len, starts[64], order[64], nlines, j, k;
	char *buf;

	nlines = gen_log(p, MUT_RECORDS, MUT_CP);
	buf = slurp(p, &len);
	line_starts(buf, len, starts, 64);
	assert_int_equal(verify_file(p, host_pk, &rep), 0);
	memset(&o, 0, sizeof(o));
	o.host_pk = host_pk;
	o.anchor_seq = nlines;
	snprintf(o.anchor_hash, sizeof(o.anchor_hash), "%s", rep.head);
	for (j = 0; j < nlines; j++) { /* delete line j+1 */
		for (k = 0; k + 1 < nlines; k++)
			order[k] = k < j ? k : k + 1;
		write_lines(m, buf, starts, order, nlines - 1);
		if (j + 1 < nlines) {
			assert_int_equal(verify_file(m, host_pk, &rep),
			                 AD_ERR_CHAIN);
			assert_int_equal(rep.bad_seq, j + 1);
		} else { /* deleting the last line is a tail truncation */
			assert_int_equal(ad_evidence_verify_ex(m, &o, &rep),
			                 AD_ERR_TRUNCATED);
		}
	}
	for (j = 0; j + 1 < nlines; j++) { /* swap lines j+1 and j+2 */
		for (k = 0; k < nlines; k++)
			order[k] = k;
		order[j] = j + 1;
		order[j + 1] = j;
		write_lines(m, buf, starts, order, nlines);
		assert_int_equal(verify_file(m, host_pk, &rep), AD_ERR_CHAIN);
		assert_int_equal(rep.bad_seq, j + 1);
		assert_non_null(strstr(rep.why, "seq"));
	}
	free(buf);
}

/* Re-number and re-chain recs (as a forger without the host key would). */
static void rechain(const char *path, json_t **recs, size_t n)
{
	uint8_t head[AD_EVIDENCE_HASH_LEN] = {0};
	char hex[AD_EVIDENCE_HASH_HEX];
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++) {
		char *s;
		ad_ev_hex(hex, head);
		json_object_set_new(recs[i], "seq",
		                    json_integer((json_int_t)i + 1));
		json_object_set_new(recs[i], "prev", json_string(hex));
		if (json_object_get(recs[i], "head")) {
			json_object_set_new(recs[i], "head", json_string(hex));
			json_object_set_new(recs[i], "count",
			                    json_integer((json_int_t)i));
		}
		s = json_dumps(recs[i], AD_EV_DUMP_FLAGS);
		assert_non_null(s);
		ad_ev_hash(head, s, strlen(s));
		fprintf(f, "%s\n", s);
		free(s);
	}
	fclose(f);
}

static void test_mutation_rechained(void **state)
{
	const char *p = path_of("rc-src.log"), *m = path_of("rc.log");
	struct ad_verify_report rep;
	struct ad_verify_opts o;
	size_t len, starts[64], nlines, n = 0;
	json_t *recs[64] = {0};
	char *buf;

	nlines = gen_log(p, MUT_RECORDS, MUT_CP);
	buf = slurp(p, &len);
	line_starts(buf, len, starts, 64);
	assert_int_equal(verify_file(p, host_pk, &rep), 0);
	memset(&o, 0, sizeof(o));
	o.host_pk = host_pk;
	o.anchor_seq = nlines;
	snprintf(o.anchor_hash, sizeof(o.anchor_hash), "%s", rep.head);

	/* 1: edit record 2, re-chain everything, keep the old signatures */
	for (size_t i = 0; i < nlines; i++) {
		recs[i] = json_loadb(buf + starts[i],
		                     starts[i + 1] - starts[i] - 1, 0, NULL);
		assert_non_null(recs[i]);
	}
	json_object_set_new(recs[1], "requester", json_string("ai-evil"));
	rechain(m, recs, nlines);
	assert_int_equal(verify_file(m, NULL, &rep),
	                 0); /* chain alone: fooled */
	assert_int_equal(verify_file(m, host_pk, &rep), AD_ERR_CHECKPOINT);
	assert_int_equal(rep.bad_seq, MUT_CP + 1); /* first checkpoint */
	assert_non_null(strstr(rep.why, "signature"));

	/* 2: drop the checkpoints and re-chain: nothing is signed any more */
	for (size_t i = 0; i < nlines; i++) {
		const char *e =
		    json_string_value(json_object_get(recs[i], "event"));
		if (strcmp(e, "checkpoint") == 0)
			json_decref(recs[i]);
		else
			recs[n++] = recs[i];
	}
	rechain(m, recs, n);
	assert_int_equal(verify_file(m, host_pk, &rep), 0);
	assert_int_equal(rep.checkpoints, 0);
	assert_int_equal(rep.uncovered, n); /* reported: no record is signed */
	o.require_covered = 1;
	o.anchor_seq = 0;
	assert_int_equal(ad_evidence_verify_ex(m, &o, &rep), AD_ERR_CHECKPOINT);
	assert_int_equal(rep.bad_seq, 1);
	o.require_covered = 0;
	o.anchor_seq = nlines;
	assert_int_not_equal(ad_evidence_verify_ex(m, &o, &rep), 0);
	for (size_t i = 0; i < n; i++)
		json_decref(recs[i]);
	free(buf);
}

/* ---------- torn tail recovery ---------- */

static void append_n(const char *path, const char *s, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, n), (ssize_t)n);
	close(fd);
}

static void expect_recovered(const char *p, const char *tail, size_t tlen,
                             size_t lines, size_t good_len)
{
	struct ad_evidence *ev;
	struct ad_evidence_info info;
	struct ad_verify_report rep;
	char err[512];
	struct stat st;
	json_t *rec;

	append_n(p, tail, tlen);
	assert_int_not_equal(verify_file(p, host_pk, &rep), 0);
	assert_int_equal(rep.bad_seq, lines + 1);
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, host_pk, &info, err, sizeof(err)),
	    0);
	assert_true(info.recovered);
	assert_int_equal(info.cut_bytes, tlen);
	assert_int_equal(info.cut_offset, good_len);
	assert_int_equal(info.cut_line, lines + 1);
	assert_int_equal(info.records, lines);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, good_len); /* cut off, nothing else */
	rec = ad_evidence_recovery_record(&info);
	assert_non_null(rec);
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL), 0);
	json_decref(rec);
	ad_evidence_close(ev);
	assert_int_equal(verify_file(p, host_pk, &rep), 0);
	assert_int_equal(rep.records, lines + 1);
}

static void test_torn_tail(void **state)
{
	const char *p = path_of("torn.log");
	struct ad_evidence *ev;
	struct ad_verify_report rep;
	size_t len, lines;
	char err[512], *before, *after;

	lines = gen_log(p, 3, 10);
	free(slurp(p, &len));
	expect_recovered(p, "{\"seq\":5,\"ti", 11, lines, len); /* no newline */
	free(slurp(p, &len));
	expect_recovered(p, "{\"seq\":6,\"time\n", 15, lines + 1,
	                 len); /* not JSON */
	free(slurp(p, &len));
	expect_recovered(p, "\0\0\0\0", 4, lines + 2, len); /* delalloc zeros */

	/* a valid-JSON last line that breaks the chain is damage, not a tear */
	lines = gen_log(p, 3, 10);
	before = slurp(p, &len);
	{
		size_t starts[16];
		size_t n = line_starts(before, len, starts, 16);
		/* duplicate the last line */
		append_n(p, before + starts[n - 1], starts[n] - starts[n - 1]);
	}
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, host_pk, NULL, err, sizeof(err)),
	    AD_ERR_CHAIN);
	assert_non_null(strstr(err, "line 5 (seq 5)"));
	{
		size_t alen;
		after = slurp(p, &alen);
		assert_true(alen > len); /* not cut */
	}
	free(after);
	/* garbage in the middle is damage too, never "recovered" */
	{
		size_t starts[16];
		line_starts(before, len, starts, 16);
		spit(p, before, starts[1]);
		append_n(p, "garbage\n", 8);
		append_n(p, before + starts[1], len - starts[1]);
	}
	assert_int_equal(verify_file(p, NULL, &rep), AD_ERR_INVALID);
	assert_int_equal(rep.bad_line, 2);
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, host_pk, NULL, err, sizeof(err)),
	    AD_ERR_INVALID);
	assert_non_null(strstr(err, "line 2 (seq 2)"));
	free(before);
}

/* ---------- ENOSPC on a real 64 KiB tmpfs ---------- */

static int fill_until_full(struct ad_evidence *ev, uint64_t *last_seq)
{
	char big[3000];
	json_t *rec;
	int r = 0;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rec = json_pack("{s:s, s:s}", "event", "request", "reason", big);
	for (int i = 0; i < 100 && r == 0; i++)
		r = ad_evidence_append(ev, rec, last_seq, NULL);
	json_decref(rec);
	return r;
}

static void test_enospc(void **state)
{
	char mnt[128], p[160], filler[160], err[512];
	struct ad_evidence *ev;
	struct ad_verify_report rep;
	struct stat st;
	uint64_t seq = 0, seq2 = 0;
	json_t *rec;

	snprintf(mnt, sizeof(mnt), "%s/tiny", dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	assert_int_equal(unshare(CLONE_NEWNS), 0); /* this test process only */
	assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	assert_int_equal(mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0700"),
	                 0);
	snprintf(p, sizeof(p), "%s/evidence.log", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	{
		char junk[16384];
		memset(junk, 'j', sizeof(junk));
		spit(filler, junk, sizeof(junk));
	}
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, host_pk, NULL, err, sizeof(err)),
	    0);
	assert_int_equal(fill_until_full(ev, &seq), AD_ERR_NOSPACE);
	assert_true(ad_evidence_seq(ev) > 3);
	/* nothing partial: the file ends exactly after the last durable line */
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(verify_file(p, host_pk, &rep), 0);
	assert_int_equal(rep.records, ad_evidence_seq(ev));
	/* still full: fails again, the durable state does not move */
	assert_int_equal(fill_until_full(ev, &seq2), AD_ERR_NOSPACE);
	assert_int_equal(ad_evidence_seq(ev), rep.records);
	/* space comes back: appending works again and the chain is valid */
	assert_int_equal(unlink(filler), 0);
	rec = json_pack("{s:s, s:s}", "event", "recovered", "what", "space");
	assert_int_equal(ad_evidence_append(ev, rec, &seq2, NULL), 0);
	json_decref(rec);
	assert_int_equal(seq2, rep.records + 1);
	assert_int_equal(ad_evidence_checkpoint(ev, NULL), 0);
	ad_evidence_close(ev);
	assert_int_equal(verify_file(p, host_pk, &rep), 0);
	assert_int_equal(rep.records, seq2 + 1);
	assert_int_equal(rep.uncovered, 0);
	assert_int_equal(umount(mnt), 0);
}

/* ---------- fdatasync failure (fault injected) ---------- */

static int sync_errno;
static int failing_sync(int fd)
{
	errno = sync_errno;
	return -1;
}

static off_t size_of(const char *p)
{
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

static void test_fdatasync_failure(void **state)
{
	const char *p = path_of("fsync.log");
	struct ad_evidence *ev;
	struct ad_verify_report rep;
	char err[512];
	off_t good;
	json_t *rec = sample_record(1);
	uint64_t seq;

	unlink(p);
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, host_pk, NULL, err, sizeof(err)),
	    0);
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL), 0);
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL), 0);
	good = size_of(p);
	ad_evidence_set_sync_fn(ev, failing_sync);
	sync_errno = EIO;
	assert_int_equal(ad_evidence_append(ev, rec, &seq, NULL), AD_ERR_IO);
	assert_int_equal(seq, 0);
	assert_int_equal(size_of(p), good); /* cut back */
	assert_int_equal(ad_evidence_seq(ev), 2);
	sync_errno = ENOSPC; /* a batch: all or nothing */
	assert_int_equal(ad_evidence_write(ev, rec, NULL, NULL), 0);
	assert_int_equal(ad_evidence_write(ev, rec, NULL, NULL), 0);
	assert_int_equal(ad_evidence_sync(ev), AD_ERR_NOSPACE);
	assert_int_equal(size_of(p), good);
	assert_int_equal(ad_evidence_checkpoint(ev, NULL), AD_ERR_NOSPACE);
	/* the disk recovers: reopen, re-verify the tail, go on */
	ad_evidence_set_sync_fn(ev, NULL);
	assert_int_equal(ad_evidence_append(ev, rec, &seq, NULL), 0);
	assert_int_equal(seq, 3);
	assert_int_equal(ad_evidence_checkpoint(ev, &seq), 0);
	assert_int_equal(verify_file(p, host_pk, &rep), 0);
	assert_int_equal(rep.records, 4);
	/* after a failed sync, a changed durable tail is refused, not extended
	 */
	ad_evidence_set_sync_fn(ev, failing_sync);
	sync_errno = EIO;
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL), AD_ERR_IO);
	ad_evidence_set_sync_fn(ev, NULL);
	{
		size_t len;
		char *buf = slurp(p, &len);
		buf[len - 10] ^= 1;
		spit(p, buf, len);
		free(buf);
	}
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL), AD_ERR_CHAIN);
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL), AD_ERR_CHAIN);
	ad_evidence_close(ev);
	json_decref(rec);
}

/* ---------- syslog form ---------- */

static void test_kv(void **state)
{
	json_t *rec = json_pack(
	    "{s:I, s:s, s:s, s:s, s:s, s:s, s:[ss], s:b, s:s}", "seq",
	    (json_int_t)12, "time", "2026-11-29T08:31:02.123456Z", "event",
	    "request", "prev", "00", "id", "R-7F3A-9C21", "reason",
	    "x\ny=1 \x1b[31m\"q\"", "argv", "a b", "c", "ok", 1, "empty", "");
	char *kv = ad_evidence_kv(rec, "abcd");

	assert_non_null(kv);
	for (const char *c = kv; *c; c++)
		assert_true(*c >= 0x20 && *c < 0x7f);
	assert_string_equal(
	    kv,
	    "seq=12 event=request id=R-7F3A-9C21 "
	    "reason=\"x\\ny=1 \\x1b[31m\\\"q\\\"\" "
	    "argv=\"[\\\"a b\\\",\\\"c\\\"]\" ok=true empty=\"\" hash=abcd");
	free(kv);
	json_decref(rec);
	assert_null(ad_evidence_kv(NULL, "x"));
	/* the caller's own record (no seq yet); a "hash" field cannot forge
	 * the line hash */
	rec = json_pack("{s:s, s:s, s:s}", "event", "recovered", "hash", "f00",
	                "why", "a=b");
	kv = ad_evidence_kv_seq(rec, 7, "beef");
	assert_non_null(kv);
	assert_string_equal(kv, "seq=7 event=recovered _hash=f00 why=\"a=b\" "
	                        "hash=beef");
	free(kv);
	json_decref(rec);
}

/* ---------- fixtures for tests/integration/t_evidence_cli.sh ---------- */

static void write_pub(const char *path, const uint8_t seed_byte)
{
	uint8_t seed[AD_SEED_LEN];
	struct ad_seckey *k = NULL;
	char *text = NULL;

	memset(seed, seed_byte, sizeof(seed));
	assert_int_equal(ad_seckey_from_seed(&k, seed, "host", "root"), 0);
	assert_int_equal(ad_pubkey_format(&text, &k->pub), 0);
	spit(path, text, strlen(text));
	free(text);
	ad_seckey_free(k);
}

static void make_fixtures(void)
{
	struct ad_verify_report rep;
	size_t len, starts[64], order[64], nlines, k;
	json_t *recs[64] = {0}, *rec;
	char *buf, anchor[128];

	write_pub(path_of("host.pub"), 7);
	write_pub(path_of("other.pub"), 8);
	nlines = gen_log(path_of("good.log"), MUT_RECORDS, MUT_CP);
	buf = slurp(path_of("good.log"), &len);
	line_starts(buf, len, starts, 64);
	assert_int_equal(verify_file(path_of("good.log"), host_pk, &rep), 0);
	snprintf(anchor, sizeof(anchor), "%zu:%s\n", nlines, rep.head);
	spit(path_of("anchor.txt"), anchor, strlen(anchor));
	/* line 3 edited, still valid JSON: the chain breaks at seq 4 */
	{
		char *who = memmem(buf + starts[2], starts[3] - starts[2],
		                   "ai-deploy", 9);
		assert_non_null(who);
		who[8] = 'x';
		spit(path_of("flipped.log"), buf, len);
		who[8] = 'y';
	}
	for (k = 0; k + 1 < nlines; k++) /* line 6 deleted */
		order[k] = k < 5 ? k : k + 1;
	write_lines(path_of("deleted.log"), buf, starts, order, nlines - 1);
	for (k = 0; k < nlines; k++) /* lines 2 and 3 swapped */
		order[k] = k == 1 ? 2 : k == 2 ? 1 : k;
	write_lines(path_of("swapped.log"), buf, starts, order, nlines);
	spit(path_of("truncated.log"), buf, starts[nlines - 1]);
	spit(path_of("torn.log"), buf, starts[nlines - 1] + 20);
	for (k = 0; k < nlines; k++)
		recs[k] = json_loadb(buf + starts[k],
		                     starts[k + 1] - starts[k] - 1, 0, NULL);
	json_object_set_new(recs[1], "requester", json_string("ai-evil"));
	rechain(path_of("rechained.log"), recs, nlines);
	for (k = 0; k < nlines; k++)
		json_decref(recs[k]);
	/* a record whose fields carry terminal escapes, for `log` */
	{
		struct ad_evidence *ev;
		char err[256];
		assert_int_equal(ad_evidence_open(&ev, path_of("ctrl.log"),
		                                  host_sk, host_pk, NULL, err,
		                                  sizeof(err)),
		                 0);
		rec = json_pack("{s:s, s:s, s:s}", "event", "request", "id",
		                "R-1", "reason", "evil\x1b]0;owned\x07\nline");
		assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL), 0);
		json_decref(rec);
		ad_evidence_close(ev);
	}
	free(buf);
}

/* ---------- main ---------- */

static void make_host_key(void)
{
	uint8_t seed[AD_SEED_LEN], other_sk[crypto_sign_SECRETKEYBYTES];

	memset(seed, 7, sizeof(seed));
	crypto_sign_seed_keypair(host_pk, host_sk, seed);
	memset(seed, 8, sizeof(seed));
	crypto_sign_seed_keypair(other_pk, other_sk, seed);
	sodium_memzero(other_sk, sizeof(other_sk));
}

/* Records seen by a replay: seq must come 1, 2, 3, ... */
struct seen {
	unsigned n;
	int in_order;
};

static int count_seq(void *arg, const json_t *rec)
{
	struct seen *s = arg;
	json_int_t seq = json_integer_value(json_object_get(rec, "seq"));

	s->n++;
	if (seq != (json_int_t)s->n)
		s->in_order = 0;
	return 0;
}

static void test_replay_open(void **state)
{
	const char *p = path_of("ropen.log");
	struct ad_evidence *ev;
	struct ad_verify_report rep;
	struct seen s = {0, 1};
	char err[512];
	unsigned lines = 0, n = 0;
	int fd;

	lines = gen_log(p, 7, 3);
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, host_pk, NULL, err, sizeof(err)),
	    0);
	assert_int_equal(ad_evidence_replay_open(ev, count_seq, &s, &rep), 0);
	assert_int_equal(s.n, lines);
	assert_true(s.in_order);
	assert_int_equal(rep.records, lines);
	assert_int_equal(rep.signatures_checked, 1);
	/* a non-zero callback return stops it and is returned */
	assert_int_equal(ad_evidence_replay_open(ev, stop_at_3, &n, &rep), -77);
	assert_int_equal(n, 3);
	/* the file changed behind the lock: a byte of line 1 edited */
	fd = open(p, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 120), 1);
	close(fd);
	s.n = 0;
	assert_int_not_equal(ad_evidence_replay_open(ev, count_seq, &s, &rep),
	                     0);
	assert_int_not_equal(rep.status, 0);
	assert_true(s.n < lines);
	ad_evidence_close(ev);
	/* an empty log replays nothing; a record appended behind the lock
	 * is not handed over but reported */
	unlink(p);
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, host_pk, NULL, err, sizeof(err)),
	    0);
	s.n = 0;
	assert_int_equal(ad_evidence_replay_open(ev, count_seq, &s, &rep), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(rep.records, 0);
	ad_evidence_close(ev);
	gen_log(path_of("ropen2.log"), 2, 5);
	assert_int_equal(
	    ad_evidence_open(&ev, p, host_sk, host_pk, NULL, err, sizeof(err)),
	    0);
	{
		size_t len;
		char *buf = slurp(path_of("ropen2.log"), &len);
		append_n(p, buf, len);
		free(buf);
	}
	assert_int_equal(ad_evidence_replay_open(ev, count_seq, &s, &rep),
	                 AD_ERR_CHAIN);
	assert_int_equal(s.n, 0); /* opened empty: nothing replayed */
	assert_non_null(strstr(rep.why, "changed since it was opened"));
	ad_evidence_close(ev);
}

/* ad_evidence_open_replay: pick sees every verified line (seq, hash,
 * string fields from the fast spans or, for a line only the slow path
 * decides, from its tree; escaped values decoded) and only picked records
 * reach cb; a pick error fails the open; a torn tail is never handed out. */
struct picked {
	char ids[8][32];
	unsigned n_cb, n_pick, bad_hash, stop_at;
	const char *buf; /* the file, to check each line's hash */
	size_t off;
};

static int pick_ids(void *arg, const struct ad_evidence_line *l)
{
	struct picked *pk = arg;
	uint8_t h[AD_EVIDENCE_HASH_LEN];
	char id[32];

	pk->n_pick++;
	ad_ev_hash(h, pk->buf + pk->off, l->len);
	if (memcmp(h, l->hash, sizeof(h)) != 0 || l->seq != pk->n_pick ||
	    memcmp(l->line, pk->buf + pk->off, l->len) != 0)
		pk->bad_hash++;
	pk->off += l->len + 1;
	if (pk->stop_at && l->seq == pk->stop_at)
		return AD_ERR_CHAIN;
	if (!ad_evidence_line_str(l, "id", id, sizeof(id)))
		return 0;
	return strcmp(id, "R-0003-0015") == 0 || strcmp(id, "R-\"Q\"") == 0 ||
	       strcmp(id, "R-REAL") == 0;
}

static int picked_cb(void *arg, const json_t *rec)
{
	struct picked *pk = arg;

	if (pk->n_cb < 8)
		snprintf(pk->ids[pk->n_cb], sizeof(pk->ids[0]), "%s",
		         json_string_value(json_object_get(rec, "id")));
	pk->n_cb++;
	return 0;
}

static void test_open_replay_pick(void **state)
{
	const char *p = path_of("pick.log");
	struct ad_evidence_replay rp = {pick_ids, picked_cb, NULL};
	struct ad_evidence_info info;
	struct ad_evidence *ev;
	struct picked pk;
	uint8_t h[AD_EVIDENCE_HASH_LEN];
	char err[512], hex[AD_EVIDENCE_HASH_HEX], *buf;
	json_t *rec;
	size_t len;

	gen_log(p, 10, 4);
	assert_int_equal(ad_evidence_open(&ev, p, host_sk, host_pk, NULL, err,
	                                  sizeof(err)), 0);
	rec = json_pack("{s:s, s:s}", "event", "request", "id", "R-\"Q\"");
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL), 0);
	json_decref(rec);
	rec = json_pack("{s:s, s:s, s:f}", "event", "result", "id", "R-REAL",
	                "x", 1.5); /* a real: only the slow path decides */
	assert_int_equal(ad_evidence_append(ev, rec, NULL, NULL), 0);
	json_decref(rec);
	ad_evidence_close(ev);
	buf = slurp(p, &len);
	append_n(p, "{\"seq\":99,\"ti", 13); /* torn */
	memset(&pk, 0, sizeof(pk));
	pk.buf = buf;
	rp.arg = &pk;
	assert_int_equal(ad_evidence_open_replay(&ev, p, host_sk, host_pk, &rp,
	                                         &info, err, sizeof(err)), 0);
	assert_int_equal(pk.bad_hash, 0);
	assert_int_equal(pk.n_pick, info.records); /* the torn line: never */
	assert_int_equal(info.recovered, 1);
	assert_int_equal(pk.n_cb, 3);
	assert_string_equal(pk.ids[0], "R-0003-0015");
	assert_string_equal(pk.ids[1], "R-\"Q\"");
	assert_string_equal(pk.ids[2], "R-REAL");
	ad_ev_hash(h, buf, (size_t)(strchr(buf, '\n') - buf));
	ad_ev_hex(hex, h);
	assert_string_equal(info.first, hex);
	assert_int_equal(ad_evidence_first(ev, hex), 0);
	assert_string_equal(info.first, hex);
	ad_evidence_close(ev);
	/* a pick error fails the open, naming the line */
	memset(&pk, 0, sizeof(pk));
	pk.buf = buf;
	pk.stop_at = 5;
	assert_int_equal(ad_evidence_open_replay(&ev, p, host_sk, host_pk, &rp,
	                                         &info, err, sizeof(err)),
	                 AD_ERR_CHAIN);
	assert_null(ev);
	assert_non_null(strstr(err, "(seq 5): replay stopped"));
	free(buf);
}

/* ---------- the fast canonical-form scanner (evidence_canon.c) ---------- */

/* The full check: jansson accepts the bytes as an object without duplicate
 * keys and writes exactly them back. */
static int jansson_canonical(const char *s, size_t n)
{
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	char *d = j && json_is_object(j) ? json_dumps(j, AD_EV_DUMP_FLAGS)
	                                 : NULL;
	int same = d && strlen(d) == n && memcmp(d, s, n) == 0;

	free(d);
	json_decref(j);
	return same;
}

static int fast_canonical(const char *s, size_t n)
{
	struct ad_ev_fast f;
	return ad_ev_canon_fast(s, n, &f);
}

/* Fast YES must imply jansson YES; returns the fast answer. */
static int fast_sound(const char *s, size_t n)
{
	int fast = fast_canonical(s, n);

	if (fast && !jansson_canonical(s, n))
		fail_msg("fast scanner accepted non-canonical %.*s", (int)n, s);
	return fast;
}

static void test_canon_fast_table(void **state)
{
	static const char *const yes[] = {
	    "{}", "{\"\":1}", "{\"a\":[]}", "{\"a\":{}}", "{\"a\":[1,\"x\",{}]}",
	    "{\"a\":true,\"b\":false,\"c\":null}", "{\"a\":-5,\"b\":0}",
	    "{\"a\":\"\\\"\\\\\\b\\f\\n\\r\\t\"}", "{\"a\":\"\\u001B\\u0001\"}",
	    "{\"a\":\"\\u00E9\\uFFFF\"}", "{\"a\":\"\\uD83D\\uDE00\"}",
	    "{\"a\":\"\x7f~ \"}", "{\"a\":1,\"A\":2}",
	    "{\"a\":123456789012345678}",
	};
	static const char *const no[] = {
	    "", "[]", "{ }", "{\"a\": 1}", "{\"a\":1 }", "{\"a\":1}\n",
	    "{\"a\":1,}", "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":1}}",
	    "{\"a\":01}", "{\"a\":-0}", "{\"a\":+1}", "{\"a\":1.0}",
	    "{\"a\":1e2}", "{\"a\":\"\\/\"}", "{\"a\":\"\\u0041\"}",
	    "{\"a\":\"\\u000A\"}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\u00e9\"}",
	    "{\"a\":\"\\uD83D\"}", "{\"a\":\"\\uDE00\"}", "{\"a\":\"\xc3\xa9\"}",
	    "{\"a\":\"\t\"}", "{\"a\":\"\\x\"}", "{\"a\":tru}", "{\"a\":nul}",
	    "{\"a\":\"x}", "{\"a\"}", "{\"a\":[1,]}", "{\"a\":[1 ]}",
	    "{\"a\":1}{}", "{\"a\":\"\\u0022\"}", "{\"a\":\"\\u007F\"}",
	    "{\"a\":9223372036854775808}",
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!jansson_canonical(yes[i], strlen(yes[i])))
			fail_msg("table error: %s is not canonical", yes[i]);
		if (!fast_sound(yes[i], strlen(yes[i])))
			fail_msg("fast scanner refused canonical %s", yes[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (fast_sound(no[i], strlen(no[i])))
			fail_msg("fast scanner accepted %s", no[i]);
	/* a NUL byte inside a string */
	assert_false(fast_sound("{\"a\":\"\0\"}", 8));
}

/* Every byte of real lines replaced by each interesting byte: the fast
 * scanner never says yes where jansson says no. */
static void test_canon_fast_mutations(void **state)
{
	static const char subst[] = " \"\\u0aAfFD-.e1,:{}[]\x7f\x80\x1f\n/Ex";
	const char *p = path_of("canon.log");
	size_t len, starts[16], nlines, yes = 0;
	char *buf;

	nlines = gen_log(p, 6, 3);
	buf = slurp(p, &len);
	assert_int_equal(line_starts(buf, len, starts, 16), nlines);
	for (size_t l = 0; l < nlines; l++) {
		char *s = buf + starts[l];
		size_t n = starts[l + 1] - starts[l] - 1;
		/* the writer's own lines take the fast path */
		assert_true(fast_sound(s, n));
		for (size_t i = 0; i < n; i++) {
			char keep = s[i];
			for (size_t k = 0; k < sizeof(subst); k++) {
				s[i] = subst[k]; /* includes the final NUL */
				yes += (size_t)fast_sound(s, n);
			}
			s[i] = keep;
			yes += (size_t)fast_sound(s, i); /* truncated */
		}
	}
	assert_true(yes > 0); /* some edits stay canonical (in strings) */
	free(buf);
}

/* Lines the fast path cannot decide are still decided by the full check. */
static void test_canon_fallback(void **state)
{
	static const char line[] =
	    "{\"seq\":1,\"time\":\"2026-11-29T08:31:02.123456Z\","
	    "\"event\":\"result\",\"prev\":\"000000000000000000000000000000"
	    "0000000000000000000000000000000000\",\"x\":1.5}";
	static const char spaced[] =
	    "{\"seq\":1, \"time\":\"2026-11-29T08:31:02.123456Z\","
	    "\"event\":\"result\",\"prev\":\"000000000000000000000000000000"
	    "0000000000000000000000000000000000\"}";
	struct ad_ev_chain ch;
	char why[AD_EVIDENCE_WHY_MAX];
	int unparsable;

	assert_false(fast_canonical(line, strlen(line))); /* a real */
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(ad_ev_check_line(&ch, line, strlen(line), NULL, NULL,
	                                  &unparsable, why, sizeof(why)),
	                 0);
	assert_int_equal(ch.seq, 1);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(ad_ev_check_line(&ch, spaced, strlen(spaced), NULL,
	                                  NULL, &unparsable, why, sizeof(why)),
	                 AD_ERR_INVALID);
	assert_int_equal(unparsable, 0);
	assert_non_null(strstr(why, "canonical"));
	assert_int_equal(ch.seq, 0);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_evidence.XXXXXX");
	if (!mkdtemp(dir) || chmod(dir, 0755) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	char mnt[128];

	snprintf(mnt, sizeof(mnt), "%s/tiny", dir);
	umount(mnt); /* in case test_enospc failed half way */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_line_format),
	    cmocka_unit_test(test_append_rejects),
	    cmocka_unit_test(test_replay_and_lock),
	    cmocka_unit_test(test_mutation_flip_every_byte),
	    cmocka_unit_test(test_mutation_truncate),
	    cmocka_unit_test(test_mutation_delete_and_swap),
	    cmocka_unit_test(test_mutation_rechained),
	    cmocka_unit_test(test_torn_tail),
	    cmocka_unit_test(test_enospc),
	    cmocka_unit_test(test_fdatasync_failure),
	    cmocka_unit_test(test_kv),
	    cmocka_unit_test(test_canon_fast_table),
	    cmocka_unit_test(test_canon_fast_mutations),
	    cmocka_unit_test(test_canon_fallback),
	    cmocka_unit_test(test_replay_open),
	    cmocka_unit_test(test_open_replay_pick),
	};

	if (sodium_init() < 0)
		return 1;
	make_host_key();
	if (argc == 3 && strcmp(argv[1], "--fixture") == 0) {
		snprintf(dir, sizeof(dir), "%s", argv[2]);
		make_fixtures();
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
