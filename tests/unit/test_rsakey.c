/* test_rsakey.c - RSA key loading: every supported format, passwords,
 * non-RSA keys, permissions; password sources. */
#include "tt.h"

#include "core/err.h"
#include "core/password.h"
#include "tls/rsakey.h"

#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYS "tests/unit/data/keys/"

static int load(const char *file, const char *pw, struct tr_rsakey_info *info)
{
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = tr_rsakey_load(file, pw, pw ? strlen(pw) : 0, &pk, info);
    if (rc == 0 && (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA ||
                    mbedtls_pk_get_bitlen(&pk) != 2048))
        rc = -999;
    mbedtls_pk_free(&pk);
    return rc;
}

static void test_plain_formats(void)
{
    static const char *const files[] = {
        KEYS "rsa-pkcs1.pem", KEYS "rsa-pkcs8.pem", KEYS "rsa-pkcs1.der",
        KEYS "rsa-pkcs8.der",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct tr_rsakey_info info;
        TT_EQ_INT(load(files[i], NULL, &info), 0);
        TT_EQ_INT(info.encrypted, 0);
        TT_EQ_INT(info.bits, 2048);
        /* a password given for a plain key is harmless */
        TT_EQ_INT(load(files[i], "test", &info), 0);
    }
}

static void test_encrypted_formats(void)
{
    static const struct { const char *f; enum tr_rsakey_format fmt; } cases[] = {
        {KEYS "rsa-pkcs8-enc.pem", TR_RSAKEY_FMT_PEM_PKCS8_ENC},
        {KEYS "rsa-pkcs8-enc.der", TR_RSAKEY_FMT_DER_PKCS8_ENC},
        {KEYS "rsa-legacy-enc.pem", TR_RSAKEY_FMT_PEM_LEGACY_ENC},
        {KEYS "rsa.p12", TR_RSAKEY_FMT_PKCS12},
        {KEYS "rsa-legacy.p12", TR_RSAKEY_FMT_PKCS12},
        {KEYS "rsa-nocert.p12", TR_RSAKEY_FMT_PKCS12},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tr_rsakey_info info;
        int rc = load(cases[i].f, "test", &info);
        if (rc != 0)
            printf("  %s: %d %s\n", cases[i].f, rc, info.reason ? info.reason : "");
        TT_EQ_INT(rc, 0);
        TT_EQ_INT(info.format, cases[i].fmt);
        TT_EQ_INT(info.encrypted, 1);

        rc = load(cases[i].f, NULL, &info);
        TT_EQ_INT(rc, TR_E_KEY);
        TT_EQ_INT(info.need_password, 1);
        TT_CHECK(info.reason != NULL);

        rc = load(cases[i].f, "wrong", &info);
        TT_EQ_INT(rc, TR_E_KEY);
        TT_EQ_INT(info.need_password, 0);
        TT_EQ_INT(info.wrong_password, 1);
        TT_CHECK(info.reason && strstr(info.reason, "wrong password"));
    }
}

static void test_p12_plain_bag(void)
{
    struct tr_rsakey_info info;
    TT_EQ_INT(load(KEYS "rsa-plainbag.p12", NULL, &info), 0);
    TT_EQ_INT(info.format, TR_RSAKEY_FMT_PKCS12);
    TT_EQ_INT(info.encrypted, 0);
}

static void test_not_rsa(void)
{
    struct tr_rsakey_info info;
    TT_EQ_INT(load(KEYS "ec.pem", NULL, &info), TR_E_KEY);
    TT_CHECK(info.reason && strstr(info.reason, "not an RSA key"));
    TT_CHECK(info.reason && strstr(info.reason, "key log"));
    TT_EQ_INT(load(KEYS "rsa-cert.der", NULL, &info), TR_E_KEY);
    TT_CHECK(info.reason && strstr(info.reason, "certificate"));
    TT_EQ_INT(load(KEYS "make-keys.sh", NULL, &info), TR_E_KEY);
    TT_CHECK(info.reason != NULL);
    TT_EQ_INT(load(KEYS "does-not-exist.pem", NULL, &info), TR_E_IO);
}

