/*
 * dlog.c — operational log lines: syslog (LOG_AUTHPRIV), and stderr with -f.
 *
 * Lines about a decision (d_log_later, e.g. the break-glass LOG_ALERT) are
 * held while a loop pass is open and leave only once the pass's records
 * are durable (daemon.h, group commit); a failed pass drops them. At most
 * HELD_MAX are held; beyond that a line is dropped and counted, and the
 * count is logged on release (never logged before it is durable).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon.h"

#define HELD_MAX 512

struct held {
	int prio;
	char *line;
};

static int log_stderr;
static int holding;
static struct held held[HELD_MAX];
static size_t n_held, n_lost;

void d_log_init(int foreground)
{
	log_stderr = foreground;
	openlog("approverd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

static void emit(int prio, const char *line)
{
	syslog(prio, "%s", line);
	if (log_stderr)
		fprintf(stderr, "approverd: %s\n", line);
}

void d_log(int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	emit(prio, line);
}

void d_log_later(int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!holding) {
		emit(prio, line);
		return;
	}
	if (n_held == HELD_MAX ||
	    (held[n_held].line = strdup(line)) == NULL) {
		n_lost++;
		return;
	}
	held[n_held++].prio = prio;
}

void d_log_hold(void)
{
	holding = 1;
}

void d_log_release(int emit_them)
{
	for (size_t i = 0; i < n_held; i++) {
		if (emit_them)
			emit(held[i].prio, held[i].line);
		free(held[i].line);
	}
	if (emit_them && n_lost > 0)
		d_log(LOG_WARNING, "%zu log lines about durable decisions were "
		      "dropped (more than %d in one pass)", n_lost, HELD_MAX);
	n_held = n_lost = 0;
	holding = 0;
}
