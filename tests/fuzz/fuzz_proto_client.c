/*
 * fuzz_proto_client.c — the client side of the protocol (common/client.c)
 * against a hostile daemon: a server thread on a Unix socket in a private
 * /tmp directory reads the client's request frame and answers with the
 * fuzzer's bytes (then closes). data[0] picks the call: create, status,
 * wait, consume, withdraw, result, health or a raw call.
 *
 * Invariants checked (DESIGN.md §4.2, fail closed):
 *  - a call that returns 0 got a well-formed reply: a decision has a known
 *    state and all its strings set; status/wait/consume answer about the id
 *    that was asked (a reply about another id is an error);
 *  - a call that fails leaves its decision output zeroed (nothing a caller
 *    could mistake for an approval);
 *  - nothing hangs: every reply either arrives or ends at EOF.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "client.h"
#include "error.h"
#include "proto.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *ID = "R-0000-0001";
static char sock_path[108];
static int lfd = -1;
static const uint8_t *reply_p;
static size_t reply_n;
static sem_t served;

static void drain_request(int fd)
{
	uint8_t hdr[4], junk[4096];
	size_t want, got = 0;

	if (recv(fd, hdr, 4, MSG_WAITALL) != 4)
		return;
	want = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	       (size_t)hdr[2] << 8 | hdr[3];
	while (got < want) {
		size_t k = want - got < sizeof(junk) ? want - got : sizeof(junk);
		ssize_t n = recv(fd, junk, k, 0);

		if (n <= 0)
			return;
		got += (size_t)n;
	}
}

static void *server(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		drain_request(fd);
		if (reply_n > 0 && send(fd, reply_p, reply_n, MSG_NOSIGNAL) < 0)
			(void)0; /* the client may have gone: that is its right */
		shutdown(fd, SHUT_RDWR);
		close(fd);
		sem_post(&served);
	}
	return NULL;
}

static void cleanup(void)
{
	char dir[108];

	unlink(sock_path);
	snprintf(dir, sizeof(dir), "%s", sock_path);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
}

static void init(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/fuzz_proto_client.XXXXXX";
	pthread_t t;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/s", dir);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 16) != 0 || sem_init(&served, 0, 0) != 0 ||
	    pthread_create(&t, NULL, server, NULL) != 0)
		abort();
	atexit(cleanup);
}

static int make_request(struct ad_request *r)
{
	static char *argv[] = {"/usr/bin/systemctl", "restart", "nginx", NULL};

	ad_request_init(r);
	r->requester = strdup("ai-deploy");
	r->service = strdup("sudo");
	r->runas_user = strdup("root");
	r->cwd = strdup("/");
	r->command = strdup(argv[0]);
	r->uid = 2001;
	r->argv.n = 3;
	r->argv.v = calloc(4, sizeof(char *));
	if (r->argv.v != NULL)
		for (size_t i = 0; i < 3; i++)
			r->argv.v[i] = strdup(argv[i]);
	return ad_request_complete(r);
}

static void check_decision(int r, const struct ad_decision *d, const char *id)
{
	static const struct ad_decision zero;

	if (r != 0) {
		if (memcmp(d, &zero, sizeof(zero)) != 0)
			abort(); /* a failed call left a decision behind */
		return;
	}
	if (d->rule == NULL || d->requires == NULL || d->approvers == NULL ||
	    d->reason == NULL || strcmp(ad_state_name(d->state), "unknown") == 0)
		abort();
	if (id != NULL && strcmp(d->id, id) != 0)
		abort(); /* a reply about another request was accepted */
}

static void call_one(struct ad_client *c, uint8_t which)
{
	struct ad_decision d;
	struct ad_request req;
	json_t *reply = NULL, *m;
	int r;

	memset(&d, 0x5a, sizeof(d)); /* outputs must be zeroed on entry */
	switch (which % 8) {
	case 0:
		if (make_request(&req) != 0)
			abort();
		r = ad_client_create(c, &req, &d);
		ad_request_free(&req);
		check_decision(r, &d, NULL);
		break;
	case 1:
		r = ad_client_wait(c, ID, 500, NULL, NULL, NULL, 100, &d);
		check_decision(r, &d, ID);
		break;
	case 2:
		r = ad_client_consume(c, ID, 4242, &d);
		check_decision(r, &d, ID);
		break;
	case 3:
		(void)ad_client_withdraw(c, ID, "fuzz");
		return;
	case 4:
		(void)ad_client_result(c, ID, 3, 0);
		return;
	case 5:
		r = ad_client_health(c, &reply);
		if (r == 0 && !json_is_object(reply))
			abort();
		json_decref(reply);
		return;
	default:
		m = ad_msg_new("status");
		if (m == NULL || json_object_set_new(m, "id", json_string(ID)))
			abort();
		r = ad_client_call(c, m, &reply, NULL, 0);
		if (r == 0 && !json_is_true(json_object_get(reply, "ok")))
			abort(); /* success only on an ok reply */
		if (r != 0 && reply != NULL)
			abort();
		json_decref(reply);
		json_decref(m);
		return;
	}
	if (r == 0)
		ad_decision_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_client *c = NULL;

	if (lfd < 0)
		init();
	if (size < 1)
		return 0;
	reply_p = data + 1;
	reply_n = size - 1;
	if (ad_client_connect(&c, sock_path, 2000) != 0)
		abort();
	call_one(c, data[0]);
	ad_client_close(c);
	sem_wait(&served);
	return 0;
}
