/* redact.c - the streaming redactor.
 *
 * Each rule r keeps a scan position x[r] (stream offset): no match of r can
 * start before it that has not been recorded.  A search runs on the subject
 * [.., T) with T = min(x + window, end of data) and PCRE2_PARTIAL_HARD, so a
 * complete match or "no match" never depends on bytes beyond T, and a
 * partial match at m means "wait at m".  Because T only depends on x and the
 * window, the recorded matches do not depend on how the stream was cut.
 * A match attempt that still wants bytes after a whole window fails closed
 * (that window is withheld).
 *
 * Keyword rules: a match must contain one of the rule's keywords
 * (case-insensitive).  Keyword occurrences are found by one incremental scan
 * shared by all rules (a hash of 3-byte prefixes, 8 positions per step,
 * then 4-byte prefixes, then an exact check; memchr for 1-byte keywords); a
 * rule with no occurrence at or after x skips to (scanned - kwwithin)
 * without running PCRE2.
 *
 * Prefiltered rules (keyword-less, with a "prefilter" byte-class sequence
 * that every match satisfies at its start): one incremental scan classifies
 * the bytes into bit arrays (one per class, 64 positions per word) and
 * records each rule's candidate starts; x jumps to the next candidate.
 *
 * Why skipping keeps the output identical: with T = x + window, PCRE2's
 * decision for a start s >= x (match, no match, partial) only depends on
 * the bytes it inspected, and a start it would report is re-tried with
 * T = s + window.  So the matches found are, start by start, those of an
 * evaluation of s alone with subject end s + window - whatever x the scan
 * came from.  A start that cannot match (no keyword within reach, or the
 * prefilter fails) can therefore be skipped without changing any match.
 *
 * Output: bytes before F = min x[r] are final (no new match can start
 * there); spans crossing F hold F back to their start.  Overlapping spans
 * merge, each byte taking the most protective action.
 */
#include "redact/internal.h"

#include "core/buf.h"
#include "core/err.h"

#include <mbedtls/md.h>
/* TR_REDACT_PORTABLE: the plain C paths only (to test them on x86) */
#if defined(__SSE2__) && !defined(TR_REDACT_PORTABLE)
#define USE_SSE2 1
#include <emmintrin.h>
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    !defined(TR_REDACT_PORTABLE)
#define USE_LE64 1
#endif
#include <stdlib.h>
#include <string.h>

#define ACT_LIMIT 4 /* withheld by a limit hit: above every rule action */
#define NO_POS UINT64_MAX

struct span {
    uint64_t s, e;
    int act;
};

struct occ {
    uint64_t pos;
    size_t kw;
};

/* Candidate starts of one prefiltered rule, ascending. */
struct pfq {
    uint64_t *pos;
    size_t head, n, cap;
};

struct tr_redactor {
    void (*on_secret)(void *ctx, const uint8_t *p, size_t n); /* leak self-check feed */
    void *secret_ctx;
    const struct tr_ruleset *rs;
    tr_redact_emit_fn emit;
    void *ctx;
    long only;
    int media;          /* enum tr_media of the bytes being pushed */
    int keep_length;    /* drop / limit spans become mask fill */
    uint8_t mask;
    int have_key;
    uint8_t key[TR_REDACT_KEY_LEN];
    mbedtls_md_context_t md;
    int md_ok;
    pcre2_match_data *mdata;
    pcre2_match_context *mctx; /* ruleset's limits + per-call offset limit */

    struct tr_buf buf;  /* stream bytes [base, end) */
    uint64_t base, end;
    uint64_t sstart;    /* where the current stream (after a flush) began */
    uint64_t emitted;   /* next stream offset to emit */
    uint64_t kw_scanned;
    uint64_t pf_scanned; /* prefilter evaluated for every start before it */
    struct pfq *pfq;     /* per prefiltered rule slot */
    uint64_t *x;
    uint64_t *occ_cur;  /* per rule, absolute occurrence index */
    struct occ *occ;
    size_t nocc, capocc;
    uint64_t occ_lo;    /* absolute index of occ[0] */
    struct span *sp;
    size_t nsp, capsp;
    uint8_t *scratch;
    size_t capscratch;
    uint64_t *rmatch, *rbytes;
    struct tr_redact_stats st;
    int failed;
};

void tr_redact_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

static int active(const struct tr_redactor *R, size_t r)
{
    return (R->only < 0 || (size_t)R->only == r) &&
           (R->rs->rules[r].media & (1u << R->media));
}

