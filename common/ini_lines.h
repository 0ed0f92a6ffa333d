/*
 * ini_lines.h — inih with line numbers, strict lines and file:line errors.
 *
 * Invariants: every line reaches inih whole (a line longer than inih's buffer
 * is an error, never silently split); indented (continuation) lines are
 * refused; keys outside a section are refused; "# ..." and "; ..." after
 * whitespace are comments; every error is "FILE:LINE: what is wrong".
 * Used by config.c and policy.c; the caller supplies the text (read with
 * ad_safe_read so that the trust checks of DESIGN.md §4.7 apply).
 */
#ifndef APPROVERD_INI_LINES_H
#define APPROVERD_INI_LINES_H

#include <stddef.h>

/* Longest accepted line, newline excluded (inih's fixed buffer minus 3). */
#define AD_INI_LINE_MAX 197
#define AD_INI_MSG_MAX 256

/*
 * Called at each "[name]" header (name trimmed) and each "key = value"
 * (value without inline comment). Return 0, or a negative ad_err after
 * writing a message without file:line prefix into msg. A section callback
 * may point *line at an earlier line the error is about (an empty section).
 */
typedef int (*ad_ini_section_fn)(void *user, const char *name,
				 unsigned *line, char *msg, size_t msglen);
typedef int (*ad_ini_key_fn)(void *user, const char *key, const char *value,
			     unsigned line, char *msg, size_t msglen);

/*
 * Parse text (NUL-terminated) named file in messages. Stops at the first
 * error and writes "FILE:LINE: message" into err. Returns 0 or
 * AD_ERR_CONFIG (or AD_ERR_NOMEM when a callback returned it).
 */
int ad_ini_parse(const char *file, const char *text,
		 ad_ini_section_fn on_section, ad_ini_key_fn on_key,
		 void *user, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
