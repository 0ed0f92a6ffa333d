/*
 * cmdpat.c — compile and match argument-wise command patterns.
 *
 * Invariants (cmdpat.h): '*' never crosses an argument boundary; only a lone
 * trailing '*' word absorbs further arguments; matching is linear-time with
 * one backtrack point, so a hostile argument cannot blow up the daemon.
 */
#include "cmdpat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

void ad_word_free(struct ad_word *w)
{
	if (w == NULL)
		return;
	free(w->s);
	free(w->star);
	memset(w, 0, sizeof(*w));
}

void ad_cmdpat_free(struct ad_cmdpat *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		ad_word_free(&p->w[i]);
	free(p->w);
	memset(p, 0, sizeof(*p));
}

/* Read one word at *pp (not blank); advance *pp past it. */
static int word_read(struct ad_word *w, const char **pp, char *msg,
		     size_t msglen)
{
	const char *p = *pp;
	size_t cap = strlen(p) + 1, n = 0;

	memset(w, 0, sizeof(*w));
	w->s = calloc(cap, 1);
	w->star = calloc(cap, 1);
	if (w->s == NULL || w->star == NULL) {
		ad_word_free(w);
		return AD_ERR_NOMEM;
	}
	for (; *p != '\0' && !is_blank(*p); p++, n++) {
		if (*p == '\\') {
			if (p[1] == '\0') {
				snprintf(msg, msglen, "pattern ends with a "
						      "lone backslash");
				ad_word_free(w);
				return AD_ERR_CONFIG;
			}
			w->s[n] = *++p;
		} else {
			w->s[n] = *p;
			w->star[n] = (*p == '*');
		}
	}
	w->len = n;
	*pp = p;
	return 0;
}

static int word_is_lone_star(const struct ad_word *w)
{
	return w->len == 1 && w->star[0];
}

static int path_word_ok(const struct ad_word *w, char *msg, size_t msglen)
{
	if (w->len == 0 || w->s[0] != '/') {
		snprintf(msg, msglen, "command must start with an absolute "
				      "path");
		return AD_ERR_CONFIG;
	}
	for (size_t i = 0; i < w->len; i++) {
		if (w->star[i]) {
			snprintf(msg, msglen, "'*' is not allowed in the "
					      "command path");
			return AD_ERR_CONFIG;
		}
	}
	return 0;
}

static int cmdpat_add(struct ad_cmdpat *p, const char **tp, char *msg,
		      size_t msglen)
{
	struct ad_word *nw;
	int rc;

	if (p->n >= AD_CMDPAT_WORDS_MAX) {
		snprintf(msg, msglen, "command pattern has more than %d words",
			 AD_CMDPAT_WORDS_MAX);
		return AD_ERR_CONFIG;
	}
	nw = realloc(p->w, (p->n + 1) * sizeof(*nw));
	if (nw == NULL)
		return AD_ERR_NOMEM;
	p->w = nw;
	if ((rc = word_read(&p->w[p->n], tp, msg, msglen)) != 0)
		return rc;
	p->n++;
	return 0;
}

int ad_cmdpat_compile(struct ad_cmdpat *out, const char *text, char *msg,
		      size_t msglen)
{
	const char *t = text;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (t = text; rc == 0;) {
		while (is_blank(*t))
			t++;
		if (*t == '\0')
			break;
		rc = cmdpat_add(out, &t, msg, msglen);
	}
	if (rc == 0 && out->n == 0) {
		snprintf(msg, msglen, "empty command pattern");
		rc = AD_ERR_CONFIG;
	}
	if (rc == 0)
		rc = path_word_ok(&out->w[0], msg, msglen);
	if (rc == 0 && out->n > 1 && word_is_lone_star(&out->w[out->n - 1])) {
		ad_word_free(&out->w[--out->n]);
		out->rest = 1;
	}
	if (rc != 0)
		ad_cmdpat_free(out);
	return rc;
}

int ad_word_compile_one(struct ad_word *out, const char *text, char *msg,
			size_t msglen)
{
	const char *t = text;
	int rc;

	memset(out, 0, sizeof(*out));
	while (is_blank(*t))
		t++;
	if (*t == '\0') {
		snprintf(msg, msglen, "empty pattern");
		return AD_ERR_CONFIG;
	}
	if ((rc = word_read(out, &t, msg, msglen)) != 0)
		return rc;
	while (is_blank(*t))
		t++;
	if (*t != '\0') {
		ad_word_free(out);
		snprintf(msg, msglen, "expected one word, got several");
		return AD_ERR_CONFIG;
	}
	return 0;
}

int ad_word_match(const struct ad_word *w, const char *s)
{
	size_t p = 0, i = 0, n = strlen(s), star_p = (size_t)-1, star_i = 0;

	while (i < n) {
		if (p < w->len && w->star[p]) {
			star_p = p++;
			star_i = i;
		} else if (p < w->len && w->s[p] == s[i]) {
			p++;
			i++;
		} else if (star_p != (size_t)-1) {
			p = star_p + 1;
			i = ++star_i;
		} else {
			return 0;
		}
	}
	while (p < w->len && w->star[p])
		p++;
	return p == w->len;
}

int ad_cmdpat_match(const struct ad_cmdpat *p, const char *path,
		    char *const *args, size_t nargs)
{
	size_t fixed;

	if (p->n == 0 || path == NULL || !ad_word_match(&p->w[0], path))
		return 0;
	fixed = p->n - 1;
	if (nargs < fixed || (!p->rest && nargs != fixed))
		return 0;
	for (size_t i = 0; i < fixed; i++)
		if (args[i] == NULL || !ad_word_match(&p->w[i + 1], args[i]))
			return 0;
	return 1;
}
