/*
 * bench_raw — the machine's raw rates, the baselines of docs/BENCHMARKS.md:
 *
 *   bench_raw fsync DIR MS     write a 256-byte line + fdatasync, repeated
 *                              for MS milliseconds in DIR/raw-fsync.dat
 *   bench_raw append DIR MS    ad_evidence_append (durable) of a consume-
 *                              sized record for MS ms in DIR/append.log
 *   bench_raw ed25519 MS       ad_verify_detached of a token-sized message
 *   bench_raw blake2b FILE     BLAKE2b-256 of every line of FILE (read in
 *                              1 MiB blocks): the floor under verify-log
 *   bench_raw floor DIR CLIENTS MS
 *                              the floor under durable cycles/s: what the
 *                              shape of one approval cycle costs this
 *                              machine with nothing else done (below)
 *
 * Each prints one "name value" line (rates per second). Files it creates
 * are removed again; DIR must exist.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "error.h"
#include "evidence.h"
#include "keys.h"
#include "proto.h"

#define H "bench_raw"

static double per_s(uint64_t n, uint64_t ns)
{
	return ns ? (double)n * 1e9 / (double)ns : 0;
}

static int raw_fsync(const char *dir, uint32_t ms)
{
	char path[4096], line[256];
	uint64_t t0, n = 0, limit = (uint64_t)ms * 1000000u;
	int fd;

	snprintf(path, sizeof(path), "%s/raw-fsync.dat", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
	          0600);
	if (fd < 0)
		bench_die(H, "%s: %s", path, strerror(errno));
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	t0 = bench_now_ns();
	while (bench_now_ns() - t0 < limit) {
		if (write(fd, line, sizeof(line)) != (ssize_t)sizeof(line) ||
		    fdatasync(fd) != 0)
			bench_die(H, "%s: %s", path, strerror(errno));
		n++;
	}
	printf("raw_fdatasync_per_s %.0f\n", per_s(n, bench_now_ns() - t0));
	close(fd);
	unlink(path);
	return 0;
}

static int raw_append(const char *dir, uint32_t ms)
{
	char path[4096], err[512];
	uint64_t t0, n = 0, limit = (uint64_t)ms * 1000000u;
	struct ad_seckey *k = NULL;
	struct ad_evidence *ev = NULL;
	struct ad_evidence_info info;
	json_t *rec;

	snprintf(path, sizeof(path), "%s/append.log", dir);
	unlink(path);
	if (ad_seckey_generate(&k, "host", "root") != 0 ||
	    ad_evidence_open(&ev, path, k->sk, NULL, &info, err, sizeof(err)) !=
	        0)
		bench_die(H, "%s: cannot open: %s", path, err);
	rec = json_pack("{s:s, s:s, s:i}", "event", "consume", "id",
	                "R-0000-0001", "pid", 12345);
	t0 = bench_now_ns();
	while (bench_now_ns() - t0 < limit) {
		if (ad_evidence_append(ev, rec, NULL, NULL) != 0)
			bench_die(H, "%s: append failed", path);
		n++;
	}
	printf("evidence_append_per_s %.0f\n", per_s(n, bench_now_ns() - t0));
	json_decref(rec);
	ad_evidence_close(ev);
	ad_seckey_free(k);
	unlink(path);
	return 0;
}

static int raw_ed25519(uint32_t ms)
{
	uint8_t msg[400], sig[AD_SIG_LEN];
	uint64_t t0, n = 0, limit = (uint64_t)ms * 1000000u;
	struct ad_seckey *k = NULL;

	randombytes_buf(msg, sizeof(msg));
	if (ad_seckey_generate(&k, "alice", "alice") != 0 ||
	    ad_sign_detached(sig, msg, sizeof(msg), k) != 0)
		bench_die(H, "ed25519: cannot make a key or sign");
	t0 = bench_now_ns();
	while (bench_now_ns() - t0 < limit) {
		if (ad_verify_detached(sig, msg, sizeof(msg), k->pub.pk) != 0)
			bench_die(H,
			          "ed25519: a good signature did not verify");
		n++;
	}
	printf("ed25519_verify_per_s %.0f\n", per_s(n, bench_now_ns() - t0));
	ad_seckey_free(k);
	return 0;
}

/* Hash each complete line in buf[0..len); returns bytes consumed. */
static size_t hash_lines(const char *buf, size_t len, uint64_t *lines)
{
	uint8_t h[AD_EVIDENCE_HASH_LEN];
	size_t off = 0;
	const char *nl;

	while ((nl = memchr(buf + off, '\n', len - off)) != NULL) {
		size_t l = (size_t)(nl - (buf + off)) + 1;
		crypto_generichash(h, sizeof(h), (const uint8_t *)buf + off, l,
		                   NULL, 0);
		off += l;
		(*lines)++;
	}
	return off;
}

