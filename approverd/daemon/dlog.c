/* dlog.c — operational log lines: syslog (LOG_AUTHPRIV), and stderr with -f. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "daemon.h"

static int log_stderr;

void d_log_init(int foreground)
{
	log_stderr = foreground;
	openlog("approverd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

void d_log(int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	syslog(prio, "%s", line);
	if (log_stderr)
		fprintf(stderr, "approverd: %s\n", line);
}
