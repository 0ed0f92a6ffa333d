/*
 * bench_daemon — load a real approverd over its real socket, the way the
 * sudo plugin, PAM module and an approver do (common/client.h):
 *
 *   bench_daemon cycles SOCK KEY CLIENTS MS
 *       CLIENTS threads, each repeating create -> show -> sign (KEY, an
 *       unencrypted approver .key) -> submit -> consume for MS ms; prints
 *       cycles_per_s and the cycle latency p50/p99 (ms).
 *   bench_daemon latency SOCK KEY N
 *       N times: create, park a waiter (ad_client_wait), then submit a
 *       signed approval; prints p50/p99/max ms from sending the submit to
 *       the waiter holding the decision.
 *   bench_daemon waiters SOCK KEY N PID
 *       N requests, N connections parked in `wait` at once; prints the
 *       daemon's (PID) RSS before and while parked, then submits the N
 *       approvals back to back and prints how long after its own approval
 *       each waiter was released (p50/p99/max) and the whole span.
 * Requests use requester uid 200000 + k (the pending cap is per requester)
 * and /usr/bin/systemctl restart nginx-bench-... (the rule restart-web of
 * tests/integration/daemon_lib.sh's policy: 1 sre). Exit 1 on any error.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "client.h"
#include "error.h"
#include "keys.h"
#include "proto.h"
#include "request.h"
#include "token.h"

#define H "bench_daemon"

static const char *sock;
static struct ad_seckey *key;
static uint32_t run_tag;

static struct ad_client *conn(void)
{
	struct ad_client *c = NULL;
	int r = ad_client_connect(&c, sock, 10000);

	if (r != 0)
		bench_die(H, "connect %s: %s", sock, ad_strerror(r));
	return c;
}

static int set(char **dst, const char *v)
{
	return (*dst = strdup(v)) ? 0 : -1;
}

/* A request only this (requester, n) pair makes. */
static void make_request(struct ad_request *r, uint32_t uid, uint64_t n)
{
	char arg[64];
	int rc = 0;

	ad_request_init(r);
	snprintf(arg, sizeof(arg), "nginx-bench-%u-%u-%llu", run_tag, uid,
	         (unsigned long long)n);
	rc |= set(&r->requester, "ai-deploy");
	rc |= set(&r->service, "sudo");
	rc |= set(&r->runas_user, "root");
	rc |= set(&r->cwd, "/");
	rc |= set(&r->command, "/usr/bin/systemctl");
	r->uid = uid;
	r->argv.n = 3;
	if ((r->argv.v = calloc(4, sizeof(char *))) == NULL)
		bench_die(H, "out of memory");
	rc |= set(&r->argv.v[0], "/usr/bin/systemctl");
	rc |= set(&r->argv.v[1], "restart");
	rc |= set(&r->argv.v[2], arg);
	if (rc != 0 || ad_request_complete(r) != 0)
		bench_die(H, "out of memory");
}

/* create; returns the pending id in id[AD_ID_MAX]. */
static void create(struct ad_client *c, uint32_t uid, uint64_t n, char *id)
{
	struct ad_request req;
	struct ad_decision d;
	int r;

	make_request(&req, uid, n);
	r = ad_client_create(c, &req, &d);
	ad_request_free(&req);
	if (r != 0)
		bench_die(H, "create: %s", ad_strerror(r));
	if (d.state != AD_STATE_PENDING)
		bench_die(H, "create: state %s, want pending (policy?)",
		          ad_state_name(d.state));
	snprintf(id, AD_ID_MAX, "%s", d.id);
	ad_decision_free(&d);
}

static json_t *call(struct ad_client *c, json_t *m)
{
	json_t *reply = NULL;
	char why[512] = "";
	int r = ad_client_call(c, m, &reply, why, sizeof(why));

	if (r != 0)
		bench_die(H, "%s: %s: %s",
		          json_string_value(json_object_get(m, "op")),
		          ad_strerror(r), why);
	json_decref(m);
	return reply;
}