static void test_garbage_mem(void)
{
    /* truncations and bit flips of a real key never crash, never succeed
     * with a non-RSA key */
    FILE *f = fopen(KEYS "rsa.p12", "rb");
    TT_CHECK(f != NULL);
    if (!f)
        return;
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (size_t cut = 0; cut < n; cut += 97) {
        mbedtls_pk_context pk;
        struct tr_rsakey_info info;
        mbedtls_pk_init(&pk);
        int rc = tr_rsakey_load_mem(buf, cut, "test", 4, &pk, &info);
        TT_CHECK(rc != 0);
        TT_CHECK(info.reason != NULL);
        mbedtls_pk_free(&pk);
    }
    for (size_t i = 0; i < n; i += 31) {
        mbedtls_pk_context pk;
        struct tr_rsakey_info info;
        mbedtls_pk_init(&pk);
        buf[i] ^= 0x41;
        int rc = tr_rsakey_load_mem(buf, n, "test", 4, &pk, &info);
        TT_CHECK(rc == 0 || info.reason != NULL);
        buf[i] ^= 0x41;
        mbedtls_pk_free(&pk);
    }
}

static void test_perms_warning(void)
{
    char path[] = "/tmp/tlsredact-keyXXXXXX";
    int fd = mkstemp(path);
    TT_CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *in = fopen(KEYS "rsa-pkcs1.pem", "rb");
    char buf[4096];
    size_t n = in ? fread(buf, 1, sizeof buf, in) : 0;
    if (in)
        fclose(in);
    TT_CHECK(write(fd, buf, n) == (ssize_t)n);
    close(fd);
    struct tr_rsakey_info info;
    chmod(path, 0600);
    TT_EQ_INT(load(path, NULL, &info), 0);
    TT_EQ_INT(info.perms_warning, 0);
    chmod(path, 0644);
    TT_EQ_INT(load(path, NULL, &info), 0);
    TT_EQ_INT(info.perms_warning, 1);
    TT_EQ_INT(info.mode, 0644);
    unlink(path);
}

static void test_password_sources(void)
{
    struct tr_password pw;
    char path[] = "/tmp/tlsredact-pwXXXXXX";
    int fd = mkstemp(path);
    TT_CHECK(fd >= 0);
    if (fd < 0)
        return;
    TT_CHECK(write(fd, "s3cret\r\nsecond line\n", 20) == 20);
    close(fd);
    TT_EQ_INT(tr_password_from_file(&pw, path), 0);
    TT_EQ_STR(pw.s, "s3cret");
    TT_EQ_INT(pw.len, 6);
    tr_password_wipe(&pw);
    TT_EQ_INT(pw.len, 0);
    TT_EQ_INT(pw.s[0], 0);

    /* no final newline, empty password */
    fd = open(path, O_WRONLY | O_TRUNC);
    TT_CHECK(fd >= 0 && write(fd, "x", 1) == 1);
    close(fd);
    TT_EQ_INT(tr_password_from_file(&pw, path), 0);
    TT_EQ_STR(pw.s, "x");
    fd = open(path, O_WRONLY | O_TRUNC);
    close(fd);
    TT_EQ_INT(tr_password_from_file(&pw, path), 0);
    TT_EQ_INT(pw.len, 0);
    TT_EQ_INT(pw.set, 1);
    unlink(path);
    TT_EQ_INT(tr_password_from_file(&pw, path), TR_E_IO);

    setenv(TR_PASSWORD_ENV, "test", 1);
    TT_EQ_INT(tr_password_from_env(&pw), 0);
    TT_EQ_STR(pw.s, "test");
    struct tr_rsakey_info info;
    TT_EQ_INT(load(KEYS "rsa.p12", pw.s, &info), 0);
    tr_password_wipe(&pw);
    unsetenv(TR_PASSWORD_ENV);
    TT_EQ_INT(tr_password_from_env(&pw), TR_E_NOKEY);
}

int main(void)
{
    TT_RUN(test_plain_formats);
    TT_RUN(test_encrypted_formats);
    TT_RUN(test_p12_plain_bag);
    TT_RUN(test_not_rsa);
    TT_RUN(test_garbage_mem);
    TT_RUN(test_perms_warning);
    TT_RUN(test_password_sources);
    TT_DONE();
}
