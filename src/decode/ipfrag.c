/* ipfrag.c - bounded IP fragment reassembly (see ipfrag.h). */
#include "decode/ipfrag.h"
#include "core/limits.h"

#include <stdlib.h>
#include <string.h>

/* One bit per 8-byte block of the payload. */
#define NBLOCKS ((TR_IPFRAG_MAX_PAYLOAD + 7u) / 8u)

struct dgram {
    struct tr_ipfrag_key key;
    struct timeval first;  /* capture time of the first fragment seen */
    uint8_t *data;
    size_t cap;
    size_t maxend;         /* highest byte end held */
    size_t total;          /* payload length, once the last fragment is seen */
    size_t nset;           /* blocks held */
    uint64_t nfrags;       /* fragments held (counted in frag_pending) */
    int have_last;
    uint8_t proto;
    int have_first;
    uint8_t map[(NBLOCKS + 7u) / 8u];
};

struct tr_ipfrag {
    struct tr_decode_stats *st;
    struct dgram *tab[TR_IPFRAG_MAX_DATAGRAMS];
    size_t n;
    struct timeval min_first; /* lower bound of every tab[i]->first */
    struct dgram *done;    /* completed, awaiting release */
};

struct tr_ipfrag *tr_ipfrag_new(struct tr_decode_stats *st)
{
    struct tr_ipfrag *f = calloc(1, sizeof *f);
    if (f)
        f->st = st;
    return f;
}

static void dgram_free(struct dgram *g)
{
    if (!g)
        return;
    if (g->data) {
        memset(g->data, 0, g->cap); /* may hold cleartext */
        free(g->data);
    }
    free(g);
}

static void remove_at(struct tr_ipfrag *f, size_t i)
{
    dgram_free(f->tab[i]);
    f->tab[i] = f->tab[--f->n];
    f->tab[f->n] = NULL;
}

/* Drops datagram i: its held fragments move pending -> dropped. */
static void drop_at(struct tr_ipfrag *f, size_t i)
{
    struct dgram *g = f->tab[i];
    f->st->frag_pending -= g->nfrags;
    f->st->frag_dropped += g->nfrags;
    remove_at(f, i);
}

void tr_ipfrag_release(struct tr_ipfrag *f)
{
    dgram_free(f->done);
    f->done = NULL;
}

void tr_ipfrag_flush(struct tr_ipfrag *f)
{
    while (f->n)
        drop_at(f, f->n - 1);
}

void tr_ipfrag_free(struct tr_ipfrag *f)
{
    if (!f)
        return;
    tr_ipfrag_release(f);
    while (f->n)
        remove_at(f, f->n - 1);
    free(f);
}

size_t tr_ipfrag_count(const struct tr_ipfrag *f) { return f->n; }

static int expired(const struct timeval *first, const struct timeval *now)
{
    /* now - first >= timeout, in whole seconds plus microseconds */
    long long d = ((long long)now->tv_sec - (long long)first->tv_sec) * 1000000LL +
                  ((long long)now->tv_usec - (long long)first->tv_usec);
    return d >= (long long)TR_IPFRAG_TIMEOUT_SECS * 1000000LL;
}

static int before(const struct timeval *a, const struct timeval *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_usec < b->tv_usec);
}

void tr_ipfrag_expire(struct tr_ipfrag *f, struct timeval now)
{
    /* cheap common case: nothing can have expired yet */
    if (!f->n || !expired(&f->min_first, &now))
        return;
    size_t i = 0;
    while (i < f->n) {
        if (expired(&f->tab[i]->first, &now)) {
            f->st->frag_timeouts++;
            drop_at(f, i); /* swaps the last into i: recheck i */
        } else {
            i++;
        }
    }
    for (i = 0; i < f->n; i++)
        if (i == 0 || before(&f->tab[i]->first, &f->min_first))
            f->min_first = f->tab[i]->first;
}

static int key_eq(const struct tr_ipfrag_key *a, const struct tr_ipfrag_key *b)
{
    return a->family == b->family && a->proto == b->proto && a->id == b->id &&
           memcmp(a->src.a, b->src.a, 16) == 0 && memcmp(a->dst.a, b->dst.a, 16) == 0;
}

