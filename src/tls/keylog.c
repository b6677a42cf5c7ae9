/* keylog.c - NSS key log lines into the key store.  Lines are split by a
 * small push splitter shared by the file and memory paths, then tokenised
 * with the core reader. */
#include "tls/keylog.h"
#include "core/ascii.h"

#include "core/err.h"
#include "core/reader.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/platform_util.h>

/* Key/value sizes per label.  kmin..kmax bytes of key (decoded hex), value
 * one of vlen_a / vlen_b bytes. */
struct label_spec {
    const char *name;
    enum tr_secret_label label;
    size_t kmin, kmax;
    size_t vlen_a, vlen_b;
};

static const struct label_spec specs[] = {
    {"CLIENT_RANDOM", TR_SL_CLIENT_RANDOM, 32, 32, 48, 48},
    /* the whole encrypted pre-master is accepted; the store keys by 8 bytes */
    {"RSA", TR_SL_RSA, 8, 1024, 48, 48},
    {"PMS_CLIENT_RANDOM", TR_SL_PMS_CLIENT_RANDOM, 32, 32, 48, 48},
    {"CLIENT_EARLY_TRAFFIC_SECRET", TR_SL_CLIENT_EARLY_TRAFFIC_SECRET, 32, 32, 32, 48},
    {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", TR_SL_CLIENT_HANDSHAKE_TRAFFIC_SECRET, 32, 32, 32, 48},
    {"SERVER_HANDSHAKE_TRAFFIC_SECRET", TR_SL_SERVER_HANDSHAKE_TRAFFIC_SECRET, 32, 32, 32, 48},
    {"CLIENT_TRAFFIC_SECRET_0", TR_SL_CLIENT_TRAFFIC_SECRET_0, 32, 32, 32, 48},
    {"SERVER_TRAFFIC_SECRET_0", TR_SL_SERVER_TRAFFIC_SECRET_0, 32, 32, 32, 48},
    {"EARLY_EXPORTER_SECRET", TR_SL_EARLY_EXPORTER_SECRET, 32, 32, 32, 48},
    {"EXPORTER_SECRET", TR_SL_EXPORTER_SECRET, 32, 32, 32, 48},
};

const char *tr_keylog_bad_str(enum tr_keylog_bad why)
{
    switch (why) {
    case TR_KL_BAD_SYNTAX: return "syntax";
    case TR_KL_BAD_LENGTH: return "wrong secret length";
    case TR_KL_BAD_TOO_LONG: return "line too long";
    case TR_KL_BAD_CONTROL: return "control character";
    }
    return "?";
}

static void note_malformed(struct tr_keylog_stats *st, uint64_t lineno,
                           enum tr_keylog_bad why)
{
    if (st->malformed < TR_KEYLOG_KEEP_LINES) {
        st->malformed_lines[st->malformed] = lineno;
        st->malformed_why[st->malformed] = (uint8_t)why;
    }
    st->malformed++;
}

static void note_unknown(struct tr_keylog_stats *st, uint64_t lineno)
{
    if (st->unknown < TR_KEYLOG_KEEP_LINES)
        st->unknown_lines[st->unknown] = lineno;
    st->unknown++;
}

static int is_ws(uint8_t c) { return c == ' ' || c == '\t'; }

/* Next whitespace-delimited token as a view; len 0 at end of line. */
static const uint8_t *token(struct tr_reader *r, size_t *len)
{
    while (tr_rd_left(r) && is_ws(*r->p))
        tr_rd_skip(r, 1);
    const uint8_t *start = r->p;
    size_t n = 0;
    while (tr_rd_left(r) && !is_ws(*r->p)) {
        tr_rd_skip(r, 1);
        n++;
    }
    *len = n;
    return n ? start : NULL;
}

/* Decodes hex text into out (capacity cap).  Returns decoded length, or -1
 * (not hex / odd length) or -2 (too long). */
static long unhex(const uint8_t *h, size_t n, uint8_t *out, size_t cap)
{
    if (n % 2)
        return -1;
    if (n / 2 > cap)
        return -2;
    struct tr_reader r = tr_rd_init(h, n);
    size_t o = 0;
    while (tr_rd_left(&r)) {
        int hi = tr_hexval(tr_rd_u8(&r)), lo = tr_hexval(tr_rd_u8(&r));
        if (hi < 0 || lo < 0)
            return -1;
        out[o++] = (uint8_t)(hi << 4 | lo);
    }
    return (long)o;
}

static int tok_is(const uint8_t *t, size_t n, const char *s)
{
    size_t sl = strlen(s);
    return n == sl && memcmp(t, s, sl) == 0;
}

static int store(struct tr_keystore *ks, enum tr_secret_label label,
                 const uint8_t *k, size_t kn, const uint8_t *v, size_t vn,
                 struct tr_keylog_stats *st)
{
    int rc = tr_keystore_add(ks, label, k, kn, v, vn, 0);
    switch (rc) {
    case TR_KS_ADDED:
        st->entries[label]++;
        st->total++;
        return 0;
    case TR_KS_DUPLICATE:
        st->duplicates++;
        return 0;
    case TR_KS_CONFLICT:
        st->conflicts++;
        return 0;
    default:
        return rc < 0 ? rc : 0;
    }
}

/* "RSA Session-ID:<hex> Master-Key:<hex>", after the "RSA" token. */
static int session_id_line(struct tr_keystore *ks, const uint8_t *t2, size_t n2,
                           struct tr_reader *r, uint64_t lineno,
                           struct tr_keylog_stats *st)
{
    static const char sid_p[] = "Session-ID:", mk_p[] = "Master-Key:";
    const size_t sp = sizeof sid_p - 1, mp = sizeof mk_p - 1;
    uint8_t sid[32], mk[48];
    size_t n3;
    int rc = 0;
    const uint8_t *t3 = token(r, &n3);
    size_t nx;
    const uint8_t *tx = token(r, &nx);

    (void)n2;
    if (!t3 || tx || n3 < mp || memcmp(t3, mk_p, mp) != 0) {
        note_malformed(st, lineno, TR_KL_BAD_SYNTAX);
        goto out;
    }
    long sl = unhex(t2 + sp, n2 - sp, sid, sizeof sid);
    long ml = unhex(t3 + mp, n3 - mp, mk, sizeof mk);
    if (sl == -1 || ml == -1) {
        note_malformed(st, lineno, TR_KL_BAD_SYNTAX);
        goto out;
    }
    if (sl == -2 || ml != 48) {
        note_malformed(st, lineno, TR_KL_BAD_LENGTH);
        goto out;
    }
    if (sl == 0) {
        st->empty_session_id++;
        goto out;
    }
    rc = store(ks, TR_SL_RSA_SESSION_ID, sid, (size_t)sl, mk, 48, st);
out:
    mbedtls_platform_zeroize(sid, sizeof sid);
    mbedtls_platform_zeroize(mk, sizeof mk);
    return rc;
}

int tr_keylog_line(struct tr_keystore *ks, const uint8_t *line, size_t len,
                   uint64_t lineno, struct tr_keylog_stats *st)
{
    uint8_t key[1024], val[64];
    int rc = 0;
    struct tr_reader r = tr_rd_init(line, len);

    st->lines++;
    for (size_t i = 0; i < len; i++) {
        if (line[i] < 0x20 && line[i] != '\t') {
            note_malformed(st, lineno, TR_KL_BAD_CONTROL);
            return 0;
        }
    }
    size_t n1;
    const uint8_t *t1 = token(&r, &n1);
    if (!t1) {
        st->blank++;
        return 0;
    }
    if (t1[0] == '#') {
        st->comments++;
        return 0;
    }
    size_t n2;
    const uint8_t *t2 = token(&r, &n2);
    static const char sid_p[] = "Session-ID:";
    if (tok_is(t1, n1, "RSA") && t2 && n2 >= sizeof sid_p - 1 &&
        memcmp(t2, sid_p, sizeof sid_p - 1) == 0)
        return session_id_line(ks, t2, n2, &r, lineno, st);

    const struct label_spec *sp = NULL;
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (tok_is(t1, n1, specs[i].name))
            sp = &specs[i];
    if (!sp) {
        note_unknown(st, lineno);
        return 0;
    }
    size_t n3, nx;
    const uint8_t *t3 = token(&r, &n3);
    const uint8_t *tx = token(&r, &nx);
    if (!t2 || !t3 || tx) {
        note_malformed(st, lineno, TR_KL_BAD_SYNTAX);
        goto out;
    }
    long kl = unhex(t2, n2, key, sizeof key);
    long vl = unhex(t3, n3, val, sizeof val);
    if (kl == -1 || vl == -1) {
        note_malformed(st, lineno, TR_KL_BAD_SYNTAX);
        goto out;
    }
    if (kl < (long)sp->kmin || kl > (long)sp->kmax ||
        (vl != (long)sp->vlen_a && vl != (long)sp->vlen_b)) {
        note_malformed(st, lineno, TR_KL_BAD_LENGTH);
        goto out;
    }
    rc = store(ks, sp->label, key, sp->label == TR_SL_RSA ? 8 : (size_t)kl,
               val, (size_t)vl, st);
out:
    mbedtls_platform_zeroize(key, sizeof key);
    mbedtls_platform_zeroize(val, sizeof val);
    return rc;
}

/* Push splitter: LF, CRLF and lone CR all end a line. */
static int end_line(struct tr_keylog_stream *sp)
{
    int rc = 0;
    sp->lineno++;
    if (sp->too_long) {
        sp->st->lines++;
        note_malformed(sp->st, sp->lineno, TR_KL_BAD_TOO_LONG);
    } else {
        rc = tr_keylog_line(sp->ks, sp->line, sp->len, sp->lineno, sp->st);
    }
    mbedtls_platform_zeroize(sp->line, sp->len);
    sp->len = 0;
    sp->too_long = 0;
    sp->started = 0;
    return rc;
}

int tr_keylog_stream_feed(struct tr_keylog_stream *sp, const uint8_t *p, size_t n)
{
    struct tr_reader r = tr_rd_init(p, n);
    /* A UTF-8 byte order mark at the very start (Windows editors). */
    if (!sp->bom_done) {
        if (n == 0)
            return 0;
        sp->bom_done = 1;
        if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
            tr_rd_skip(&r, 3);
    }
    while (tr_rd_left(&r)) {
        uint8_t c = tr_rd_u8(&r);
        if (c == '\n' && sp->prev_cr) {
            sp->prev_cr = 0;
            continue;
        }
        sp->prev_cr = c == '\r';
        if (c == '\n' || c == '\r') {
            int rc = end_line(sp);
            if (rc)
                return rc;
            continue;
        }
        sp->started = 1;
        if (sp->len < sizeof sp->line)
            sp->line[sp->len++] = c;
        else
            sp->too_long = 1;
    }
    return 0;
}

int tr_keylog_stream_finish(struct tr_keylog_stream *sp)
{
    int rc = 0;
    if (sp->started)
        rc = end_line(sp);
    mbedtls_platform_zeroize(sp->line, sizeof sp->line);
    return rc;
}

void tr_keylog_stream_init(struct tr_keylog_stream *sp, struct tr_keystore *ks,
                           struct tr_keylog_stats *st)
{
    memset(sp, 0, sizeof *sp);
    sp->ks = ks;
    sp->st = st;
}

int tr_keylog_load_mem(struct tr_keystore *ks, const uint8_t *data, size_t len,
                       struct tr_keylog_stats *st)
{
    struct tr_keylog_stream sp;
    tr_keylog_stream_init(&sp, ks, st);
    int rc = tr_keylog_stream_feed(&sp, data, len);
    int rc2 = tr_keylog_stream_finish(&sp);
    return rc ? rc : rc2;
}

int tr_keylog_load_file(struct tr_keystore *ks, const char *path,
                        struct tr_keylog_stats *st)
{
    struct tr_keylog_stream sp;
    uint8_t chunk[65536];
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return TR_E_IO;
    tr_keylog_stream_init(&sp, ks, st);
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        rc = tr_keylog_stream_feed(&sp, chunk, n);
        if (rc)
            break;
    }
    if (!rc && ferror(f)) {
        int e = errno;
        rc = TR_E_IO;
        errno = e;
    }
    int rc2 = tr_keylog_stream_finish(&sp);
    if (!rc)
        rc = rc2;
    mbedtls_platform_zeroize(chunk, sizeof chunk);
    int e = errno;
    fclose(f);
    errno = e;
    return rc;
}
