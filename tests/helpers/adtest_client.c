/*
 * adtest_client — a small test client for approverd over its real socket.
 *
 *   adtest_client -S SOCK create [-u USER] [-i UID] [-s SPONSOR] [-t TICKET]
 *                 [-r REASON] [-R RUNAS] [-w SERVICE] -- PATH [ARG...]
 *   adtest_client -S SOCK wait ID [-T MS] [-e EVIDENCE]
 *   adtest_client -S SOCK status|show|consume|withdraw ID
 *   adtest_client -S SOCK result ID EXIT_STATUS
 *   adtest_client -S SOCK submit TOKEN [ID]
 *   adtest_client -S SOCK call JSON          one frame, print the reply
 *   adtest_client -S SOCK rawlen HEXLEN [BYTES]  header + bytes, print reply
 *   adtest_client -S SOCK trunc              half a frame, then close
 *   adtest_client -S SOCK idle MS            connect, send nothing, print
 *   adtest_client -S SOCK burst N PREFIX     N creates, print each acked id
 *
 * Prints "STATE ID key=value..." for decisions, "error NAME: message" for
 * daemon errors (exit 1); usage errors exit 2. With -e, wait also checks
 * that the evidence file already holds the decision when it is woken
 * (prints durable=yes|no) — the order invariant of DESIGN.md §4.1.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "error.h"
#include "num.h"
#include "proto.h"
#include "request.h"

static const char *sock_path;

static void print_decision(const struct ad_decision *d)
{
	printf("%s %s rule=%s approvers=%s not_after=%llu expires=%llu "
	       "reason=%s\n", ad_state_name(d->state), d->id, d->rule,
	       d->approvers, (unsigned long long)d->not_after,
	       (unsigned long long)d->expires, d->reason);
}

static int fail(int r, const char *what)
{
	printf("error %s: %s\n", ad_errname(r), what);
	fflush(stdout);
	return 1;
}

static struct ad_client *connect_or_die(void)
{
	struct ad_client *c = NULL;
	int r = ad_client_connect(&c, sock_path, 5000);

	if (r != 0) {
		fail(r, "connect");
		exit(1);
	}
	return c;
}

static int set(char **dst, const char *v)
{
	free(*dst);
	return (*dst = strdup(v)) ? 0 : -1;
}

static int build_request(struct ad_request *r, int argc, char **argv)
{
	uint32_t uid = 2001;
	int ch, rc = 0;

	ad_request_init(r);
	rc |= set(&r->requester, "ai-deploy");
	rc |= set(&r->service, "sudo");
	rc |= set(&r->runas_user, "root");
	rc |= set(&r->cwd, "/");
	optind = 1;
	while ((ch = getopt(argc, argv, "+u:i:s:t:r:R:w:h:")) != -1) {
		switch (ch) {
		case 'u': rc |= set(&r->requester, optarg); break;
		case 'i': if (ad_parse_u32(&uid, optarg, 0, 0xfffffffe) != 0) return -1; break;
		case 's': rc |= set(&r->sponsor, optarg); break;
		case 't': rc |= set(&r->ticket, optarg); break;
		case 'r': rc |= set(&r->reason, optarg); break;
		case 'R': rc |= set(&r->runas_user, optarg); break;
		case 'w': rc |= set(&r->service, optarg); break;
		case 'h': rc |= set(&r->host, optarg); break;
		default: return -1;
		}
	}
	r->uid = uid;
	if (optind >= argc || argv[optind][0] != '/')
		return -1;
	rc |= set(&r->command, argv[optind]);
	r->argv.n = (size_t)(argc - optind);
	if ((r->argv.v = calloc(r->argv.n + 1, sizeof(char *))) == NULL)
		return -1;
	for (size_t i = 0; i < r->argv.n; i++)
		rc |= set(&r->argv.v[i], argv[optind + (int)i]);
	return rc != 0 || ad_request_complete(r) != 0 ? -1 : 0;
}

static int cmd_create(int argc, char **argv)
{
	struct ad_request req;
	struct ad_decision d;
	struct ad_client *c;
	int r;

	if (build_request(&req, argc, argv) != 0) {
		fprintf(stderr, "create: bad arguments\n");
		return 2;
	}
	c = connect_or_die();
	r = ad_client_create(c, &req, &d);
	ad_request_free(&req);
	ad_client_close(c);
	if (r != 0)
		return fail(r, "create");
	print_decision(&d);
	ad_decision_free(&d);
	return 0;
}

/* Does the evidence file hold a final record for id yet? */
static int evidence_has_decision(const char *path, const char *id)
{
	char line[65536], needle[64];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (f == NULL)
		return 0;
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) &&
		    (strstr(line, "\"event\":\"approved\"") ||
		     strstr(line, "\"event\":\"denial\"") ||
		     strstr(line, "\"event\":\"expire\"") ||
		     strstr(line, "\"event\":\"withdraw\"")))
			found = 1;
	fclose(f);
	return found;
}

