/* leakcheck.c - see leakcheck.h. */
#include "out/leakcheck.h"
#include "core/err.h"
#include "tls/keystore.h"

#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 16                       /* window: every pattern is 16 bytes */
#define BASE 0x100000001b3ull      /* rolling hash multiplier */

struct tr_leakcheck {
    uint8_t (*pat)[W];
    uint64_t *hash;
    size_t n, cap;
    uint32_t *slots;               /* 0 empty, else index + 1 */
    size_t nslots;
    uint64_t bpow;                 /* BASE^(W-1) */
    int oom;
};

static uint64_t hash16(const uint8_t *p)
{
    uint64_t h = 0;
    for (size_t i = 0; i < W; i++)
        h = h * BASE + p[i];
    return h;
}

static int rehash(struct tr_leakcheck *lc, size_t nslots)
{
    uint32_t *s = calloc(nslots, sizeof *s);
    if (!s)
        return TR_E_NOMEM;
    for (size_t i = 0; i < lc->n; i++) {
        size_t j = (size_t)(lc->hash[i] >> 17) & (nslots - 1);
        while (s[j])
            j = (j + 1) & (nslots - 1);
        s[j] = (uint32_t)(i + 1);
    }
    free(lc->slots);
    lc->slots = s;
    lc->nslots = nslots;
    return 0;
}

static int add16(struct tr_leakcheck *lc, const uint8_t *p)
{
    if (lc->n == lc->cap) {
        size_t nc = lc->cap ? lc->cap * 2 : 256;
        uint8_t (*np)[W] = malloc(nc * W);
        uint64_t *nh = realloc(lc->hash, nc * sizeof *nh);
        if (!np || !nh) {
            free(np);
            if (nh)
                lc->hash = nh;
            return TR_E_NOMEM;
        }
        if (lc->n)
            memcpy(np, lc->pat, lc->n * W);
        if (lc->pat) {
            mbedtls_platform_zeroize(lc->pat, lc->cap * W);
            free(lc->pat);
        }
        lc->pat = np;
        lc->hash = nh;
        lc->cap = nc;
    }
    memcpy(lc->pat[lc->n], p, W);
    lc->hash[lc->n] = hash16(p);
    lc->n++;
    if (lc->n * 2 > lc->nslots)
        return rehash(lc, lc->nslots ? lc->nslots * 2 : 1024);
    size_t j = (size_t)(lc->hash[lc->n - 1] >> 17) & (lc->nslots - 1);
    while (lc->slots[j])
        j = (j + 1) & (lc->nslots - 1);
    lc->slots[j] = (uint32_t)lc->n;
    return 0;
}

int tr_leakcheck_add(struct tr_leakcheck *lc, const uint8_t *secret, size_t len)
{
    static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
    int rc = 0;
    if (len >= W)
        rc |= add16(lc, secret);
    if (len >= W / 2) {
        uint8_t h1[W], h2[W];
        for (size_t i = 0; i < W / 2; i++) {
            h1[2 * i] = (uint8_t)lo[secret[i] >> 4];
            h1[2 * i + 1] = (uint8_t)lo[secret[i] & 15];
            h2[2 * i] = (uint8_t)up[secret[i] >> 4];
            h2[2 * i + 1] = (uint8_t)up[secret[i] & 15];
        }
        rc |= add16(lc, h1);
        rc |= add16(lc, h2);
        mbedtls_platform_zeroize(h1, sizeof h1);
        mbedtls_platform_zeroize(h2, sizeof h2);
    }
    return rc ? TR_E_NOMEM : 0;
}

static void add_cb(void *ctx, const uint8_t *secret, size_t len)
{
    struct tr_leakcheck *lc = ctx;
    if (tr_leakcheck_add(lc, secret, len) != 0)
        lc->oom = 1;
}

struct tr_leakcheck *tr_leakcheck_new(const struct tr_keystore *ks)
{
    struct tr_leakcheck *lc = calloc(1, sizeof *lc);
    if (!lc)
        return NULL;
    lc->bpow = 1;
    for (size_t i = 0; i < W - 1; i++)
        lc->bpow *= BASE;
    if (rehash(lc, 1024) != 0) {
        free(lc);
        return NULL;
    }
    tr_keystore_foreach_secret(ks, add_cb, lc);
    if (lc->oom) {
        tr_leakcheck_free(lc);
        return NULL;
    }
    return lc;
}

size_t tr_leakcheck_patterns(const struct tr_leakcheck *lc) { return lc->n; }

static int lookup(const struct tr_leakcheck *lc, uint64_t h, const uint8_t *win)
{
    size_t j = (size_t)(h >> 17) & (lc->nslots - 1);
    while (lc->slots[j]) {
        size_t i = lc->slots[j] - 1;
        if (lc->hash[i] == h && memcmp(lc->pat[i], win, W) == 0)
            return 1;
        j = (j + 1) & (lc->nslots - 1);
    }
    return 0;
}

/* Scans buf (the last W-1 bytes of the previous chunk first, then new
 * bytes); returns the offset of a hit within buf, or -1. */
static long scan(const struct tr_leakcheck *lc, const uint8_t *buf, size_t n)
{
    if (n < W || lc->n == 0)
        return -1;
    uint64_t h = hash16(buf);
    for (size_t i = 0;; i++) {
        if (lookup(lc, h, buf + i))
            return (long)i;
        if (i + W >= n)
            return -1;
        h = (h - buf[i] * lc->bpow) * BASE + buf[i + W];
    }
}

int tr_leakcheck_mem(const struct tr_leakcheck *lc, const uint8_t *p, size_t n)
{
    return scan(lc, p, n) >= 0;
}

int tr_leakcheck_file(const struct tr_leakcheck *lc, const char *path, uint64_t *offset)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = malloc(CHUNK + W);
    if (!buf) {
        fclose(f);
        return -1;
    }
    size_t keep = 0, n;
    uint64_t base = 0;
    int rc = 0;
    while ((n = fread(buf + keep, 1, CHUNK, f)) > 0) {
        long at = scan(lc, buf, keep + n);
        if (at >= 0) {
            if (offset)
                *offset = base + (uint64_t)at;
            rc = 1;
            break;
        }
        size_t total = keep + n;
        keep = total < W - 1 ? total : W - 1;
        base += total - keep;
        memmove(buf, buf + total - keep, keep);
    }
    if (!rc && ferror(f))
        rc = -1;
    mbedtls_platform_zeroize(buf, CHUNK + W);
    free(buf);
    fclose(f);
    return rc;
}

void tr_leakcheck_free(struct tr_leakcheck *lc)
{
    if (!lc)
        return;
    if (lc->pat) {
        mbedtls_platform_zeroize(lc->pat, lc->cap * W);
        free(lc->pat);
    }
    free(lc->hash);
    free(lc->slots);
    free(lc);
}
