/* password.h - where a key file's password comes from.
 *
 * Three sources, never the command line (it shows in `ps`): a file (first
 * line, CR/LF stripped), the TLSREDACT_KEY_PASSWORD environment variable, or
 * an interactive prompt on /dev/tty with echo off (termios) when there is a
 * terminal.  The password lives in a struct tr_password owned by the caller
 * and is wiped by tr_password_wipe(); every source wipes its own scratch
 * buffers.
 */
#ifndef TR_CORE_PASSWORD_H
#define TR_CORE_PASSWORD_H

#include <stddef.h>

/* Longest password accepted (PKCS#12 PBE allows 128 characters). */
#define TR_PASSWORD_MAX 256
#define TR_PASSWORD_ENV "TLSREDACT_KEY_PASSWORD"

struct tr_password {
    size_t len;
    int set;                        /* a password was obtained (may be empty) */
    char s[TR_PASSWORD_MAX + 1];    /* NUL-terminated */
};

/* Reads the first line of path.  Returns 0, TR_E_IO (cannot open/read; errno
 * kept) or TR_E_ARG (first line longer than TR_PASSWORD_MAX). */
int tr_password_from_file(struct tr_password *pw, const char *path);

/* Reads TLSREDACT_KEY_PASSWORD.  Returns 0, TR_E_NOKEY (unset) or TR_E_ARG
 * (too long). */
int tr_password_from_env(struct tr_password *pw);

/* Prompts on /dev/tty with echo off (the prompt, e.g. "Password for
 * server.key: ", is written to the terminal).  Returns 0, TR_E_UNSUPPORTED
 * (no controlling terminal), TR_E_IO or TR_E_ARG (too long). */
int tr_password_prompt(struct tr_password *pw, const char *prompt);

/* Wipes the password (safe on an already wiped one). */
void tr_password_wipe(struct tr_password *pw);

#endif
