/*
 * ctl_pass.c — passphrase and confirmation prompts (see ctl_pass.h).
 *
 * Invariants: a passphrase is only ever held in sodium_malloc memory and
 * wiped on free; echo is turned off while it is typed and restored before
 * returning, with SIGINT/SIGQUIT/SIGTSTP held back meanwhile so that Ctrl-C
 * cannot leave the terminal without echo; prompts go to the terminal, never
 * to stdout (which carries the token).
 */
#include "ctl_pass.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"

void ctl_pass_free(char *pass)
{
	sodium_free(pass); /* wipes */
}

/* Read one line (without its newline) into buf[cap]; 0 or ad_err. */
static int read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n + 1 >= cap)
			return AD_ERR_TOOBIG;
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

static int pass_from_file(char *buf, const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	int rc;

	if (fd < 0) {
		fprintf(stderr,
		        "approverctl: APPROVERD_PASSPHRASE_FILE %s: %s\n", path,
		        strerror(errno));
		return AD_ERR_IO;
	}
	rc = read_line(fd, buf, CTL_PASS_MAX);
	close(fd);
	if (rc != 0)
		fprintf(stderr, "approverctl: %s: passphrase too long\n", path);
	return rc;
}

/* One prompt on the terminal with echo off. */
static int pass_from_tty(char *buf, int tty, const char *prompt)
{
	struct termios old, noecho;
	sigset_t block, saved;
	int rc;

	if (tcgetattr(tty, &old) != 0)
		return AD_ERR_IO;
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGTSTP);
	sigprocmask(SIG_BLOCK, &block, &saved);
	dprintf(tty, "%s", prompt);
	if (tcsetattr(tty, TCSAFLUSH, &noecho) != 0) {
		sigprocmask(SIG_SETMASK, &saved, NULL);
		return AD_ERR_IO;
	}
	rc = read_line(tty, buf, CTL_PASS_MAX);
	tcsetattr(tty, TCSAFLUSH, &old);
	dprintf(tty, "\n");
	sigprocmask(SIG_SETMASK, &saved, NULL); /* a pending Ctrl-C lands now */
	return rc;
}

static int pass_tty_twice(char *buf, const char *prompt, int confirm)
{
	char *again = NULL;
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int rc;

	if (tty < 0) {
		fprintf(stderr,
		        "approverctl: no terminal to read the passphrase "
		        "(set APPROVERD_PASSPHRASE_FILE)\n");
		return AD_ERR_IO;
	}
	rc = pass_from_tty(buf, tty, prompt);
	if (rc == 0 && confirm) {
		if ((again = sodium_malloc(CTL_PASS_MAX)) == NULL)
			rc = AD_ERR_NOMEM;
		else if ((rc = pass_from_tty(again, tty, "Again: ")) == 0 &&
		         (strlen(buf) != strlen(again) ||
		          sodium_memcmp(buf, again, strlen(buf)) != 0)) {
			fprintf(stderr, "approverctl: passphrases differ\n");
			rc = AD_ERR_PASSPHRASE;
		}
		sodium_free(again);
	}
	close(tty);
	return rc;
}

int ctl_pass_read(char **out, const char *prompt, int confirm)
{
	const char *file = getenv("APPROVERD_PASSPHRASE_FILE");
	char *buf = sodium_malloc(CTL_PASS_MAX);
	int rc;

	*out = NULL;
	if (buf == NULL)
		return AD_ERR_NOMEM;
	if (file != NULL && file[0] != '\0')
		rc = pass_from_file(buf, file);
	else
		rc = pass_tty_twice(buf, prompt, confirm);
	if (rc == 0 && buf[0] == '\0') {
		fprintf(stderr,
		        "approverctl: empty passphrase refused "
		        "(keygen --no-passphrase stores a key unencrypted)\n");
		rc = AD_ERR_PASSPHRASE;
	}
	if (rc != 0) {
		sodium_free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

int ctl_tty_confirm(const char *question)
{
	char answer[16];
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int rc;

	if (tty < 0)
		return AD_ERR_IO;
	dprintf(tty, "%s [y/N] ", question);
	rc = read_line(tty, answer, sizeof(answer));
	close(tty);
	if (rc != 0)
		return 0;
	return strcmp(answer, "y") == 0 || strcmp(answer, "yes") == 0 ||
	       strcmp(answer, "Y") == 0;
}