static int raw_blake2b(const char *path)
{
	size_t cap = 2u << 20, have = 0;
	char *buf = malloc(cap);
	uint64_t t0 = bench_now_ns(), lines = 0, bytes = 0, ns;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0 || buf == NULL)
		bench_die(H, "%s: %s", path, strerror(errno));
	while ((got = read(fd, buf + have, cap - have)) > 0) {
		size_t used = hash_lines(buf, have + (size_t)got, &lines);
		bytes += (uint64_t)got;
		have = have + (size_t)got - used;
		memmove(buf, buf + used, have);
		if (have == cap)
			bench_die(H, "%s: a line longer than %zu bytes", path,
			          cap);
	}
	ns = bench_now_ns() - t0;
	if (got < 0)
		bench_die(H, "%s: %s", path, strerror(errno));
	printf("blake2b_lines_per_s %.0f\n", per_s(lines, ns));
	printf("blake2b_mib_per_s %.1f\n", per_s(bytes, ns) / 1048576.0);
	close(fd);
	free(buf);
	return 0;
}

/* ---------------------------------------------------------- cycle floor */
/*
 * bench_raw floor DIR CLIENTS MS: the least one durable approval cycle
 * (bench_daemon cycles: create -> show -> signed approval -> consume) can
 * cost on this machine, with everything the contract fixes and nothing
 * else. One process: a server thread on a real AF_UNIX socket in DIR
 * (one epoll loop, as approverd's) and CLIENTS client threads, one
 * connection each, each cycle four round trips of about approverd's sizes:
 *
 *   create   ~900-byte request in; one 1,222-byte record; reply when durable
 *   show     id in; the stored request (1,400 bytes) out at once
 *   submit   the client signs a 200-byte statement (Ed25519), the server
 *            verifies it; two records (389 + 214 bytes); reply when durable
 *   consume  id in; one 170-byte record; reply when durable
 *
 * Records (the sizes of approverd's evidence lines) are BLAKE2b-chained,
 * each also one syslog line, and written with one write + fdatasync per
 * loop pass for every client of that pass (group commit) before the
 * replies that wait for them go out. No JSON, no policy, no index, no
 * different-human rule: a floor for comparison, not a daemon.
 *
 * Prints floor_cycles_per_s, floor_cpu_us_per_cycle (the whole process:
 * server and clients, user + system), floor_server_cpu_us_per_cycle and
 * floor_records_per_sync.
 */
#define FL_REQ 900
#define FL_SHOW 1400
#define FL_STMT 200
#define FL_MAXFRAME 4096
#define FL_MAXCLIENTS 1024

enum { FL_CREATE = 'C', FL_SHOW_OP = 'S', FL_SUBMIT = 'A', FL_CONSUME = 'U' };

struct fl_conn {
	int fd;
	size_t have;
	uint8_t in[AD_FRAME_HDR + FL_MAXFRAME];
	uint8_t req[FL_REQ];   /* the stored request, for show */
	uint8_t out[AD_FRAME_HDR + FL_SHOW];
	size_t outlen;
	int held; /* out waits for the next fdatasync */
};