static void tick(void *arg, unsigned s)
{
	(void)arg;
	printf("progress %us\n", s);
	fflush(stdout);
}

static int cmd_wait(int argc, char **argv)
{
	const char *ev = NULL;
	uint32_t ms = 30000;
	struct ad_decision d;
	struct ad_client *c;
	int ch, r;

	optind = 1;
	while ((ch = getopt(argc, argv, "T:e:")) != -1) {
		if (ch == 'T' && ad_parse_u32(&ms, optarg, 1, 600000) == 0)
			continue;
		if (ch == 'e') { ev = optarg; continue; }
		return 2;
	}
	if (optind + 1 != argc)
		return 2;
	c = connect_or_die();
	printf("waiting %s\n", argv[optind]);
	fflush(stdout);
	r = ad_client_wait(c, argv[optind], (int)ms, NULL, tick, NULL, 200, &d);
	ad_client_close(c);
	if (r != 0)
		return fail(r, "wait");
	printf("woken ");
	print_decision(&d);
	if (ev != NULL)
		printf("durable=%s\n", evidence_has_decision(ev, d.id) ? "yes" : "no");
	ad_decision_free(&d);
	return 0;
}

static int print_reply_of(json_t *m)
{
	struct ad_client *c = connect_or_die();
	json_t *reply = NULL;
	char why[512];
	int r = ad_client_call(c, m, &reply, why, sizeof(why));
	char *s;

	json_decref(m);
	ad_client_close(c);
	if (r != 0)
		return fail(r, why);
	s = json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS);
	printf("%s\n", s ? s : "?");
	free(s);
	json_decref(reply);
	return 0;
}

static int cmd_id_op(const char *op, const char *id)
{
	struct ad_client *c;
	struct ad_decision d;
	json_t *m;
	int r;

	if (strcmp(op, "consume") != 0) {
		m = ad_msg_new(op);
		json_object_set_new(m, "id", json_string(id));
		return print_reply_of(m);
	}
	c = connect_or_die();
	r = ad_client_consume(c, id, getpid(), &d);
	ad_client_close(c);
	if (r != 0)
		return fail(r, op);
	print_decision(&d);
	ad_decision_free(&d);
	return 0;
}

static int cmd_submit(int argc, char **argv)
{
	json_t *m = ad_msg_new("submit");

	json_object_set_new(m, "token", json_string(argv[1]));
	if (argc > 2)
		json_object_set_new(m, "id", json_string(argv[2]));
	return print_reply_of(m);
}

static int cmd_result(const char *id, const char *st)
{
	struct ad_client *c;
	uint32_t v;
	int r;

	if (ad_parse_u32(&v, st, 0, 255) != 0)
		return 2;
	c = connect_or_die();
	r = ad_client_result(c, id, (int)v, 0);
	ad_client_close(c);
	if (r != 0)
		return fail(r, "result");
	printf("recorded %s\n", id);
	return 0;
}

static int raw_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		printf("error connect: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

/* Print what the daemon sends back within ms: frames, then "closed". */
static int raw_replies(int fd, int ms)
{
	static char buf[1 << 20];
	size_t got = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (poll(&p, 1, ms) > 0) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0) {
			printf("closed\n");
			break;
		}
		got += (size_t)n;
		while (got >= 4) {
			uint32_t len = ((uint32_t)(uint8_t)buf[0] << 24) |
				       ((uint32_t)(uint8_t)buf[1] << 16) |
				       ((uint32_t)(uint8_t)buf[2] << 8) |
				       (uint8_t)buf[3];
			if (got < 4 + (size_t)len)
				break;
			printf("reply %.*s\n", (int)len, buf + 4);
			memmove(buf, buf + 4 + len, got - 4 - len);
			got -= 4 + len;
		}
	}
	if (p.revents == 0)
		printf("open\n"); /* still open after ms */
	fflush(stdout);
	return 0;
}

