/* sha256file.c - SHA-256 of a whole file (see sha256file.h). */
#include "core/sha256file.h"

#include <errno.h>
#include <stdio.h>

#include <mbedtls/sha256.h>

#include "core/err.h"

int tr_sha256_file(const char *path, char hex[TR_SHA256_HEX_LEN + 1], uint64_t *size)
{
    int rc = TR_E_IO;
    unsigned char buf[65536], md[32];
    uint64_t total = 0;
    mbedtls_sha256_context c;
    mbedtls_sha256_init(&c);
    hex[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        goto out;
    if (mbedtls_sha256_starts_ret(&c, 0) != 0)
        goto out;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (mbedtls_sha256_update_ret(&c, buf, n) != 0)
            goto out;
        total += n;
    }
    if (ferror(f)) {
        if (!errno)
            errno = EIO;
        goto out;
    }
    if (mbedtls_sha256_finish_ret(&c, md) != 0)
        goto out;
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof md; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[TR_SHA256_HEX_LEN] = '\0';
    if (size)
        *size = total;
    rc = 0;
out:
    if (f) {
        int e = errno;
        fclose(f);
        errno = e;
    }
    mbedtls_sha256_free(&c);
    return rc;
}