struct fl_server {
	int lfd, ep, evfd;
	atomic_int stop;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t prev[AD_EVIDENCE_HASH_LEN];
	char *batch;
	size_t blen, bcap;
	uint64_t seq, records, syncs, cpu_ns;
	struct fl_conn *conns[FL_MAXCLIENTS];
	size_t nconns;
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One evidence-like record of len bytes (newline included), chained. */
static void fl_record(struct fl_server *s, const char *event, size_t len,
                      const uint8_t *body, size_t blen)
{
	crypto_generichash_state st;
	char hex[2 * AD_EVIDENCE_HASH_LEN + 1], *p;
	size_t n;
	int h;

	if (s->blen + len > s->bcap) {
		s->bcap = (s->blen + len) * 2;
		if ((s->batch = realloc(s->batch, s->bcap)) == NULL)
			bench_die(H, "out of memory");
	}
	p = s->batch + s->blen;
	sodium_bin2hex(hex, sizeof(hex), s->prev, sizeof(s->prev));
	h = snprintf(p, len, "{\"seq\":%llu,\"event\":\"%s\",\"prev\":\"%s\",\"x\":\"",
	             (unsigned long long)++s->seq, event, hex);
	if (h < 0 || (size_t)h + 3 > len)
		bench_die(H, "record template too long");
	n = (size_t)h;
	while (n < len - 3) { /* the body, printable, repeated to size */
		p[n] = (char)('a' + (blen ? body[n % blen] % 26 : 0));
		n++;
	}
	memcpy(p + n, "\"}\n", 3);
	crypto_generichash_init(&st, NULL, 0, sizeof(s->prev));
	crypto_generichash_update(&st, s->prev, sizeof(s->prev));
	crypto_generichash_update(&st, (const uint8_t *)p, len);
	crypto_generichash_final(&st, s->prev, sizeof(s->prev));
	s->blen += len;
	s->records++;
	syslog(LOG_INFO, "floor %s seq=%llu", event, (unsigned long long)s->seq);
}

static void fl_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			bench_die(H, "floor: send: %s", strerror(errno));
		p += w;
		len -= (size_t)w;
	}
}

/* approverd's frame header (proto.h): 4-byte big-endian length. */
static void fl_hdr(uint8_t *p, size_t len)
{
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
}

/* A reply of len bytes: body (blen <= len) first, then filler. */
static void fl_reply(struct fl_conn *c, size_t len, const uint8_t *body,
                     size_t blen, int held)
{
	fl_hdr(c->out, len);
	if (blen > 0)
		memcpy(c->out + AD_FRAME_HDR, body, blen);
	memset(c->out + AD_FRAME_HDR + blen, 'r', len - blen);
	c->outlen = AD_FRAME_HDR + len;
	c->held = held;
	if (!held)
		fl_write_all(c->fd, c->out, c->outlen);
}

static void fl_frame(struct fl_server *s, struct fl_conn *c,
                     const uint8_t *m, size_t len)
{
	switch (len ? m[0] : 0) {
	case FL_CREATE:
		memcpy(c->req, m, len < FL_REQ ? len : FL_REQ);
		fl_record(s, "request", 1222, m, len);
		fl_reply(c, 160, NULL, 0, 1);
		break;
	case FL_SHOW_OP:
		fl_reply(c, FL_SHOW, c->req, FL_REQ, 0);
		break;
	case FL_SUBMIT:
		if (len != 1 + crypto_sign_BYTES + FL_STMT ||
		    crypto_sign_verify_detached(m + 1, m + 1 + crypto_sign_BYTES,
		                                FL_STMT, s->pk) != 0)
			bench_die(H, "floor: a signature did not verify");
		fl_record(s, "approval", 389, m, len);
		fl_record(s, "approved", 214, m, len);
		fl_reply(c, 160, NULL, 0, 1);
		break;
	case FL_CONSUME:
		fl_record(s, "consume", 170, m, len);
		fl_reply(c, 160, NULL, 0, 1);
		break;
	default:
		bench_die(H, "floor: bad frame");
	}
}

/* Read what c has; handle every complete frame. 0 when c closed. */
static int fl_read(struct fl_server *s, struct fl_conn *c)
{
	ssize_t got = read(c->fd, c->in + c->have, sizeof(c->in) - c->have);
	size_t off = 0;

	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (got <= 0)
		return 0;
	c->have += (size_t)got;
	for (;;) {
		uint32_t l;

		if (c->have - off < AD_FRAME_HDR)
			break;
		if (ad_frame_len(&l, c->in + off, FL_MAXFRAME) != 0)
			bench_die(H, "floor: bad frame header");
		if (c->have - off - AD_FRAME_HDR < l)
			break;
		fl_frame(s, c, c->in + off + AD_FRAME_HDR, l);
		off += AD_FRAME_HDR + l;
	}
	memmove(c->in, c->in + off, c->have - off);
	c->have -= off;
	return 1;
}