/* show + sign: what an approver's approverctl does. Malloc'ed token. */
static char *sign_approval(struct ad_client *c, const char *id)
{
	json_t *m = ad_msg_new("show"), *reply, *show;
	struct ad_statement st;
	const char *host, *dh;
	char *tok = NULL;
	size_t dl = 0;

	json_object_set_new(m, "id", json_string(id));
	reply = call(c, m);
	show = json_object_get(reply, "show");
	host = json_string_value(
	    json_object_get(json_object_get(show, "request"), "host"));
	dh = json_string_value(json_object_get(show, "digest"));
	memset(&st, 0, sizeof(st));
	if (host == NULL || dh == NULL ||
	    sodium_hex2bin(st.digest, sizeof(st.digest), dh, strlen(dh), NULL,
	                   &dl, NULL) != 0 ||
	    dl != AD_DIGEST_LEN)
		bench_die(H, "show %s: no request.host or digest", id);
	snprintf(st.host, sizeof(st.host), "%s", host);
	snprintf(st.request_id, sizeof(st.request_id), "%s", id);
	st.decision = AD_DECISION_APPROVE;
	st.not_before = (uint64_t)time(NULL);
	st.not_after = st.not_before + 600;
	st.uses = 1;
	if (ad_token_sign(&tok, &st, key) != 0)
		bench_die(H, "signing %s failed", id);
	json_decref(reply);
	return tok;
}

static void submit(struct ad_client *c, const char *tok, const char *id)
{
	json_t *m = ad_msg_new("submit"), *reply;
	const char *state;

	json_object_set_new(m, "token", json_string(tok));
	reply = call(c, m);
	state = json_string_value(json_object_get(reply, "state"));
	if (state == NULL || strcmp(state, "approved") != 0)
		bench_die(H, "submit %s: state %s, want approved", id,
		          state ? state : "(none)");
	json_decref(reply);
}

static void consume(struct ad_client *c, const char *id)
{
	struct ad_decision d;
	int r = ad_client_consume(c, id, getpid(), &d);

	if (r != 0 || d.state != AD_STATE_CONSUMED)
		bench_die(H, "consume %s: %s", id,
		          r ? ad_strerror(r) : ad_state_name(d.state));
	ad_decision_free(&d);
}

/* ---------------------------------------------------------------- cycles */

struct worker {
	pthread_t th;
	uint32_t uid;
	uint64_t deadline, cycles;
	double *lat; /* ms per cycle */
	size_t nlat, caplat;
};

static void *cycle_worker(void *arg)
{
	struct worker *w = arg;
	struct ad_client *c = conn();
	char id[AD_ID_MAX];

	while (bench_now_ns() < w->deadline) {
		uint64_t t0 = bench_now_ns();
		char *tok;

		create(c, w->uid, w->cycles, id);
		tok = sign_approval(c, id);
		submit(c, tok, id);
		free(tok);
		consume(c, id);
		w->cycles++;
		if (w->nlat == w->caplat) {
			w->caplat = w->caplat ? w->caplat * 2 : 1024;
			w->lat = realloc(w->lat, w->caplat * sizeof(double));
			if (w->lat == NULL)
				bench_die(H, "out of memory");
		}
		w->lat[w->nlat++] = (double)(bench_now_ns() - t0) / 1e6;
	}
	ad_client_close(c);
	return NULL;
}

static double tv_us(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e6 + (double)tv->tv_usec;
}

static int run_cycles(uint32_t clients, uint32_t ms)
{
	struct worker *w = calloc(clients, sizeof(*w));
	uint64_t t0 = bench_now_ns(), total = 0, ns;
	struct rusage ru0, ru1;
	double *all;
	size_t n = 0;

	if (w == NULL || getrusage(RUSAGE_SELF, &ru0) != 0)
		bench_die(H, "out of memory or no getrusage");
	for (uint32_t i = 0; i < clients; i++) {
		w[i].uid = 200000 + i;
		w[i].deadline = t0 + (uint64_t)ms * 1000000u;
		if (pthread_create(&w[i].th, NULL, cycle_worker, &w[i]) != 0)
			bench_die(H, "pthread_create failed");
	}
	for (uint32_t i = 0; i < clients; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].cycles;
		n += w[i].nlat;
	}
	ns = bench_now_ns() - t0;
	if ((all = malloc((n ? n : 1) * sizeof(double))) == NULL)
		bench_die(H, "out of memory");
	n = 0;
	for (uint32_t i = 0; i < clients; i++) {
		memcpy(all + n, w[i].lat, w[i].nlat * sizeof(double));
		n += w[i].nlat;
		free(w[i].lat);
	}
	printf("cycles_per_s %.0f\n", (double)total * 1e9 / (double)ns);
	printf("cycles %llu\n", (unsigned long long)total);
	/* this process's CPU (every client thread: JSON, frames, Ed25519
	 * signing, system calls) per cycle, from the start of the run */
	if (getrusage(RUSAGE_SELF, &ru1) == 0 && total > 0)
		printf("client_cpu_us_per_cycle %.1f\n",
		       (tv_us(&ru1.ru_utime) + tv_us(&ru1.ru_stime) -
			tv_us(&ru0.ru_utime) - tv_us(&ru0.ru_stime)) /
			   (double)total);
	printf("cycle_ms_p50 %.2f\n", bench_quantile(all, n, 0.5));
	printf("cycle_ms_p99 %.2f\n", bench_quantile(all, n, 0.99));
	free(all);
	free(w);
	return total > 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- latency */

