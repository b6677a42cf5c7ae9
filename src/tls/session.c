/* session.c - stream classification, TLS record layer, verdicts (session.h). */
#include "tls/session.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "tls/hs.h"
#include "tls/names.h"
#include "tls/suites.h"
#include "tls/tlscrypt.h"
#include "proto/h2.h"
#include "proto/http1.h"
#include "proto/media.h"

#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum dmode { M_UNKNOWN = 0, M_TLS, M_PLAIN, M_LOST };

/* SSLv2 records are at most 32767 bytes; TLS records 2^14 + 2048. */
#define REC_BUF_MAX (32768u + 16u)
#define REC_HDR 5

struct dirst {
    enum dmode mode;
    struct tr_buf buf;      /* bytes not yet consumed */
    struct tr_buf hs;       /* partial handshake message */
    int encrypted;          /* records from this side are protected */
    int sslv2_ok;           /* first record may be SSLv2 */
    uint64_t off;           /* stream offset of buf.data[0] */
    uint64_t records;
    uint64_t plain_bytes, enc_bytes, skipped;
    int after_gap;
    int at_boundary;        /* plain: buf.data[0] follows a line end or '>' */
    struct timeval ts;      /* time of the latest bytes */
    uint64_t first_enc_record; /* record number of first protected record */
    uint64_t dec_bytes;     /* application data decrypted */
    int dec_started;        /* cleartext now comes from decrypted records */
    uint64_t failed_bytes;  /* protected bytes withheld (bad MAC, skipped 0-RTT) */
    struct tr_redactor *red;
    int h2_decided, h2_on;  /* HTTP/2: header blocks decoded, redacted, re-encoded */
    struct tr_h2dir *h2;
    struct tr_http1dir *h1; /* HTTP/1.x: bodies decoded, framing kept valid */
    int last_nl;            /* the last byte given to the redactor was '\n' */
    uint64_t wire_off;      /* HTTP/2: bytes of rewritten frames emitted */
    /* HTTP/1.x framing (chunk lines, WebSocket frame headers): kept out of
     * the redactor's text and put back where it belongs in its output */
    uint64_t red_in;        /* bytes pushed into red */
    uint64_t red_out;       /* end of red's last emitted span */
    uint64_t frm_total;     /* framing bytes emitted so far */
    struct tr_buf frm;      /* queued: (uint64_t pos, uint32_t len, bytes)... */
    size_t frm_head;        /* first unread byte of frm */
    uint64_t view_off[2];   /* HTTP/2 view: header text, body bytes */
    struct rctx {
        struct tr_sessions *S;
        struct sess *s;
        int dir;
    } rc;
};

struct sess {
    struct tr_conn *c;
    struct tr_tlscrypt *tc; /* decryption state, NULL without keys */
    int cdir;               /* flow endpoint index of the client */
    int cdir_fixed;
    int opened;             /* CONN_OPEN emitted */
    int tls;                /* some direction is TLS */
    uint64_t rec_no;
    struct timeval last_ev;
    struct tr_hs_facts hf;
    struct dirst d[2];      /* by flow direction */
    int mid_stream;         /* first TLS bytes were not a ClientHello */
    int starttls;
    /* alerts */
    int alerts;
    int fatal;              /* a fatal plaintext alert was seen */
    uint8_t alert_desc, alert_level;
    int alert_side;         /* 0 client, 1 server */
    int alert_after;        /* last handshake message before it */
    int alert_after_side;
    uint64_t alert_after_prot; /* protected records of the peer before the alert */
    int alert_after_done;      /* the handshake had completed when it came */
    int enc_alert[2];       /* protected alerts by side */
    int enc_alert_before_done[2];
    /* handshake progress */
    int last_msg, last_msg_side;
    int ccs[2];
    uint64_t protected_recs[2];
    size_t last_protected_len[2];
    uint64_t srv_after_cli; /* server records after the client's first protected one */
    int last_rec_side;
    int closed[2], rst[2];
    uint64_t gaps, gap_bytes, first_gap_off;
    int first_gap_side;
    int malformed;
    int h2c;                /* HTTP/2 with prior knowledge (client preface seen) */
};

struct tr_sessions {
    struct tr_sink sink;
    struct tr_session_opts opts;
    struct tr_sessions_totals tot;
    struct tr_fields fb;
    uint8_t plain[TR_TLS_MAX_RECORD + 256]; /* decrypted record, wiped after use */
    uint64_t *conn_matches, *conn_bytes;    /* per rule, for the connection being closed */
    const char **rule_ids;
};

static const char *const verdict_names[TR_V_COUNT] = {
    "ok", "resumed", "failed", "incomplete", "not_tls", "no_data"};

const char *tr_verdict_name(enum tr_verdict v)
{
    return (unsigned)v < TR_V_COUNT ? verdict_names[v] : "?";
}

struct tr_sessions *tr_sessions_new(const struct tr_sink *sink, const struct tr_session_opts *opts)
{
    struct tr_sessions *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->sink = *sink;
    if (opts)
        s->opts = *opts;
    size_t nr = s->opts.rules ? tr_rules_count(s->opts.rules) : 0;
    if (nr) {
        s->tot.rule_matches = calloc(nr, sizeof *s->tot.rule_matches);
        s->tot.rule_bytes = calloc(nr, sizeof *s->tot.rule_bytes);
        s->conn_matches = calloc(nr, sizeof *s->conn_matches);
        s->conn_bytes = calloc(nr, sizeof *s->conn_bytes);
        s->rule_ids = calloc(nr, sizeof *s->rule_ids);
        if (!s->tot.rule_matches || !s->tot.rule_bytes || !s->conn_matches || !s->conn_bytes || !s->rule_ids) {
            tr_sessions_free(s);
            return NULL;
        }
        for (size_t i = 0; i < nr; i++)
            s->rule_ids[i] = tr_rules_id(s->opts.rules, i);
        s->tot.nrules = nr;
    }
    return s;
}

void tr_sessions_free(struct tr_sessions *s)
{
    if (!s)
        return;
    free(s->tot.rule_matches);
    free(s->tot.rule_bytes);
    free(s->conn_matches);
    free(s->conn_bytes);
    free(s->rule_ids);
    mbedtls_platform_zeroize(s->plain, sizeof s->plain);
    free(s);
}

const struct tr_sessions_totals *tr_sessions_totals(const struct tr_sessions *s) { return &s->tot; }

/* ---- helpers ---- */

static void clear_data(struct tr_sessions *S, struct sess *s, int dir, const uint8_t *p, size_t n);
static void clear_push(struct tr_sessions *S, struct sess *s, int dir, const uint8_t *p, size_t n);
static void peer_turn(struct sess *s, int dir);
static int h1_emit(void *ctx, const uint8_t *p, size_t n);
static int h2_wire(void *ctx, const uint8_t *p, size_t n);
static int h2_headers(void *ctx, uint32_t sid, int type, int withheld, const uint8_t *text, size_t n);
static int h2_body(void *ctx, uint32_t sid, const uint8_t *data, size_t n, int withheld, int end);
static void h1_media(void *ctx, int media);
static void clear_data_dec(struct tr_sessions *S, struct sess *s, int dir, const uint8_t *p, size_t n);

static double tv_diff(struct timeval a, struct timeval b)
{
    return (double)(a.tv_sec - b.tv_sec) + (double)(a.tv_usec - b.tv_usec) / 1e6;
}

static int side_of(const struct sess *s, int dir) { return dir == s->cdir ? 0 : 1; }

static void emit(struct tr_sessions *S, struct sess *s, struct tr_ev *ev, int dir, struct timeval ts)
{
    if (!s->opened) {
        /* announced with its first event, once the client side is known */
        s->opened = 1;
        struct tr_ev o = {.type = TR_EV_CONN_OPEN, .title = "connection", .conn = s->c->id};
        o.cli = &s->c->addr[s->cdir];
        o.srv = &s->c->addr[!s->cdir];
        o.cport = s->c->port[s->cdir];
        o.sport = s->c->port[!s->cdir];
        o.ts = s->c->first_ts;
        o.dir = -1;
        o.alpn = "";
        o.mss[0] = s->c->half[s->cdir].mss;
        o.mss[1] = s->c->half[!s->cdir].mss;
        S->sink.ev(S->sink.ctx, &o);
    }
    ev->conn = s->c->id;
    ev->dir = dir < 0 ? -1 : side_of(s, dir);
    ev->cli = &s->c->addr[s->cdir];
    ev->srv = &s->c->addr[!s->cdir];
    ev->cport = s->c->port[s->cdir];
    ev->sport = s->c->port[!s->cdir];
    ev->alpn = s->hf.alpn;
    ev->app = s->d[0].h1 || s->d[1].h1 ? "http/1.1" : s->d[0].h2_on || s->d[1].h2_on ? "h2" : NULL;
    ev->tls = s->tls;
    ev->mss[0] = s->c->half[s->cdir].mss;
    ev->mss[1] = s->c->half[!s->cdir].mss;
    ev->ts = ts;
    ev->rel = tv_diff(ts, s->c->first_ts);
    ev->delta = s->last_ev.tv_sec ? tv_diff(ts, s->last_ev) : ev->rel;
    if (ev->rel < 0)
        ev->rel = 0;
    if (ev->delta < 0)
        ev->delta = 0;
    s->last_ev = ts;
    S->sink.ev(S->sink.ctx, ev);
}

static void note(struct tr_sessions *S, struct sess *s, int dir, const char *text)
{
    struct tr_ev ev = {.type = TR_EV_NOTE, .title = "note", .text = text};
    emit(S, s, &ev, dir, dir >= 0 ? s->d[dir].ts : s->c->last_ts);
}

