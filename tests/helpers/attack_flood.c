/*
 * attack_flood — hostile clients for approverd's socket (tests/integration/
 * t_attack_input.sh, t_attack_load.sh). Never used outside the tests.
 *
 *   attack_flood conns SOCK N HOLD_MS
 *       open N connections at once, hold them HOLD_MS, then report
 *       "connected A refused R closed_by_daemon C open O"
 *   attack_flood slow SOCK N SECS GAP_MS
 *       N slowloris connections, each announcing a 200000-byte frame and
 *       sending one byte every GAP_MS for SECS; reports
 *       "slow N closed C first_close_ms F last_open_ms L"
 *   attack_flood garbage SOCK CLIENTS FRAMES
 *       CLIENTS processes send FRAMES malformed frames in total (bad
 *       lengths, bad JSON, wrong version, unknown ops, oversized headers),
 *       each on its own connection, reading the daemon's answer;
 *       reports "garbage sent S answered A connect_failed F"
 *
 * Exit 0 when the run completed (the figures are for the test to judge),
 * 2 on a usage error.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
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

#include "num.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (rl.rlim_max < want)
			rl.rlim_max = want;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Connect (blocking); -1 when the daemon's backlog or cap refuses. */
static int dial(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Has the daemon closed fd (EOF or reset), without waiting? */
static int closed_by_peer(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char b[4096];

	while (poll(&p, 1, 0) == 1) {
		ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return 1;
		if (n < 0)
			return 0;
	}
	return 0;
}

static int cmd_conns(const char *sock, uint32_t n, uint32_t hold)
{
	int *fds = calloc(n, sizeof(int));
	uint32_t ok = 0, refused = 0, closed = 0;

	if (fds == NULL)
		return 1;
	raise_nofile(n + 64);
	for (uint32_t i = 0; i < n; i++) {
		fds[i] = dial(sock);
		if (fds[i] < 0)
			refused++;
		else
			ok++;
	}
	usleep(hold * 1000);
	for (uint32_t i = 0; i < n; i++)
		if (fds[i] >= 0 && closed_by_peer(fds[i]))
			closed++;
	printf("connected %u refused %u closed_by_daemon %u open %u\n", ok,
	       refused, closed, ok - closed);
	for (uint32_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return 0;
}

/* One header byte of a 200000-byte frame, then '{' and spaces. */
static uint8_t slow_byte(size_t i)
{
	static const uint8_t hdr[4] = {0x00, 0x03, 0x0d, 0x40};

	return i < 4 ? hdr[i] : (i == 4 ? '{' : ' ');
}

static int cmd_slow(const char *sock, uint32_t n, uint32_t secs, uint32_t gap)
{
	int *fds = calloc(n, sizeof(int));
	int64_t t0 = now_ms(), first = -1, last_open = -1;
	uint32_t closed = 0;
	size_t sent = 0;

	if (fds == NULL)
		return 1;
	raise_nofile(n + 64);
	for (uint32_t i = 0; i < n; i++)
		fds[i] = dial(sock);
	while (now_ms() - t0 < (int64_t)secs * 1000 && closed < n) {
		for (uint32_t i = 0; i < n; i++) {
			uint8_t b = slow_byte(sent);

			if (fds[i] < 0)
				continue;
			if (closed_by_peer(fds[i]) ||
			    send(fds[i], &b, 1, MSG_NOSIGNAL) != 1) {
				close(fds[i]);
				fds[i] = -1;
				closed++;
				if (first < 0)
					first = now_ms() - t0;
			} else {
				last_open = now_ms() - t0;
			}
		}
		sent++;
		usleep(gap * 1000);
	}
	printf("slow %u closed %u first_close_ms %lld last_open_ms %lld\n", n,
	       closed, (long long)first, (long long)last_open);
	for (uint32_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return 0;
}

/* The k-th malformed frame (header and body); returns its length. */
static size_t bad_frame(uint8_t *out, size_t cap, uint64_t k)
{
	static const char *const bodies[] = {
		"{\"v\":", "[]", "{\"v\":1,\"v\":1}", "{\"v\":2,\"op\":\"health\"}",
		"{\"v\":1,\"op\":\"no-such-op\"}", "{\"v\":1,\"op\":\"status\"}",
		"{\"v\":1,\"op\":\"create\",\"request\":{\"requester\":5}}",
		"{\"v\":1,\"op\":\"status\",\"id\":\"R-\\u0000\"}", "\xff\xfe\x00",
		"{\"v\":1,\"op\":\"submit\",\"token\":\"approverd-ed25519-v1 !!\"}",
	};
	static const uint32_t lens[] = {0, 0xffffffffu, 0x80000000u, 0x40001u};
	size_t nb = sizeof(bodies) / sizeof(bodies[0]);
	uint64_t pick = k % (nb + 4);
	uint32_t len;
	size_t blen = 0;

	if (pick >= nb) {
		len = lens[pick - nb];
	} else {
		blen = strlen(bodies[pick]) + (pick == 8 ? 1 : 0);
		len = (uint32_t)blen;
	}
	if (cap < 4 + blen)
		return 0;
	out[0] = len >> 24, out[1] = len >> 16, out[2] = len >> 8, out[3] = len;
	if (blen > 0)
		memcpy(out + 4, bodies[pick], blen);
	return 4 + blen;
}

/* Send one frame and wait (≤ 5 s) for an answer or close: 1 if answered. */
static int one_garbage(const char *sock, uint64_t k, int *connect_failed)
{
	uint8_t f[256], r[512];
	size_t n = bad_frame(f, sizeof(f), k);
	struct pollfd p;
	int fd = dial(sock), got = 0;

	if (fd < 0) {
		(*connect_failed)++;
		return 0;
	}
	p.fd = fd, p.events = POLLIN;
	if (send(fd, f, n, MSG_NOSIGNAL) == (ssize_t)n) {
		shutdown(fd, SHUT_WR);
		if (poll(&p, 1, 5000) == 1 && recv(fd, r, sizeof(r), 0) > 4)
			got = 1;
	}
	close(fd);
	return got;
}

static int garbage_worker(const char *sock, uint32_t id, uint32_t count,
			  int out_fd)
{
	uint32_t answered = 0;
	int failed = 0;
	char line[96];
	int len;

	for (uint32_t i = 0; i < count; i++)
		answered += (uint32_t)one_garbage(sock, (uint64_t)id * 7919 + i,
						  &failed);
	len = snprintf(line, sizeof(line), "%u %u %d\n", count, answered, failed);
	return write(out_fd, line, (size_t)len) == len ? 0 : 1;
}

static int cmd_garbage(const char *sock, uint32_t clients, uint32_t frames)
{
	unsigned long long sent = 0, answered = 0, failed = 0, a, b, c;
	int pfd[2];
	FILE *in;

	if (pipe(pfd) != 0)
		return 1;
	for (uint32_t i = 0; i < clients; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			close(pfd[0]);
			/* never outlive the test that started us */
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			_exit(garbage_worker(sock, i, frames / clients +
					     (i < frames % clients), pfd[1]));
		}
	}
	close(pfd[1]);
	if ((in = fdopen(pfd[0], "r")) == NULL)
		return 1;
	while (fscanf(in, "%llu %llu %llu", &a, &b, &c) == 3)
		sent += a, answered += b, failed += c;
	fclose(in);
	while (wait(NULL) > 0)
		;
	printf("garbage sent %llu answered %llu connect_failed %llu\n", sent,
	       answered, failed);
	return 0;
}

static int num(uint32_t *v, const char *s)
{
	return ad_parse_u32(v, s, 1, 10000000);
}

int main(int argc, char **argv)
{
	uint32_t a, b, c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "conns") && !num(&a, argv[3]) &&
	    !num(&b, argv[4]))
		return cmd_conns(argv[2], a, b);
	if (argc == 6 && !strcmp(argv[1], "slow") && !num(&a, argv[3]) &&
	    !num(&b, argv[4]) && !num(&c, argv[5]))
		return cmd_slow(argv[2], a, b, c);
	if (argc == 5 && !strcmp(argv[1], "garbage") && !num(&a, argv[3]) &&
	    !num(&b, argv[4]))
		return cmd_garbage(argv[2], a, b);
	fprintf(stderr, "usage: attack_flood conns|slow|garbage SOCK ...\n");
	return 2;
}