struct waiter {
	pthread_t th;
	char id[AD_ID_MAX];
	uint64_t woken;
	int err;
	enum ad_state state;
};

static void *wait_one(void *arg)
{
	struct waiter *w = arg;
	struct ad_client *c = conn();
	struct ad_decision d;

	w->err = ad_client_wait(c, w->id, 20000, NULL, NULL, NULL, 1000, &d);
	w->woken = bench_now_ns();
	if (w->err == 0) {
		w->state = d.state;
		ad_decision_free(&d);
	}
	ad_client_close(c);
	return NULL;
}

static int run_latency(uint32_t n)
{
	struct ad_client *c = conn();
	double *lat = calloc(n, sizeof(double));
	struct timespec park = {0, 20 * 1000000};

	if (lat == NULL)
		bench_die(H, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		struct waiter w = {0};
		uint64_t t0;
		char *tok;

		create(c, 300000 + i, 0, w.id);
		tok = sign_approval(c, w.id);
		if (pthread_create(&w.th, NULL, wait_one, &w) != 0)
			bench_die(H, "pthread_create failed");
		nanosleep(&park, NULL); /* let the waiter park */
		t0 = bench_now_ns();
		submit(c, tok, w.id);
		pthread_join(w.th, NULL);
		free(tok);
		if (w.err != 0 || w.state != AD_STATE_APPROVED)
			bench_die(H, "waiter %s: %s", w.id,
			          w.err ? ad_strerror(w.err)
			                : ad_state_name(w.state));
		lat[i] = (double)(w.woken - t0) / 1e6;
	}
	ad_client_close(c);
	printf("release_ms_p50 %.3f\n", bench_quantile(lat, n, 0.5));
	printf("release_ms_p99 %.3f\n", bench_quantile(lat, n, 0.99));
	printf("release_ms_max %.3f\n", bench_quantile(lat, n, 1.0));
	free(lat);
	return 0;
}

/* ---------------------------------------------------------------- waiters */

static long rss_kib(long pid, const char *field)
{
	char path[64], line[256];
	size_t fl = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		bench_die(H, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, fl) == 0 && line[fl] == ':')
			v = strtol(line + fl + 1, NULL, 10);
	fclose(f);
	return v;
}

/* A raw connection with one `wait` frame sent (parked at the daemon). */
static int park(const char *id)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	json_t *m = ad_msg_new("wait");
	struct ad_buf b;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		bench_die(H, "connect %s: %s", sock, strerror(errno));
	json_object_set_new(m, "id", json_string(id));
	ad_buf_init(&b, AD_FRAME_MAX);
	if (ad_frame_encode(&b, m, AD_FRAME_MAX) != 0 ||
	    write(fd, ad_buf_ptr(&b), ad_buf_avail(&b)) !=
	        (ssize_t)ad_buf_avail(&b))
		bench_die(H, "sending wait %s failed", id);
	ad_buf_free(&b);
	json_decref(m);
	return fd;
}

struct fleet {
	uint32_t n;
	int *fd;
	uint64_t *sent, *woken; /* submit sent / decision received, ns */
	char (*id)[AD_ID_MAX];
	char **tok;
};

/* Read one whole reply frame on fd; 1 if it says approved. */
static int read_decision(int fd)
{
	uint8_t buf[8192];
	ssize_t got = 0, r;
	uint32_t len = 0;
	json_t *o = NULL;
	char err[128];
	int ok;

	while ((r = read(fd, buf + got, sizeof(buf) - (size_t)got)) > 0) {
		got += r;
		if (got >= AD_FRAME_HDR &&
		    ad_frame_len(&len, buf, sizeof(buf) - AD_FRAME_HDR) == 0 &&
		    (size_t)got >= AD_FRAME_HDR + (size_t)len)
			break;
	}
	if (len == 0 || (size_t)got < AD_FRAME_HDR + (size_t)len ||
	    ad_frame_decode(&o, buf + AD_FRAME_HDR, len, err, sizeof(err)) != 0)
		return 0;
	ok = json_is_string(json_object_get(o, "state")) &&
	     strcmp(json_string_value(json_object_get(o, "state")),
	            "approved") == 0;
	json_decref(o);
	return ok;
}

