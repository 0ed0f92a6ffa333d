/*
 * attack_load — load generator for approverd (tests/integration/
 * t_attack_load.sh, t_attack_kill9.sh). Signs approvals itself with an
 * unencrypted approver key (ad_token_sign over the digest from `show`).
 *
 *   attack_load cycle SOCK KEY CLIENTS SECS [ACKLOG]
 *       CLIENTS processes loop create -> show -> sign -> submit -> consume
 *       (then `result`, as sudo's audit plugin does) for SECS; every step
 *       the daemon acknowledged is appended to ACKLOG
 *       ("created ID", "approved ID", "consumed ID"). A failed step counts
 *       as an error; the worker then reconnects and goes on (the kill -9
 *       test expects errors while the daemon is down). Prints
 *       "clients N cycles C errors E".
 *   attack_load allow SOCK KEY CLIENTS PER_CLIENT
 *       CLIENTS processes each create PER_CLIENT requests the policy allows
 *       at once (journalctl rule); prints "clients N cycles C errors E".
 *   attack_load waiters SOCK KEY N DAEMON_PID
 *       creates N requests, parks N `wait` connections, samples the
 *       daemon's RSS, approves all, and times until every waiter has its
 *       pushed decision. Prints "waiters N parked P released R
 *       release_ms T rss_kb_start S rss_kb_parked P2 rss_kb_end E".
 *   attack_load sign SOCK KEY 1 ID NOT_BEFORE NOT_AFTER approve|deny|approve-flip
 *       prints a token for ID with the given validity (unix seconds), for
 *       the cases approverctl sign refuses to make (not yet valid, ...);
 *       approve-flip signs over a digest with one bit changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "client.h"
#include "error.h"
#include "keys.h"
#include "num.h"
#include "proto.h"
#include "request.h"
#include "safefile.h"
#include "token.h"

static const char *sock;
static struct ad_seckey *key;
static int ack_fd = -1;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ack(const char *what, const char *id)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%s %s\n", what, id);

	if (ack_fd >= 0 && write(ack_fd, line, (size_t)n) != n)
		fprintf(stderr, "attack_load: ack log write failed\n");
}

static int make_request(struct ad_request *r, const char *tag, unsigned w,
			unsigned long i)
{
	char word[64];

	snprintf(word, sizeof(word), "%s-%d-%u-%lu", tag, (int)getpid(), w, i);
	ad_request_init(r);
	r->requester = strdup("ai-deploy");
	r->service = strdup("sudo");
	r->runas_user = strdup("root");
	r->cwd = strdup("/");
	r->command = strdup("/usr/bin/systemctl");
	r->uid = 2001;
	r->argv.n = 3;
	if ((r->argv.v = calloc(4, sizeof(char *))) == NULL)
		return AD_ERR_NOMEM;
	r->argv.v[0] = strdup("/usr/bin/systemctl");
	r->argv.v[1] = strdup("restart");
	r->argv.v[2] = strdup(word);
	return ad_request_complete(r);
}

/* show id -> a signed token (malloc'ed) for decision, nbf..na. */
static int flip_digest; /* sign: a digest that is not the request's */

static int make_token(struct ad_client *c, const char *id, uint32_t decision,
		      uint64_t nbf, uint64_t na, char **tok)
{
	json_t *m = ad_msg_new("show"), *reply = NULL, *show;
	struct ad_statement st;
	const char *hex, *host;
	size_t dlen = 0;
	int r;

	*tok = NULL;
	if (m == NULL || json_object_set_new(m, "id", json_string(id)) != 0)
		return AD_ERR_NOMEM;
	r = ad_client_call(c, m, &reply, NULL, 0);
	json_decref(m);
	if (r != 0)
		return r;
	show = json_object_get(reply, "show");
	memset(&st, 0, sizeof(st));
	if (ad_json_str(&hex, show, "digest", 64) != 0 ||
	    ad_json_str(&host, json_object_get(show, "request"), "host",
			AD_HOST_MAX - 1) != 0 ||
	    sodium_hex2bin(st.digest, sizeof(st.digest), hex, strlen(hex),
			   NULL, &dlen, NULL) != 0 || dlen != AD_DIGEST_LEN) {
		json_decref(reply);
		return AD_ERR_PROTO;
	}
	snprintf(st.host, sizeof(st.host), "%s", host);
	snprintf(st.request_id, sizeof(st.request_id), "%s", id);
	st.digest[0] ^= (uint8_t)flip_digest;
	st.decision = decision;
	st.not_before = nbf;
	st.not_after = na;
	st.uses = 1;
	json_decref(reply);
	return ad_token_sign(tok, &st, key);
}

