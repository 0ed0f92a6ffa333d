/*
 * loop.c — the event loop: one epoll set for the listening socket, the
 * signalfd and every client connection.
 *
 * Invariants (DESIGN.md §4.8, §4.9):
 *  - A client's identity is its SO_PEERCRED, read once at accept.
 *  - Frames are size-capped before any allocation; a bad header gets an
 *    error reply and the connection is closed after it is flushed.
 *  - Connections are capped (max_connections) and closed when idle longer
 *    than idle_timeout; a connection parked in `wait` is not idle.
 *  - A frame must arrive whole within idle_timeout of its first byte, so a
 *    client trickling a byte at a time (slowloris) cannot hold a slot.
 *  - Output per connection is capped: a client that does not read its
 *    replies is dropped, it never makes the daemon grow without bound.
 *  - Signals arrive through signalfd, never interrupt a handler midway.
 *  - Group commit (daemon.h): no connection is written to during a pass;
 *    flush_all runs only after journal_pass_end made the pass durable, so
 *    no reply or pushed decision leaves before its records are synced. A
 *    connection's output of the pass starts at gc_mark (whole frames), so
 *    a failed pass is cut back exactly (loop_rollback).
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "error.h"
#include "notify_daemon.h"
#include "proto.h"
#include "verify.h"

#define OUT_MAX (4 * AD_REPLY_MAX)

static void conn_free(struct conn *c)
{
	free(c->in);
	ad_buf_free(&c->out);
	free(c);
}

/* Unlink and close; the memory waits while a job holds it (verify.c). */
static void conn_close(struct daemon *d, struct conn *c)
{
	struct conn **pp = &d->conns;

	while (*pp != NULL && *pp != c)
		pp = &(*pp)->next;
	if (*pp == c)
		*pp = c->next;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	d->n_conns--;
	if (c->held)
		c->dead = 1;
	else
		conn_free(c);
}

/* Held: no input events (errors and hang-ups are always reported). The
 * kernel is told only of a change: most flushes leave the set as it was. */
static void conn_arm(struct daemon *d, struct conn *c)
{
	struct epoll_event e = {.events = c->held ? 0 : EPOLLIN | EPOLLRDHUP,
				.data.ptr = c};

	if (ad_buf_avail(&c->out) > 0)
		e.events |= EPOLLOUT;
	if (e.events == c->armed)
		return;
	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &e) == 0)
		c->armed = e.events;
}

void conn_hold(struct daemon *d, struct conn *c)
{
	c->held = 1;
	conn_arm(d, c);
}

void conn_release(struct daemon *d, struct conn *c)
{
	c->held = 0;
	if (c->dead)
		conn_free(c);
	else
		conn_arm(d, c); /* input again; output goes after the sync */
}

/* Write what we can; 0 to keep the connection, -1 to close it. */
static int conn_flush(struct daemon *d, struct conn *c)
{
	while (ad_buf_avail(&c->out) > 0) {
		ssize_t w = send(c->fd, ad_buf_ptr(&c->out),
				 ad_buf_avail(&c->out), MSG_NOSIGNAL);
		if (w > 0) {
			c->out.off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		return -1;
	}
	if (ad_buf_avail(&c->out) == 0) {
		ad_buf_reset(&c->out);
		if (c->closing)
			return -1;
	}
	conn_arm(d, c);
	return 0;
}

/* The first output of this pass to c: remember where it starts. */
static void conn_mark(const struct daemon *d, struct conn *c)
{
	if (c->gc_gen == d->gc_gen)
		return;
	if (c->out.off > 0 && ad_buf_avail(&c->out) == 0)
		ad_buf_reset(&c->out);
	c->gc_gen = d->gc_gen;
	c->gc_mark = c->out.len;
	c->gc_sent = 0;
	c->gc_woke[0] = '\0';
}

int conn_send(struct daemon *d, struct conn *c, json_t *msg)
{
	int r;

	if (msg == NULL)
		return AD_ERR_NOMEM;
	conn_mark(d, c);
	r = ad_frame_encode(&c->out, msg, AD_REPLY_MAX);
	json_decref(msg);
	if (r == 0)
		c->gc_sent++;
	if (r != 0) {
		if (r == AD_ERR_TOOBIG && ad_buf_avail(&c->out) < OUT_MAX / 2)
			return conn_send_error(d, c, AD_ERR_TOOBIG,
					       "reply too large for one frame");
		c->closing = 1; /* the client does not read: drop it */
	}
	return r;
}

int conn_send_error(struct daemon *d, struct conn *c, int err,
		    const char *fmt, ...)
{
	char m[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return conn_send(d, c, ad_msg_error(err, m));
}

/* A connection object for fd with the peer's kernel credentials. */
static struct conn *conn_new(int fd, const struct ucred *cr)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = fd;
	c->uid = cr->uid;
	c->gid = cr->gid;
	c->pid = cr->pid;
	c->last_ms = d_mono_ms();
	ad_buf_init(&c->out, OUT_MAX);
	return c;
}

const char *conn_user(struct conn *c)
{
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];

	if (!c->user_known) {
		c->user_known = 1;
		if (getpwuid_r(c->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 &&
		    pwp != NULL)
			snprintf(c->user, sizeof(c->user), "%s", pw.pw_name);
	}
	return c->user;
}

/* A non-root uid may hold at most a quarter of the connections, so that
 * one account cannot starve the root clients (sudo plugin, PAM module). */
static int uid_over_limit(const struct daemon *d, uid_t uid, uint32_t max)
{
	size_t n = 0, cap = max / 4 ? max / 4 : 1;

	if (uid == 0)
		return 0;
	for (const struct conn *c = d->conns; c != NULL; c = c->next)
		n += c->uid == uid;
	return n >= cap;
}

static void conn_accept(struct daemon *d)
{
	uint32_t max = rt_config(d->rt)->max_connections;

	for (;;) {
		struct ucred cr;
		socklen_t len = sizeof(cr);
		struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP};
		struct conn *c = NULL;
		int fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (d->n_conns >= max)
			d_log(LOG_WARNING, "connection limit (%u) reached; refusing "
			      "a client", max);
		if (d->n_conns >= max ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
		    uid_over_limit(d, cr.uid, max) ||
		    (c = conn_new(fd, &cr)) == NULL ||
		    (e.data.ptr = c, epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &e)) != 0) {
			if (c != NULL)
				ad_buf_free(&c->out);
			free(c);
			close(fd);
			continue;
		}
		c->armed = e.events;
		c->next = d->conns;
		d->conns = c;
		d->n_conns++;
	}
}