static int bit(const struct dgram *g, size_t b) { return (g->map[b >> 3] >> (b & 7)) & 1; }

static size_t oldest(const struct tr_ipfrag *f)
{
    size_t o = 0;
    for (size_t i = 1; i < f->n; i++) {
        if (before(&f->tab[i]->first, &f->tab[o]->first))
            o = i;
    }
    return o;
}

static int refuse(struct tr_ipfrag *f)
{
    f->st->frag_dropped++;
    return TR_IPFRAG_DROPPED;
}

int tr_ipfrag_add(struct tr_ipfrag *f, const struct tr_ipfrag_key *k,
                  uint32_t off, const uint8_t *p, size_t n, int more,
                  uint8_t proto, struct timeval ts, struct tr_ipfrag_out *out)
{
    size_t end = (size_t)off + n;
    tr_ipfrag_release(f);
    if ((off & 7u) || end > TR_IPFRAG_MAX_PAYLOAD || (more && ((n & 7u) || n == 0)))
        return refuse(f);

    size_t i;
    for (i = 0; i < f->n; i++)
        if (key_eq(&f->tab[i]->key, k))
            break;
    if (i == f->n) {
        if (f->n == TR_IPFRAG_MAX_DATAGRAMS) {
            f->st->frag_evicted++;
            drop_at(f, oldest(f));
        }
        struct dgram *ng = calloc(1, sizeof *ng);
        if (!ng)
            return refuse(f);
        ng->key = *k;
        ng->first = ts;
        if (f->n == 0 || before(&ts, &f->min_first))
            f->min_first = ts;
        i = f->n++;
        f->tab[i] = ng;
    }
    struct dgram *g = f->tab[i];

    /* Consistency with the last fragment (known total length). */
    if (!more) {
        if ((g->have_last && g->total != end) || g->maxend > end)
            goto conflict;
    } else if (g->have_last && end > g->total) {
        goto conflict;
    }
    /* Overlapping bytes must be identical. */
    if (n) {
        for (size_t b = off / 8; b < (end + 7) / 8; b++) {
            if (!bit(g, b))
                continue;
            size_t lo = b * 8 > off ? b * 8 : off;
            size_t hi = b * 8 + 8 < end ? b * 8 + 8 : end;
            if (hi > g->maxend)
                hi = g->maxend;
            if (lo < hi && memcmp(g->data + lo, p + (lo - off), hi - lo) != 0)
                goto conflict;
        }
    }
    if (end > g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 2048;
        while (nc < end)
            nc *= 2;
        if (nc > TR_IPFRAG_MAX_PAYLOAD)
            nc = TR_IPFRAG_MAX_PAYLOAD;
        uint8_t *nd = malloc(nc);
        if (!nd) {
            if (!g->nfrags)
                remove_at(f, i);
            return refuse(f);
        }
        if (g->data) {
            memcpy(nd, g->data, g->cap);
            memset(g->data, 0, g->cap);
            free(g->data);
        }
        g->data = nd;
        g->cap = nc;
    }
    if (n)
        memcpy(g->data + off, p, n);
    for (size_t b = off / 8; b < (end + 7) / 8; b++) {
        if (!bit(g, b)) {
            g->map[b >> 3] |= (uint8_t)(1u << (b & 7));
            g->nset++;
        }
    }
    if (end > g->maxend)
        g->maxend = end;
    if (!more) {
        g->have_last = 1;
        g->total = end;
    }
    if (off == 0) {
        g->have_first = 1;
        g->proto = k->family == 4 ? k->proto : proto;
    }
    if (g->have_last && g->have_first && g->nset == (g->total + 7) / 8) {
        f->st->frag_pending -= g->nfrags;
        f->st->frag_merged += g->nfrags;
        f->st->frag_reassembled++;
        f->done = g;
        f->tab[i] = f->tab[--f->n];
        f->tab[f->n] = NULL;
        out->data = g->data;
        out->len = g->total;
        out->proto = g->proto;
        return TR_IPFRAG_DONE;
    }
    g->nfrags++;
    f->st->frag_pending++;
    return TR_IPFRAG_HELD;

conflict:
    f->st->frag_overlaps++;
    drop_at(f, i);
    return refuse(f);
}
