/*
 * text.c — making untrusted text safe to log and display (DESIGN.md §4.9).
 *
 * Invariants kept here: ad_escape output is pure printable ASCII with no
 * unescaped '"' or '\\', so it can never forge a log line, a key=value
 * pair or a terminal escape; ad_sanitize output holds no NUL or control
 * byte (C0, DEL, C1), only whole valid UTF-8 sequences, and at most cap
 * bytes; all size arithmetic is checked.
 */
#include "text.h"
#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char hexdig[] = "0123456789abcdef";

/* Write the escape of byte c at o; return its length. */
static size_t escape_byte(char *o, unsigned char c)
{
	const char *simple = NULL;

	switch (c) {
	case '\\': simple = "\\\\"; break;
	case '"': simple = "\\\""; break;
	case '\n': simple = "\\n"; break;
	case '\r': simple = "\\r"; break;
	case '\t': simple = "\\t"; break;
	default: break;
	}
	if (simple != NULL) {
		memcpy(o, simple, 2);
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		o[0] = (char)c;
		return 1;
	}
	o[0] = '\\';
	o[1] = 'x';
	o[2] = hexdig[c >> 4];
	o[3] = hexdig[c & 0xf];
	return 4;
}

size_t ad_escape_into(char *out, const char *in, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++)
		o += escape_byte(out + o, (unsigned char)in[i]);
	out[o] = '\0';
	return o;
}

char *ad_escape_n(const char *in, size_t len)
{
	char *out;

	if (in == NULL)
		len = 0;
	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	if ((out = malloc(len * 4 + 1)) == NULL)
		return NULL;
	(void)ad_escape_into(out, in, len);
	return out;
}

char *ad_escape(const char *in)
{
	return ad_escape_n(in, in == NULL ? 0 : strlen(in));
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0; /* overlong, surrogate or > U+10FFFF */
	if (c == 0xc2 && s[1] < 0xa0)
		return 0; /* C1 control characters U+0080..U+009F */
	return n;
}

char *ad_sanitize(const char *in, size_t cap)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t o = 0, n, len = strlen((const char *)s);
	char *out;

	if (len > cap)
		len = cap;
	if (len == SIZE_MAX || (out = malloc(len + 1)) == NULL)
		return NULL;
	while (*s != '\0' && o < cap) {
		if (*s < 0x80) {
			out[o++] = (*s < 0x20 || *s == 0x7f) ? '?' : (char)*s;
			s++;
			continue;
		}
		if ((n = utf8_seq_len(s)) == 0) {
			out[o++] = '?';
			s++;
			continue;
		}
		if (n > cap - o)
			break; /* never cut a sequence in half */
		memcpy(out + o, s, n);
		o += n;
		s += n;
	}
	out[o] = '\0';
	return out;
}

int ad_has_ctrl(const char *s)
{
	int found = 0;

	if (s == NULL)
		return 0;
	for (; *s != '\0'; s++)
		found |= ((unsigned char)*s < 0x20) | (*s == 0x7f);
	return found;
}

/* By hand, no libc call: the sudo and PAM fronts use these (each libc
 * import costs every sudo a symbol look-up). */
int ad_name_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-';
}

int ad_name_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!ad_name_char(s[i]))
			return 0;
	return 1;
}

int ad_host_name_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL || s[0] == '-')
		return 0;
	for (; s[n] != '\0'; n++)
		if (!ad_name_char(s[n]) && s[n] != ':')
			return 0;
	return n > 0 && n <= 253;
}

static int is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f';
}

void ad_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

int ad_split_list(char ***out, size_t *n_out, const char *s)
{
	size_t cnt = 0, i = 0, k;
	const char *p;
	char **v;

	*out = NULL;
	*n_out = 0;
	if (s == NULL)
		return AD_ERR_INVALID;
	for (p = s; *p != '\0'; p++)
		if (!is_sep(*p) && (p == s || is_sep(p[-1])))
			cnt++;
	if ((v = calloc(cnt + 1, sizeof(*v))) == NULL)
		return AD_ERR_NOMEM;
	for (p = s; *p != '\0';) {
		if (is_sep(*p)) {
			p++;
			continue;
		}
		for (k = 0; p[k] != '\0' && !is_sep(p[k]); k++)
			;
		if ((v[i] = strndup(p, k)) == NULL) {
			ad_strv_free(v);
			return AD_ERR_NOMEM;
		}
		i++;
		p += k;
	}
	*out = v;
	*n_out = cnt;
	return AD_OK;
}