/* Plausible TLS record header at p (5 bytes). */
static int plausible_hdr(const uint8_t *p, int allow_empty)
{
    if (p[0] < 20 || p[0] > 24 || p[1] != 3 || p[2] > 4)
        return 0;
    size_t len = ((size_t)p[3] << 8) | p[4];
    if (len > TR_TLS_MAX_RECORD)
        return 0;
    return allow_empty || len > 0;
}

/* Start of TLS after a cleartext preamble (STARTTLS): the client's
 * ClientHello record; on the server side a ServerHello, or - once the client
 * has switched - an alert record refusing it. */
static int hello_hdr(const uint8_t *p, size_t n, int want_client, int peer_switched)
{
    if (n < 6)
        return -1; /* need more */
    if (p[1] != 3 || p[2] > 4)
        return 0;
    size_t len = ((size_t)p[3] << 8) | p[4];
    if (p[0] == 22)
        return len >= 4 && p[5] == (want_client ? 1 : 2);
    return !want_client && peer_switched && p[0] == 21 && len == 2 && (p[5] == 1 || p[5] == 2);
}

/* When a capture starts mid-connection, is the record at p a cleartext
 * handshake message (the handshake was still under way), rather than
 * protected data?  A cleartext handshake record starts with a known message
 * type whose 24-bit length fits the record. */
static int midstream_plain_hs(const uint8_t *p, size_t n)
{
    if (n < 9 || p[0] != 22)
        return n >= 7 && p[0] == 21 && ((p[3] << 8) | p[4]) == 2 && (p[5] == 1 || p[5] == 2);
    size_t rlen = ((size_t)p[3] << 8) | p[4];
    size_t mlen = ((size_t)p[6] << 16) | ((size_t)p[7] << 8) | p[8];
    uint8_t t = p[5];
    int known = t == 1 || t == 2 || t == 4 || t == 11 || t == 12 || t == 13 || t == 14 || t == 15 ||
                t == 16 || t == 22;
    return known && (mlen + 4 == rlen || (mlen + 4 > rlen && rlen == 16384) || mlen + 4 < rlen);
}

/* SSLv2-compatible ClientHello header. */
static int sslv2_hello(const uint8_t *p, size_t n)
{
    if (n < 5)
        return -1;
    size_t len = ((size_t)(p[0] & 0x7f) << 8) | p[1];
    return (p[0] & 0x80) && len >= 9 && p[2] == 1 && (p[3] == 3 || (p[3] == 0 && p[4] == 2));
}

/* ---- events for records ---- */

static void record_event(struct tr_sessions *S, struct sess *s, int dir, const char *title,
                         size_t len, int encrypted, const uint8_t *raw, size_t rawlen)
{
    struct tr_ev ev = {.type = TR_EV_RECORD, .title = title, .len = len,
                       .encrypted = encrypted, .fields = &S->fb, .raw = raw, .rawlen = rawlen};
    ev.rec = ++s->rec_no;
    S->tot.tls_records++;
    emit(S, s, &ev, dir, s->d[dir].ts);
}

static void alert_fields(struct tr_sessions *S, struct sess *s, int dir, const uint8_t *p, size_t n)
{
    char b[TR_NAME_BUF];
    int side = side_of(s, dir);
    for (size_t i = 0; i + 1 < n; i += 2) {
        uint8_t level = p[i], desc = p[i + 1];
        const char *ln = tr_name_alert_level(level);
        tr_fields_add(&S->fb, 0, "alert", "%s %s", ln ? ln : "unknown-level",
                      tr_alert_str(desc, b, sizeof b));
        S->tot.alerts++;
        s->alerts++;
        /* The verdict names the first alert that ends the handshake: any
         * fatal one, or a warning other than close_notify(0),
         * user_canceled(90), no_renegotiation(100) (e.g. SSLv3's
         * no_certificate(41) warning). */
        int significant = level == 2 || (desc != 0 && desc != 90 && desc != 100);
        if (!s->fatal && significant) {
            s->fatal = 1;
            s->alert_desc = desc;
            s->alert_level = level;
            s->alert_side = side;
            s->alert_after = s->last_msg;
            s->alert_after_side = s->last_msg_side;
            s->alert_after_prot = s->protected_recs[!side];
            s->alert_after_done = s->hf.finished[0] && s->hf.finished[1];
        }
    }
    if (n % 2)
        tr_fields_add(&S->fb, 0, "error", "odd alert record length %zu", n);
}

/* Handshake bytes of one record from dir: reassemble and decode messages. */
static void handshake_bytes(struct tr_sessions *S, struct sess *s, int dir, const uint8_t *p, size_t n)
{
    struct dirst *d = &s->d[dir];
    int side = side_of(s, dir);
    char nb[TR_NAME_BUF];
    if (tr_buf_append(&d->hs, p, n) != 0) {
        tr_fields_add(&S->fb, 0, "error", "handshake message larger than %u bytes: not decoded",
                      TR_TLS_MAX_HANDSHAKE);
        tr_buf_reset(&d->hs);
        s->malformed++;
        return;
    }
    size_t pos = 0;
    while (d->hs.len - pos >= 4) {
        const uint8_t *m = d->hs.data + pos;
        size_t mlen = ((size_t)m[1] << 16) | ((size_t)m[2] << 8) | m[3];
        if (mlen > TR_TLS_MAX_HANDSHAKE) {
            tr_fields_add(&S->fb, 0, "error", "handshake message of %zu bytes exceeds the limit", mlen);
            s->malformed++;
            pos = d->hs.len;
            break;
        }
        if (d->hs.len - pos - 4 < mlen)
            break;
        uint8_t type = m[0];
        /* the ClientHello decides who the client is */
        /* the first ClientHello decides who the client is, whatever the
         * TCP handshake suggested (its SYN may not have been captured) */
        if (type == TR_HS_CLIENT_HELLO && (!s->cdir_fixed || (s->hf.ch_count == 0 && dir != s->cdir))) {
            s->cdir = dir;
            s->cdir_fixed = 1;
            side = 0;
            if (s->tc)
                tr_tlscrypt_set_server(s->tc, &s->c->addr[!dir], s->c->port[!dir]);
        }
        size_t mark = S->fb.n;
        tr_fields_add(&S->fb, 0, NULL, "%s", "");
        tr_hs_decode(&s->hf, side == 0, type, m + 4, mlen, d->ts.tv_sec, &S->fb, 1);
        /* name the message now that HRR is known */
        if (mark < S->fb.n) {
            int shown = s->hf.last_msg[side];
            S->fb.f[mark].key = NULL;
            /* store the name in the arena via a new field and swap it in */
            size_t before = S->fb.n;
            tr_fields_add(&S->fb, 0, NULL, "%s", tr_hs_name(shown, nb, sizeof nb));
            if (S->fb.n > before) {
                S->fb.f[mark].val = S->fb.f[S->fb.n - 1].val;
                S->fb.n--;
            }
        }
        s->last_msg = s->hf.last_msg[side];
        s->last_msg_side = side;
        if (s->tc)
            tr_tlscrypt_handshake(s->tc, &s->hf, side, m, 4 + mlen);
        if (type == TR_HS_SERVER_HELLO && s->hf.last_msg[side] == TR_HS_SERVER_HELLO &&
            s->hf.version == 0x0304) {
            /* TLS 1.3: everything after ServerHello is protected */
            s->d[0].encrypted = s->d[1].encrypted = 1;
        }
        pos += 4 + mlen;
    }
    tr_buf_consume(&d->hs, pos);
}

/* Contents of a cleartext (or decrypted) record; fields go to S->fb. */
static void handle_plain(struct tr_sessions *S, struct sess *s, int dir, uint8_t type, const uint8_t *body,
                         size_t blen, int decrypted)
{
    struct dirst *d = &s->d[dir];
    int side = side_of(s, dir);
    int tls13 = s->hf.version == 0x0304 && (s->hf.sh_count > 0 || s->hf.hrr > 0);
    switch (type) {
    case 20: /* change_cipher_spec */
        if (tls13)
            tr_fields_add(&S->fb, 0, "change_cipher_spec", "(TLS 1.3 middlebox compatibility, ignored)");
        else {
            tr_fields_add(&S->fb, 0, "change_cipher_spec", NULL);
            d->encrypted = 1;
            s->ccs[side] = 1;
            if (s->tc)
                tr_tlscrypt_ccs(s->tc, side);
        }
        break;
    case 21:
        alert_fields(S, s, dir, body, blen);
        break;
    case 22:
        handshake_bytes(S, s, dir, body, blen);
        if (S->fb.n == 0 || (decrypted && S->fb.n == 1))
            tr_fields_add(&S->fb, 0, "fragment", "%zu bytes of a handshake message", blen);
        break;
    case 23:
        if (decrypted) {
            d->dec_bytes += blen;
            S->tot.decrypted_bytes += blen;
        } else {
            d->plain_bytes += blen;
            tr_fields_add(&S->fb, 0, "application_data", "%zu bytes before any key was negotiated", blen);
        }
        break;
    case 24:
        tr_fields_add(&S->fb, 0, "heartbeat", "%zu bytes", blen);
        break;
    default:
        tr_fields_add(&S->fb, 0, "body", "%zu bytes", blen);
        break;
    }
}