static void *fl_server_main(void *arg)
{
	struct fl_server *s = arg;
	struct epoll_event ev[128];
	uint64_t t0 = thread_cpu_ns();

	while (!atomic_load(&s->stop)) {
		int n = epoll_wait(s->ep, ev, 128, 50);

		for (int i = 0; i < n; i++) {
			struct fl_conn *c = ev[i].data.ptr;

			if (c == NULL) { /* the listening socket */
				struct epoll_event e = {.events = EPOLLIN};
				int fd = accept4(s->lfd, NULL, NULL,
				                 SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0)
					continue;
				if (s->nconns == FL_MAXCLIENTS ||
				    (c = calloc(1, sizeof(*c))) == NULL)
					bench_die(H, "floor: too many clients");
				c->fd = fd;
				e.data.ptr = c;
				s->conns[s->nconns++] = c;
				if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) != 0)
					bench_die(H, "floor: epoll_ctl: %s",
					          strerror(errno));
				continue;
			}
			if (!fl_read(s, c)) {
				epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
			}
		}
		if (s->blen > 0) { /* group commit, then the held replies */
			if (write(s->evfd, s->batch, s->blen) != (ssize_t)s->blen ||
			    fdatasync(s->evfd) != 0)
				bench_die(H, "floor: write: %s", strerror(errno));
			s->blen = 0;
			s->syncs++;
		}
		for (size_t i = 0; i < s->nconns; i++) {
			struct fl_conn *c = s->conns[i];
			if (c->held && c->fd >= 0)
				fl_write_all(c->fd, c->out, c->outlen);
			c->held = 0;
		}
	}
	s->cpu_ns = thread_cpu_ns() - t0;
	return NULL;
}

struct fl_client {
	pthread_t th;
	const char *sock;
	const uint8_t *sk;
	uint64_t deadline, cycles;
};

