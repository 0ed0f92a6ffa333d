/*
 * ini_lines.c — feed text to inih line by line, tracking line numbers.
 *
 * Invariants (see ini_lines.h): no line is split, no continuation lines, the
 * first error stops the parse and is reported with its file and line.
 */
#include "ini_lines.h"

#include <stdio.h>
#include <string.h>

#include <ini.h>

#include "error.h"

struct ini_src {
	const char *file;
	const char *p;
	unsigned line;        /* number of the line last handed to inih */
	int indented;         /* that line starts with blank */
	ad_ini_section_fn on_section;
	ad_ini_key_fn on_key;
	void *user;
	int in_section;
	int rc;               /* first error, 0 if none */
	unsigned err_line;
	char msg[AD_INI_MSG_MAX];
};

static void src_fail(struct ini_src *s, int rc, const char *what)
{
	if (s->rc != 0)
		return;
	s->rc = rc;
	s->err_line = s->line;
	if (what != NULL)
		snprintf(s->msg, sizeof(s->msg), "%s", what);
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Section headers are seen here, before inih, so empty sections count. */
static void track_section(struct ini_src *s, const char *text)
{
	char name[AD_INI_LINE_MAX + 1];
	const char *p = skip_blank(text), *close;
	unsigned line;
	size_t n;
	int rc;

	if (s->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p = skip_blank(p + 3);
	if (*p != '[')
		return;
	close = strchr(p, ']');
	if (close == NULL) {
		src_fail(s, AD_ERR_CONFIG, "'[' without ']'");
		return;
	}
	p = skip_blank(p + 1);
	n = (size_t)(close - p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	memcpy(name, p, n);
	name[n] = '\0';
	s->in_section = 1;
	line = s->line;
	rc = s->on_section(s->user, name, &line, s->msg, sizeof(s->msg));
	if (rc != 0) {
		src_fail(s, rc, NULL);
		s->err_line = line;
	}
}

static char *src_read(char *str, int num, void *stream)
{
	struct ini_src *s = stream;
	const char *nl;
	size_t len, content;

	if (s->rc != 0 || *s->p == '\0' || num < 2)
		return NULL;
	nl = strchr(s->p, '\n');
	len = nl != NULL ? (size_t)(nl - s->p) + 1 : strlen(s->p);
	content = nl != NULL ? len - 1 : len;
	if (content > 0 && s->p[content - 1] == '\r')
		content--;
	s->line++;
	if (len > (size_t)num - 1 || content > AD_INI_LINE_MAX) {
		snprintf(s->msg, sizeof(s->msg),
			 "line too long (more than %d characters)",
			 AD_INI_LINE_MAX);
		src_fail(s, AD_ERR_CONFIG, NULL);
		return NULL;
	}
	memcpy(str, s->p, len);
	str[len] = '\0';
	s->p += len;
	s->indented = (str[0] == ' ' || str[0] == '\t');
	track_section(s, str);
	return s->rc != 0 ? NULL : str;
}

/* Cut an inline "# comment" (inih itself cuts " ; comment"). */
static void cut_hash_comment(char *v)
{
	for (char *p = v; *p != '\0'; p++) {
		if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	for (size_t n = strlen(v); n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t');)
		v[--n] = '\0';
}

static int src_handler(void *user, const char *section, const char *name,
		       const char *value)
{
	struct ini_src *s = user;
	char v[AD_INI_LINE_MAX + 1];
	int rc;

	(void)section;
	if (s->rc != 0)
		return 0;
	if (s->indented) {
		src_fail(s, AD_ERR_CONFIG, "indented line (continuation lines "
					   "are not allowed; do not indent keys)");
		return 0;
	}
	if (!s->in_section) {
		snprintf(s->msg, sizeof(s->msg),
			 "key '%.64s' outside of any [section]", name);
		src_fail(s, AD_ERR_CONFIG, NULL);
		return 0;
	}
	snprintf(v, sizeof(v), "%s", value);
	cut_hash_comment(v);
	rc = s->on_key(s->user, name, v, s->line, s->msg, sizeof(s->msg));
	if (rc != 0)
		src_fail(s, rc, NULL);
	return rc == 0;
}

int ad_ini_parse(const char *file, const char *text,
		 ad_ini_section_fn on_section, ad_ini_key_fn on_key,
		 void *user, char *err, size_t errlen)
{
	struct ini_src s;
	int line;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&s, 0, sizeof(s));
	s.file = file;
	s.p = text;
	s.on_section = on_section;
	s.on_key = on_key;
	s.user = user;
	line = ini_parse_stream(src_read, &s, src_handler, &s);
	if (line > 0 && (s.rc == 0 || (unsigned)line < s.err_line)) {
		snprintf(err, errlen, "%s:%d: expected 'key = value' or "
				      "'[section]'", file, line);
		return AD_ERR_CONFIG;
	}
	if (line < 0 && s.rc == 0)
		s.rc = AD_ERR_NOMEM;
	if (s.rc != 0)
		snprintf(err, errlen, "%s:%u: %s", file, s.err_line,
			 s.rc == AD_ERR_NOMEM && s.msg[0] == '\0'
				 ? "out of memory" : s.msg);
	return s.rc == AD_ERR_NOMEM ? AD_ERR_NOMEM : (s.rc ? AD_ERR_CONFIG : 0);
}