static void handle_record(struct tr_sessions *S, struct sess *s, int dir, const uint8_t *rec, size_t len)
{
    struct dirst *d = &s->d[dir];
    int side = side_of(s, dir);
    uint8_t type = rec[0];
    const uint8_t *body = rec + REC_HDR;
    size_t blen = len - REC_HDR;
    char b[TR_NAME_BUF];
    const char *title = tr_name_content_type(type);
    if (!title) {
        snprintf(b, sizeof b, "content_type(%u)", type);
        title = b;
    }
    tr_fields_reset(&S->fb);
    d->records++;
    uint64_t rec_no = s->rec_no + 1;
    int tls13 = s->hf.version == 0x0304 && (s->hf.sh_count > 0 || s->hf.hrr > 0);
    /* A 2-byte alert is cleartext only where the peer may still send one in
     * clear: TLS 1.3 before this side finished its handshake.  Under TLS
     * <= 1.2 keys (after change_cipher_spec) every record is protected. */
    int prot = d->encrypted && !(type == 20) && !(type == 21 && blen == 2 && tls13 && !s->hf.finished[side]);
    /* 0-RTT: client records of type application_data right after a
     * ClientHello that offered early data, before any ServerHello */
    if (!prot && type == 23 && side == 0 && s->hf.ch_early_data && s->hf.sh_count == 0 && s->tc)
        prot = 1;
    if (prot) {
        s->protected_recs[side]++;
        s->last_protected_len[side] = blen;
        if (side == 1 && s->protected_recs[0] > 0)
            s->srv_after_cli++;
        s->last_rec_side = side;
        enum tr_dec_result dr = TR_DEC_NOKEY;
        size_t plen = 0;
        uint8_t inner = type;
        if (s->tc && blen <= sizeof S->plain)
            dr = tr_tlscrypt_decrypt(s->tc, side, type, (uint16_t)((rec[1] << 8) | rec[2]), body, blen,
                                     S->plain, &plen, &inner, rec_no);
        if (dr == TR_DEC_OK) {
            const char *it = tr_name_content_type(inner);
            tr_fields_add(&S->fb, 0, "decrypted", "%s, %zu bytes", it ? it : "?", plen);
            handle_plain(S, s, dir, inner, S->plain, plen, 1);
            record_event(S, s, dir, title, blen, 0, NULL, 0);
            if (inner == 23)
                clear_data_dec(S, s, dir, S->plain, plen);
            mbedtls_platform_zeroize(S->plain, plen);
            return;
        }
        if (dr == TR_DEC_FAILED) {
            d->failed_bytes += blen;
            S->tot.withheld_bytes += blen;
            tr_fields_add(&S->fb, 0, "error", "bad_record_mac(20): record failed authentication (wrong keys "
                          "or corrupted capture); %zu bytes withheld", blen);
        } else if (dr == TR_DEC_EARLY_SKIPPED) {
            d->failed_bytes += blen;
            S->tot.withheld_bytes += blen;
            tr_fields_add(&S->fb, 0, "early_data", "0-RTT record of %zu bytes not decryptable: skipped", blen);
        } else if (type == 21) {
            s->enc_alert[side]++;
            if (!s->hf.finished[0] && !tls13)
                s->enc_alert_before_done[side]++;
            tr_fields_add(&S->fb, 0, "alert", "encrypted (%zu bytes): a key is needed to read it", blen);
        } else if (type == 22) {
            tr_fields_add(&S->fb, 0, "handshake", "encrypted message, %zu bytes%s", blen,
                          s->protected_recs[side] == 1 && !tls13 ? " (finished)" : "");
            if (!tls13 && s->protected_recs[side] == 1)
                s->hf.finished[side] = 1; /* the first protected handshake is Finished */
        } else if (type == 23) {
            d->enc_bytes += blen;
            S->tot.encrypted_bytes += blen;
            tr_fields_add(&S->fb, 0, tls13 ? "protected record" : "application_data",
                          "%zu bytes, encrypted", blen);
        } else {
            tr_fields_add(&S->fb, 0, "body", "%zu bytes, encrypted", blen);
        }
        record_event(S, s, dir, title, blen, 1, NULL, 0);
        return;
    }
    s->last_rec_side = side;
    handle_plain(S, s, dir, type, body, blen, 0);
    /* cleartext application data before keys is not a handshake record: it
     * goes through redaction, never raw */
    if (type == 23) {
        record_event(S, s, dir, title, blen, 0, NULL, 0);
        clear_data(S, s, dir, body, blen);
    } else {
        record_event(S, s, dir, title, blen, 0, rec, len);
    }
}

static void handle_sslv2(struct tr_sessions *S, struct sess *s, int dir, const uint8_t *rec, size_t len)
{
    tr_fields_reset(&S->fb);
    s->d[dir].records++;
    if (!s->cdir_fixed) {
        s->cdir = dir;
        s->cdir_fixed = 1;
    }
    tr_fields_add(&S->fb, 0, NULL, "client_hello");
    if (tr_hs_decode_sslv2(&s->hf, rec + 2, len - 2, &S->fb, 1) != 0) {
        tr_fields_add(&S->fb, 1, "error", "malformed SSLv2 ClientHello");
        s->malformed++;
    }
    s->last_msg = TR_HS_CLIENT_HELLO;
    s->last_msg_side = 0;
    record_event(S, s, dir, "sslv2", len - 2, 0, rec, len);
}

/* ---- stream processing ---- */

/* One DATA event of direction dir; off counts content and framing. */
static void data_event(struct rctx *r, const uint8_t *data, size_t len, uint64_t off, int withheld)
{
    struct sess *s = r->s;
    struct tr_ev ev = {.type = TR_EV_DATA, .title = "data", .len = len, .offset = off,
                       .decrypted = s->d[r->dir].dec_started, .data = withheld ? NULL : data,
                       .withheld = withheld};
    emit(r->S, s, &ev, r->dir, s->d[r->dir].ts);
}

/* Queued framing: entries of a 12-byte head (position in the redactor's
 * input, length) and the bytes. */
#define FRM_HEAD 12u
#define FRM_MAX (2u * 1024u * 1024u) /* ~5 framing bytes per held byte, 1-byte chunks */

static int frm_next(const struct dirst *d, uint64_t *pos, uint32_t *len)
{
    if (d->frm_head >= d->frm.len)
        return 0;
    memcpy(pos, d->frm.data + d->frm_head, 8);
    memcpy(len, d->frm.data + d->frm_head + 8, 4);
    return 1;
}

/* Emits queued framing whose position is at most upto. */
static void frm_drain(struct rctx *r, uint64_t upto)
{
    struct dirst *d = &r->s->d[r->dir];
    uint64_t pos;
    uint32_t len;
    while (frm_next(d, &pos, &len) && pos <= upto) {
        data_event(r, d->frm.data + d->frm_head + FRM_HEAD, len, pos + d->frm_total, 0);
        d->frm_total += len;
        d->frm_head += FRM_HEAD + len;
    }
    if (d->frm_head >= d->frm.len) {
        tr_buf_reset(&d->frm);
        d->frm_head = 0;
    }
}

/* Redacted cleartext (or a withheld span) of direction dir, as events, with
 * HTTP/1.x framing put back at its place. */
static int red_emit(void *ctx, const uint8_t *data, size_t len, uint64_t in_off, int kind)
{
    struct rctx *r = ctx;
    struct dirst *d = &r->s->d[r->dir];
    size_t done = 0;
    uint64_t pos;
    uint32_t flen;
    if (kind == TR_EMIT_DATA) {
        while (frm_next(d, &pos, &flen) && pos <= in_off + len) {
            size_t k = pos > in_off + done ? (size_t)(pos - in_off - done) : 0;
            if (k)
                data_event(r, data + done, k, in_off + done + d->frm_total, 0);
            done += k;
            frm_drain(r, pos);
        }
        if (done < len)
            data_event(r, data + done, len - done, in_off + done + d->frm_total, 0);
    } else {
        frm_drain(r, in_off);
        data_event(r, NULL, len, in_off + d->frm_total, kind == TR_EMIT_WITHHELD_DROP ? 1 : 2);
        frm_drain(r, in_off + len);
    }
    d->red_out = in_off + len;
    return 0;
}

/* HTTP/1.x framing bytes: out at once when the redactor holds nothing,
 * else queued for their place in its output. */
static int h1_frame(void *ctx, const uint8_t *p, size_t n)
{
    struct rctx *r = ctx;
    struct dirst *d = &r->s->d[r->dir];
    if (!n)
        return 0;
    peer_turn(r->s, r->dir);
    if (!d->red || (d->frm_head >= d->frm.len && d->red_out == d->red_in)) {
        data_event(r, p, n, d->red_in + d->frm_total, 0);
        d->frm_total += n;
        return 0;
    }
    uint32_t l32 = (uint32_t)n;
    if (d->frm.len - d->frm_head + FRM_HEAD + n > FRM_MAX || n > FRM_MAX) {
        /* many small chunks held back: release what is held first */
        tr_redactor_flush(d->red);
        frm_drain(r, UINT64_MAX);
        data_event(r, p, n, d->red_in + d->frm_total, 0);
        d->frm_total += n;
        return 0;
    }
    if (tr_buf_append(&d->frm, &d->red_in, 8) || tr_buf_append(&d->frm, &l32, 4) ||
        tr_buf_append(&d->frm, p, n)) {
        tr_redactor_flush(d->red);
        frm_drain(r, UINT64_MAX);
        data_event(r, p, n, d->red_in + d->frm_total, 0);
        d->frm_total += n;
    }
    return 0;
}

/* Every cleartext byte (plain TCP, STARTTLS preamble, decrypted application
 * data) passes here, and through the redactor before any sink sees it. */
