/* password.c - password sources: file, environment, no-echo terminal. */
#include "core/password.h"

#include "core/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <mbedtls/platform_util.h>

void tr_password_wipe(struct tr_password *pw)
{
    if (pw)
        mbedtls_platform_zeroize(pw, sizeof *pw);
}

/* Copies the first line of p[0..n) (stopping at CR or LF) into pw. */
static int set_line(struct tr_password *pw, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != '\n' && p[i] != '\r')
        i++;
    tr_password_wipe(pw);
    if (i > TR_PASSWORD_MAX)
        return TR_E_ARG;
    memcpy(pw->s, p, i);
    pw->s[i] = '\0';
    pw->len = i;
    pw->set = 1;
    return 0;
}

int tr_password_from_file(struct tr_password *pw, const char *path)
{
    char buf[TR_PASSWORD_MAX + 2];
    int rc;
    tr_password_wipe(pw);
    FILE *f = fopen(path, "rb");
    if (!f)
        return TR_E_IO;
    size_t n = fread(buf, 1, sizeof buf, f);
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        mbedtls_platform_zeroize(buf, sizeof buf);
        errno = e;
        return TR_E_IO;
    }
    fclose(f);
    rc = set_line(pw, buf, n);
    mbedtls_platform_zeroize(buf, sizeof buf);
    return rc;
}

int tr_password_from_env(struct tr_password *pw)
{
    tr_password_wipe(pw);
    const char *v = getenv(TR_PASSWORD_ENV);
    if (!v)
        return TR_E_NOKEY;
    return set_line(pw, v, strlen(v));
}

int tr_password_prompt(struct tr_password *pw, const char *prompt)
{
    char buf[TR_PASSWORD_MAX + 2];
    size_t n = 0;
    int rc = 0;
    struct termios old, noecho;

    tr_password_wipe(pw);
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return TR_E_UNSUPPORTED;
    if (!isatty(fd) || tcgetattr(fd, &old) != 0) {
        close(fd);
        return TR_E_UNSUPPORTED;
    }
    noecho = old;
    noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    noecho.c_lflag |= ICANON;
    if (prompt && write(fd, prompt, strlen(prompt)) < 0) {
        close(fd);
        return TR_E_IO;
    }
    if (tcsetattr(fd, TCSAFLUSH, &noecho) != 0) {
        close(fd);
        return TR_E_IO;
    }
    /* canonical mode: read returns at end of line */
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = TR_E_IO;
            break;
        }
        if (r == 0 || c == '\n' || c == '\r')
            break;
        if (n < sizeof buf)
            buf[n++] = c;
        c = 0;
    }
    (void)tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0) {
        /* nothing useful to do: the password is read */
    }
    close(fd);
    if (rc == 0)
        rc = set_line(pw, buf, n);
    mbedtls_platform_zeroize(buf, sizeof buf);
    return rc;
}