struct tr_redactor *tr_redactor_new_sel(const struct tr_ruleset *rs,
                                        const struct tr_redact_opts *opts,
                                        tr_redact_emit_fn emit, void *ctx,
                                        long only)
{
    struct tr_redactor *R = calloc(1, sizeof *R);
    if (!R)
        return NULL;
    R->rs = rs;
    R->emit = emit;
    R->ctx = ctx;
    R->only = only;
    R->mask = (opts && opts->mask_char) ? (uint8_t)opts->mask_char : '*';
    if (opts) {
        R->on_secret = opts->on_secret;
        R->secret_ctx = opts->secret_ctx;
        R->keep_length = opts->keep_length;
    }
    mbedtls_md_init(&R->md);
    if (opts && opts->token_key && only < 0) {
        memcpy(R->key, opts->token_key, TR_REDACT_KEY_LEN);
        R->have_key = 1;
        const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
        if (!mi || mbedtls_md_setup(&R->md, mi, 1) != 0)
            goto fail;
        R->md_ok = 1;
    }
    size_t win2 = 2 * rs->max_window + rs->context + rs->maxklen + rs->pf_kmax;
    tr_buf_init(&R->buf, win2 + 2 * TR_REDACT_SLICE + 4096);
    R->x = calloc(rs->n, sizeof *R->x);
    R->occ_cur = calloc(rs->n, sizeof *R->occ_cur);
    R->rmatch = calloc(rs->n, sizeof *R->rmatch);
    R->rbytes = calloc(rs->n, sizeof *R->rbytes);
    R->mdata = pcre2_match_data_create(rs->max_groups + 1, NULL);
    R->mctx = pcre2_match_context_copy(rs->mctx);
    if (rs->pf_n && !(R->pfq = calloc(rs->pf_n, sizeof *R->pfq)))
        goto fail;
    if (!R->mctx || !R->x || !R->occ_cur || !R->rmatch || !R->rbytes || !R->mdata)
        goto fail;
    for (size_t r = 0; r < rs->n; r++)
        R->x[r] = active(R, r) ? 0 : NO_POS;
    return R;
fail:
    tr_redactor_free(R);
    return NULL;
}

struct tr_redactor *tr_redactor_new(const struct tr_ruleset *rs,
                                    const struct tr_redact_opts *opts,
                                    tr_redact_emit_fn emit, void *ctx)
{
    return tr_redactor_new_sel(rs, opts, emit, ctx, -1);
}

void tr_redactor_free(struct tr_redactor *R)
{
    if (!R)
        return;
    tr_buf_free(&R->buf);
    if (R->scratch) {
        tr_redact_wipe(R->scratch, R->capscratch);
        free(R->scratch);
    }
    tr_redact_wipe(R->key, sizeof R->key);
    mbedtls_md_free(&R->md);
    if (R->mdata)
        pcre2_match_data_free(R->mdata);
    if (R->mctx)
        pcre2_match_context_free(R->mctx);
    free(R->x);
    free(R->occ_cur);
    free(R->rmatch);
    free(R->rbytes);
    free(R->occ);
    free(R->sp);
    if (R->pfq)
        for (size_t i = 0; i < R->rs->pf_n; i++)
            free(R->pfq[i].pos);
    free(R->pfq);
    free(R);
}

static const uint8_t *at(const struct tr_redactor *R, uint64_t pos)
{
    return R->buf.data + (pos - R->base);
}

static int add_span(struct tr_redactor *R, uint64_t s, uint64_t e, int act)
{
    if (R->nsp == R->capsp) {
        size_t nc = R->capsp ? 2 * R->capsp : 16;
        struct span *n = realloc(R->sp, nc * sizeof *n);
        if (!n)
            return TR_E_NOMEM;
        R->sp = n;
        R->capsp = nc;
    }
    R->sp[R->nsp].s = s;
    R->sp[R->nsp].e = e;
    R->sp[R->nsp].act = act;
    R->nsp++;
    return 0;
}

static int add_occ(struct tr_redactor *R, uint64_t pos, size_t kw)
{
    if (R->nocc == R->capocc) {
        size_t nc = R->capocc ? 2 * R->capocc : 64;
        struct occ *n = realloc(R->occ, nc * sizeof *n);
        if (!n)
            return TR_E_NOMEM;
        R->occ = n;
        R->capocc = nc;
    }
    R->occ[R->nocc].pos = pos;
    R->occ[R->nocc].kw = kw;
    R->nocc++;
    return 0;
}

static int ieq(const uint8_t *p, const uint8_t *lower, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tr_lower(p[i]) != lower[i])
            return 0;
    return 1;
}

/* Records the keywords occurring at p[i] (p = at(kw_scanned), avail bytes
 * there), in kworder order. */
