/*
 * syslog_sink — a tiny syslog receiver for the tests: binds a Unix datagram
 * socket at PATH (mode 0666) and appends each datagram plus "\n" to FILE
 * (flushed per datagram). Runs until killed. Usage: syslog_sink PATH FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	static char msg[65536 + 1];
	int s, out;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: syslog_sink SOCKET_PATH OUTPUT_FILE\n");
		return 2;
	}
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	out = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unlink(argv[1]);
	if (out < 0 || s < 0 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(argv[1], 0666) != 0) {
		fprintf(stderr, "syslog_sink: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (;;) {
		ssize_t n = recv(s, msg, sizeof(msg) - 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		msg[n] = '\n';
		if (write_all(out, msg, (size_t)n + 1) != 0)
			return 1;
	}
}