static int approval_token(struct ad_client *c, const char *id, char **tok)
{
	uint64_t now = (uint64_t)time(NULL);

	return make_token(c, id, AD_DECISION_APPROVE, now - 5, now + 600, tok);
}

static int submit(struct ad_client *c, const char *id, const char *tok,
		  struct ad_decision *d)
{
	json_t *m = ad_msg_new("submit"), *reply = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	if (m == NULL || json_object_set_new(m, "token", json_string(tok)) ||
	    json_object_set_new(m, "id", json_string(id)) != 0) {
		json_decref(m);
		return AD_ERR_NOMEM;
	}
	r = ad_client_call(c, m, &reply, NULL, 0);
	json_decref(m);
	if (r == 0)
		r = ad_decision_from_json(d, reply);
	json_decref(reply);
	return r;
}

/* Approve id with our key: 0 when the reply says approved. */
static int approve(struct ad_client *c, const char *id)
{
	struct ad_decision d;
	char *tok = NULL;
	int r = approval_token(c, id, &tok);

	if (r == 0 && (r = submit(c, id, tok, &d)) == 0) {
		r = d.state == AD_STATE_APPROVED ? 0 : AD_ERR_STATE;
		ad_decision_free(&d);
	}
	free(tok);
	return r;
}

/* One create/approve/consume cycle on c; 0 when all steps were acked. */
static int one_cycle(struct ad_client *c, unsigned w, unsigned long i)
{
	struct ad_request req;
	struct ad_decision d;
	char id[AD_ID_MAX];
	int r = make_request(&req, "load", w, i);

	if (r == 0)
		r = ad_client_create(c, &req, &d);
	ad_request_free(&req);
	if (r != 0)
		return r;
	snprintf(id, sizeof(id), "%s", d.id);
	r = d.state == AD_STATE_PENDING ? 0 : AD_ERR_STATE;
	ad_decision_free(&d);
	if (r != 0)
		return r;
	ack("created", id);
	if ((r = approve(c, id)) != 0)
		return r;
	ack("approved", id);
	if ((r = ad_client_consume(c, id, getpid(), &d)) != 0)
		return r;
	r = d.state == AD_STATE_CONSUMED ? 0 : AD_ERR_STATE;
	ad_decision_free(&d);
	if (r != 0)
		return r;
	ack("consumed", id);
	return ad_client_result(c, id, 0, 0); /* as sudo's audit plugin does */
}

/* allow: one request the policy allows at once (final, prunable). */
static int one_allowed(struct ad_client *c, unsigned w, unsigned long i)
{
	struct ad_request req;
	struct ad_decision d;
	int r = make_request(&req, "allow", w, i);

	if (r == 0) {
		free(req.command);
		free(req.argv.v[0]);
		free(req.argv.v[1]);
		req.command = strdup("/usr/bin/journalctl");
		req.argv.v[0] = strdup("/usr/bin/journalctl");
		req.argv.v[1] = strdup("-u");
		r = ad_request_complete(&req);
	}
	if (r == 0 && (r = ad_client_create(c, &req, &d)) == 0) {
		r = d.state == AD_STATE_ALLOWED ? 0 : AD_ERR_STATE;
		ad_decision_free(&d);
	}
	ad_request_free(&req);
	return r;
}

static int allow_mode; /* workers send allowed creates, count = secs */