static void *collect(void *arg)
{
	struct fleet *f = arg;
	struct pollfd *p = calloc(f->n, sizeof(*p));
	uint32_t left = f->n;

	if (p == NULL)
		bench_die(H, "out of memory");
	for (uint32_t i = 0; i < f->n; i++)
		p[i] = (struct pollfd){.fd = f->fd[i], .events = POLLIN};
	while (left > 0) {
		if (poll(p, f->n, 30000) <= 0)
			bench_die(H, "waiters: %u never released (30 s)", left);
		for (uint32_t i = 0; i < f->n; i++) {
			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			f->woken[i] = bench_now_ns();
			if (!read_decision(p[i].fd))
				bench_die(H, "waiter %s: no approved decision",
				          f->id[i]);
			p[i].fd = -1;
			left--;
		}
	}
	free(p);
	return NULL;
}

static void fleet_prepare(struct fleet *f, struct ad_client *c)
{
	f->fd = calloc(f->n, sizeof(int));
	f->sent = calloc(f->n, sizeof(uint64_t));
	f->woken = calloc(f->n, sizeof(uint64_t));
	f->id = calloc(f->n, sizeof(*f->id));
	f->tok = calloc(f->n, sizeof(char *));
	if (!f->fd || !f->sent || !f->woken || !f->id || !f->tok)
		bench_die(H, "out of memory");
	for (uint32_t i = 0; i < f->n; i++) {
		create(c, 400000 + i, 0, f->id[i]);
		f->tok[i] = sign_approval(c, f->id[i]);
	}
}

static int run_waiters(uint32_t n, long pid)
{
	struct fleet f = {.n = n};
	struct ad_client *c;
	struct timespec settle = {0, 300 * 1000000};
	pthread_t th;
	double *lag;
	uint64_t t0;

	bench_nofile(n + 64);
	c = conn();
	fleet_prepare(&f, c);
	printf("daemon_rss_kib_before %ld\n", rss_kib(pid, "VmRSS"));
	for (uint32_t i = 0; i < n; i++)
		f.fd[i] = park(f.id[i]);
	nanosleep(&settle, NULL);
	printf("daemon_rss_kib_parked %ld\n", rss_kib(pid, "VmRSS"));
	if (pthread_create(&th, NULL, collect, &f) != 0)
		bench_die(H, "pthread_create failed");
	t0 = bench_now_ns();
	for (uint32_t i = 0; i < n; i++) {
		f.sent[i] = bench_now_ns();
		submit(c, f.tok[i], f.id[i]);
	}
	pthread_join(th, NULL);
	printf("daemon_rss_kib_peak %ld\n", rss_kib(pid, "VmHWM"));
	if ((lag = calloc(n, sizeof(double))) == NULL)
		bench_die(H, "out of memory");
	for (uint32_t i = 0; i < n; i++)
		lag[i] = (double)(f.woken[i] - f.sent[i]) / 1e6;
	printf("waiters_release_ms_p50 %.3f\n", bench_quantile(lag, n, 0.5));
	printf("waiters_release_ms_p99 %.3f\n", bench_quantile(lag, n, 0.99));
	printf("waiters_release_ms_max %.3f\n", bench_quantile(lag, n, 1.0));
	for (uint32_t i = 0; i < n; i++)
		lag[i] = (double)(f.woken[i] - t0) / 1e6;
	printf("waiters_all_released_ms %.1f\n", bench_quantile(lag, n, 1.0));
	for (uint32_t i = 0; i < n; i++) {
		close(f.fd[i]);
		free(f.tok[i]);
	}
	ad_client_close(c);
	return 0;
}

int main(int argc, char **argv)
{
	char why[AD_WHY_MAX];

	if (argc < 5) {
		fprintf(stderr,
		        "usage: %s cycles SOCK KEY CLIENTS MS | latency "
		        "SOCK KEY N | waiters SOCK KEY N PID\n",
		        H);
		return 2;
	}
	sock = argv[2];
	if (sodium_init() < 0 || ad_seckey_load(&key, argv[3], NULL, why) != 0)
		bench_die(H, "key %s: %s", argv[3], why);
	run_tag = randombytes_uniform(1000000);
	if (argc == 6 && strcmp(argv[1], "cycles") == 0)
		return run_cycles(bench_arg_u32(H, "CLIENTS", argv[4], 1, 1024),
		                  bench_arg_u32(H, "MS", argv[5], 1, 600000));
	if (argc == 5 && strcmp(argv[1], "latency") == 0)
		return run_latency(bench_arg_u32(H, "N", argv[4], 1, 100000));
	if (argc == 6 && strcmp(argv[1], "waiters") == 0)
		return run_waiters(
		    bench_arg_u32(H, "N", argv[4], 1, 100000),
		    (long)bench_arg_u32(H, "PID", argv[5], 1, 0x7fffffff));
	fprintf(stderr, "%s: unknown or incomplete command '%s'\n", H, argv[1]);
	return 2;
}