static int kw_at(struct tr_redactor *R, const uint8_t *p, size_t i, size_t avail)
{
    const struct tr_ruleset *rs = R->rs;
    uint8_t l0 = tr_lower(p[i]);
    for (size_t k = rs->kwb[l0]; k < rs->kwb[l0 + 1]; k++) {
        const struct tr_kw *kw = &rs->kws[rs->kworder[k]];
        if (kw->len <= avail - i && ieq(p + i, kw->s, kw->len)) {
            int rc = add_occ(R, R->kw_scanned + i, rs->kworder[k]);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* A position whose first 3 bytes hash like a keyword's (4 bytes readable):
 * when only keywords of 4+ bytes hash there, their folded first 4 bytes
 * must hash like one of them too. */
static int kw_cand(struct tr_redactor *R, const uint8_t *p, size_t i, size_t avail)
{
    const struct tr_ruleset *rs = R->rs;
    uint32_t v;
    memcpy(&v, p + i, 4);
    v |= 0x20202020u;
    if (!rs->kwshort[tr_kwhash3(v & rs->kwmask3)] && !rs->kwquad[tr_kwhash3(v)])
        return 0;
    return kw_at(R, p, i, avail);
}

/* First position >= i and < n of a 1-byte keyword, n if none. */
static size_t next_kw1(const struct tr_ruleset *rs, const uint8_t *p, size_t i,
                       size_t n)
{
    size_t best = n;
    for (size_t k = 0; k < rs->nkw1b && i < best; k++) {
        const uint8_t *q = memchr(p + i, rs->kw1b[k], best - i);
        if (q)
            best = (size_t)(q - p);
    }
    return best;
}

/* Records keyword occurrences starting in [kw_scanned, lim).  Candidates:
 * positions whose first 3 bytes, folded with | 0x20, hash to a bit set by a
 * keyword (tr_lower(c) == k implies (c | 0x20) == (k | 0x20), so every
 * occurrence of a keyword of 2+ bytes is a candidate), and the positions of
 * 1-byte keywords (memchr).  Each candidate is verified exactly, in the
 * same order as a byte-by-byte scan. */
static int scan_keywords(struct tr_redactor *R, int final)
{
    const struct tr_ruleset *rs = R->rs;
    if (!rs->nkws)
        return 0;
    uint64_t lim = R->end;
    if (!final)
        lim = R->end >= R->sstart + rs->maxklen ? R->end - (rs->maxklen - 1) : R->sstart;
    if (lim <= R->kw_scanned)
        return 0;
    const uint8_t *p = at(R, R->kw_scanned);
    size_t n = (size_t)(lim - R->kw_scanned);
    size_t avail = (size_t)(R->end - R->kw_scanned);
    size_t nfast = avail >= 4 ? avail - 3 : 0; /* 4 bytes readable */
    if (nfast > n)
        nfast = n;
    const uint8_t *tab = rs->kwhash;
    const uint32_t m3 = rs->kwmask3;
    size_t i = 0;
    size_t nx1 = rs->nkw1b ? next_kw1(rs, p, 0, n) : n;
    int rc = 0;
    while (i < n && !rc) {
        size_t stop = nx1 < nfast ? nx1 : nfast;
#ifdef USE_LE64
        /* 8 positions per step from two 8-byte loads, one branch */
        for (; i + 8 <= stop; i += 8) {
            uint64_t a, b;
            memcpy(&a, p + i, 8);
            memcpy(&b, p + i + 2, 8);
            a |= 0x2020202020202020u;
            b |= 0x2020202020202020u;
#define H3(x) tab[tr_kwhash3((uint32_t)(x) & 0xffffffu)]
            unsigned m = (unsigned)H3(a) | (unsigned)H3(a >> 8) << 1 |
                         (unsigned)H3(a >> 16) << 2 | (unsigned)H3(a >> 24) << 3 |
                         (unsigned)H3(a >> 32) << 4 | (unsigned)H3(a >> 40) << 5 |
                         (unsigned)H3(b >> 32) << 6 | (unsigned)H3(b >> 40) << 7;
#undef H3
            while (m) {
                unsigned j = (unsigned)__builtin_ctz(m);
                m &= m - 1;
                if ((rc = kw_cand(R, p, i + j, avail)))
                    return rc;
            }
        }
#endif
        for (; i < stop; i++) {
            uint32_t v;
            memcpy(&v, p + i, 4);
            if (tab[tr_kwhash3((v | 0x20202020u) & m3)])
                if ((rc = kw_cand(R, p, i, avail)))
                    return rc;
        }
        if (i >= nfast && i < nx1) {
            /* the last bytes: verify every position */
            size_t e = nx1 < n ? nx1 : n;
            for (; i < e && !rc; i++)
                rc = kw_at(R, p, i, avail);
        }
        if (!rc && i == nx1 && i < n) {
            rc = kw_at(R, p, i, avail);
            i++;
            nx1 = next_kw1(rs, p, i, n);
        }
    }
    if (rc)
        return rc;
    R->kw_scanned = lim;
    return 0;
}

/* Shift of a bit array: bit i of the result is bit i + sh of a (sh < 64). */
static inline uint64_t shr_at(const uint64_t *a, size_t w, unsigned sh)
{
    return sh ? a[w] >> sh | a[w + 1] << (64 - sh) : a[w];
}

/* out[c * stride] bit i = bit c of tb[i], for c < ncls. */
static void transpose64(const uint8_t tb[64], unsigned ncls, uint64_t *out,
                        size_t stride)
{
#ifdef USE_SSE2
    __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)tb);
    __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(tb + 16));
    __m128i v2 = _mm_loadu_si128((const __m128i *)(const void *)(tb + 32));
    __m128i v3 = _mm_loadu_si128((const __m128i *)(const void *)(tb + 48));
    for (unsigned c = 0; c < ncls; c++) {
        /* bit c of each byte to its top bit; 16-bit lanes shifted by at
         * most 7 keep every byte's own bits */
        __m128i sh = _mm_cvtsi32_si128((int)(7 - c));
        uint64_t b0 = (uint32_t)_mm_movemask_epi8(_mm_sll_epi16(v0, sh));
        uint64_t b1 = (uint32_t)_mm_movemask_epi8(_mm_sll_epi16(v1, sh));
        uint64_t b2 = (uint32_t)_mm_movemask_epi8(_mm_sll_epi16(v2, sh));
        uint64_t b3 = (uint32_t)_mm_movemask_epi8(_mm_sll_epi16(v3, sh));
        out[c * stride] = b0 | b1 << 16 | b2 << 32 | b3 << 48;
    }
#else
    /* bit c of 8 bytes at once: isolate it in each byte's low bit, gather
     * the 8 low bits into the top byte with one multiply */
    uint64_t t[8];
    for (size_t k = 0; k < 8; k++) {
        const uint8_t *q = tb + 8 * k;
        t[k] = (uint64_t)q[0] | (uint64_t)q[1] << 8 | (uint64_t)q[2] << 16 |
               (uint64_t)q[3] << 24 | (uint64_t)q[4] << 32 | (uint64_t)q[5] << 40 |
               (uint64_t)q[6] << 48 | (uint64_t)q[7] << 56;
    }
    for (unsigned c = 0; c < ncls; c++) {
        uint64_t b = 0;
        for (size_t k = 0; k < 8; k++)
            b |= ((t[k] >> c & 0x0101010101010101u) * 0x0102040810204080u >> 56) << (8 * k);
        out[c * stride] = b;
    }
#endif
}