static void cycle_worker(unsigned w, unsigned secs, int out_fd)
{
	int64_t end = now_ms() + (int64_t)secs * 1000;
	unsigned long cycles = 0, errors = 0;
	struct ad_client *c = NULL;
	char line[64];
	int n;

	while (allow_mode ? cycles + errors < secs : now_ms() < end) {
		if (c == NULL && ad_client_connect(&c, sock, 5000) != 0) {
			errors++;
			c = NULL;
			usleep(50000);
			continue;
		}
		if ((allow_mode ? one_allowed(c, w, cycles + errors)
				: one_cycle(c, w, cycles + errors)) == 0) {
			cycles++;
			continue;
		}
		errors++;
		ad_client_close(c); /* its stream state is unknown now */
		c = NULL;
	}
	ad_client_close(c);
	n = snprintf(line, sizeof(line), "%lu %lu\n", cycles, errors);
	_exit(write(out_fd, line, (size_t)n) == n ? 0 : 1);
}

static int cmd_cycle(unsigned clients, unsigned secs)
{
	unsigned long long cycles = 0, errors = 0, a, b;
	int pfd[2];
	FILE *in;

	if (pipe(pfd) != 0)
		return 1;
	for (unsigned w = 0; w < clients; w++)
		if (fork() == 0) {
			close(pfd[0]);
			/* never outlive the test that started us */
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			cycle_worker(w, secs, pfd[1]);
		}
	close(pfd[1]);
	if ((in = fdopen(pfd[0], "r")) == NULL)
		return 1;
	while (fscanf(in, "%llu %llu", &a, &b) == 2)
		cycles += a, errors += b;
	fclose(in);
	while (wait(NULL) > 0)
		;
	printf("clients %u cycles %llu errors %llu\n", clients, cycles, errors);
	return 0;
}

static long rss_kb(long pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Open a raw connection and send {"v":1,"op":"wait","id":id}. */
static int park(const char *id)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	json_t *m = ad_msg_new("wait");
	struct ad_buf b;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	ad_buf_init(&b, AD_FRAME_MAX + AD_FRAME_HDR);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	ok = fd >= 0 && m != NULL &&
	     json_object_set_new(m, "id", json_string(id)) == 0 &&
	     ad_frame_encode(&b, m, AD_FRAME_MAX) == 0 &&
	     connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	     send(fd, ad_buf_ptr(&b), ad_buf_avail(&b), MSG_NOSIGNAL) ==
		     (ssize_t)ad_buf_avail(&b);
	json_decref(m);
	ad_buf_free(&b);
	if (!ok && fd >= 0)
		close(fd);
	return ok ? fd : -1;
}

/* Read one pushed decision from fd (≤ ms): 1 if it says approved+id. */
static int released(int fd, const char *id, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint8_t hdr[4], *body;
	uint32_t n;
	json_t *j = NULL;
	struct ad_decision d;
	char err[160];
	int ok = 0;

	if (poll(&p, 1, ms) != 1 || recv(fd, hdr, 4, MSG_WAITALL) != 4 ||
	    ad_frame_len(&n, hdr, AD_REPLY_MAX) != 0 ||
	    (body = malloc(n)) == NULL)
		return 0;
	if (recv(fd, body, n, MSG_WAITALL) == (ssize_t)n &&
	    ad_frame_decode(&j, body, n, err, sizeof(err)) == 0 &&
	    ad_decision_from_json(&d, j) == 0) {
		ok = d.state == AD_STATE_APPROVED && strcmp(d.id, id) == 0;
		ad_decision_free(&d);
	}
	json_decref(j);
	free(body);
	return ok;
}

static int create_many(struct ad_client *c, char (*ids)[AD_ID_MAX],
		       unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct ad_request req;
		struct ad_decision d;
		int r = make_request(&req, "wait", 0, i);

		if (r == 0)
			r = ad_client_create(c, &req, &d);
		ad_request_free(&req);
		if (r != 0 || d.state != AD_STATE_PENDING) {
			fprintf(stderr, "create %u: %s\n", i, ad_errname(r));
			if (r == 0)
				ad_decision_free(&d);
			return 1;
		}
		snprintf(ids[i], AD_ID_MAX, "%s", d.id);
		ad_decision_free(&d);
	}
	return 0;
}