static void clear_data(struct tr_sessions *S, struct sess *s, int dir, const uint8_t *p, size_t n)
{
    if (!n)
        return;
    struct dirst *d = &s->d[dir];
    if (!S->opts.rules) {
        /* redaction explicitly off (-R none) */
        struct tr_ev ev = {.type = TR_EV_DATA, .title = "data", .len = n, .data = p,
                           .decrypted = d->dec_started};
        emit(S, s, &ev, dir, d->ts);
        return;
    }
    if (!d->h2_decided) {
        d->h2_decided = 1;
        int client = side_of(s, dir) == 0;
        if (!strcmp(s->hf.alpn, "h2") || (!client && s->h2c))
            d->h2_on = 1;
        else if (client && n >= 3 && memcmp(p, "PRI", 3) == 0)
            d->h2_on = s->h2c = 1;
        if (d->h2_on) {
            d->rc.S = S;
            d->rc.s = s;
            d->rc.dir = dir;
            d->h2 = tr_h2dir_new(client, S->opts.rules, &S->opts.ropts, h2_wire, &d->rc);
            if (d->h2) {
                tr_h2dir_allow_uninspected(d->h2, S->opts.allow_uninspected);
                tr_h2dir_set_headers_cb(d->h2, h2_headers, &d->rc);
                tr_h2dir_set_body_cb(d->h2, h2_body, &d->rc);
            }
        } else if (client && (tr_http1_looks_like(p, n, 1) || !strcmp(s->hf.alpn, "http/1.1"))) {
            /* HTTP/1.x: both directions get a parser, paired so the server
             * side knows the request methods (HEAD, CONNECT, Upgrade) */
            struct dirst *sd = &s->d[!dir];
            d->rc.S = sd->rc.S = S;
            d->rc.s = sd->rc.s = s;
            d->rc.dir = dir;
            sd->rc.dir = !dir;
            struct tr_http1_opts ho;
            memset(&ho, 0, sizeof ho);
            ho.allow_uninspected = S->opts.allow_uninspected;
            d->h1 = tr_http1dir_new(1, h1_emit, &d->rc, &ho);
            if (!sd->h2_decided) {
                sd->h1 = tr_http1dir_new(0, h1_emit, &sd->rc, &ho);
                sd->h2_decided = 1;
            }
            if (d->h1 && sd->h1)
                tr_http1dir_peer(d->h1, sd->h1);
            /* body-scoped rules follow each message's Content-Type; framing
             * stays out of the text the rules scan */
            if (d->h1) {
                tr_http1dir_set_media_cb(d->h1, h1_media, &d->rc);
                tr_http1dir_set_frame_cb(d->h1, h1_frame, &d->rc);
            }
            if (sd->h1) {
                tr_http1dir_set_media_cb(sd->h1, h1_media, &sd->rc);
                tr_http1dir_set_frame_cb(sd->h1, h1_frame, &sd->rc);
            }
        }
    }
    if (d->h1) {
        /* bodies decoded (gzip, deflate, br, zstd) so the rules see them;
         * what cannot be decoded is withheld by the parser: fail closed */
        tr_http1dir_push(d->h1, p, n);
        /* a message ended with this push: release it now (outputs keep the
         * order of the conversation; no rule spans two messages anyway) */
        if (d->red && tr_http1dir_idle(d->h1))
            tr_redactor_flush(d->red);
        return;
    }
    if (d->h2_on) {
        /* HPACK hides header text from byte rules: header blocks are decoded,
         * redacted and re-encoded first; the rest goes on to the redactor */
        if (!d->h2) {
            struct tr_ev ev = {.type = TR_EV_DATA, .title = "data", .len = n, .withheld = 2};
            emit(S, s, &ev, dir, d->ts);
            S->tot.withheld_bytes += n;
            return;
        }
        tr_h2dir_push(d->h2, p, n); /* on error it has switched to masking: fail closed */
        return;
    }
    clear_push(S, s, dir, p, n);
}

static int h1_emit(void *ctx, const uint8_t *p, size_t n)
{
    struct rctx *r = ctx;
    clear_push(r->S, r->s, r->dir, p, n);
    return 0;
}

/* HTTP/2: the rewritten frames are final (header blocks and bodies were
 * redacted by proto/h2); they are for the pcap and stream exports only. */
static int h2_wire(void *ctx, const uint8_t *p, size_t n)
{
    struct rctx *r = ctx;
    struct dirst *d = &r->s->d[r->dir];
    struct tr_ev ev = {.type = TR_EV_DATA, .title = "data", .len = n, .data = p, .offset = d->wire_off,
                       .decrypted = d->dec_started, .view = TR_VIEW_WIRE};
    d->wire_off += n;
    emit(r->S, r->s, &ev, r->dir, d->ts);
    return 0;
}

/* HTTP/2 decoded view for transcripts: one header block as text lines. */
static int h2_headers(void *ctx, uint32_t sid, int type, int withheld, const uint8_t *text, size_t n)
{
    struct rctx *r = ctx;
    struct dirst *d = &r->s->d[r->dir];
    (void)withheld; /* the text then says x-tlsredact-withheld */
    struct tr_ev ev = {.type = TR_EV_DATA, .title = type == 5 ? "push_promise" : "headers", .len = n,
                       .data = text, .offset = d->view_off[0], .decrypted = d->dec_started,
                       .view = TR_VIEW_TEXT, .stream = sid};
    d->view_off[0] += n;
    emit(r->S, r->s, &ev, r->dir, d->ts);
    return 0;
}

/* HTTP/2 decoded view: body bytes of a stream (decoded, redacted), or a
 * withheld span. */
static int h2_body(void *ctx, uint32_t sid, const uint8_t *data, size_t n, int withheld, int end)
{
    struct rctx *r = ctx;
    struct dirst *d = &r->s->d[r->dir];
    (void)end;
    if (!n)
        return 0;
    struct tr_ev ev = {.type = TR_EV_DATA, .title = "body", .len = n, .data = withheld ? NULL : data,
                       .offset = d->view_off[1], .decrypted = d->dec_started, .view = TR_VIEW_TEXT,
                       .stream = sid, .withheld = withheld};
    d->view_off[1] += n;
    emit(r->S, r->s, &ev, r->dir, d->ts);
    return 0;
}

/* The direction's redactor, made on first use: in HTTP/1.x, drop and limit
 * spans keep their length so Content-Length and frame lengths stay right. */
static struct tr_redactor *dir_red(struct tr_sessions *S, struct sess *s, int dir)
{
    struct dirst *d = &s->d[dir];
    if (!d->red) {
        d->rc.S = S;
        d->rc.s = s;
        d->rc.dir = dir;
        struct tr_redact_opts o = S->opts.ropts;
        o.keep_length = d->h1 != NULL;
        d->red = tr_redactor_new(S->opts.rules, &o, red_emit, &d->rc);
    }
    return d->red;
}

/* HTTP/1.x: the next bytes are a header section, a body of some media
 * type, or unparsed (body-scoped rules, redact.h). */
static void h1_media(void *ctx, int media)
{
    struct rctx *r = ctx;
    struct tr_redactor *red = dir_red(r->S, r->s, r->dir);
    if (red)
        tr_redactor_set_media(red, media);
}

/* Matches and bytes of rule i in one direction: byte stream and HTTP/2
 * header fields together. */
static void rule_counts(const struct dirst *d, size_t i, uint64_t *m, uint64_t *b)
{
    if (d->red) {
        *m += tr_redactor_rule_matches(d->red, i);
        *b += tr_redactor_rule_bytes(d->red, i);
    }
    if (d->h2) {
        *m += tr_h2dir_rule_matches(d->h2, i);
        *b += tr_h2dir_rule_bytes(d->h2, i);
    }
}

/* HTTP/1.x turns: direction dir speaks; the other side's held-back bytes
 * go first when they end a line or a message (see clear_push). */
static void peer_turn(struct sess *s, int dir)
{
    struct dirst *peer = &s->d[!dir];
    if (peer->red && peer->h1 && (peer->last_nl || tr_http1dir_idle(peer->h1))) {
        tr_redactor_flush(peer->red);
        frm_drain(&peer->rc, UINT64_MAX);
        peer->last_nl = 0;
    }
}

/* Pushes cleartext into the direction's redactor (created on first use). */
static void clear_push(struct tr_sessions *S, struct sess *s, int dir, const uint8_t *p, size_t n)
{
    struct dirst *d = &s->d[dir];
    /* HTTP/1.x turns: when this side speaks and the other side's held-back
     * bytes end a line (a request or response head ends so), release them
     * first, so outputs keep the order of the conversation (a dissector must
     * see the 101 before the WebSocket frames that follow it).  Only at a
     * line end or between messages (a request body that ends without a
     * newline), and only for HTTP/1.x, where rules do not span lines that
     * the peer answers in between. */
    if (n)
        peer_turn(s, dir);
    if (n)
        d->last_nl = p[n - 1] == '\n';
    if (dir_red(S, s, dir))
        d->red_in += n;
    if (!d->red || tr_redactor_push(d->red, p, n) != 0) {
        /* fail closed: without a working redactor nothing is shown */
        struct tr_ev ev = {.type = TR_EV_DATA, .title = "data", .len = n, .withheld = 2};
        emit(S, s, &ev, dir, d->ts);
        S->tot.withheld_bytes += n;
        if (d->red) {
            tr_redactor_free(d->red);
            d->red = NULL;
        }
        /* framing held for it goes out; a new redactor counts from 0 */
        frm_drain(&d->rc, UINT64_MAX);
        d->frm_total += d->red_in;
        d->red_in = d->red_out = 0;
    }
}

/* Decrypted application data: a STARTTLS preamble still held back by the
 * redactor is released first, so that no match spans the switch to TLS. */
static void clear_data_dec(struct tr_sessions *S, struct sess *s, int dir, const uint8_t *p, size_t n)
{
    struct dirst *d = &s->d[dir];
    if (!d->dec_started && d->red)
        tr_redactor_flush(d->red);
    d->dec_started = 1;
    clear_data(S, s, dir, p, n);
}

static void red_flush(struct sess *s, int dir)
{
    if (s->d[dir].red) {
        tr_redactor_flush(s->d[dir].red);
        frm_drain(&s->d[dir].rc, UINT64_MAX); /* framing after the last byte */
    }
}