/* Structural prefilters: record the candidate starts of every prefiltered
 * rule.  A start s is a candidate when the class of
 * the byte before s (if any) and the classes of bytes s .. s+len-1 hold;
 * bytes not in the buffer (before the stream or its kept part) count as
 * in every class; bytes past the end count as in no class at a final scan
 * (a match then has to lie in the data).  Starts that need bytes not yet
 * received are left for the next call. */
#define PF_CHUNK_WORDS 64u /* starts per chunk / 64: scratch on the stack */
#define PF_NW (PF_CHUNK_WORDS + 3u) /* + room for len <= 32 and carries */

/* Candidate starts in [P, lim), lim - P <= 64 * PF_CHUNK_WORDS. */
static int scan_struct_chunk(struct tr_redactor *R, uint64_t P, uint64_t lim,
                             int final)
{
    const struct tr_ruleset *rs = R->rs;
    /* bit i of every array <-> stream position a0 + i, a0 = P - 1 */
    const int have_prev = P > R->sstart; /* byte a0 is in the buffer */
    size_t nstart = (size_t)(lim - P);
    size_t wc = (nstart + 63) / 64;         /* words of candidate bits */
    const size_t nw = wc + 3; /* <= PF_NW */
    unsigned ncls = rs->pf_ncls;
    uint64_t cls[TR_PF_MAX_CLS * PF_NW], acc[PF_NW];
    uint8_t tb[64 * PF_NW];
    /* classify every position, then transpose 64 at a time into the bit
     * arrays (two passes: no store-to-load forwarding stalls) */
    size_t m = (size_t)(R->end - P); /* bytes P .. end go to tb[1..] */
    if (m > 64 * nw - 1)
        m = 64 * nw - 1;
    const uint8_t *d = at(R, P);
    for (unsigned c0 = 0; c0 < ncls; c0 += 8) {
        const uint8_t *ctab = rs->pf_ctab[c0 / 8];
        tb[0] = have_prev ? ctab[*at(R, P - 1)] : 0xff;
        for (size_t i = 0; i < m; i++)
            tb[1 + i] = ctab[d[i]];
        memset(tb + 1 + m, final ? 0 : 0xff, 64 * nw - 1 - m);
        unsigned nc = ncls - c0 < 8 ? ncls - c0 : 8;
        for (size_t w = 0; w < nw; w++)
            transpose64(tb + 64 * w, nc, cls + c0 * nw + w, nw);
    }
    for (size_t q = 0; q < rs->pf_n; q++) {
        const struct tr_rule *ru = &rs->rules[rs->pf_rules[q]];
        const struct tr_prefilter *pf = ru->pf;
        if (R->x[rs->pf_rules[q]] == NO_POS)
            continue; /* inactive rule */
        /* acc bit i <-> start a0 + 1 + i; the byte before it is bit i.
         * Word by word, most words stop after a class or two. */
        for (size_t w = 0; w < wc; w++) {
            uint64_t v = pf->has_lb ? cls[pf->lbidx * nw + w] : ~(uint64_t)0;
            for (size_t g = 0; g < pf->nseg && v; g++) {
                const struct tr_pf_seg *sg = &pf->seg[g];
                const uint64_t *c = cls + sg->idx * nw;
                for (unsigned t = 0; t < sg->count && v; t++)
                    v &= shr_at(c, w, 1 + sg->off + t);
            }
            acc[w] = v;
        }
        struct pfq *Q = &R->pfq[q];
        for (size_t w = 0; w < wc; w++) {
            uint64_t b = acc[w];
            while (b) {
                unsigned i = (unsigned)__builtin_ctzll(b);
                b &= b - 1;
                uint64_t spos = P + 64 * (uint64_t)w + i;
                if (spos >= lim)
                    break;
                if (Q->n == Q->cap) {
                    if (Q->head) {
                        memmove(Q->pos, Q->pos + Q->head, (Q->n - Q->head) * sizeof *Q->pos);
                        Q->n -= Q->head;
                        Q->head = 0;
                    }
                    if (Q->n == Q->cap) {
                        size_t nc = Q->cap ? 2 * Q->cap : 64;
                        uint64_t *np = realloc(Q->pos, nc * sizeof *np);
                        if (!np)
                            return TR_E_NOMEM;
                        Q->pos = np;
                        Q->cap = nc;
                    }
                }
                Q->pos[Q->n++] = spos;
            }
        }
    }
    return 0;
}

