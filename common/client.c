/*
 * client.c — the thin client of approverd (client.h, docs/PROTOCOL.md).
 *
 * Invariants (DESIGN.md §4.2):
 *  - Every failure is a negative ad_err; nothing here exits, prints, or
 *    raises a signal (send uses MSG_NOSIGNAL, SIGPIPE cannot fire).
 *  - Every blocking step is bounded by a deadline on the monotonic clock;
 *    a signal (EINTR) re-checks the caller's stop flag.
 *  - Replies are size-capped (AD_REPLY_MAX), parsed strictly, and must
 *    answer the request sent: a reply naming another request id is a
 *    protocol error.
 *  - After an abandoned wait the connection may still receive the late
 *    decision, so it is closed and the next call reconnects.
 */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "proto.h"

struct ad_client {
	int fd;
	int timeout_ms;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
	int64_t d = deadline - now_ms();

	return d < 0 ? 0 : (d > 0x7fffffff ? 0x7fffffff : (int)d);
}

/* Wait for fd to be ready for events; 0, AD_ERR_TIMEOUT or AD_ERR_IO. */
/* Poll one fd until ready or the deadline; a signal that set *stop ends the
 * wait at once (AD_ERR_INTERRUPTED) instead of sleeping on to the deadline. */
static int wait_fd(int fd, short events, int64_t deadline,
		   volatile const int *stop)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		int n = poll(&p, 1, left_ms(deadline));

		if (n > 0)
			return 0;
		if (n == 0)
			return AD_ERR_TIMEOUT;
		if (errno != EINTR)
			return AD_ERR_IO;
		if (stop != NULL && *stop)
			return AD_ERR_INTERRUPTED;
	}
}

static int open_socket(int *fd_out, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int64_t deadline = now_ms() + timeout_ms;
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	*fd_out = -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return AD_ERR_CONNECT;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			close(fd);
			return AD_ERR_CONNECT;
		}
		if (wait_fd(fd, POLLOUT, deadline, NULL) != 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 ||
		    err != 0) {
			close(fd);
			return AD_ERR_CONNECT;
		}
	}
	*fd_out = fd;
	return 0;
}