static void emit_plain(struct tr_sessions *S, struct sess *s, int dir, const uint8_t *p, size_t n)
{
    if (!n)
        return;
    struct dirst *d = &s->d[dir];
    d->plain_bytes += n;
    S->tot.plain_bytes += n;
    clear_data(S, s, dir, p, n);
}

/* Finds a record boundary in buf from pos: a plausible header whose
 * successor is plausible too (or lies beyond the data).  Returns the offset,
 * or -1 when none is found (*need_more when the tail must wait for data). */
static long find_sync(const uint8_t *p, size_t n, int *need_more)
{
    *need_more = 0;
    for (size_t i = 0; i + REC_HDR <= n; i++) {
        if (!plausible_hdr(p + i, 0))
            continue;
        size_t len = ((size_t)p[i + 3] << 8) | p[i + 4];
        size_t next = i + REC_HDR + len;
        if (next + REC_HDR <= n) {
            if (plausible_hdr(p + next, 1) && p[next] == p[i] - (p[i] - p[next]) &&
                p[next + 1] == p[i + 1] && p[next + 2] == p[i + 2])
                return (long)i;
            continue;
        }
        if (next == n)
            return (long)i;
        *need_more = 1;
        return -1;
    }
    return -1;
}

static void process(struct tr_sessions *S, struct sess *s, int dir)
{
    struct dirst *d = &s->d[dir];
    size_t pos = 0;
    for (;;) {
        const uint8_t *p = d->buf.data + pos;
        size_t n = d->buf.len - pos;
        if (n == 0)
            break;
        if (d->mode == M_UNKNOWN) {
            int want_client = !s->cdir_fixed || dir == s->cdir;
            if (n < 6 && d->buf.len < 6)
                break;
            if (plausible_hdr(p, 1) && (s->c->syn_seen || p[0] == 22 || p[0] == 21) &&
                !(p[0] == 23 && !s->c->syn_seen)) {
                d->mode = M_TLS;
                s->tls = 1;
                if (!(p[0] == 22 && p[5] == 1) && !(p[0] == 22 && p[5] == 2) && !s->c->syn_seen) {
                    s->mid_stream = 1;
                    if (!midstream_plain_hs(p, n))
                        d->encrypted = 1;
                }
            } else if (want_client && sslv2_hello(p, n) == 1) {
                d->mode = M_TLS;
                d->sslv2_ok = 1;
                s->tls = 1;
            } else if (!s->c->syn_seen || d->after_gap) {
                d->mode = M_LOST;
                s->mid_stream = 1;
            } else {
                d->mode = M_PLAIN;
            }
            continue;
        }
        if (d->mode == M_PLAIN) {
            /* STARTTLS: a hello record right after a line end or tag end */
            size_t emit_to = n, resume = 0;
            int found = 0;
            int want_client = dir == s->cdir;
            if (d->at_boundary && pos == 0) {
                int h = hello_hdr(p, n, want_client, s->starttls);
                if (h == 1) {
                    emit_to = 0;
                    found = 1;
                } else if (h < 0 && d->plain_bytes < TR_STARTTLS_MAX_PREAMBLE) {
                    break; /* wait for the 6 bytes that decide */
                }
            }
            for (size_t i = 0; i < n && !found; i++) {
                if (p[i] != '\n' && p[i] != '>')
                    continue;
                int h = hello_hdr(p + i + 1, n - i - 1, want_client, s->starttls);
                if (h == 1) {
                    emit_to = i + 1;
                    resume = i + 1;
                    found = 1;
                    break;
                }
                if (h < 0 && n - i - 1 < 6 && d->plain_bytes + n < TR_STARTTLS_MAX_PREAMBLE) {
                    emit_to = i + 1; /* hold the tail until it can be judged */
                    break;
                }
            }
            emit_plain(S, s, dir, p, emit_to);
            if (emit_to)
                d->at_boundary = p[emit_to - 1] == '\n' || p[emit_to - 1] == '>';
            d->off += emit_to;
            pos += emit_to;
            if (found) {
                (void)resume;
                d->mode = M_TLS;
                s->tls = 1;
                if (!s->starttls) {
                    s->starttls = 1;
                    S->tot.starttls++;
                    note(S, s, dir, "STARTTLS: TLS starts after the cleartext preamble");
                }
                continue;
            }
            break;
        }
        if (d->mode == M_LOST) {
            int need_more;
            long at = find_sync(p, n, &need_more);
            if (at < 0) {
                if (need_more || n < REC_HDR) {
                    if (n <= TR_TLS_MAX_RECORD + 2 * REC_HDR)
                        break;
                }
                /* skip all but a header's worth, keep scanning later */
                size_t skip = n > REC_HDR ? n - (REC_HDR - 1) : 0;
                if (!skip)
                    break;
                d->skipped += skip;
                S->tot.skipped_bytes += skip;
                d->off += skip;
                pos += skip;
                if (!s->tls && d->skipped >= TR_STARTTLS_MAX_PREAMBLE) {
                    /* nothing record-like: this is not TLS */
                    d->mode = M_PLAIN;
                    s->mid_stream = 0;
                }
                continue;
            }
            if (at > 0) {
                char msg[96];
                d->skipped += (size_t)at;
                S->tot.skipped_bytes += (size_t)at;
                snprintf(msg, sizeof msg, "resynchronised on a record boundary after skipping %ld bytes", at);
                note(S, s, dir, msg);
            }
            d->off += (size_t)at;
            pos += (size_t)at;
            d->mode = M_TLS;
            s->tls = 1;
            if (s->hf.ch_count == 0 && !midstream_plain_hs(p + at, n - (size_t)at))
                d->encrypted = 1; /* joined after the handshake: records are protected */
            continue;
        }
        /* M_TLS */
        if (d->sslv2_ok && d->records == 0 && (p[0] & 0x80)) {
            if (n < 2)
                break;
            size_t len = (((size_t)(p[0] & 0x7f) << 8) | p[1]) + 2;
            if (n < len)
                break;
            handle_sslv2(S, s, dir, p, len);
            d->off += len;
            pos += len;
            continue;
        }
        if (n < REC_HDR)
            break;
        if (!plausible_hdr(p, 1)) {
            char msg[96];
            snprintf(msg, sizeof msg, "not a TLS record header at stream offset %llu: resynchronising",
                     (unsigned long long)d->off);
            note(S, s, dir, msg);
            s->malformed++;
            d->mode = M_LOST;
            /* do not resync on the same byte */
            d->skipped++;
            S->tot.skipped_bytes++;
            d->off++;
            pos++;
            continue;
        }
        size_t len = REC_HDR + (((size_t)p[3] << 8) | p[4]);
        if (n < len)
            break;
        handle_record(S, s, dir, p, len);
        d->off += len;
        pos += len;
    }
    tr_buf_consume(&d->buf, pos);
}

/* ---- flow callbacks ---- */

static void on_open(void *ctx, struct tr_conn *c)
{
    struct tr_sessions *S = ctx;
    struct sess *s = calloc(1, sizeof *s);
    c->app = s;
    if (!s)
        return;
    s->c = c;
    s->cdir = 0;
    s->cdir_fixed = c->syn_seen;
    s->last_msg = s->last_msg_side = -1;
    tr_hs_facts_init(&s->hf);
    if (S->opts.ks)
        s->tc = tr_tlscrypt_new(S->opts.ks, &c->addr[1], c->port[1]);
    for (int i = 0; i < 2; i++) {
        tr_buf_init(&s->d[i].buf, REC_BUF_MAX + TR_STARTTLS_MAX_PREAMBLE);
        tr_buf_init(&s->d[i].hs, TR_TLS_MAX_HANDSHAKE + 4);
        tr_buf_init(&s->d[i].frm, FRM_MAX);
    }
    S->tot.conns++;
}

static void on_data(void *ctx, struct tr_conn *c, int dir, const uint8_t *p, size_t n,
                    uint64_t off, struct timeval ts, uint64_t frame)
{
    struct tr_sessions *S = ctx;
    struct sess *s = c->app;
    (void)frame;
    if (!s)
        return;
    struct dirst *d = &s->d[dir];
    d->ts = ts;
    if (d->buf.len == 0)
        d->off = off;
    while (n) {
        size_t room = d->buf.max - d->buf.len;
        size_t k = n < room ? n : room;
        tr_buf_append(&d->buf, p, k);
        p += k;
        n -= k;
        size_t before = d->buf.len;
        process(S, s, dir);
        if (d->buf.len == before && d->buf.len == d->buf.max) {
            /* cannot make progress: drop the buffer as skipped bytes */
            d->skipped += d->buf.len;
            S->tot.skipped_bytes += d->buf.len;
            d->off += d->buf.len;
            tr_buf_reset(&d->buf);
            d->mode = d->mode == M_PLAIN ? M_PLAIN : M_LOST;
        }
    }
}