/* A complete frame is in c->in: decode and dispatch it. */
static void conn_frame(struct daemon *d, struct conn *c)
{
	char err[256];
	json_t *msg = NULL;
	int r = ad_frame_decode(&msg, c->in, c->in_len, err, sizeof(err));

	free(c->in);
	c->in = NULL;
	c->hdr_got = 0;
	c->in_len = c->in_got = 0;
	if (r != 0) {
		conn_send_error(d, c, r, "%s", err);
		c->closing = 1;
		return;
	}
	ops_dispatch(d, c, msg);
	json_decref(msg);
}

/* Feed bytes into the frame being assembled; -1 = protocol error. */
static int conn_feed(struct daemon *d, struct conn *c, const uint8_t *p,
		     size_t n)
{
	while (n > 0 && !c->closing) {
		if (c->hdr_got < sizeof(c->hdr)) {
			size_t k = sizeof(c->hdr) - c->hdr_got;
			int r;

			if (c->hdr_got == 0)
				c->frame_ms = d_mono_ms();

			k = k < n ? k : n;
			memcpy(c->hdr + c->hdr_got, p, k);
			c->hdr_got += k;
			p += k;
			n -= k;
			if (c->hdr_got < sizeof(c->hdr))
				break;
			if ((r = ad_frame_len(&c->in_len, c->hdr, AD_FRAME_MAX)) != 0) {
				conn_send_error(d, c, r, "frame length must be 1..%u "
						"bytes", (unsigned)AD_FRAME_MAX);
				c->closing = 1;
				return -1;
			}
			if ((c->in = malloc(c->in_len)) == NULL)
				return -1;
			continue;
		}
		size_t k = c->in_len - c->in_got;
		k = k < n ? k : n;
		memcpy(c->in + c->in_got, p, k);
		c->in_got += (uint32_t)k;
		p += k;
		n -= k;
		if (c->in_got == c->in_len) {
			c->more_input = n > 0;
			conn_frame(d, c);
			if (c->held)
				break; /* n == 0: a frame goes out only alone */
		}
	}
	return 0;
}

/* Read what is there; -1 when the connection is to be closed now. */
static int conn_read(struct daemon *d, struct conn *c)
{
	uint8_t chunk[16384];

	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(c->fd, chunk, sizeof(chunk), 0);

		if (n > 0) {
			c->last_ms = d_mono_ms();
			if (c->closing)
				continue; /* discard input after an error */
			if (conn_feed(d, c, chunk, (size_t)n) != 0 && !c->closing)
				return -1;
			if (c->held)
				return 0; /* the rest waits for the verifier */
			/* a short read emptied the socket: no recv just to hear
			 * EAGAIN (epoll is level-triggered and reports more) */
			if ((size_t)n < sizeof(chunk))
				return 0;
			continue;
		}
		if (n == 0)
			return -1; /* peer closed (a parked waiter gave up) */
		if (errno == EINTR)
			continue;
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
	}
	return 0;
}