int ad_client_connect(struct ad_client **out, const char *socket_path,
		      int timeout_ms)
{
	struct ad_client *c;
	int r;

	*out = NULL;
	if (socket_path == NULL || socket_path[0] != '/' || timeout_ms <= 0)
		return AD_ERR_INVALID;
	if (strlen(socket_path) >= sizeof(c->path))
		return AD_ERR_TOOBIG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return AD_ERR_NOMEM;
	memcpy(c->path, socket_path, strlen(socket_path) + 1);
	c->timeout_ms = timeout_ms;
	if ((r = open_socket(&c->fd, c->path, timeout_ms)) != 0) {
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

void ad_client_close(struct ad_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void drop_conn(struct ad_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int send_all(struct ad_client *c, const uint8_t *p, size_t n,
		    int64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_fd(c->fd, POLLOUT, deadline, NULL);
			if (r != 0)
				return r;
			continue;
		}
		return AD_ERR_IO;
	}
	return 0;
}

static int send_msg(struct ad_client *c, const json_t *msg, int64_t deadline)
{
	struct ad_buf b;
	int r;

	if (c->fd < 0 && (r = open_socket(&c->fd, c->path, c->timeout_ms)) != 0)
		return r;
	ad_buf_init(&b, AD_FRAME_HDR + AD_FRAME_MAX);
	if ((r = ad_frame_encode(&b, msg, AD_FRAME_MAX)) == 0)
		r = send_all(c, b.data, b.len, deadline);
	ad_buf_free(&b);
	return r;
}

/* What a blocking receive may be interrupted by (all optional). */
struct recv_ctl {
	volatile const int *stop;
	ad_progress_fn progress;
	void *arg;
	int progress_ms;
	int64_t started;
	int64_t next_tick;
};

/* Poll for input, calling progress and checking stop on the way. */
static int wait_input(struct ad_client *c, int64_t deadline,
		      struct recv_ctl *rc)
{
	for (;;) {
		int64_t until = deadline;
		int r;

		if (rc && rc->stop && *rc->stop)
			return AD_ERR_INTERRUPTED;
		if (rc && rc->progress && rc->next_tick < until)
			until = rc->next_tick;
		r = wait_fd(c->fd, POLLIN, until, rc ? rc->stop : NULL);
		if (r == 0)
			return 0;
		if (r != AD_ERR_TIMEOUT)
			return (rc && rc->stop && *rc->stop) ? AD_ERR_INTERRUPTED : r;
		if (now_ms() >= deadline)
			return AD_ERR_TIMEOUT;
		if (rc && rc->progress && now_ms() >= rc->next_tick) {
			rc->progress(rc->arg,
				     (unsigned)((now_ms() - rc->started) / 1000));
			rc->next_tick = now_ms() + rc->progress_ms;
		}
	}
}

static int recv_exact(struct ad_client *c, uint8_t *p, size_t n,
		      int64_t deadline, struct recv_ctl *rc)
{
	while (n > 0) {
		ssize_t got = recv(c->fd, p, n, 0);
		int r;

		if (got > 0) {
			p += got;
			n -= (size_t)got;
			continue;
		}
		if (got == 0)
			return AD_ERR_TRUNCATED; /* daemon closed mid-frame */
		if (errno == EINTR && !(rc && rc->stop && *rc->stop))
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return AD_ERR_IO;
		if ((r = wait_input(c, deadline, rc)) != 0)
			return r;
	}
	return 0;
}

static int recv_msg(struct ad_client *c, json_t **out, int64_t deadline,
		    struct recv_ctl *rc)
{
	uint8_t hdr[AD_FRAME_HDR];
	uint8_t *payload;
	uint32_t n;
	char err[160];
	int r;

	*out = NULL;
	if ((r = recv_exact(c, hdr, sizeof(hdr), deadline, rc)) != 0)
		return r;
	if ((r = ad_frame_len(&n, hdr, AD_REPLY_MAX)) != 0)
		return AD_ERR_PROTO;
	if ((payload = malloc(n)) == NULL)
		return AD_ERR_NOMEM;
	/* The header arrived: the rest of the frame is owed promptly. */
	if ((r = recv_exact(c, payload, n, rc ? now_ms() + c->timeout_ms
					      : deadline, NULL)) == 0)
		r = ad_frame_decode(out, payload, n, err, sizeof(err));
	free(payload);
	return r;
}

/* One request/reply exchange; reply status checked. */
static int call(struct ad_client *c, const json_t *msg, json_t **reply,
		char *why, size_t whylen)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	int r;

	*reply = NULL;
	if ((r = send_msg(c, msg, deadline)) != 0 ||
	    (r = recv_msg(c, reply, deadline, NULL)) != 0) {
		drop_conn(c); /* stream state unknown: never reuse it */
		return r;
	}
	if ((r = ad_msg_status(*reply, why, whylen)) != 0) {
		json_decref(*reply);
		*reply = NULL;
	}
	return r;
}

int ad_client_call(struct ad_client *c, const json_t *msg, json_t **reply,
		   char *why, size_t whylen)
{
	char none[1];

	*reply = NULL;
	if (why == NULL || whylen == 0) {
		why = none;
		whylen = sizeof(none);
	}
	why[0] = '\0';
	if (c == NULL || msg == NULL)
		return AD_ERR_INVALID;
	return call(c, msg, reply, why, whylen);
}

/* Call an op whose reply is a decision about id (or a new one if id NULL). */
static int call_decision(struct ad_client *c, json_t *msg, const char *id,
			 struct ad_decision *out)
{
	json_t *reply = NULL;
	char why[256];
	int r;

	if (msg == NULL)
		return AD_ERR_NOMEM;
	r = call(c, msg, &reply, why, sizeof(why));
	json_decref(msg);
	if (r != 0)
		return r;
	if (out != NULL) {
		r = ad_decision_from_json(out, reply);
		if (r == 0 && id != NULL && strcmp(out->id, id) != 0) {
			ad_decision_free(out);
			r = AD_ERR_PROTO;
		}
	}
	json_decref(reply);
	return r;
}

static json_t *msg_with_id(const char *op, const char *id)
{
	json_t *m = ad_msg_new(op);

	if (m != NULL && json_object_set_new(m, "id", json_string(id)) != 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

static int valid_id(const char *id)
{
	return id != NULL && id[0] != '\0' && strlen(id) < AD_ID_MAX;
}

int ad_client_create(struct ad_client *c, const struct ad_request *req,
		     struct ad_decision *out)
{
	json_t *m, *rj;

	memset(out, 0, sizeof(*out));
	if (c == NULL || req == NULL)
		return AD_ERR_INVALID;
	if ((m = ad_msg_new("create")) == NULL)
		return AD_ERR_NOMEM;
	if ((rj = ad_request_to_json(req)) == NULL ||
	    json_object_set_new(m, "request", rj) != 0) {
		json_decref(m);
		return AD_ERR_NOMEM;
	}
	return call_decision(c, m, NULL, out);
}

int ad_client_wait(struct ad_client *c, const char *id, int wait_ms,
		   volatile const int *stop, ad_progress_fn progress,
		   void *arg, int progress_ms, struct ad_decision *out)
{
	struct recv_ctl rc = {.stop = stop, .progress = progress, .arg = arg,
			      .progress_ms = progress_ms > 0 ? progress_ms : 1000};
	int64_t deadline;
	json_t *m, *reply = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (c == NULL || !valid_id(id) || wait_ms < 0)
		return AD_ERR_INVALID;
	rc.started = now_ms();
	rc.next_tick = rc.started + rc.progress_ms;
	deadline = rc.started + wait_ms;
	if ((m = msg_with_id("wait", id)) == NULL)
		return AD_ERR_NOMEM;
	r = send_msg(c, m, now_ms() + c->timeout_ms);
	json_decref(m);
	if (r == 0)
		r = recv_msg(c, &reply, deadline, &rc);
	if (r != 0) {
		drop_conn(c); /* a late decision may still arrive on it */
		return r;
	}
	if ((r = ad_msg_status(reply, NULL, 0)) == 0 &&
	    (r = ad_decision_from_json(out, reply)) == 0 &&
	    strcmp(out->id, id) != 0) {
		ad_decision_free(out);
		r = AD_ERR_PROTO;
	}
	json_decref(reply);
	return r;
}

int ad_client_withdraw(struct ad_client *c, const char *id, const char *why)
{
	json_t *m;

	if (c == NULL || !valid_id(id))
		return AD_ERR_INVALID;
	m = msg_with_id("withdraw", id);
	if (m != NULL && json_object_set_new(m, "why", json_string(
				why ? why : "withdrawn by the client")) != 0) {
		json_decref(m);
		m = NULL;
	}
	return call_decision(c, m, id, NULL);
}

int ad_client_consume(struct ad_client *c, const char *id, pid_t pid,
		      struct ad_decision *out)
{
	json_t *m;

	memset(out, 0, sizeof(*out));
	if (c == NULL || !valid_id(id) || pid < 0)
		return AD_ERR_INVALID;
	m = msg_with_id("consume", id);
	if (m != NULL &&
	    json_object_set_new(m, "pid", json_integer(pid)) != 0) {
		json_decref(m);
		m = NULL;
	}
	return call_decision(c, m, id, out);
}

int ad_client_result(struct ad_client *c, const char *id, int exit_status,
		     int sig)
{
	json_t *m;
	int r;

	if (c == NULL || !valid_id(id) || (sig <= 0 && exit_status < 0))
		return AD_ERR_INVALID;
	if ((m = msg_with_id("result", id)) == NULL)
		return AD_ERR_NOMEM;
	if (sig > 0)
		r = json_object_set_new(m, "signal", json_integer(sig));
	else
		r = json_object_set_new(m, "exit_status", json_integer(exit_status));
	if (r != 0) {
		json_decref(m);
		return AD_ERR_NOMEM;
	}
	return call_decision(c, m, id, NULL);
}

int ad_client_health(struct ad_client *c, json_t **reply)
{
	json_t *m;
	int r;

	*reply = NULL;
	if (c == NULL)
		return AD_ERR_INVALID;
	if ((m = ad_msg_new("health")) == NULL)
		return AD_ERR_NOMEM;
	r = call(c, m, reply, (char[2]){0}, 2);
	json_decref(m);
	return r;
}