static void on_gap(void *ctx, struct tr_conn *c, int dir, uint64_t off, uint64_t len, struct timeval ts)
{
    struct tr_sessions *S = ctx;
    struct sess *s = c->app;
    if (!s)
        return;
    struct dirst *d = &s->d[dir];
    /* what was buffered cannot be completed */
    if (d->mode == M_PLAIN && d->buf.len)
        emit_plain(S, s, dir, d->buf.data, d->buf.len);
    else if (d->buf.len) {
        d->skipped += d->buf.len;
        S->tot.skipped_bytes += d->buf.len;
    }
    tr_buf_reset(&d->buf);
    tr_buf_reset(&d->hs);
    red_flush(s, dir); /* no match spans a gap */
    if (d->h2)
        tr_h2dir_gap(d->h2);
    if (d->h1)
        tr_http1dir_gap(d->h1);
    if (s->tc)
        tr_tlscrypt_gap(s->tc, side_of(s, dir));
    d->ts = ts;
    d->off = off + len;
    d->after_gap = 1;
    if (d->mode == M_TLS || d->mode == M_UNKNOWN)
        d->mode = (d->mode == M_TLS) ? M_LOST : M_UNKNOWN;
    if (!s->gaps) {
        s->first_gap_off = off;
        s->first_gap_side = side_of(s, dir);
    }
    s->gaps++;
    s->gap_bytes += len;
    S->tot.gaps++;
    S->tot.gap_bytes += len;
    struct tr_ev ev = {.type = TR_EV_GAP, .title = "gap", .len = (size_t)len, .offset = off};
    emit(S, s, &ev, dir, ts);
}

static void on_fin(void *ctx, struct tr_conn *c, int dir, int rst, struct timeval ts)
{
    struct sess *s = c->app;
    (void)ctx;
    if (!s)
        return;
    s->d[dir].ts = ts;
    if (rst)
        s->rst[dir] = 1;
    else
        s->closed[dir] = 1;
}

/* ---- verdict ---- */

static const char *side_name(int side) { return side == 0 ? "client" : "server"; }

static enum tr_verdict verdict(struct sess *s, char *out, size_t n)
{
    struct tr_hs_facts *hf = &s->hf;
    char a[TR_NAME_BUF], b[TR_NAME_BUF];
    int cside = s->cdir;
    uint64_t bytes = s->d[0].plain_bytes + s->d[1].plain_bytes + s->d[0].records + s->d[1].records +
                     s->d[0].skipped + s->d[1].skipped;
    if (!s->tls) {
        if (!bytes && !s->gaps) {
            snprintf(out, n, "no payload in this TCP connection");
            return TR_V_NO_DATA;
        }
        snprintf(out, n, "not TLS: cleartext TCP (%llu bytes client to server, %llu bytes server to client)",
                 (unsigned long long)s->d[cside].plain_bytes, (unsigned long long)s->d[!cside].plain_bytes);
        return TR_V_NOT_TLS;
    }
    char gap[320] = "";
    if (s->gaps)
        snprintf(gap, sizeof gap, "; %llu byte%s missing from the capture (first gap at %s stream offset %llu)",
                 (unsigned long long)s->gap_bytes, s->gap_bytes == 1 ? "" : "s",
                 s->first_gap_side == 0 ? "client" : "server", (unsigned long long)s->first_gap_off);
    uint64_t snap = s->c->half[0].snap_missing + s->c->half[1].snap_missing;
    if (snap) {
        size_t l = strlen(gap);
        snprintf(gap + l, sizeof gap - l, "; %llu payload bytes cut off by the capture's snapshot length "
                 "(capture again with tcpdump -s 0)", (unsigned long long)snap);
    }
    char certnote[400] = "";
    if (hf->server_cert_seen && hf->server_cert == TR_CERT_EXPIRED)
        snprintf(certnote, sizeof certnote, "; server certificate expired at capture time (notAfter %s)",
                 hf->server_cert_not_after);
    else if (hf->server_cert_seen && hf->server_cert == TR_CERT_NOT_YET_VALID)
        snprintf(certnote, sizeof certnote, "; server certificate not yet valid at capture time (notBefore %s)",
                 hf->server_cert_not_before);
    char vb[TR_NAME_BUF], csb[TR_NAME_BUF];
    const char *v = tr_version_str(hf->version, vb, sizeof vb);
    const char *cs = tr_suite_name(hf->suite, csb, sizeof csb);

    char late_alert[160] = "";
    if (s->fatal && s->alert_after_done) {
        /* the handshake succeeded; the alert ended the session later */
        snprintf(late_alert, sizeof late_alert, "; then the %s sent %s alert %s", side_name(s->alert_side),
                 s->alert_level == 2 ? "fatal" : "warning", tr_alert_str(s->alert_desc, a, sizeof a));
    }
    if (s->fatal && !s->alert_after_done) {
        const char *after = s->alert_after >= 0 ? tr_hs_name(s->alert_after, b, sizeof b) : NULL;
        char hint[300] = "";
        uint8_t d = s->alert_desc;
        int by_server = s->alert_side == 1;
        if (d == 40 && by_server && hf->sh_count == 0 && !hf->hrr)
            snprintf(hint, sizeof hint, ": server rejected the ClientHello (no cipher suite, group or "
                     "signature algorithm in common)");
        else if (d == 40 && hf->cert_request && hf->client_cert_seen && hf->client_cert_empty && by_server)
            snprintf(hint, sizeof hint, ": client certificate required but the client sent none");
        else if (d == 116)
            snprintf(hint, sizeof hint, ": client certificate required but the client sent none");
        else if (d == 70) {
            char mx[TR_NAME_BUF];
            snprintf(hint, sizeof hint, ": protocol version not supported (client offered up to %s)",
                     tr_version_str(hf->ch_max_version, mx, sizeof mx));
        } else if (d == 48 && !by_server)
            snprintf(hint, sizeof hint, ": client does not trust the issuer of the server certificate (%.200s)",
                     hf->server_cert_issuer[0] ? hf->server_cert_issuer
                     : hf->version == 0x0304 ? "TLS 1.3 encrypts the certificate: a key log shows it"
                                             : "certificate not captured");
        else if (d == 45 && !by_server && hf->server_cert_not_after[0])
            snprintf(hint, sizeof hint, ": client rejected the server certificate as expired (notAfter %s)",
                     hf->server_cert_not_after);
        else if (d == 45 && !by_server)
            snprintf(hint, sizeof hint, ": client rejected the server certificate as expired");
        else if (d == 45 || d == 42 || d == 43 || d == 44 || d == 46 || d == 48) {
            if (by_server && hf->client_cert_seen && !hf->client_cert_empty)
                snprintf(hint, sizeof hint, ": server rejected the client certificate");
            else if (!by_server)
                snprintf(hint, sizeof hint, ": client rejected the server certificate");
        }
        char prot[80] = "";
        if (s->alert_after_prot && after)
            snprintf(prot, sizeof prot, " and %llu encrypted record%s", (unsigned long long)s->alert_after_prot,
                     s->alert_after_prot == 1 ? "" : "s");
        snprintf(out, n, "FAILED: %s sent %s alert %s%s%s%s%s%s%s", side_name(s->alert_side),
                 s->alert_level == 2 ? "fatal" : "warning", tr_alert_str(s->alert_desc, a, sizeof a),
                 after ? " after the " : "", after ? side_name(s->alert_after_side) : "",
                 after ? "'s " : "", after ? after : "", prot, hint);
        if (strlen(out) + strlen(certnote) + 1 < n && !(d == 45))
            strcat(out, certnote);
        if (strlen(out) + strlen(gap) + 1 < n)
            strcat(out, gap);
        return TR_V_FAILED;
    }
    if (hf->ch_count == 0) {
        snprintf(out, n, "capture incomplete: no ClientHello seen (%s%s)%s%s",
                 s->mid_stream || !s->c->syn_seen ? "capture started mid-connection"
                                                  : "the ClientHello was not captured completely",
                 hf->sh_count ? "" : ", handshake not captured", gap, certnote);
        return TR_V_INCOMPLETE;
    }
    if (hf->sh_count == 0) {
        if (s->closed[!cside] || s->rst[!cside] || s->closed[cside] || s->rst[cside])
            snprintf(out, n, "FAILED: connection closed by the %s before ServerHello, without an alert%s",
                     (s->rst[!cside] || s->closed[!cside]) ? "server" : "client", gap);
        else
            snprintf(out, n, "capture incomplete: no ServerHello seen%s", gap);
        return (s->closed[!cside] || s->rst[!cside] || s->closed[cside] || s->rst[cside])
                   ? TR_V_FAILED : TR_V_INCOMPLETE;
    }
    int tls13 = hf->version == 0x0304;
    int done;
    if (tls13) {
        /* Without keys: the client's protected flight (Finished) was sent.
         * A lone short protected record from the server followed by the end
         * of the connection is most likely an alert. */
        done = s->protected_recs[0] > 0 && s->protected_recs[1] > 0;
        int known = hf->finished[0] && hf->finished[1]; /* decrypted: no guessing */
        size_t lastlen = s->last_protected_len[1];
        const struct tr_suite *su = tr_suite_find(hf->suite);
        size_t alert_len = 2 + 1 + (su && su->tag_len ? su->tag_len : 16);
        if (!known && done && s->last_rec_side == 1 && lastlen == alert_len && s->srv_after_cli == 1 &&
            (s->closed[!cside] || s->rst[!cside])) {
            int cr = hf->cert_request;
            snprintf(out, n, "FAILED (probably): TLS 1.3 %s; the server's last record (%zu bytes) has the size "
                     "of an encrypted alert and it then closed the connection%s; a key log would show the alert%s%s",
                     cs, lastlen, cr ? " after requesting a client certificate" : "", certnote, gap);
            return TR_V_FAILED;
        }
    } else {
        done = hf->finished[0] && hf->finished[1];
    }
    if (done) {
        snprintf(out, n, "%s: %s handshake completed, %s%s%s%s%s", hf->resumed ? "RESUMED" : "OK", v, cs,
                 hf->resumed ? (tls13 ? " (PSK resumption)" : " (abbreviated handshake)") : "",
                 hf->hrr ? " after a HelloRetryRequest" : "",
                 hf->alpn[0] ? ", ALPN " : "", hf->alpn[0] ? hf->alpn : "");
        if (strlen(out) + strlen(late_alert) + 1 < n)
            strcat(out, late_alert);
        if (strlen(out) + strlen(certnote) + 1 < n)
            strcat(out, certnote);
        if (strlen(out) + strlen(gap) + 1 < n)
            strcat(out, gap);
        return hf->resumed ? TR_V_RESUMED : TR_V_OK;
    }
    for (int side = 0; side < 2; side++) {
        if (s->enc_alert_before_done[side]) {
            snprintf(out, n, "FAILED: %s sent an encrypted alert during the handshake (after its "
                     "change_cipher_spec); a key is needed to read it%s%s",
                     side_name(side), certnote, gap);
            return TR_V_FAILED;
        }
    }
    int who_closed = (s->closed[!cside] || s->rst[!cside]) ? 1 : (s->closed[cside] || s->rst[cside]) ? 0 : -1;
    if (who_closed >= 0 && !s->gaps) {
        const char *after = s->last_msg >= 0 ? tr_hs_name(s->last_msg, b, sizeof b) : "?";
        snprintf(out, n, "FAILED: %s %s the connection during the handshake, without an alert, after the %s's %s%s",
                 side_name(who_closed), (who_closed ? s->rst[!cside] : s->rst[cside]) ? "reset" : "closed",
                 side_name(s->last_msg_side), after, certnote);
        return TR_V_FAILED;
    }
    snprintf(out, n, "capture incomplete: handshake not finished in the capture (%s, last message %s)%s%s",
             v, s->last_msg >= 0 ? tr_hs_name(s->last_msg, b, sizeof b) : "none", certnote, gap);
    return TR_V_INCOMPLETE;
}

