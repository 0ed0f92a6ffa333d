/*
 * ere_size.c — an upper estimate of a POSIX ERE's size after regcomp(3).
 *
 * Why: glibc's regcomp copies the parse tree of an interval's operand once
 * per repetition, so "((a{99}){99}){99}" asks for about a million nodes
 * and hundreds of MiB before regcomp can say no (tests/fuzz/fuzz_policy
 * found it); its epsilon closures grow with the square of the node count
 * ("(a?){2000}": 34 MiB, "(a?){4000}": 129 MiB); and optional groups
 * nested in repeated ones take time exponential in the depth
 * ("((((((x)?)?)?)?)?)?" under six "+": 3 s; "x??????????+++++++": not
 * done after a minute). policy.c refuses a `ticket` regex before regcomp
 * sees it when its estimate is over AD_ERE_SIZE_MAX (1000: ~10 MiB at
 * most), its groups nest deeper than ERE_DEPTH, or a repetition follows
 * a repetition ("a??", "a+*", "a{2}{3}": undefined in POSIX anyway).
 *
 * Invariants: reads re only up to its NUL; never over-counts a plain
 * pattern below its length; values saturate (no overflow, whatever the
 * counts); too deep or stacked repetitions: -1 (too complex).
 */
#include <stdint.h>
#include <string.h>

#include "ere_size.h"

#define ERE_DEPTH 6 /* groups inside groups, at most */
#define ERE_SAT ((uint64_t)AD_ERE_SIZE_MAX + 1)

struct level {
	uint64_t done; /* the branches before the last '|' */
	uint64_t cur;  /* the branch being read */
	uint64_t last; /* the last atom of cur, what a repetition copies */
};

static uint64_t sat(uint64_t v)
{
	return v > ERE_SAT ? ERE_SAT : v;
}

static void atom(struct level *l, uint64_t w)
{
	l->cur = sat(l->cur + w);
	l->last = w;
}

/* A repetition of the last atom, which then counts f times. */
static void repeat(struct level *l, uint64_t f)
{
	uint64_t now = sat(l->last * (f ? f : 1));

	l->cur = sat(l->cur - l->last + now);
	l->last = now;
}

/* The end of a bracket expression that starts at p ('['), or the NUL. */
static const char *bracket_end(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p != '\0' && *p != ']'; p++) {
		if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			char close = p[1];
			const char *q = p + 2;

			while (*q != '\0' && !(q[0] == close && q[1] == ']'))
				q++;
			if (*q == '\0')
				return q;
			p = q + 1;
		}
	}
	return p;
}

/* One character of an interval as glibc reads it: in an ERE a backslash
 * and X is X (so "{1\\5}" is "{15}": fuzz_policy found "{,1550\\0}"
 * asking for 1.9 GB); *esc says it was escaped (an escaped brace closes
 * nothing). The next position. */
static const char *dup_char(const char *p, char *c, int *esc)
{
	*esc = p[0] == '\\' && p[1] != '\0';
	*c = p[*esc];
	return *c == '\0' ? p + *esc : p + *esc + 1;
}

/* "{m}", "{m,}", "{m,n}" or "{,n}" at p: how many copies regcomp makes,
 * and the closing brace in *end; 0 and *end untouched if it is not a
 * valid interval (regcomp then refuses it, or reads '{' as an atom). */
static uint64_t interval(const char *p, const char **end)
{
	uint64_t v[2] = {0, 0};
	int nd[2] = {0, 0}, k = 0, esc;
	char c;

	for (p++;;) {
		const char *q = dup_char(p, &c, &esc);

		if (c == '\0')
			return 0;
		if (c == '}' && !esc)
			break;
		if (c == ',' && k == 0)
			k = 1;
		else if (c >= '0' && c <= '9') {
			v[k] = sat(v[k] * 10 + (uint64_t)(c - '0'));
			nd[k]++;
		} else {
			return 0;
		}
		p = q;
	}
	if (nd[0] == 0 && k == 0)
		return 0; /* "{}" */
	*end = p;
	if (k == 0)
		return v[0];
	return nd[1] ? (v[1] > v[0] ? v[1] : v[0]) : sat(v[0] + 1);
}

int ad_ere_size(const char *re, size_t *size)
{
	struct level st[ERE_DEPTH + 1];
	int d = 0, dup = 0, was_dup;
	uint64_t f;
	const char *e;

	memset(&st[0], 0, sizeof(st[0]));
	for (const char *p = re; *p != '\0'; p++, dup = was_dup) {
		was_dup = 0;
		switch (*p) {
		case '\\':
			atom(&st[d], 1);
			if (p[1] != '\0')
				p++;
			break;
		case '[':
			atom(&st[d], 1);
			p = bracket_end(p);
			if (*p == '\0')
				p--;
			break;
		case '(':
			if (++d > ERE_DEPTH)
				return -1;
			memset(&st[d], 0, sizeof(st[d]));
			break;
		case ')':
			if (d == 0) {
				atom(&st[0], 1);
				break;
			}
			d--;
			atom(&st[d], sat(st[d + 1].done + st[d + 1].cur));
			break;
		case '|':
			st[d].done = sat(st[d].done + st[d].cur);
			st[d].cur = st[d].last = 0;
			break;
		case '+':
		case '*':
		case '?':
			if (dup)
				return -1;
			if (*p == '+')
				repeat(&st[d], 2);
			was_dup = 1;
			break;
		case '{':
			e = NULL;
			f = interval(p, &e);
			if (e == NULL) {
				atom(&st[d], 1);
			} else {
				if (dup)
					return -1;
				repeat(&st[d], f);
				p = e;
				was_dup = 1;
			}
			break;
		default:
			atom(&st[d], 1);
		}
	}
	while (d > 0) { /* unclosed groups: regcomp refuses them anyway */
		d--;
		atom(&st[d], sat(st[d + 1].done + st[d + 1].cur));
	}
	*size = (size_t)sat(st[0].done + st[0].cur);
	return 0;
}
