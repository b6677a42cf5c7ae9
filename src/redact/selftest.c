/* selftest.c - embedded rule examples, and token key helpers. */
#include "redact/internal.h"
#include "core/ascii.h"

#include "core/err.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/sha256.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct collect {
    uint8_t *out;
    size_t len, cap;
    int withheld;
    int oom;
};

static int collect_emit(void *ctx, const uint8_t *data, size_t len,
                        uint64_t in_off, int kind)
{
    struct collect *c = ctx;
    (void)in_off;
    if (kind != TR_EMIT_DATA) {
        c->withheld = 1;
        return 0;
    }
    if (c->len + len > c->cap) {
        size_t nc = (c->len + len) * 2 + 64;
        uint8_t *n = realloc(c->out, nc);
        if (!n) {
            c->oom = 1;
            return TR_E_NOMEM;
        }
        c->out = n;
        c->cap = nc;
    }
    memcpy(c->out + c->len, data, len);
    c->len += len;
    return 0;
}

/* Runs rule r alone over in, in one push or in 1-byte pushes. */
static int run_one(const struct tr_ruleset *rs, size_t r, const uint8_t *in,
                   size_t n, int bytewise, struct collect *c, uint64_t *matches)
{
    struct tr_redact_opts o;
    memset(&o, 0, sizeof o);
    o.mask_char = '*';
    memset(c, 0, sizeof *c);
    struct tr_redactor *R = tr_redactor_new_sel(rs, &o, collect_emit, c, (long)r);
    if (!R)
        return TR_E_NOMEM;
    int rc = 0;
    if (bytewise) {
        for (size_t i = 0; i < n && !rc; i++)
            rc = tr_redactor_push(R, in + i, 1);
    } else {
        rc = tr_redactor_push(R, in, n);
    }
    if (!rc)
        rc = tr_redactor_flush(R);
    *matches = tr_redactor_rule_matches(R, r);
    tr_redactor_free(R);
    return rc;
}

int tr_rules_selftest(const struct tr_ruleset *rs, FILE *out)
{
    int fails = 0;
    for (size_t r = 0; r < rs->n; r++) {
        const struct tr_rule *ru = &rs->rules[r];
        const char *file = rs->files[ru->file];
        for (size_t e = 0; e < ru->nex; e++) {
            const struct tr_example *ex = &ru->ex[e];
            struct collect c1, c2;
            uint64_t m1 = 0, m2 = 0;
            int rc = run_one(rs, r, ex->in, ex->inlen, 0, &c1, &m1);
            if (!rc)
                rc = run_one(rs, r, ex->in, ex->inlen, 1, &c2, &m2);
            else
                memset(&c2, 0, sizeof c2);
            const char *why = NULL;
            if (rc == TR_E_NOMEM) {
                free(c1.out);
                free(c2.out);
                return TR_E_NOMEM;
            } else if (rc) {
                why = "redactor error";
            } else if (c1.withheld) {
                why = "limit hit (fail closed)";
            } else if (c1.len != c2.len || memcmp(c1.out, c2.out, c1.len)) {
                why = "output differs when pushed one byte at a time";
            } else if (ex->must_match && m1 == 0) {
                why = "must match but did not";
            } else if (!ex->must_match && m1 != 0) {
                why = "must not match but did";
            } else if (ex->expect && (c1.len != ex->explen ||
                                      memcmp(c1.out, ex->expect, c1.len))) {
                why = "redacted output differs from expect";
            }
            if (why) {
                fails++;
                if (out)
                    fprintf(out, "%s:%u: rule %s: %s\n", file, ex->line,
                            ru->id, why);
            }
            free(c1.out);
            free(c2.out);
        }
    }
    return fails;
}

int tr_redact_random_key(uint8_t key[TR_REDACT_KEY_LEN])
{
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    static const unsigned char pers[] = "tlsredact token key";
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, pers,
                                   sizeof pers - 1);
    if (!rc)
        rc = mbedtls_ctr_drbg_random(&drbg, key, TR_REDACT_KEY_LEN);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
    return rc ? TR_E_KEY : 0;
}

int tr_redact_load_key(const char *path, uint8_t key[TR_REDACT_KEY_LEN],
                       char *err, size_t errlen)
{
    uint8_t buf[4096];
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return TR_E_IO;
    }
    size_t n = fread(buf, 1, sizeof buf, f);
    int bad = ferror(f) || !feof(f);
    fclose(f);
    int rc = 0;
    if (bad || n < TR_REDACT_KEY_LEN) {
        if (err && errlen)
            snprintf(err, errlen, "%s: token key file must hold 64 hex digits "
                     "or 32 to 4096 bytes", path);
        rc = TR_E_KEY;
        goto out;
    }
    size_t m = n;
    while (m && (buf[m - 1] == '\n' || buf[m - 1] == '\r'))
        m--;
    int hex = m == 2 * TR_REDACT_KEY_LEN;
    for (size_t i = 0; hex && i < m; i++)
        if (tr_hexval(buf[i]) < 0)
            hex = 0;
    if (hex) {
        for (size_t i = 0; i < TR_REDACT_KEY_LEN; i++)
            key[i] = (uint8_t)(tr_hexval(buf[2 * i]) << 4 | tr_hexval(buf[2 * i + 1]));
    } else if (mbedtls_sha256_ret(buf, n, key, 0) != 0) {
        rc = TR_E_KEY;
    }
out:
    tr_redact_wipe(buf, sizeof buf);
    return rc;
}
