/*
 * ctl_pass.h — passphrases and confirmations for approverctl.
 *
 * A passphrase comes from the file named by APPROVERD_PASSPHRASE_FILE (its
 * first line, for scripts and tests) or else from /dev/tty with echo off.
 * It lives in sodium_malloc memory and is wiped by ctl_pass_free.
 */
#ifndef APPROVERCTL_CTL_PASS_H
#define APPROVERCTL_CTL_PASS_H

#define CTL_PASS_MAX 1024

/* Read a non-empty passphrase; confirm asks twice on the tty. Prints the
 * reason to stderr on failure; returns 0 or a negative ad_err. */
int ctl_pass_read(char **out, const char *prompt, int confirm);
void ctl_pass_free(char *pass);

/* Ask "QUESTION [y/N] " on /dev/tty: 1 for y/yes, 0 for anything else,
 * negative ad_err when there is no terminal. */
int ctl_tty_confirm(const char *question);

#endif
