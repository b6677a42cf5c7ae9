/* anon.c - Crypto-PAn over mbedTLS AES (see anon.h). */
#include "out/anon.h"

#include <mbedtls/aes.h>
#include <mbedtls/platform_util.h>
#include <stdlib.h>
#include <string.h>

#define CACHE 4096

struct cache_ent {
    struct tr_addr in, out;
    int used;
};

struct tr_anon {
    mbedtls_aes_context aes;
    uint8_t pad[16];
    struct cache_ent cache[CACHE];
    struct tr_sink next;
};

struct tr_anon *tr_anon_new(const uint8_t key[32])
{
    struct tr_anon *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    mbedtls_aes_init(&a->aes);
    if (mbedtls_aes_setkey_enc(&a->aes, key, 128) != 0 ||
        mbedtls_aes_crypt_ecb(&a->aes, MBEDTLS_AES_ENCRYPT, key + 16, a->pad) != 0) {
        tr_anon_free(a);
        return NULL;
    }
    return a;
}

void tr_anon_free(struct tr_anon *a)
{
    if (!a)
        return;
    mbedtls_aes_free(&a->aes);
    mbedtls_platform_zeroize(a, sizeof *a);
    free(a);
}

/* bits: 32 or 128.  Bit i of the result is bit i of the input XOR the first
 * bit of AES(first i input bits, then the pad's remaining bits). */
static void pan(struct tr_anon *a, const uint8_t *in, uint8_t *out, unsigned bits)
{
    uint8_t block[16], enc[16];
    unsigned bytes = bits / 8;
    memset(out, 0, bytes);
    for (unsigned pos = 0; pos < bits; pos++) {
        memcpy(block, a->pad, 16);
        unsigned full = pos / 8, rem = pos % 8;
        memcpy(block, in, full);
        if (rem) {
            uint8_t mask = (uint8_t)(0xff << (8 - rem));
            block[full] = (uint8_t)((in[full] & mask) | (a->pad[full] & (uint8_t)~mask));
        }
        mbedtls_aes_crypt_ecb(&a->aes, MBEDTLS_AES_ENCRYPT, block, enc);
        out[pos / 8] |= (uint8_t)((enc[0] >> 7) << (7 - pos % 8));
    }
    for (unsigned i = 0; i < bytes; i++)
        out[i] ^= in[i];
}

void tr_anon_addr(struct tr_anon *a, const struct tr_addr *in, struct tr_addr *out)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ in->a[i]) * 16777619u;
    h ^= in->family;
    struct cache_ent *c = &a->cache[h & (CACHE - 1)];
    if (c->used && c->in.family == in->family && !memcmp(c->in.a, in->a, 16)) {
        *out = c->out;
        return;
    }
    memset(out, 0, sizeof *out);
    out->family = in->family;
    pan(a, in->a, out->a, in->family == 6 ? 128 : 32);
    c->in = *in;
    c->out = *out;
    c->used = 1;
}

static void ev(void *ctx, const struct tr_ev *e)
{
    struct tr_anon *a = ctx;
    struct tr_ev copy = *e;
    struct tr_addr cli, srv;
    if (e->cli) {
        tr_anon_addr(a, e->cli, &cli);
        copy.cli = &cli;
    }
    if (e->srv) {
        tr_anon_addr(a, e->srv, &srv);
        copy.srv = &srv;
    }
    a->next.ev(a->next.ctx, &copy);
}

struct tr_sink tr_anon_sink(struct tr_anon *a, struct tr_sink next)
{
    a->next = next;
    struct tr_sink s = {.ev = ev, .ctx = a};
    return s;
}