/* Read only: what a frame answers is flushed after the pass's sync. */
static void conn_event(struct daemon *d, struct conn *c, uint32_t ev)
{
	if ((ev & EPOLLIN) && !c->held && conn_read(d, c) != 0)
		c->closing = 1;
	if (ev & (EPOLLERR | EPOLLHUP))
		conn_close(d, c);
}

/* Push the decision to every connection parked on q (held with the rest
 * of the pass until it is durable; none while replaying). */
void loop_notify(struct daemon *d, const struct dreq *q)
{
	if (!store_is_final(q->state) || d->gc_rebuilding)
		return;
	for (struct conn *c = d->conns; c != NULL; c = c->next) {
		if (c->wait_id[0] == '\0' ||
		    strncmp(c->wait_id, q->req.id, AD_ID_MAX) != 0)
			continue;
		conn_mark(d, c);
		memcpy(c->gc_woke, c->wait_id, sizeof(c->gc_woke));
		c->wait_id[0] = '\0';
		c->last_ms = d_mono_ms();
		ops_decision_reply(d, c, q);
	}
}

/* A waiter woken by the lost pass: parked again if its request is still
 * undecided in the rebuilt state, answered now if decided, else told. */
static uint32_t rollback_waiter(struct daemon *d, struct conn *c)
{
	struct dreq *q = store_find(d, c->gc_woke);

	if (q == NULL)
		return 1;
	if (store_is_final(q->state)) {
		ops_decision_reply(d, c, q);
		return 0;
	}
	memcpy(c->wait_id, c->gc_woke, sizeof(c->wait_id));
	return 0;
}

void loop_rollback(struct daemon *d, int err)
{
	for (struct conn *c = d->conns; c != NULL; c = c->next) {
		uint32_t owed;

		if (c->gc_gen != d->gc_gen)
			continue; /* heard nothing from this pass */
		c->out.len = c->gc_mark;
		owed = c->gc_sent;
		c->gc_gen = 0; /* a new mark for what follows */
		if (c->gc_woke[0] != '\0') { /* its pushed decision is gone */
			owed -= owed > 0;
			owed += rollback_waiter(d, c);
			c->gc_woke[0] = '\0';
		}
		while (owed-- > 0)
			conn_send_error(d, c, err, "evidence could not be written "
					"(%s); nothing of this operation counts",
					ad_strerror(err));
	}
}

/* Flush replies queued outside an event of their own connection. */
static void flush_all(struct daemon *d)
{
	struct conn *c = d->conns, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		if ((ad_buf_avail(&c->out) > 0 || c->closing) &&
		    conn_flush(d, c) != 0)
			conn_close(d, c);
	}
}

/* Idle connections get an error and are closed; one that is already
 * closing but does not read its last reply is dropped outright. */
static void sweep_idle(struct daemon *d)
{
	int64_t now = d_mono_ms();
	int64_t idle = (int64_t)rt_config(d->rt)->idle_timeout * 1000;
	struct conn *c = d->conns, *next;

	for (; c != NULL; c = next) {
		int slow = c->hdr_got > 0 && now - c->frame_ms >= idle;

		next = c->next;
		if (!slow &&
		    (c->wait_id[0] != '\0' || now - c->last_ms < idle))
			continue;
		if (c->closing) {
			conn_close(d, c);
			continue;
		}
		conn_send_error(d, c, AD_ERR_TIMEOUT,
				slow ? "frame not complete within %llus; closing"
				     : "idle for %llus; closing",
				(unsigned long long)rt_config(d->rt)->idle_timeout);
		c->closing = 1;
		c->last_ms = now;
	}
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			d_reload(d);
		else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			d->stop = 1;
	}
}

int loop_run(struct daemon *d)
{
	struct epoll_event evs[64];

	while (!d->stop) {
		int n = epoll_wait(d->epfd, evs, 64, 1000);

		if (n < 0 && errno != EINTR) {
			d_log(LOG_ERR, "epoll_wait: %s", strerror(errno));
			return AD_ERR_IO;
		}
		journal_pass_begin(d);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &d->lfd)
				conn_accept(d);
			else if (evs[i].data.ptr == &d->sigfd)
				on_signal(d);
			else if (evs[i].data.ptr == (void *)&d->http)
				dn_run(d);
			else if (evs[i].data.ptr == &d->vfd)
				verify_drain(d);
			else
				conn_event(d, evs[i].data.ptr, evs[i].events);
			if (d->gc_written >= J_PASS_RECORDS)
				journal_sync(d); /* bound one group's size */
		}
		journal_tick(d);
		journal_pass_end(d); /* ONE fdatasync, then the output may go */
		journal_checkpoint_due(d);
		sweep_idle(d);
		flush_all(d);
	}
	return d->gc_fatal ? AD_ERR_IO : 0;
}

void loop_close_all(struct daemon *d)
{
	while (d->conns != NULL)
		conn_close(d, d->conns);
}