/* Structural prefilters: candidate starts in [pf_scanned, lim), chunk by
 * chunk; starts that need bytes not yet received are left for later. */
static int scan_struct(struct tr_redactor *R, int final)
{
    const struct tr_ruleset *rs = R->rs;
    if (!rs->pf_n)
        return 0;
    uint64_t lim = R->end;
    if (!final)
        lim = R->end >= R->sstart + rs->pf_kmax ? R->end - rs->pf_kmax + 1 : R->sstart;
    while (R->pf_scanned < lim) {
        uint64_t e = lim - R->pf_scanned > 64 * PF_CHUNK_WORDS
                         ? R->pf_scanned + 64 * PF_CHUNK_WORDS : lim;
        int rc = scan_struct_chunk(R, R->pf_scanned, e, final);
        if (rc)
            return rc;
        R->pf_scanned = e;
    }
    return 0;
}

/* First candidate start >= x of prefilter slot q, NO_POS if none among the
 * scanned starts. */
static uint64_t next_cand(struct tr_redactor *R, size_t q, uint64_t x)
{
    struct pfq *Q = &R->pfq[q];
    while (Q->head < Q->n && Q->pos[Q->head] < x)
        Q->head++;
    return Q->head < Q->n ? Q->pos[Q->head] : NO_POS;
}

static int rule_has_kw(const struct tr_rule *ru, size_t kw)
{
    for (size_t i = 0; i < ru->nkw; i++)
        if (ru->kwid[i] == kw)
            return 1;
    return 0;
}

/* First occurrence of one of rule r's keywords at or after x, NO_POS if
 * none among the scanned bytes; *len gets its length. */
static uint64_t next_occ(struct tr_redactor *R, size_t r, uint64_t x, size_t *len)
{
    const struct tr_rule *ru = &R->rs->rules[r];
    uint64_t i = R->occ_cur[r];
    if (i < R->occ_lo)
        i = R->occ_lo;
    for (; i < R->occ_lo + R->nocc; i++) {
        const struct occ *o = &R->occ[i - R->occ_lo];
        if (o->pos >= x && rule_has_kw(ru, o->kw)) {
            R->occ_cur[r] = i;
            *len = R->rs->kws[o->kw].len;
            return o->pos;
        }
    }
    R->occ_cur[r] = i;
    return NO_POS;
}

/* Does one of rule r's keywords lie wholly inside [a, b), starting at most
 * kwwithin bytes after a? */
static int kw_inside(const struct tr_redactor *R, const struct tr_rule *ru,
                     uint64_t a, uint64_t b)
{
    const uint8_t *p = at(R, a);
    size_t n = (size_t)(b - a);
    for (size_t k = 0; k < ru->nkw; k++) {
        size_t kl = ru->kwlen[k];
        for (size_t i = 0; i + kl <= n && i <= ru->kwwithin; i++)
            if (tr_lower(p[i]) == ru->kw[k][0] && ieq(p + i, ru->kw[k], kl))
                return 1;
    }
    return 0;
}

