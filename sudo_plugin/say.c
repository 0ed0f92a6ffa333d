/*
 * say.c — the plugin's two outputs: sudo's plugin printf (stderr, so that a
 * command's stdout is never polluted) and syslog (LOG_AUTHPRIV).
 *
 * Invariants (DESIGN.md §4.9): callers escape untrusted text with
 * ad_escape() before it reaches a format here; the final line is cut at
 * AD_SUDO_MSG_MAX, never overflows; openlog() is never called, so sudo's
 * own syslog identity and facility stay as sudo set them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "plugin.h"

static sudo_printf_t say_printf;

void say_set_printf(sudo_printf_t fn)
{
	say_printf = fn;
}

void say(const char *fmt, ...)
{
	char msg[AD_SUDO_MSG_MAX];
	va_list ap;

	if (say_printf == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say_printf(SUDO_CONV_ERROR_MSG, "approverd: %s\n", msg);
}

void say_line(const char *msg)
{
	if (say_printf != NULL)
		say_printf(SUDO_CONV_ERROR_MSG, "%s\n", msg);
}

void say_log(int prio, const char *fmt, ...)
{
	char msg[AD_SUDO_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	syslog(LOG_AUTHPRIV | prio, "sudo_approverd: %s", msg);
}