/* Appends what was decrypted, or why not, to the verdict text. */
static void decryption_note(struct sess *s, char *text, size_t n)
{
    if (!s->tc || !s->tls)
        return;
    const struct tr_tlscrypt_stats *st = tr_tlscrypt_stats(s->tc);
    size_t l = strlen(text);
    uint64_t ok = st->records_ok[0] + st->records_ok[1];
    uint64_t nokey = st->records_nokey[0] + st->records_nokey[1];
    uint64_t failed = st->records_failed[0] + st->records_failed[1];
    uint64_t cbytes = s->d[s->cdir].dec_bytes, sbytes = s->d[!s->cdir].dec_bytes;
    if (ok)
        l += (size_t)snprintf(text + l, n - l, "; decrypted: %llu bytes client to server, %llu server to client",
                              (unsigned long long)cbytes, (unsigned long long)sbytes);
    if (l < n && (st->key_updates[0] || st->key_updates[1]))
        l += (size_t)snprintf(text + l, n - l, "; KeyUpdate: %llu by the client, %llu by the server",
                              (unsigned long long)st->key_updates[0], (unsigned long long)st->key_updates[1]);
    if (l < n && s->hf.ch_count > 1 + (s->hf.hrr ? 1 : 0))
        l += (size_t)snprintf(text + l, n - l, "; renegotiated %d time%s", s->hf.ch_count - 1 - (s->hf.hrr ? 1 : 0),
                              s->hf.ch_count - 1 - (s->hf.hrr ? 1 : 0) == 1 ? "" : "s");
    if (l < n && st->early_ok)
        l += (size_t)snprintf(text + l, n - l, " (%llu 0-RTT records)", (unsigned long long)st->early_ok);
    if (l < n && failed) {
        int side = st->records_failed[0] ? 0 : 1;
        uint64_t first = st->records_failed[0] && st->records_failed[1]
                             ? (st->first_failed_rec[0] < st->first_failed_rec[1] ? st->first_failed_rec[0]
                                                                                  : st->first_failed_rec[1])
                             : st->first_failed_rec[side];
        l += (size_t)snprintf(text + l, n - l, "; %llu record%s failed authentication, bad_record_mac(20) from "
                              "record %llu (keys wrong or capture corrupted): withheld",
                              (unsigned long long)failed, failed == 1 ? "" : "s", (unsigned long long)first);
    }
    const char *why = tr_tlscrypt_reason(s->tc);
    if (l < n && (nokey || st->early_skipped) && why[0])
        l += (size_t)snprintf(text + l, n - l, "; %s: %s", ok ? "partly decrypted" : "not decrypted", why);
    if (l < n && st->early_skipped)
        snprintf(text + l, n - l, "; %llu 0-RTT record%s skipped", (unsigned long long)st->early_skipped,
                 st->early_skipped == 1 ? "" : "s");
}

/* What the HTTP/1.x parser decoded and withheld, for the verdict. */
/* HTTP/1.x and HTTP/2 statistics of the connection, both directions
 * summed; *any1 / *any2: the protocol was followed in some direction. */
static void proto_stats(const struct sess *s, struct tr_http1_stats *h1, int *any1, struct tr_h2_stats *h2,
                        int *any2)
{
    memset(h1, 0, sizeof *h1);
    memset(h2, 0, sizeof *h2);
    *any1 = *any2 = 0;
    for (int dir = 0; dir < 2; dir++) {
        if (s->d[dir].h1) {
            struct tr_http1_stats st;
            tr_http1dir_stats(s->d[dir].h1, &st);
            tr_http1_stats_add(h1, &st);
            *any1 = 1;
        }
        if (s->d[dir].h2) {
            struct tr_h2_stats st;
            tr_h2dir_stats(s->d[dir].h2, &st);
            tr_h2_stats_add(h2, &st);
            *any2 = 1;
        }
    }
}

/* "N reason, M reason" for bodies withheld by reason (TR_H1W_*); returns
 * the number of bodies. */
static uint64_t why_list(const uint64_t *by, char *buf, size_t cap)
{
    uint64_t n = 0;
    size_t l = 0;
    buf[0] = '\0';
    for (int w = 0; w < TR_H1W_N; w++) {
        n += by[w];
        if (by[w] && l < cap)
            l += (size_t)snprintf(buf + l, cap - l, "%s%llu %s", l ? ", " : "", (unsigned long long)by[w],
                                  tr_http1_why_name(w));
    }
    return n;
}

/* Verdict fields of HTTP/1.x decoding (counts, never values). */
static void http1_fields(struct tr_sessions *S, const struct tr_http1_stats *t)
{
    uint64_t dec = 0;
    for (int c = 0; c < TR_H1C_N; c++)
        dec += t->bodies_decoded[c];
    tr_fields_add(&S->fb, 1, "http1", "%llu messages, %llu compressed bodies decoded (%llu bytes)%s",
                  (unsigned long long)t->messages, (unsigned long long)dec, (unsigned long long)t->bytes_decoded,
                  t->upgrades_ws ? ", WebSocket upgrade followed" : "");
    char why[256];
    uint64_t nwh = why_list(t->bodies_withheld, why, sizeof why);
    uint64_t wb = t->bytes_withheld + t->upgraded_bytes_withheld;
    if (nwh || wb || t->malformed)
        tr_fields_add(&S->fb, 1, "http1-withheld", "%llu bytes withheld uninspected%s%s%s, %llu malformed "
                      "messages: fail closed", (unsigned long long)wb, nwh ? " (bodies: " : "", why,
                      nwh ? ")" : "", (unsigned long long)t->malformed);
}

/* Per-rule redaction counts of the connection (counts, never values). */
/* Redaction counts of one connection: bytes masked or tokenized, bytes
 * withheld, regex limit hits - byte stream and HTTP/2 header text together. */
static void redact_totals(const struct sess *s, uint64_t *masked, uint64_t *withheld, uint64_t *lim)
{
    *masked = *withheld = *lim = 0;
    for (int dir = 0; dir < 2; dir++) {
        struct tr_redact_stats st;
        for (int k = 0; k < 2; k++) {
            if (k == 0 && s->d[dir].red)
                tr_redactor_stats(s->d[dir].red, &st);
            else if (k == 1 && s->d[dir].h2)
                tr_h2dir_redact_stats(s->d[dir].h2, &st);
            else
                continue;
            *masked += st.bytes_masked + st.bytes_tokenized;
            *withheld += st.bytes_withheld_drop + st.bytes_withheld_limit;
            *lim += st.limit_hits;
        }
    }
}

/* Bytes the HTTP/1.x, WebSocket and HTTP/2 decoders withheld because they
 * could not inspect them (counted, not silently lost). */
static uint64_t uninspected_bytes(const struct sess *s)
{
    struct tr_http1_stats h1;
    struct tr_h2_stats h2;
    int any1, any2;
    proto_stats(s, &h1, &any1, &h2, &any2);
    return h1.bytes_withheld + h1.upgraded_bytes_withheld + h2.bytes_withheld + h2.data_withheld;
}

/* Verdict fields of the redaction (counts, never values), from the
 * connection's summary; adds them to the run's totals. */
