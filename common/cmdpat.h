/*
 * cmdpat.h — argument-wise command patterns (DESIGN.md §5, docs/formats/
 * policy.md).
 *
 * Invariants: a pattern is a list of words matched one per argument; '*'
 * inside a word matches any run of bytes within that one argument and never
 * across arguments; only a lone trailing '*' word matches zero or more further
 * arguments; "\c" is the literal character c (so "\*" is a star and "\ " a
 * space); the first word is a literal absolute path.
 */
#ifndef APPROVERD_CMDPAT_H
#define APPROVERD_CMDPAT_H

#include <stddef.h>

#define AD_CMDPAT_WORDS_MAX 256

struct ad_word {
	char *s;              /* bytes of the word, escapes removed */
	unsigned char *star;  /* star[i] != 0: s[i] is a wildcard */
	size_t len;
};

struct ad_cmdpat {
	struct ad_word *w;    /* w[0] is the command path */
	size_t n;
	int rest;             /* lone trailing '*': any further arguments */
};

/* Compile "PATH ARG..." ; msg gets the reason on AD_ERR_CONFIG. */
int ad_cmdpat_compile(struct ad_cmdpat *out, const char *text, char *msg,
		      size_t msglen) __attribute__((warn_unused_result));
void ad_cmdpat_free(struct ad_cmdpat *p);

/* Compile exactly one word (e.g. a runas pattern). */
int ad_word_compile_one(struct ad_word *out, const char *text, char *msg,
			size_t msglen) __attribute__((warn_unused_result));
void ad_word_free(struct ad_word *w);

/* 1 if s matches the word, else 0. */
int ad_word_match(const struct ad_word *w, const char *s);

/* 1 if path and args[0..nargs) (the arguments after argv[0]) match. */
int ad_cmdpat_match(const struct ad_cmdpat *p, const char *path,
		    char *const *args, size_t nargs);

#endif
