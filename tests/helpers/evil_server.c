/*
 * evil_server — a hostile approverd peer for fault injection (tests only).
 *
 *   evil_server SOCKET MODE [LOG]
 *
 * Listens on SOCKET (bound under a temporary name and renamed once
 * listening, so the path existing means connections are accepted), forks per
 * connection, and answers the client's frames according to MODE. Each
 * received op is appended to LOG as "op NAME [id]" so tests can check what
 * the client sent (e.g. a withdraw after a signal, or no contact at all).
 *
 * MODE is one of:
 *   silent        read frames, never answer
 *   close         close the connection right after the first frame
 *   garbage       answer with bytes that are not a frame
 *   badjson       answer with a frame whose payload is not JSON
 *   wrongver      answer with {"v":2,...}
 *   huge          answer with a frame header announcing 2 GiB
 *   zero          answer with a zero-length frame
 *   truncated     announce 100 bytes, send 10, close
 *   badstate      answer create with state "bogus"
 *   noid          answer create with state "allowed" and id ""
 *   denied        answer create with state "denied" (a well-formed denial)
 *   pending       answer create "pending"; never answer wait
 *   pending-close answer create "pending"; close on wait
 *   wrongid       answer create "pending"; answer wait for another id
 *   stillpending  answer create "pending"; answer wait "pending" again
 *   noconsume     answer create "approved"; answer consume with an error
 *   consumedenied answer create "approved"; answer consume "denied"
 *   allowed       create "allowed", consume "consumed" (fast control)
 *   approve       control: create "pending", wait "approved" after 1 s,
 *                 consume "consumed" (proves the harness can say yes)
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "error.h"
#include "proto.h"

#define EVIL_ID "R-EV1L-0001"

static const char *mode;
static const char *logpath;

static void log_op(const char *op, const char *id)
{
	FILE *f;

	if (logpath == NULL || (f = fopen(logpath, "a")) == NULL)
		return;
	fprintf(f, "op %s%s%s\n", op, id ? " " : "", id ? id : "");
	fclose(f);
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;

	while (n > 0) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static void send_raw_frame(int fd, const char *payload, size_t n)
{
	uint8_t hdr[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16),
			  (uint8_t)(n >> 8), (uint8_t)n};

	if (write_all(fd, hdr, 4) == 0)
		write_all(fd, payload, n);
}

static void send_json(int fd, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	if (s != NULL)
		send_raw_frame(fd, s, strlen(s));
	free(s);
	json_decref(j);
}

static void send_decision(int fd, const char *id, const char *state)
{
	json_t *j = json_pack("{s:i,s:b,s:s,s:s,s:s,s:s,s:[],s:s}", "v", 1,
			      "ok", 1, "id", id, "state", state, "rule",
			      "evil-rule", "requires", "1 approval from role sre",
			      "approvers", "reason", "");

	if (j != NULL && strcmp(state, "approved") == 0) {
		json_object_set_new(j, "approvers", json_pack("[s]", "alice"));
		json_object_set_new(j, "not_after",
				    json_integer((json_int_t)time(NULL) + 600));
	}
	send_json(fd, j);
}

/* Read one client frame; *op and *id point into *msg. -1 on EOF. */
static int read_frame(int fd, json_t **msg, const char **op, const char **id)
{
	uint8_t hdr[4];
	uint32_t n;
	char *p;

	*msg = NULL;
	if (read_all(fd, hdr, 4) != 0)
		return -1;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (n == 0 || n > AD_FRAME_MAX || (p = malloc(n)) == NULL)
		return -1;
	if (read_all(fd, p, n) != 0) {
		free(p);
		return -1;
	}
	*msg = json_loadb(p, n, 0, NULL);
	free(p);
	*op = json_string_value(json_object_get(*msg, "op"));
	*id = json_string_value(json_object_get(*msg, "id"));
	if (*op == NULL)
		*op = "?";
	log_op(*op, *id);
	return 0;
}

static int is(const char *m)
{
	return strcmp(mode, m) == 0;
}

/* Framing faults: answer the first frame with broken bytes. 1 if handled. */
static int framing_fault(int fd)
{
	static const uint8_t huge[4] = {0x7f, 0xff, 0xff, 0xff};
	static const uint8_t zero[4] = {0, 0, 0, 0};
	static const uint8_t trunc[14] = {0, 0, 0, 100, '{', '"', 'v', '"', ':',
					  '1', ',', '"', 'o', 'k'};
	static const char http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";

	if (is("garbage"))
		write_all(fd, http, sizeof(http) - 1);
	else if (is("badjson"))
		send_raw_frame(fd, "{not json", 9);
	else if (is("wrongver"))
		send_json(fd, json_pack("{s:i,s:b,s:s,s:s}", "v", 2, "ok", 1,
					"id", EVIL_ID, "state", "allowed"));
	else if (is("huge"))
		write_all(fd, huge, sizeof(huge));
	else if (is("zero"))
		write_all(fd, zero, sizeof(zero));
	else if (is("truncated"))
		write_all(fd, trunc, sizeof(trunc));
	else
		return 0;
	return 1;
}

static const char *create_state(void)
{
	if (is("badstate"))
		return "bogus";
	if (is("noid"))
		return "allowed";
	if (is("denied"))
		return "denied";
	if (is("noconsume") || is("consumedenied"))
		return "approved";
	if (is("allowed"))
		return "allowed";
	return "pending";
}

/* 0 keep reading, -1 close the connection. */
static int answer(int fd, const char *op, const char *id)
{
	if (is("close") || (is("truncated") && framing_fault(fd)))
		return -1;
	if (is("silent") || framing_fault(fd))
		return 0;
	if (strcmp(op, "create") == 0) {
		send_decision(fd, is("noid") ? "" : EVIL_ID, create_state());
	} else if (strcmp(op, "wait") == 0) {
		if (is("pending-close"))
			return -1;
		if (is("wrongid"))
			send_decision(fd, "R-0THER-0002", "approved");
		else if (is("stillpending"))
			send_decision(fd, EVIL_ID, "pending");
		else if (is("approve")) {
			sleep(1);
			send_decision(fd, EVIL_ID, "approved");
		}
	} else if (strcmp(op, "consume") == 0) {
		if (is("noconsume"))
			send_json(fd, ad_msg_error(AD_ERR_NOSPACE,
						   "evidence could not be written"));
		else
			send_decision(fd, EVIL_ID,
				      is("consumedenied") ? "denied" : "consumed");
	} else {
		send_json(fd, ad_msg_ok());
	}
	(void)id;
	return 0;
}

static void serve(int fd)
{
	json_t *msg;
	const char *op, *id;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (read_frame(fd, &msg, &op, &id) == 0) {
		int r = answer(fd, op, id);
		json_decref(msg);
		if (r < 0)
			break;
	}
	close(fd);
	_exit(0);
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char tmp[sizeof(sa.sun_path)];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	memcpy(sa.sun_path, tmp, strlen(tmp) + 1);
	unlink(tmp);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 16) != 0 || rename(tmp, path) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	int lfd;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: evil_server SOCKET MODE [LOG]\n");
		return 2;
	}
	mode = argv[2];
	logpath = argc == 4 ? argv[3] : NULL;
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = listen_at(argv[1])) < 0) {
		fprintf(stderr, "evil_server: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return 1;
		}
		log_op("connect", NULL);
		if (fork() == 0) {
			close(lfd);
			serve(c);
		}
		close(c);
	}
}
