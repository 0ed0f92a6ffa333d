/*
 * text.h — making untrusted text safe to log and display (DESIGN.md §4.9).
 *
 * ad_escape() turns every byte that is not printable ASCII (and backslash,
 * double quote) into \\, \", \n, \t, \r or \xHH, so a request field can never
 * forge a log line, a terminal escape, or a key=value pair.
 */
#ifndef APPROVERD_TEXT_H
#define APPROVERD_TEXT_H

#include <stddef.h>

/* malloc'ed escaped copy of in[0..len) (NULL on ENOMEM). */
char *ad_escape_n(const char *in, size_t len);
/* The same escape into out, which must hold 4 * len + 1 bytes; returns the
 * length written (a NUL follows). */
size_t ad_escape_into(char *out, const char *in, size_t len);
char *ad_escape(const char *in);

/* Copy at most cap bytes of in into a malloc'ed string, dropping NUL and
 * replacing other control bytes by '?', cutting at a UTF-8 boundary. Used for
 * APPROVERD_REASON/TICKET/ROLLBACK/AGENT. NULL on ENOMEM. */
char *ad_sanitize(const char *in, size_t cap);

/* Constant-time-ish checks used by parsers. */
int ad_has_ctrl(const char *s); /* any byte < 0x20 or 0x7f */
/* A user, group or notify-name character: [A-Za-z0-9._-]. */
int ad_name_char(char c);
/* s[0..n) is a name of 1..max such characters, not starting with '-'
 * (config.c and the fronts' reader, nano_conf.c, both judge by this). */
int ad_name_ok(const char *s, size_t n, size_t max);
/* s may be the host id: 1..253 name characters or ':', not starting
 * with '-'. NULL: 0. */
int ad_host_name_ok(const char *s);

/* Split a comma/space separated list ("a, b,c") into a NULL-terminated
 * malloc'ed array of malloc'ed strings; *n_out gets the count. */
int ad_split_list(char ***out, size_t *n_out, const char *s)
	__attribute__((warn_unused_result));
void ad_strv_free(char **v);

#endif