static void fl_recv(int fd, uint8_t *buf, size_t cap)
{
	uint32_t l;
	size_t have = 0, want = AD_FRAME_HDR;

	while (have < want) {
		ssize_t r = read(fd, buf + have, want - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			bench_die(H, "floor: client read: %s",
			          r ? strerror(errno) : "closed");
		have += (size_t)r;
		if (have == AD_FRAME_HDR && want == AD_FRAME_HDR) {
			if (ad_frame_len(&l, buf, cap - AD_FRAME_HDR) != 0)
				bench_die(H, "floor: bad reply header");
			want = AD_FRAME_HDR + l;
		}
	}
}

static void fl_call(int fd, uint8_t op, const uint8_t *body, size_t len,
                    uint8_t *reply, size_t cap)
{
	uint8_t m[AD_FRAME_HDR + FL_MAXFRAME];

	fl_hdr(m, len + 1);
	m[AD_FRAME_HDR] = op;
	memcpy(m + AD_FRAME_HDR + 1, body, len);
	fl_write_all(fd, m, AD_FRAME_HDR + 1 + len);
	fl_recv(fd, reply, cap);
}

static void *fl_client_main(void *arg)
{
	struct fl_client *w = arg;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint8_t req[FL_REQ - 1], stmt[crypto_sign_BYTES + FL_STMT],
	    reply[AD_FRAME_HDR + FL_SHOW];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", w->sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		bench_die(H, "floor: connect %s: %s", w->sock, strerror(errno));
	randombytes_buf(req, sizeof(req));
	while (bench_now_ns() < w->deadline) {
		fl_call(fd, FL_CREATE, req, sizeof(req), reply, sizeof(reply));
		fl_call(fd, FL_SHOW_OP, req, 24, reply, sizeof(reply));
		/* the statement names what show returned */
		memcpy(stmt + crypto_sign_BYTES, reply + AD_FRAME_HDR, FL_STMT);
		crypto_sign_detached(stmt, NULL, stmt + crypto_sign_BYTES,
		                     FL_STMT, w->sk);
		fl_call(fd, FL_SUBMIT, stmt, sizeof(stmt), reply, sizeof(reply));
		fl_call(fd, FL_CONSUME, req, 24, reply, sizeof(reply));
		w->cycles++;
	}
	close(fd);
	return NULL;
}

static double ru_ns(const struct rusage *r)
{
	return ((double)r->ru_utime.tv_sec + (double)r->ru_stime.tv_sec) * 1e9 +
	       ((double)r->ru_utime.tv_usec + (double)r->ru_stime.tv_usec) * 1e3;
}

static int raw_floor(const char *dir, uint32_t clients, uint32_t ms)
{
	struct fl_server s = {0};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	char path[4096], sock[sizeof(sa.sun_path)];
	struct fl_client *w = calloc(clients, sizeof(*w));
	struct rusage r0, r1;
	pthread_t srv;
	uint64_t t0, ns, total = 0;

	if (w == NULL)
		bench_die(H, "out of memory");
	bench_nofile(clients + 64);
	openlog("bench_floor", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	crypto_sign_keypair(s.pk, sk);
	snprintf(path, sizeof(path), "%s/floor.log", dir);
	if ((size_t)snprintf(sock, sizeof(sock), "%s/floor.sock", dir) >=
	    sizeof(sock))
		bench_die(H, "floor: %s: path too long for a socket", dir);
	unlink(sock);
	s.evfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
	              0600);
	s.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memcpy(sa.sun_path, sock, sizeof(sock));
	if (s.evfd < 0 || s.lfd < 0 ||
	    bind(s.lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(s.lfd, 1024) != 0 || (s.ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.lfd, &e) != 0)
		bench_die(H, "floor: %s: %s", dir, strerror(errno));
	if (pthread_create(&srv, NULL, fl_server_main, &s) != 0)
		bench_die(H, "floor: cannot start the server thread");
	getrusage(RUSAGE_SELF, &r0);
	t0 = bench_now_ns();
	for (uint32_t i = 0; i < clients; i++) {
		w[i].sock = sock;
		w[i].sk = sk;
		w[i].deadline = t0 + (uint64_t)ms * 1000000u;
		if (pthread_create(&w[i].th, NULL, fl_client_main, &w[i]) != 0)
			bench_die(H, "floor: cannot start client %u", i);
	}
	for (uint32_t i = 0; i < clients; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].cycles;
	}
	ns = bench_now_ns() - t0;
	getrusage(RUSAGE_SELF, &r1);
	atomic_store(&s.stop, 1);
	pthread_join(srv, NULL);
	printf("floor_cycles_per_s %.0f\n", per_s(total, ns));
	printf("floor_cycles %llu\n", (unsigned long long)total);
	if (total > 0) {
		printf("floor_cpu_us_per_cycle %.1f\n",
		       (ru_ns(&r1) - ru_ns(&r0)) / 1e3 / (double)total);
		printf("floor_server_cpu_us_per_cycle %.1f\n",
		       (double)s.cpu_ns / 1e3 / (double)total);
	}
	printf("floor_records_per_sync %.1f\n",
	       s.syncs ? (double)s.records / (double)s.syncs : 0.0);
	for (size_t i = 0; i < s.nconns; i++) {
		if (s.conns[i]->fd >= 0)
			close(s.conns[i]->fd);
		free(s.conns[i]);
	}
	sodium_memzero(sk, sizeof(sk));
	free(s.batch);
	free(w);
	close(s.ep);
	close(s.lfd);
	close(s.evfd);
	unlink(sock);
	unlink(path);
	closelog();
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		bench_die(H, "sodium_init failed");
	if (argc == 4 && strcmp(argv[1], "fsync") == 0)
		return raw_fsync(argv[2],
		                 bench_arg_u32(H, "MS", argv[3], 1, 600000));
	if (argc == 4 && strcmp(argv[1], "append") == 0)
		return raw_append(argv[2],
		                  bench_arg_u32(H, "MS", argv[3], 1, 600000));
	if (argc == 3 && strcmp(argv[1], "ed25519") == 0)
		return raw_ed25519(bench_arg_u32(H, "MS", argv[2], 1, 600000));
	if (argc == 3 && strcmp(argv[1], "blake2b") == 0)
		return raw_blake2b(argv[2]);
	if (argc == 5 && strcmp(argv[1], "floor") == 0)
		return raw_floor(argv[2],
		                 bench_arg_u32(H, "CLIENTS", argv[3], 1,
		                               FL_MAXCLIENTS),
		                 bench_arg_u32(H, "MS", argv[4], 1, 600000));
	fprintf(stderr,
	        "usage: %s fsync DIR MS | append DIR MS | ed25519 MS "
	        "| blake2b FILE | floor DIR CLIENTS MS\n",
	        H);
	return 2;
}