static void redaction_fields(struct tr_sessions *S, struct sess *s, const struct tr_conn_summary *sum,
                             uint64_t lim)
{
    if (!S->opts.rules)
        return;
    struct tr_http1_stats h1;
    struct tr_h2_stats h2;
    int any_h1, any_h2;
    proto_stats(s, &h1, &any_h1, &h2, &any_h2);
    S->tot.redacted_bytes += sum->masked;
    S->tot.dropped_bytes += sum->withheld;
    if (!s->d[0].red && !s->d[1].red && !any_h2)
        return;
    tr_fields_add(&S->fb, 0, "redaction", "%llu bytes masked, %llu bytes withheld by rules%s%s",
                  (unsigned long long)sum->masked, (unsigned long long)sum->withheld,
                  lim ? " (regex limits hit: withheld, fail closed)" : "",
                  sum->uninspected ? "; HTTP content withheld undecoded: see below" : "");
    if (any_h2) {
        tr_fields_add(&S->fb, 1, "http2", "%llu header blocks decoded (%llu fields) and redacted",
                      (unsigned long long)h2.header_blocks, (unsigned long long)h2.header_fields);
        if (h2.bodies_decoded || h2.bytes_decoded)
            tr_fields_add(&S->fb, 1, "http2-bodies", "%llu content-encoded bodies decoded (%llu bytes) and redacted",
                          (unsigned long long)h2.bodies_decoded, (unsigned long long)h2.bytes_decoded);
        char why[160];
        uint64_t nwh = why_list(h2.bodies_withheld, why, sizeof why);
        if (nwh || h2.data_withheld || h2.streams_evicted)
            tr_fields_add(&S->fb, 1, "http2-bodies-withheld", "%llu bodies (%s), %llu DATA bytes withheld "
                          "uninspected%s: fail closed", (unsigned long long)nwh, nwh ? why : "none",
                          (unsigned long long)h2.data_withheld,
                          h2.streams_evicted ? " (streams closed early: too many at once)" : "");
        if (h2.requests > h2.responses)
            tr_fields_add(&S->fb, 1, "http2-unanswered", "%llu of %llu requests have no response header block "
                          "in the capture (cut off, reset or refused)",
                          (unsigned long long)(h2.requests - h2.responses), (unsigned long long)h2.requests);
        if (h2.streams_open_at_end)
            tr_fields_add(&S->fb, 1, "http2-unfinished", "%llu stream%s had not ended when the capture of the "
                          "connection ended (%s so far in the outputs)", (unsigned long long)h2.streams_open_at_end,
                          h2.streams_open_at_end == 1 ? "" : "s", h2.streams_open_at_end == 1 ? "its body" : "their bodies");
        if (h2.encoded_bodies && S->opts.allow_uninspected)
            tr_fields_add(&S->fb, 1, "http2-uninspected", "%llu bodies with an unknown content-encoding passed "
                          "as they are (--allow-uninspected)", (unsigned long long)h2.encoded_bodies);
        if (h2.blocks_withheld || h2.hpack_errors || h2.protocol_errors || h2.lost)
            tr_fields_add(&S->fb, 1, "http2-withheld", "%llu header blocks and %llu bytes withheld uninspected "
                          "(%llu HPACK errors, %llu framing errors%s): fail closed",
                          (unsigned long long)h2.blocks_withheld, (unsigned long long)h2.bytes_withheld,
                          (unsigned long long)h2.hpack_errors, (unsigned long long)h2.protocol_errors,
                          h2.lost ? ", framing lost after a gap or error" : "");
    }
    if (any_h1)
        http1_fields(S, &h1);
    for (size_t i = 0; i < sum->nrules; i++) {
        uint64_t m = sum->rule_matches[i], b = sum->rule_bytes[i];
        S->tot.rule_matches[i] += m;
        S->tot.rule_bytes[i] += b;
        if (m)
            tr_fields_add(&S->fb, 1, sum->rule_ids[i], "%llu match%s, %llu bytes",
                          (unsigned long long)m, m == 1 ? "" : "es", (unsigned long long)b);
    }
}

/* The numbers behind a verdict (struct tr_conn_summary), computed once for
 * every output; name buffers and rule arrays stay valid until the next call. */
static void conn_summary(struct tr_sessions *S, struct sess *s, enum tr_close_reason why,
                         struct tr_conn_summary *sum, char *vb, char *sb, uint64_t *lim)
{
    const struct tr_conn *c = s->c;
    memset(sum, 0, sizeof *sum);
    for (int side = 0; side < 2; side++) {
        int dir = side == 0 ? s->cdir : !s->cdir;
        const struct tr_half *h = &c->half[dir];
        const struct dirst *d = &s->d[dir];
        sum->segments[side] = h->segments;
        sum->tcp_bytes[side] = h->bytes;
        sum->retransmitted[side] = h->dup_bytes;
        sum->missing[side] = h->gap_bytes;
        sum->records[side] = d->records;
        sum->not_dissected[side] = d->skipped;
        sum->plain[side] = d->plain_bytes;
        sum->decrypted[side] = d->dec_bytes;
        sum->encrypted[side] = d->enc_bytes;
        sum->failed[side] = d->failed_bytes;
    }
    redact_totals(s, &sum->masked, &sum->withheld, lim);
    sum->uninspected = uninspected_bytes(s);
    sum->gaps = s->gaps;
    sum->gap_bytes = s->gap_bytes;
    if (S->tot.nrules) {
        for (size_t i = 0; i < S->tot.nrules; i++) {
            S->conn_matches[i] = S->conn_bytes[i] = 0;
            for (int dir = 0; dir < 2; dir++)
                rule_counts(&s->d[dir], i, &S->conn_matches[i], &S->conn_bytes[i]);
        }
        sum->nrules = S->tot.nrules;
        sum->rule_matches = S->conn_matches;
        sum->rule_bytes = S->conn_bytes;
        sum->rule_ids = S->rule_ids;
    }
    if (s->hf.sh_count || s->hf.hrr) {
        sum->version = s->hf.version;
        sum->suite = s->hf.suite;
        sum->version_name = tr_version_str(s->hf.version, vb, TR_NAME_BUF);
        sum->suite_name = tr_suite_name(s->hf.suite, sb, TR_NAME_BUF);
    }
    sum->sni = s->hf.sni;
    sum->decrypt_reason = s->tc ? tr_tlscrypt_reason(s->tc) : "";
    static const char *const close_names[] = {"fin", "idle", "evicted", "end", "reused"};
    sum->close_reason = (unsigned)why < 5 ? close_names[why] : "?";
}

static void on_close(void *ctx, struct tr_conn *c, enum tr_close_reason why)
{
    struct tr_sessions *S = ctx;
    struct sess *s = c->app;
    if (!s)
        return;
    /* flush what is left: cleartext tails, partial records */
    for (int dir = 0; dir < 2; dir++) {
        struct dirst *d = &s->d[dir];
        if (d->mode == M_UNKNOWN && d->buf.len && !s->tls) {
            d->mode = M_PLAIN;
            process(S, s, dir);
        }
        if (d->mode == M_PLAIN && d->buf.len) {
            emit_plain(S, s, dir, d->buf.data, d->buf.len);
            tr_buf_reset(&d->buf);
        }
        if (d->buf.len) {
            char msg[128];
            snprintf(msg, sizeof msg, "%zu bytes at the end of the stream are not a complete record",
                     d->buf.len);
            note(S, s, dir, msg);
            d->skipped += d->buf.len;
            S->tot.skipped_bytes += d->buf.len;
        }
    }
    /* matches that complete at the end of each stream */
    for (int dir = 0; dir < 2; dir++) {
        if (s->d[dir].h2)
            tr_h2dir_finish(s->d[dir].h2);
        if (s->d[dir].h1)
            tr_http1dir_finish(s->d[dir].h1);
    }
    red_flush(s, 0);
    red_flush(s, 1);
    char text[1536];
    enum tr_verdict v = verdict(s, text, sizeof text);
    decryption_note(s, text, sizeof text);
    if (why == TR_CLOSE_IDLE || why == TR_CLOSE_EVICTED) {
        size_t l = strlen(text);
        snprintf(text + l, sizeof text - l, "; connection %s", why == TR_CLOSE_IDLE
                 ? "idle for too long, closed early" : "evicted (connection table full)");
    } else if (why == TR_CLOSE_END && !s->closed[0] && !s->closed[1] && !s->rst[0] && !s->rst[1]) {
        /* not a failure, but what follows is not in the capture */
        size_t l = strlen(text);
        snprintf(text + l, sizeof text - l, "; the capture ends while the connection is open (no FIN or RST)");
    }
    S->tot.by_verdict[v]++;
    struct tr_conn_summary sum;
    char vb[TR_NAME_BUF], sb[TR_NAME_BUF];
    uint64_t lim = 0;
    conn_summary(S, s, why, &sum, vb, sb, &lim);
    tr_fields_reset(&S->fb);
    for (int side = 0; side < 2; side++)
        tr_fields_add(&S->fb, 0, side == 0 ? "client" : "server",
                      "%llu segments, %llu bytes, %llu records, %llu retransmitted bytes, %llu missing, "
                      "%llu not dissected",
                      (unsigned long long)sum.segments[side], (unsigned long long)sum.tcp_bytes[side],
                      (unsigned long long)sum.records[side], (unsigned long long)sum.retransmitted[side],
                      (unsigned long long)sum.missing[side], (unsigned long long)sum.not_dissected[side]);
    redaction_fields(S, s, &sum, lim);
    struct tr_ev ev = {.type = TR_EV_VERDICT, .title = tr_verdict_name(v), .text = text, .fields = &S->fb,
                       .verdict = tr_verdict_name(v), .sum = &sum};
    emit(S, s, &ev, -1, c->last_ts);
    struct tr_ev cl = {.type = TR_EV_CONN_CLOSE, .title = "close"};
    for (int side = 0; side < 2; side++) {
        int dir = side == 0 ? s->cdir : !s->cdir;
        cl.closed[side] = s->rst[dir] ? 2 : s->closed[dir] ? 1 : 0;
    }
    emit(S, s, &cl, -1, c->last_ts);
    for (int i = 0; i < 2; i++) {
        tr_buf_free(&s->d[i].buf);
        tr_buf_free(&s->d[i].hs);
        tr_buf_free(&s->d[i].frm);
        tr_redactor_free(s->d[i].red);
        tr_h2dir_free(s->d[i].h2);
        tr_http1dir_free(s->d[i].h1);
    }
    tr_tlscrypt_free(s->tc);
    free(s);
    c->app = NULL;
}

static const struct tr_flow_ops ops = {
    .open = on_open, .data = on_data, .gap = on_gap, .fin = on_fin, .close = on_close,
};

const struct tr_flow_ops *tr_session_flow_ops(void) { return &ops; }