static int accept(struct tr_redactor *R, size_t r, const PCRE2_SIZE *ov,
                  uint64_t *ss, uint64_t *se)
{
    const struct tr_rule *ru = &R->rs->rules[r];
    uint64_t ms = R->base + ov[0], me = R->base + ov[1];
    *ss = ms;
    *se = me;
    uint32_t g = ru->secret_group;
    if (g && ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] != PCRE2_UNSET) {
        *ss = R->base + ov[2 * g];
        *se = R->base + ov[2 * g + 1];
    }
    if (*se <= *ss)
        return 0;
    if (ru->nkw && !kw_inside(R, ru, ms, me))
        return 0;
    const uint8_t *p = at(R, *ss);
    size_t n = (size_t)(*se - *ss);
    if ((ru->validators & TR_VAL_LUHN) && !tr_val_luhn(p, n))
        return 0;
    if ((ru->validators & TR_VAL_IBAN) && !tr_val_iban(p, n))
        return 0;
    if ((ru->validators & TR_VAL_SSN) && !tr_val_ssn(p, n))
        return 0;
    if ((ru->validators & TR_VAL_ENTROPY) &&
        tr_val_entropy(p, n) < ru->min_entropy)
        return 0;
    return 1;
}

static int limit_span(struct tr_redactor *R, uint64_t s, uint64_t e)
{
    R->st.limit_hits++;
    return add_span(R, s, e, ACT_LIMIT);
}

/* Advances rule r as far as the data allows. */
static int scan_rule(struct tr_redactor *R, size_t r, int final)
{
    const struct tr_rule *ru = &R->rs->rules[r];
    const uint64_t E = R->end, L = ru->window;
    uint64_t x = R->x[r];
    int rc = 0;
    while (x < E) {
        /* prefiltered rules: no start before the next candidate can match */
        if (ru->pfslot >= 0) {
            uint64_t c = next_cand(R, (size_t)ru->pfslot, x);
            if (c == NO_POS) {
                if (R->pf_scanned > x)
                    x = R->pf_scanned;
                break;
            }
            if (c > x)
                x = c;
            if (x >= E)
                break;
        }
        /* keyword rules: a match must start at or before the keyword
         * occurrence k (later starts are the next occurrence's business) */
        uint64_t limit = NO_POS;
        if (ru->nkw) {
            size_t kl = 0;
            uint64_t k = next_occ(R, r, x, &kl);
            const uint64_t N = ru->kwwithin;
            if (k == NO_POS) {
                uint64_t lim = final ? E : (R->kw_scanned > N ? R->kw_scanned - N : 0);
                if (lim > x)
                    x = lim;
                break;
            }
            if (k > x + N)
                x = k - N;
            if (k + kl > x + L)
                x = k + kl - L;
            limit = k;
        }
        uint64_t T = x + L < E ? x + L : E;
        int partial = !(final && T == E);
        uint32_t opt = partial ? PCRE2_PARTIAL_HARD : 0;
        if (R->base > R->sstart)
            opt |= PCRE2_NOTBOL;
        int m;
        pcre2_set_offset_limit(R->mctx, limit == NO_POS ? PCRE2_UNSET
                                                        : (PCRE2_SIZE)(limit - R->base));
        PCRE2_SIZE len = (PCRE2_SIZE)(T - R->base), off = (PCRE2_SIZE)(x - R->base);
        if (ru->jit)
            m = pcre2_jit_match(ru->code, R->buf.data, len, off, opt, R->mdata,
                                R->mctx);
        else
            m = pcre2_match(ru->code, R->buf.data, len, off, opt, R->mdata,
                            R->mctx);
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(R->mdata);
        if (m == PCRE2_ERROR_NOMATCH) {
            /* no match starts in [x, limit]; with no limit, none in [x, T) */
            x = limit == NO_POS || limit >= T ? T : limit + 1;
        } else if (m == PCRE2_ERROR_PARTIAL) {
            uint64_t ms = R->base + ov[0];
            if (ms > x) {
                x = ms;
                if (T == E)
                    break;
            } else if (T < x + L) {
                break; /* wait for a whole window */
            } else if (ru->nkw && !kw_inside(R, ru, x, x + L)) {
                x++;
            } else {
                if ((rc = limit_span(R, x, x + L)))
                    break;
                x += L;
            }
        } else if (m >= 0) {
            uint64_t ss, se;
            uint64_t ms = R->base + ov[0], me = R->base + ov[1];
            if (accept(R, r, ov, &ss, &se)) {
                if ((rc = add_span(R, ss, se, ru->action)))
                    break;
                R->rmatch[r]++;
                R->rbytes[r] += se - ss;
                x = me > ms ? me : ms + 1;
            } else {
                x = ms + 1;
            }
        } else {
            /* match/depth/heap/JIT stack limit, or any other error: fail
             * closed once the whole window is there */
            if (T < x + L && !final)
                break;
            if ((rc = limit_span(R, x, T)))
                break;
            x = T;
        }
    }
    R->x[r] = x;
    return rc;
}

static int cmp_span(const void *a, const void *b)
{
    const struct span *p = a, *q = b;
    return p->s < q->s ? -1 : p->s > q->s;
}

static int out_plain(struct tr_redactor *R, uint64_t a, uint64_t b)
{
    if (b <= a)
        return 0;
    return R->emit(R->ctx, at(R, a), (size_t)(b - a), a, TR_EMIT_DATA);
}

