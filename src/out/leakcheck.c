/* leakcheck.c - see leakcheck.h. */
#include "out/leakcheck.h"
#include "core/err.h"
#include "tls/keystore.h"

#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 16                       /* key material: first 16 bytes */
#define H 8                        /* every pattern is found by its first 8 bytes */
#define PMAX 64                    /* and verified over at most 64 bytes */
#define BASE 0x100000001b3ull      /* rolling hash multiplier */

struct tr_leakcheck {
    uint8_t *pat;                  /* n * PMAX bytes */
    uint8_t *plen;                 /* pattern lengths (H..PMAX) */
    uint64_t *hash;                /* hash of the first H bytes */
    size_t n, cap;
    uint32_t *slots;               /* 0 empty, else index + 1 */
    size_t nslots;
    uint64_t bpow;                 /* BASE^(H-1) */
    uint64_t values;               /* redacted values kept */
    uint64_t values_dropped;       /* beyond the cap */
    int oom;
};

static uint64_t hashh(const uint8_t *p)
{
    uint64_t h = 0;
    for (size_t i = 0; i < H; i++)
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

/* Adds pattern p[0..len) (H <= len <= PMAX) unless already there. */
static int add(struct tr_leakcheck *lc, const uint8_t *p, size_t len)
{
    uint64_t h = hashh(p);
    size_t j = (size_t)(h >> 17) & (lc->nslots - 1);
    while (lc->slots[j]) {
        size_t i = lc->slots[j] - 1;
        if (lc->hash[i] == h && lc->plen[i] == len && memcmp(lc->pat + i * PMAX, p, len) == 0)
            return 0;
        j = (j + 1) & (lc->nslots - 1);
    }
    if (lc->n == lc->cap) {
        size_t nc = lc->cap ? lc->cap * 2 : 256;
        uint8_t *np = malloc(nc * PMAX);
        uint8_t *nl = realloc(lc->plen, nc);
        if (nl)
            lc->plen = nl;
        uint64_t *nh = nl ? realloc(lc->hash, nc * sizeof *nh) : NULL;
        if (nh)
            lc->hash = nh;
        if (!np || !nl || !nh) {
            free(np);
            return TR_E_NOMEM;
        }
        if (lc->n)
            memcpy(np, lc->pat, lc->n * PMAX);
        if (lc->pat) {
            mbedtls_platform_zeroize(lc->pat, lc->cap * PMAX);
            free(lc->pat);
        }
        lc->pat = np;
        lc->cap = nc;
    }
    memcpy(lc->pat + lc->n * PMAX, p, len);
    lc->plen[lc->n] = (uint8_t)len;
    lc->hash[lc->n] = h;
    lc->n++;
    if (lc->n * 2 > lc->nslots)
        return rehash(lc, lc->nslots * 2);
    lc->slots[j] = (uint32_t)lc->n;
    return 0;
}

int tr_leakcheck_add(struct tr_leakcheck *lc, const uint8_t *secret, size_t len)
{
    static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
    int rc = 0;
    if (len >= W)
        rc |= add(lc, secret, W);
    if (len >= W / 2) {
        uint8_t h1[W], h2[W];
        for (size_t i = 0; i < W / 2; i++) {
            h1[2 * i] = (uint8_t)lo[secret[i] >> 4];
            h1[2 * i + 1] = (uint8_t)lo[secret[i] & 15];
            h2[2 * i] = (uint8_t)up[secret[i] >> 4];
            h2[2 * i + 1] = (uint8_t)up[secret[i] & 15];
        }
        rc |= add(lc, h1, W);
        rc |= add(lc, h2, W);
        mbedtls_platform_zeroize(h1, sizeof h1);
        mbedtls_platform_zeroize(h2, sizeof h2);
    }
    return rc ? TR_E_NOMEM : 0;
}

int tr_leakcheck_add_value(struct tr_leakcheck *lc, const uint8_t *v, size_t len)
{
    if (len < H)
        return 0;
    /* a run of one byte (e.g. an already masked value) says nothing */
    size_t k = 1;
    while (k < len && v[k] == v[0])
        k++;
    if (k == len)
        return 0;
    if (lc->values >= TR_LEAKCHECK_MAX_VALUES) {
        lc->values_dropped++;
        return 0;
    }
    lc->values++;
    /* the whole value (or its first PMAX bytes) must appear */
    return add(lc, v, len < PMAX ? len : PMAX);
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
    for (size_t j = 0; j + 1 < H; j++)
        lc->bpow *= BASE;
    if (rehash(lc, 1024) != 0) {
        free(lc);
        return NULL;
    }
    tr_leakcheck_add_keys(lc, ks);
    if (lc->oom) {
        tr_leakcheck_free(lc);
        return NULL;
    }
    return lc;
}

void tr_leakcheck_add_keys(struct tr_leakcheck *lc, const struct tr_keystore *ks)
{
    tr_keystore_foreach_secret(ks, add_cb, lc);
}

size_t tr_leakcheck_patterns(const struct tr_leakcheck *lc) { return lc->n; }

uint64_t tr_leakcheck_values_dropped(const struct tr_leakcheck *lc) { return lc->values_dropped; }

/* First hit at a position < limit of buf[0..n), or -1.  A pattern longer
 * than what is left after its position is no hit here (the caller keeps
 * PMAX-1 bytes for the next chunk, so limit = n - (PMAX-1) unless final). */
static long scan(const struct tr_leakcheck *lc, const uint8_t *buf, size_t n, size_t limit)
{
    if (n < H || lc->n == 0)
        return -1;
    uint64_t h = hashh(buf);
    for (size_t i = 0; i < limit; i++) {
        size_t j = (size_t)(h >> 17) & (lc->nslots - 1);
        while (lc->slots[j]) {
            size_t k = lc->slots[j] - 1;
            size_t len = lc->plen[k];
            if (lc->hash[k] == h && i + len <= n && memcmp(lc->pat + k * PMAX, buf + i, len) == 0)
                return (long)i;
            j = (j + 1) & (lc->nslots - 1);
        }
        if (i + H >= n)
            return -1;
        h = (h - buf[i] * lc->bpow) * BASE + buf[i + H];
    }
    return -1;
}

int tr_leakcheck_mem(const struct tr_leakcheck *lc, const uint8_t *p, size_t n)
{
    return scan(lc, p, n, n) >= 0;
}

int tr_leakcheck_file(const struct tr_leakcheck *lc, const char *path, uint64_t *offset)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = malloc(CHUNK + PMAX);
    if (!buf) {
        fclose(f);
        return -1;
    }
    size_t keep = 0, n;
    uint64_t base = 0;
    int rc = 0;
    for (;;) {
        n = fread(buf + keep, 1, CHUNK, f);
        size_t total = keep + n;
        int final = n == 0;
        size_t limit = final ? total : (total > PMAX - 1 ? total - (PMAX - 1) : 0);
        long at = scan(lc, buf, total, limit);
        if (at >= 0) {
            if (offset)
                *offset = base + (uint64_t)at;
            rc = 1;
            break;
        }
        if (final)
            break;
        keep = total - limit;
        base += limit;
        memmove(buf, buf + limit, keep);
    }
    if (!rc && ferror(f))
        rc = -1;
    mbedtls_platform_zeroize(buf, CHUNK + PMAX);
    free(buf);
    fclose(f);
    return rc;
}

void tr_leakcheck_free(struct tr_leakcheck *lc)
{
    if (!lc)
        return;
    if (lc->pat) {
        mbedtls_platform_zeroize(lc->pat, lc->cap * PMAX);
        free(lc->pat);
    }
    free(lc->plen);
    free(lc->hash);
    free(lc->slots);
    free(lc);
}