static int send_raw(int fd, const void *p, size_t n)
{
	return write(fd, p, n) == (ssize_t)n ? 0 : -1;
}

static int cmd_rawlen(int argc, char **argv)
{
	uint64_t len;
	uint8_t hdr[4];
	int fd;

	char *end = NULL;

	if (argc < 2)
		return 2;
	errno = 0;
	len = strtoull(argv[1], &end, 16);
	if (errno != 0 || end == argv[1] || *end != '\0' || len > 0xffffffffu)
		return 2;
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	fd = raw_connect();
	send_raw(fd, hdr, 4);
	if (argc > 2)
		send_raw(fd, argv[2], strlen(argv[2]));
	raw_replies(fd, 3000);
	close(fd);
	return 0;
}

/* Half a frame, then close: the daemon must simply drop it. */
static int cmd_trunc(void)
{
	const char *body = "{\"v\":1,\"op\":\"health\"}";
	uint8_t hdr[4] = {0, 0, 0, (uint8_t)(strlen(body) + 10)};
	int fd = raw_connect();

	send_raw(fd, hdr, 4);
	send_raw(fd, body, strlen(body));
	shutdown(fd, SHUT_WR);
	raw_replies(fd, 3000);
	close(fd);
	return 0;
}

static int cmd_idle(const char *ms)
{
	uint32_t v;
	int fd;

	if (ad_parse_u32(&v, ms, 1, 600000) != 0)
		return 2;
	fd = raw_connect();
	raw_replies(fd, (int)v);
	close(fd);
	return 0;
}

static int cmd_burst(const char *count, const char *prefix)
{
	struct ad_client *c;
	uint32_t n;
	int rc = 0;

	if (ad_parse_u32(&n, count, 1, 100000) != 0)
		return 2;
	c = connect_or_die();
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		char arg[128], uid[16];
		char *av[] = {"burst", "-i", uid, "/usr/bin/true", arg, NULL};
		struct ad_request req;
		struct ad_decision d;
		int r;

		/* one requester uid per request: the pending cap is per requester */
		snprintf(arg, sizeof(arg), "%s-%u", prefix, i);
		snprintf(uid, sizeof(uid), "%u", 100000 + i);
		if (build_request(&req, 5, av) != 0) {
			rc = 2;
			break;
		}
		r = ad_client_create(c, &req, &d);
		ad_request_free(&req);
		if (r != 0) {
			rc = fail(r, "create in burst");
			break;
		}
		printf("acked %s %s\n", d.id, arg);
		fflush(stdout);
		ad_decision_free(&d);
	}
	ad_client_close(c);
	return rc;
}

int main(int argc, char **argv)
{
	const char *op;

	if (argc < 4 || strcmp(argv[1], "-S") != 0) {
		fprintf(stderr, "usage: adtest_client -S SOCKET OP ARGS...\n");
		return 2;
	}
	sock_path = argv[2];
	op = argv[3];
	argc -= 3;
	argv += 3;
	if (strcmp(op, "create") == 0)
		return cmd_create(argc, argv);
	if (strcmp(op, "wait") == 0)
		return cmd_wait(argc, argv);
	if (strcmp(op, "submit") == 0 && argc >= 2)
		return cmd_submit(argc, argv);
	if (strcmp(op, "result") == 0 && argc == 3)
		return cmd_result(argv[1], argv[2]);
	if (strcmp(op, "call") == 0 && argc == 2) {
		json_error_t e;
		json_t *m = json_loads(argv[1], 0, &e);
		return m ? print_reply_of(m) : 2;
	}
	if (strcmp(op, "rawlen") == 0)
		return cmd_rawlen(argc, argv);
	if (strcmp(op, "trunc") == 0)
		return cmd_trunc();
	if (strcmp(op, "idle") == 0 && argc == 2)
		return cmd_idle(argv[1]);
	if (strcmp(op, "burst") == 0 && argc == 3)
		return cmd_burst(argv[1], argv[2]);
	if (argc == 2 && (!strcmp(op, "status") || !strcmp(op, "show") ||
			  !strcmp(op, "consume") || !strcmp(op, "withdraw")))
		return cmd_id_op(op, argv[1]);
	if (strcmp(op, "list") == 0 || strcmp(op, "health") == 0) {
		json_t *m = ad_msg_new(op);
		if (argc > 1)
			json_object_set_new(m, "all", json_true());
		return print_reply_of(m);
	}
	fprintf(stderr, "adtest_client: unknown op '%s'\n", op);
	return 2;
}