static int render_token(struct tr_redactor *R, const uint8_t *in, size_t n,
                        uint8_t *out)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t h[32];
    size_t o = 0;
    for (uint32_t blk = 0; o < n; blk++) {
        uint8_t c[4] = {(uint8_t)(blk >> 24), (uint8_t)(blk >> 16),
                        (uint8_t)(blk >> 8), (uint8_t)blk};
        if (mbedtls_md_hmac_starts(&R->md, R->key, sizeof R->key) ||
            mbedtls_md_hmac_update(&R->md, c, sizeof c) ||
            mbedtls_md_hmac_update(&R->md, in, n) ||
            mbedtls_md_hmac_finish(&R->md, h))
            return TR_E_KEY;
        for (size_t i = 0; i < 32 && o < n; i++) {
            out[o++] = (uint8_t)hex[h[i] >> 4];
            if (o < n)
                out[o++] = (uint8_t)hex[h[i] & 15];
        }
    }
    tr_redact_wipe(h, sizeof h);
    return 0;
}

/* Emits one merged component [cs, ce) covered by spans sp[i..j). */
static int out_component(struct tr_redactor *R, size_t i, size_t j,
                         uint64_t cs, uint64_t ce)
{
    size_t n = (size_t)(ce - cs);
    if (2 * n > R->capscratch) {
        uint8_t *s = malloc(2 * n);
        if (!s)
            return TR_E_NOMEM;
        if (R->scratch) {
            tr_redact_wipe(R->scratch, R->capscratch);
            free(R->scratch);
        }
        R->scratch = s;
        R->capscratch = 2 * n;
    }
    uint8_t *act = R->scratch, *out = R->scratch + n;
    memset(act, 0, n);
    for (size_t k = i; k < j; k++)
        for (uint64_t p = R->sp[k].s; p < R->sp[k].e; p++)
            if (act[p - cs] < R->sp[k].act)
                act[p - cs] = (uint8_t)R->sp[k].act;
    const uint8_t *in = at(R, cs);
    size_t a = 0;
    int rc = 0;
    while (a < n && !rc) {
        size_t b = a + 1;
        while (b < n && act[b] == act[a])
            b++;
        int ac = act[a];
        if (ac >= TR_ACT_TOKEN && ac <= TR_ACT_DROP && R->on_secret)
            R->on_secret(R->secret_ctx, in + a, b - a);
        if (ac == TR_ACT_TOKEN && !R->have_key)
            ac = TR_ACT_MASK;
        if (R->only >= 0 && ac != ACT_LIMIT)
            ac = TR_ACT_MASK;
        switch (ac) {
        case 0:
            rc = out_plain(R, cs + a, cs + b);
            break;
        case TR_ACT_MASK:
            memset(out + a, R->mask, b - a);
            R->st.bytes_masked += b - a;
            rc = R->emit(R->ctx, out + a, b - a, cs + a, TR_EMIT_DATA);
            break;
        case TR_ACT_TOKEN:
            rc = render_token(R, in + a, b - a, out + a);
            R->st.bytes_tokenized += b - a;
            if (!rc)
                rc = R->emit(R->ctx, out + a, b - a, cs + a, TR_EMIT_DATA);
            break;
        case TR_ACT_DROP:
            R->st.bytes_withheld_drop += b - a;
            if (R->keep_length) {
                memset(out + a, R->mask, b - a);
                rc = R->emit(R->ctx, out + a, b - a, cs + a, TR_EMIT_DATA);
            } else {
                rc = R->emit(R->ctx, NULL, b - a, cs + a, TR_EMIT_WITHHELD_DROP);
            }
            break;
        default:
            R->st.bytes_withheld_limit += b - a;
            if (R->keep_length) {
                memset(out + a, R->mask, b - a);
                rc = R->emit(R->ctx, out + a, b - a, cs + a, TR_EMIT_DATA);
            } else {
                rc = R->emit(R->ctx, NULL, b - a, cs + a, TR_EMIT_WITHHELD_LIMIT);
            }
            break;
        }
        a = b;
    }
    tr_redact_wipe(out, n);
    return rc;
}