static int cmd_waiters(unsigned n, long dpid)
{
	char (*ids)[AD_ID_MAX] = calloc(n, AD_ID_MAX);
	int *fds = calloc(n, sizeof(int));
	struct ad_client *c = NULL;
	unsigned parked = 0, rel = 0;
	long rss0 = rss_kb(dpid), rss1;
	int64_t t0;
	int rc = 1;

	if (ids == NULL || fds == NULL ||
	    ad_client_connect(&c, sock, 10000) != 0 || create_many(c, ids, n))
		goto out;
	for (unsigned i = 0; i < n; i++)
		parked += (fds[i] = park(ids[i])) >= 0;
	usleep(500000);
	rss1 = rss_kb(dpid);
	t0 = now_ms();
	for (unsigned i = 0; i < n; i++)
		if (approve(c, ids[i]) != 0)
			fprintf(stderr, "approve %s failed\n", ids[i]);
	for (unsigned i = 0; i < n; i++)
		rel += fds[i] >= 0 && released(fds[i], ids[i], 10000);
	printf("waiters %u parked %u released %u release_ms %lld rss_kb_start "
	       "%ld rss_kb_parked %ld rss_kb_end %ld\n", n, parked, rel,
	       (long long)(now_ms() - t0), rss0, rss1, rss_kb(dpid));
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	rc = 0;
out:
	ad_client_close(c);
	free(ids);
	free(fds);
	return rc;
}

/* sign ID NOT_BEFORE NOT_AFTER approve|deny: print a token (unix times). */
static int cmd_sign(char **argv)
{
	struct ad_client *c = NULL;
	uint64_t nbf, na;
	int dec, r;
	char *tok = NULL;

	flip_digest = strcmp(argv[8], "approve-flip") == 0;
	dec = ad_decision_parse(flip_digest ? "approve" : argv[8]);
	if (ad_parse_u64(&nbf, argv[6], 0, UINT64_MAX) != 0 ||
	    ad_parse_u64(&na, argv[7], 0, UINT64_MAX) != 0 || dec <= 0)
		return 2;
	if ((r = ad_client_connect(&c, sock, 5000)) == 0 &&
	    (r = make_token(c, argv[5], (uint32_t)dec, nbf, na, &tok)) == 0)
		printf("%s\n", tok);
	else
		fprintf(stderr, "attack_load sign: %s\n", ad_errname(r));
	free(tok);
	ad_client_close(c);
	return r == 0 ? 0 : 1;
}

static int load_key(const char *path)
{
	char why[AD_WHY_MAX];

	if (sodium_init() < 0 || ad_seckey_load(&key, path, NULL, why) != 0) {
		fprintf(stderr, "attack_load: %s\n", why);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl = {8192, 8192};
	uint32_t a = 0, b = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	if (argc < 6 || ad_parse_u32(&a, argv[4], 1, 100000) != 0) {
		fprintf(stderr, "usage: attack_load cycle|waiters SOCK KEY N ...\n");
		return 2;
	}
	sock = argv[2];
	if (load_key(argv[3]) != 0)
		return 1;
	if (!strcmp(argv[1], "cycle") && (argc == 6 || argc == 7) &&
	    ad_parse_u32(&b, argv[5], 1, 100000) == 0) {
		if (argc == 7 && (ack_fd = open(argv[6], O_WRONLY | O_CREAT |
				  O_APPEND | O_CLOEXEC, 0600)) < 0)
			return 1;
		return cmd_cycle(a, b);
	}
	if (!strcmp(argv[1], "allow") && argc == 6 &&
	    ad_parse_u32(&b, argv[5], 1, 10000000) == 0) {
		allow_mode = 1;
		return cmd_cycle(a, b);
	}
	if (!strcmp(argv[1], "sign") && argc == 9)
		return cmd_sign(argv);
	if (!strcmp(argv[1], "waiters") && argc == 6 &&
	    ad_parse_u32(&b, argv[5], 1, 0x7fffffff) == 0)
		return cmd_waiters(a, (long)b);
	fprintf(stderr, "usage: attack_load cycle|waiters SOCK KEY N ...\n");
	return 2;
}