/* Emits everything before F that is final. */
static int emit_upto(struct tr_redactor *R, uint64_t F)
{
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < R->nsp; k++)
            if (R->sp[k].s < F && F < R->sp[k].e) {
                F = R->sp[k].s;
                changed = 1;
            }
    }
    if (F <= R->emitted)
        return 0;
    /* spans wholly before F to the front, sorted */
    size_t nf = 0;
    for (size_t k = 0; k < R->nsp; k++)
        if (R->sp[k].s < F) {
            struct span t = R->sp[nf];
            R->sp[nf] = R->sp[k];
            R->sp[k] = t;
            nf++;
        }
    if (nf > 1)
        qsort(R->sp, nf, sizeof *R->sp, cmp_span);
    uint64_t pos = R->emitted;
    int rc = 0;
    size_t i = 0;
    while (i < nf && !rc) {
        uint64_t cs = R->sp[i].s, ce = R->sp[i].e;
        size_t j = i + 1;
        while (j < nf && R->sp[j].s < ce) {
            if (R->sp[j].e > ce)
                ce = R->sp[j].e;
            j++;
        }
        if (cs < pos)
            cs = pos; /* cannot happen: spans start at or after emitted */
        rc = out_plain(R, pos, cs);
        if (!rc && ce > cs)
            rc = out_component(R, i, j, cs, ce);
        if (ce > pos)
            pos = ce;
        i = j;
    }
    if (!rc)
        rc = out_plain(R, pos, F);
    if (nf && R->nsp > nf)
        memmove(R->sp, R->sp + nf, (R->nsp - nf) * sizeof *R->sp);
    R->nsp -= nf;
    R->emitted = F;
    return rc;
}

static int process(struct tr_redactor *R, int final)
{
    const struct tr_ruleset *rs = R->rs;
    int rc = scan_keywords(R, final);
    if (!rc)
        rc = scan_struct(R, final);
    uint64_t minx = NO_POS;
    for (size_t r = 0; r < rs->n && !rc; r++) {
        if (!active(R, r))
            continue;
        rc = scan_rule(R, r, final);
        if (R->x[r] < minx)
            minx = R->x[r];
    }
    if (rc)
        return rc;
    if (minx == NO_POS || minx > R->end)
        minx = R->end;
    if ((rc = emit_upto(R, final ? R->end : minx)))
        return rc;
    /* keep what emission, keyword scan and lookbehind still need */
    uint64_t keep = R->emitted;
    uint64_t ctxpos = minx > R->sstart + rs->context ? minx - rs->context : R->sstart;
    if (ctxpos < keep)
        keep = ctxpos;
    if (rs->nkws && R->kw_scanned < keep)
        keep = R->kw_scanned;
    if (rs->pf_n) {
        uint64_t pk = R->pf_scanned > R->sstart ? R->pf_scanned - 1 : R->sstart;
        if (pk < keep)
            keep = pk;
    }
    if (keep > R->base) {
        size_t drop = (size_t)(keep - R->base);
        /* the vacated tail is wiped when the buffer is freed */
        tr_buf_consume(&R->buf, drop);
        R->base = keep;
    }
    size_t dead = 0;
    while (dead < R->nocc && R->occ[dead].pos < minx)
        dead++;
    if (dead) {
        memmove(R->occ, R->occ + dead, (R->nocc - dead) * sizeof *R->occ);
        R->nocc -= dead;
        R->occ_lo += dead;
    }
    return 0;
}

int tr_redactor_push(struct tr_redactor *R, const uint8_t *data, size_t len)
{
    if (R->failed)
        return R->failed;
    while (len) {
        size_t n = len < TR_REDACT_SLICE ? len : TR_REDACT_SLICE;
        int rc = tr_buf_append(&R->buf, data, n);
        if (!rc) {
            R->end += n;
            R->st.bytes_in += n;
            rc = process(R, 0);
        }
        if (rc) {
            R->failed = rc;
            return rc;
        }
        data += n;
        len -= n;
    }
    return 0;
}

int tr_redactor_flush(struct tr_redactor *R)
{
    if (R->failed)
        return R->failed;
    int rc = process(R, 1);
    if (rc) {
        R->failed = rc;
        return rc;
    }
    /* a new stream starts here */
    tr_redact_wipe(R->buf.data, R->buf.len);
    tr_buf_reset(&R->buf);
    R->base = R->sstart = R->emitted = R->kw_scanned = R->pf_scanned = R->end;
    for (size_t q = 0; q < R->rs->pf_n; q++)
        R->pfq[q].head = R->pfq[q].n = 0;
    R->nsp = 0;
    R->occ_lo += R->nocc;
    R->nocc = 0;
    for (size_t r = 0; r < R->rs->n; r++)
        if (active(R, r))
            R->x[r] = R->end;
    return 0;
}

int tr_redactor_set_media(struct tr_redactor *R, int media)
{
    if (media < 0 || media >= TR_MEDIA_N)
        media = TR_MEDIA_ANY;
    if (media == R->media)
        return 0;
    int rc = tr_redactor_flush(R);
    if (rc)
        return rc;
    R->media = media;
    for (size_t r = 0; r < R->rs->n; r++)
        R->x[r] = active(R, r) ? R->end : NO_POS;
    return 0;
}

void tr_redactor_stats(const struct tr_redactor *R, struct tr_redact_stats *st)
{
    *st = R->st;
}

uint64_t tr_redactor_rule_matches(const struct tr_redactor *R, size_t i)
{
    return i < R->rs->n ? R->rmatch[i] : 0;
}

uint64_t tr_redactor_rule_bytes(const struct tr_redactor *R, size_t i)
{
    return i < R->rs->n ? R->rbytes[i] : 0;
}
