/* hs.c - handshake message decoding (see hs.h). */
#include "tls/hs.h"
#include "core/err.h"
#include "core/reader.h"
#include "tls/names.h"
#include "tls/suites.h"

#include <stdio.h>
#include <string.h>

/* SHA-256("HelloRetryRequest"), RFC 8446 §4.1.3 */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

void tr_hs_facts_init(struct tr_hs_facts *hf)
{
    memset(hf, 0, sizeof *hf);
    hf->last_msg[0] = hf->last_msg[1] = -1;
}

const char *tr_hs_name(int type, char *buf, size_t n)
{
    if (type == TR_HS_HRR_PSEUDO)
        return "hello_retry_request";
    const char *s = tr_name_handshake((uint8_t)type);
    if (s)
        return s;
    snprintf(buf, n, "unknown(%d)", type);
    return buf;
}

static const char *ver(uint16_t v, char *buf, size_t n) { return tr_version_str(v, buf, n); }

/* Appends printable text from untrusted bytes: non-printables become '?'. */
static void safe_copy(char *dst, size_t dn, const uint8_t *p, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < dn; i++)
        dst[j++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    dst[j] = '\0';
}

/* A comma-separated list builder bounded by its buffer. */
struct list {
    char s[1024];
    size_t n;
    unsigned count;
};

static void list_add(struct list *l, const char *item)
{
    size_t k = strlen(item);
    if (l->n + k + 3 >= sizeof l->s) {
        if (l->n + 4 < sizeof l->s && (l->n < 3 || strcmp(l->s + l->n - 3, "...") != 0)) {
            memcpy(l->s + l->n, "...", 4);
            l->n += 3;
        }
        l->count++;
        return;
    }
    if (l->count++) {
        memcpy(l->s + l->n, ", ", 2);
        l->n += 2;
    }
    memcpy(l->s + l->n, item, k + 1);
    l->n += k;
}

static const char *name_or_hex16(const char *name, uint16_t v, char *buf, size_t n)
{
    return tr_name_or_unknown(name, v, 4, buf, n);
}

/* ---- extensions ---- */

static void ext_list16(struct tr_reader *r, const char *(*namef)(uint16_t), struct list *l)
{
    char b[TR_NAME_BUF];
    while (tr_rd_left(r) >= 2) {
        uint16_t v = tr_rd_u16(r);
        list_add(l, name_or_hex16(namef(v), v, b, sizeof b));
    }
}

static const char *sigscheme_name(uint16_t v)
{
    return tr_name_sigscheme(v);
}

static void decode_alpn(struct tr_reader *r, struct list *l, char *first, size_t fn)
{
    struct tr_reader lst = tr_rd_vec16(r);
    while (tr_rd_left(&lst)) {
        struct tr_reader p = tr_rd_vec8(&lst);
        size_t n;
        const uint8_t *b = tr_rd_rest(&p, &n);
        char proto[64];
        safe_copy(proto, sizeof proto, b, b ? n : 0);
        if (first && !l->count)
            snprintf(first, fn, "%s", proto);
        list_add(l, proto);
    }
    if (!tr_rd_ok(&lst))
        r->err = 1;
}

/* Decodes the extensions block of a hello (kind: 1 CH, 2 SH, 6 HRR, 8 EE). */
static void decode_exts(struct tr_hs_facts *hf, int kind, struct tr_reader *r,
                        struct tr_fields *fb, int depth)
{
    if (!tr_rd_left(r))
        return;
    struct tr_reader exts = tr_rd_vec16(r);
    char b[TR_NAME_BUF], b2[TR_NAME_BUF];
    unsigned count = 0;
    while (tr_rd_left(&exts) >= 4) {
        uint16_t type = tr_rd_u16(&exts);
        struct tr_reader e = tr_rd_vec16(&exts);
        if (!tr_rd_ok(&exts))
            break;
        size_t elen = tr_rd_left(&e);
        const char *name = name_or_hex16(tr_name_extension(type), type, b, sizeof b);
        count++;
        struct list l = {.n = 0, .count = 0};
        l.s[0] = '\0';
        switch (type) {
        case 0: /* server_name */
            if (kind == 1 && elen) {
                struct tr_reader lst = tr_rd_vec16(&e);
                while (tr_rd_left(&lst)) {
                    uint8_t nt = tr_rd_u8(&lst);
                    struct tr_reader hn = tr_rd_vec16(&lst);
                    size_t n;
                    const uint8_t *h = tr_rd_rest(&hn, &n);
                    if (nt == 0 && h && !hf->sni[0])
                        safe_copy(hf->sni, sizeof hf->sni, h, n);
                }
                tr_fields_add(fb, depth, name, "%s", hf->sni);
            } else {
                tr_fields_add(fb, depth, name, "(acknowledged)");
            }
            break;
        case 10: /* supported_groups */
        {
            struct tr_reader g = tr_rd_vec16(&e);
            ext_list16(&g, tr_name_group, &l);
            tr_fields_add(fb, depth, name, "%s", l.s);
            break;
        }
        case 11: /* ec_point_formats */
        {
            struct tr_reader g = tr_rd_vec8(&e);
            while (tr_rd_left(&g)) {
                uint8_t v = tr_rd_u8(&g);
                list_add(&l, tr_name_or_unknown(tr_name_ec_point_format(v), v, 0, b2, sizeof b2));
            }
            tr_fields_add(fb, depth, name, "%s", l.s);
            break;
        }
        case 13: /* signature_algorithms */
        case 50: /* signature_algorithms_cert */
        {
            struct tr_reader g = tr_rd_vec16(&e);
            while (tr_rd_left(&g) >= 2) {
                uint16_t v = tr_rd_u16(&g);
                list_add(&l, tr_sigscheme_str(v, b2, sizeof b2));
            }
            (void)sigscheme_name;
            tr_fields_add(fb, depth, name, "%s", l.s);
            break;
        }
        case 16: /* application_layer_protocol_negotiation */
            if (kind == 1) {
                decode_alpn(&e, &l, NULL, 0);
            } else {
                decode_alpn(&e, &l, hf->alpn, sizeof hf->alpn);
            }
            tr_fields_add(fb, depth, name, "%s", l.s);
            break;
        case 22: /* encrypt_then_mac */
            if (kind == 1) hf->ch_etm = 1; else if (kind == 2) hf->sh_etm = 1;
            tr_fields_add(fb, depth, name, NULL);
            break;
        case 23: /* extended_master_secret */
            if (kind == 1) hf->ch_ems = 1; else if (kind == 2) hf->sh_ems = 1;
            tr_fields_add(fb, depth, name, NULL);
            break;
        case 35: /* session_ticket */
            if (kind == 1) {
                hf->ch_ticket_ext = 1;
                hf->ch_ticket_len = (int)elen;
                if (elen <= sizeof hf->ch_ticket)
                    memcpy(hf->ch_ticket, e.p, elen);
                else
                    hf->ch_ticket_len = 0; /* too large to look up: treated as none */
                if (elen)
                    tr_fields_add(fb, depth, name, "ticket of %zu bytes (resumption attempt)", elen);
                else
                    tr_fields_add(fb, depth, name, "empty (ticket supported)");
            } else {
                hf->sh_ticket_ext = 1;
                tr_fields_add(fb, depth, name, "(server will send a ticket)");
            }
            break;
        case 41: /* pre_shared_key */
            if (kind == 1) {
                hf->ch_psk = 1;
                struct tr_reader ids = tr_rd_vec16(&e);
                unsigned n = 0;
                while (tr_rd_left(&ids)) {
                    (void)tr_rd_vec16(&ids);
                    (void)tr_rd_u32(&ids);
                    n++;
                }
                tr_fields_add(fb, depth, name, "%u identit%s offered", n, n == 1 ? "y" : "ies");
            } else {
                hf->sh_psk = 1;
                uint16_t idx = tr_rd_u16(&e);
                tr_fields_add(fb, depth, name, "identity %u selected (PSK resumption)", idx);
            }
            break;
        case 42: /* early_data */
            if (kind == 1) hf->ch_early_data = 1; else hf->sh_early_data = 1;
            tr_fields_add(fb, depth, name, kind == 1 ? "offered" : "accepted");
            break;
        case 43: /* supported_versions */
            if (kind == 1) {
                struct tr_reader v = tr_rd_vec8(&e);
                while (tr_rd_left(&v) >= 2) {
                    uint16_t x = tr_rd_u16(&v);
                    list_add(&l, ver(x, b2, sizeof b2));
                    if (tr_is_grease16(x))
                        continue;
                    if (x > hf->ch_max_version && x <= 0x0304)
                        hf->ch_max_version = x;
                    if (x >= 0x0300 && x <= 0x0304 && (!hf->ch_min_version || x < hf->ch_min_version))
                        hf->ch_min_version = x;
                    if ((x >> 8) == 0x7f && hf->ch_max_version < 0x0304)
                        hf->ch_max_version = 0x0304; /* draft versions of 1.3 */
                }
                tr_fields_add(fb, depth, name, "%s", l.s);
            } else {
                uint16_t x = tr_rd_u16(&e);
                hf->version = x;
                tr_fields_add(fb, depth, name, "%s", ver(x, b2, sizeof b2));
            }
            break;
        case 45: /* psk_key_exchange_modes */
        {
            struct tr_reader g = tr_rd_vec8(&e);
            while (tr_rd_left(&g)) {
                uint8_t v = tr_rd_u8(&g);
                list_add(&l, tr_name_or_unknown(tr_name_psk_mode(v), v, 0, b2, sizeof b2));
            }
            tr_fields_add(fb, depth, name, "%s", l.s);
            break;
        }
        case 51: /* key_share */
            if (kind == 1) {
                struct tr_reader g = tr_rd_vec16(&e);
                while (tr_rd_left(&g)) {
                    uint16_t grp = tr_rd_u16(&g);
                    (void)tr_rd_vec16(&g);
                    list_add(&l, name_or_hex16(tr_name_group(grp), grp, b2, sizeof b2));
                }
                tr_fields_add(fb, depth, name, "%s", l.s);
            } else {
                uint16_t grp = tr_rd_u16(&e);
                hf->group = grp;
                tr_fields_add(fb, depth, name, "%s%s",
                              name_or_hex16(tr_name_group(grp), grp, b2, sizeof b2),
                              kind == 6 ? " (requested)" : "");
            }
            break;
        case 0xff01: /* renegotiation_info */
            tr_fields_add(fb, depth, name, elen > 1 ? "renegotiation (%zu bytes)" : "initial", elen);
            break;
        default:
            if (elen)
                tr_fields_add(fb, depth, name, "%zu bytes", elen);
            else
                tr_fields_add(fb, depth, name, NULL);
            break;
        }
        if (!tr_rd_ok(&e))
            tr_fields_add(fb, depth + 1, "error", "malformed extension");
    }
    if (!tr_rd_ok(&exts) || tr_rd_left(&exts))
        r->err = 1;
    (void)count;
}

/* ---- messages ---- */

static int client_hello(struct tr_hs_facts *hf, struct tr_reader *r, struct tr_fields *fb, int depth)
{
    char b[TR_NAME_BUF];
    hf->ch_count++;
    hf->ch_sslv2 = 0;
    hf->ch_legacy_version = tr_rd_u16(r);
    hf->ch_max_version = hf->ch_min_version = 0;
    hf->ch_ems = hf->ch_etm = hf->ch_ticket_ext = hf->ch_ticket_len = 0;
    hf->ch_psk = hf->ch_early_data = 0;
    const uint8_t *rnd = tr_rd_bytes(r, 32);
    struct tr_reader sid = tr_rd_vec8(r);
    struct tr_reader suites = tr_rd_vec16(r);
    struct tr_reader comp = tr_rd_vec8(r);
    if (!tr_rd_ok(r))
        return TR_E_TRUNCATED;
    memcpy(hf->client_random, rnd, 32);
    size_t sl;
    const uint8_t *s = tr_rd_rest(&sid, &sl);
    hf->ch_sid_len = (uint8_t)(sl > 32 ? 32 : sl);
    if (s)
        memcpy(hf->ch_sid, s, hf->ch_sid_len);
    tr_fields_add(fb, depth, "version", "%s", ver(hf->ch_legacy_version, b, sizeof b));
    tr_fields_hex(fb, depth, "random", hf->client_random, 32, 32);
    if (hf->ch_sid_len)
        tr_fields_hex(fb, depth, "session_id", hf->ch_sid, hf->ch_sid_len, 32);
    else
        tr_fields_add(fb, depth, "session_id", "(empty)");
    struct list l = {.n = 0, .count = 0};
    l.s[0] = '\0';
    hf->ch_nsuites = 0;
    while (tr_rd_left(&suites) >= 2) {
        uint16_t id = tr_rd_u16(&suites);
        list_add(&l, tr_suite_name(id, b, sizeof b));
        hf->ch_nsuites++;
    }
    tr_fields_add(fb, depth, "cipher_suites", "(%d) %s", hf->ch_nsuites, l.s);
    struct list c = {.n = 0, .count = 0};
    c.s[0] = '\0';
    while (tr_rd_left(&comp)) {
        uint8_t m = tr_rd_u8(&comp);
        list_add(&c, tr_name_or_unknown(tr_name_compression(m), m, 0, b, sizeof b));
    }
    tr_fields_add(fb, depth, "compression_methods", "%s", c.s);
    decode_exts(hf, 1, r, fb, depth);
    if (!hf->ch_max_version)
        hf->ch_max_version = hf->ch_legacy_version;
    if (!hf->ch_min_version)
        hf->ch_min_version = hf->ch_legacy_version;
    return tr_rd_ok(r) ? 0 : TR_E_MALFORMED;
}

static int server_hello(struct tr_hs_facts *hf, struct tr_reader *r, struct tr_fields *fb,
                        int depth, int *is_hrr)
{
    char b[TR_NAME_BUF];
    uint16_t legacy = tr_rd_u16(r);
    const uint8_t *rnd = tr_rd_bytes(r, 32);
    struct tr_reader sid = tr_rd_vec8(r);
    uint16_t suite = tr_rd_u16(r);
    uint8_t comp = tr_rd_u8(r);
    if (!tr_rd_ok(r))
        return TR_E_TRUNCATED;
    *is_hrr = memcmp(rnd, hrr_random, 32) == 0;
    if (*is_hrr) {
        hf->hrr++;
    } else {
        hf->sh_count++;
        memcpy(hf->server_random, rnd, 32);
        hf->sh_ems = hf->sh_etm = hf->sh_ticket_ext = hf->sh_psk = 0;
    }
    hf->version = legacy;
    hf->suite = suite;
    size_t sl;
    const uint8_t *s = tr_rd_rest(&sid, &sl);
    uint8_t sidb[32];
    uint8_t sidn = (uint8_t)(sl > 32 ? 32 : sl);
    if (s)
        memcpy(sidb, s, sidn);
    tr_fields_add(fb, depth, "version", "%s", ver(legacy, b, sizeof b));
    if (!*is_hrr)
        tr_fields_hex(fb, depth, "random", rnd, 32, 32);
    if (sidn)
        tr_fields_hex(fb, depth, "session_id", sidb, sidn, 32);
    else
        tr_fields_add(fb, depth, "session_id", "(empty)");
    tr_fields_add(fb, depth, "cipher_suite", "%s", tr_suite_name(suite, b, sizeof b));
    tr_fields_add(fb, depth, "compression_method", "%s",
                  tr_name_or_unknown(tr_name_compression(comp), comp, 0, b, sizeof b));
    decode_exts(hf, *is_hrr ? 6 : 2, r, fb, depth);
    if (!*is_hrr) {
        memcpy(hf->sh_sid, sidb, sidn);
        hf->sh_sid_len = sidn;
        if (hf->version == 0x0304)
            hf->resumed = hf->sh_psk;
        else
            hf->resumed = sidn > 0 && sidn == hf->ch_sid_len && !memcmp(sidb, hf->ch_sid, sidn);
    }
    return tr_rd_ok(r) ? 0 : TR_E_MALFORMED;
}

static int certificate(struct tr_hs_facts *hf, int from_client, const uint8_t *body, size_t len,
                       time_t when, struct tr_fields *fb, int depth)
{
    struct tr_cert_iter it;
    int tls13 = hf->version == 0x0304;
    int rc = tr_cert_msg_begin(&it, body, len, tls13);
    if (rc)
        return rc;
    struct tr_cert_entry e;
    size_t n = 0;
    while ((rc = tr_cert_msg_next(&it, &e)) == 1) {
        struct tr_cert_info ci;
        int crc = tr_cert_summarize(e.der, e.len, when, &ci);
        if (n < 8) {
            tr_fields_add(fb, depth, "certificate", "[%zu] %zu bytes", n, e.len);
            if (ci.parsed) {
                tr_fields_add(fb, depth + 1, "subject", "%s", ci.subject);
                tr_fields_add(fb, depth + 1, "issuer", "%s", ci.issuer);
                tr_fields_add(fb, depth + 1, "validity", "%s .. %s (%s at capture time)",
                              ci.not_before, ci.not_after, tr_cert_validity_name(ci.validity));
                if (ci.san_kept) {
                    struct list l = {.n = 0, .count = 0};
                    l.s[0] = '\0';
                    for (size_t i = 0; i < ci.san_kept; i++)
                        list_add(&l, ci.san[i]);
                    tr_fields_add(fb, depth + 1, "subject_alt_names", "%s%s", l.s,
                                  ci.san_count > ci.san_kept ? ", ..." : "");
                }
                if (ci.key_curve[0])
                    tr_fields_add(fb, depth + 1, "public_key", "%s %s (%u bits)", ci.key_type,
                                  ci.key_curve, ci.key_bits);
                else
                    tr_fields_add(fb, depth + 1, "public_key", "%s %u bits", ci.key_type, ci.key_bits);
                tr_fields_add(fb, depth + 1, "signature", "%s", ci.sig_alg);
            } else {
                tr_fields_add(fb, depth + 1, "error", "certificate not parsed (%s)",
                              crc == TR_E_UNSUPPORTED ? "unsupported algorithm" : "malformed");
            }
            tr_fields_add(fb, depth + 1, "sha256", "%s", ci.fingerprint);
        }
        if (n == 0 && !from_client) {
            hf->server_cert_seen = 1;
            hf->server_cert = ci.parsed ? ci.validity : TR_CERT_VALIDITY_UNKNOWN;
            snprintf(hf->server_cert_fp, sizeof hf->server_cert_fp, "%s", ci.fingerprint);
            if (ci.parsed) {
                snprintf(hf->server_cert_subject, sizeof hf->server_cert_subject, "%s", ci.subject);
                snprintf(hf->server_cert_issuer, sizeof hf->server_cert_issuer, "%s", ci.issuer);
                snprintf(hf->server_cert_not_after, sizeof hf->server_cert_not_after, "%s", ci.not_after);
                snprintf(hf->server_cert_not_before, sizeof hf->server_cert_not_before, "%s", ci.not_before);
                snprintf(hf->server_cert_key_fp, sizeof hf->server_cert_key_fp, "%s", ci.key_fingerprint);
            }
        }
        n++;
    }
    if (n > 8)
        tr_fields_add(fb, depth, "certificates", "%zu more not shown", n - 8);
    if (n == 0)
        tr_fields_add(fb, depth, "certificate_list", "(empty: no certificate)");
    if (from_client) {
        hf->client_cert_seen = 1;
        hf->client_cert_empty = n == 0;
    }
    return rc < 0 ? rc : 0;
}

static int server_key_exchange(struct tr_hs_facts *hf, struct tr_reader *r,
                               struct tr_fields *fb, int depth)
{
    char b[TR_NAME_BUF];
    const struct tr_suite *s = tr_suite_find(hf->suite);
    unsigned kx = s ? s->kx : TR_KX_NONE;
    hf->ske_seen = 1;
    switch (kx) {
    case TR_KX_ECDHE:
    case TR_KX_ECDH_ANON:
    case TR_KX_ECDHE_PSK: {
        if (kx == TR_KX_ECDHE_PSK)
            (void)tr_rd_vec16(r); /* psk identity hint */
        uint8_t ctype = tr_rd_u8(r);
        if (ctype == 3) {
            uint16_t g = tr_rd_u16(r);
            hf->group = g;
            struct tr_reader pt = tr_rd_vec8(r);
            tr_fields_add(fb, depth, "key_exchange", "ECDHE, %s, public key %zu bytes",
                          name_or_hex16(tr_name_group(g), g, b, sizeof b), tr_rd_left(&pt));
        } else {
            tr_fields_add(fb, depth, "key_exchange", "ECDHE, curve type %u", ctype);
            return tr_rd_ok(r) ? 0 : TR_E_MALFORMED;
        }
        break;
    }
    case TR_KX_DHE:
    case TR_KX_DH_ANON:
    case TR_KX_DHE_PSK: {
        if (kx == TR_KX_DHE_PSK)
            (void)tr_rd_vec16(r);
        struct tr_reader p = tr_rd_vec16(r);
        (void)tr_rd_vec16(r);
        (void)tr_rd_vec16(r);
        size_t pl = tr_rd_left(&p);
        const uint8_t *pp = p.p;
        while (pl && pp && *pp == 0) { pp++; pl--; }
        tr_fields_add(fb, depth, "key_exchange", "DHE, prime of %zu bits", pl * 8);
        break;
    }
    case TR_KX_RSA: {
        struct tr_reader m = tr_rd_vec16(r);
        (void)tr_rd_vec16(r);
        tr_fields_add(fb, depth, "key_exchange", "RSA (export), temporary modulus %zu bits",
                      tr_rd_left(&m) * 8);
        break;
    }
    case TR_KX_PSK:
    case TR_KX_RSA_PSK: {
        struct tr_reader h = tr_rd_vec16(r);
        tr_fields_add(fb, depth, "key_exchange", "PSK, identity hint of %zu bytes", tr_rd_left(&h));
        return tr_rd_ok(r) ? 0 : TR_E_MALFORMED;
    }
    default:
        tr_fields_add(fb, depth, "key_exchange", "%zu bytes", tr_rd_left(r));
        return 0;
    }
    if (kx == TR_KX_DH_ANON || kx == TR_KX_ECDH_ANON || kx == TR_KX_DHE_PSK || kx == TR_KX_ECDHE_PSK)
        return tr_rd_ok(r) ? 0 : TR_E_MALFORMED;
    if (hf->version >= 0x0303 && tr_rd_left(r) >= 2) {
        uint16_t sa = tr_rd_u16(r);
        tr_fields_add(fb, depth, "signature_algorithm", "%s", tr_sigscheme_str(sa, b, sizeof b));
    }
    (void)tr_rd_vec16(r);
    return tr_rd_ok(r) ? 0 : TR_E_MALFORMED;
}

static int certificate_request(struct tr_hs_facts *hf, struct tr_reader *r,
                               struct tr_fields *fb, int depth)
{
    char b[TR_NAME_BUF];
    hf->cert_request = 1;
    if (hf->version == 0x0304) {
        (void)tr_rd_vec8(r);
        decode_exts(hf, 13, r, fb, depth);
        return tr_rd_ok(r) ? 0 : TR_E_MALFORMED;
    }
    struct tr_reader types = tr_rd_vec8(r);
    struct list l = {.n = 0, .count = 0};
    l.s[0] = '\0';
    while (tr_rd_left(&types)) {
        uint8_t t = tr_rd_u8(&types);
        list_add(&l, tr_name_or_unknown(tr_name_cert_type(t), t, 0, b, sizeof b));
    }
    tr_fields_add(fb, depth, "certificate_types", "%s", l.s);
    if (hf->version >= 0x0303) {
        struct tr_reader sa = tr_rd_vec16(r);
        struct list s = {.n = 0, .count = 0};
        s.s[0] = '\0';
        while (tr_rd_left(&sa) >= 2) {
            uint16_t v = tr_rd_u16(&sa);
            list_add(&s, tr_sigscheme_str(v, b, sizeof b));
        }
        tr_fields_add(fb, depth, "signature_algorithms", "%s", s.s);
    }
    struct tr_reader cas = tr_rd_vec16(r);
    unsigned n = 0;
    while (tr_rd_left(&cas)) {
        (void)tr_rd_vec16(&cas);
        n++;
    }
    tr_fields_add(fb, depth, "certificate_authorities", "%u distinguished name%s", n, n == 1 ? "" : "s");
    return tr_rd_ok(r) ? 0 : TR_E_MALFORMED;
}

static int client_key_exchange(struct tr_hs_facts *hf, struct tr_reader *r, size_t len,
                               struct tr_fields *fb, int depth)
{
    const struct tr_suite *s = tr_suite_find(hf->suite);
    unsigned kx = s ? s->kx : TR_KX_NONE;
    hf->cke_seen = 1;
    hf->pms_enc_len = 0;
    if (kx == TR_KX_RSA) {
        size_t n = len;
        const uint8_t *p;
        if (hf->version == 0x0300) {
            p = tr_rd_bytes(r, len);
        } else {
            struct tr_reader v = tr_rd_vec16(r);
            p = tr_rd_rest(&v, &n);
        }
        if (p && n <= sizeof hf->pms_enc) {
            memcpy(hf->pms_enc, p, n);
            hf->pms_enc_len = n;
        }
        tr_fields_add(fb, depth, "key_exchange", "RSA-encrypted premaster, %zu bytes", n);
    } else if (kx == TR_KX_ECDHE || kx == TR_KX_ECDH || kx == TR_KX_ECDH_ANON) {
        struct tr_reader v = tr_rd_vec8(r);
        tr_fields_add(fb, depth, "key_exchange", "ECDH public key, %zu bytes", tr_rd_left(&v));
    } else if (kx == TR_KX_DHE || kx == TR_KX_DH || kx == TR_KX_DH_ANON) {
        struct tr_reader v = tr_rd_vec16(r);
        tr_fields_add(fb, depth, "key_exchange", "DH public value, %zu bytes", tr_rd_left(&v));
    } else {
        tr_fields_add(fb, depth, "key_exchange", "%zu bytes", len);
        tr_rd_skip(r, len);
    }
    return tr_rd_ok(r) ? 0 : TR_E_MALFORMED;
}

int tr_hs_decode(struct tr_hs_facts *hf, int from_client, uint8_t type,
                 const uint8_t *body, size_t len, time_t capture_time,
                 struct tr_fields *fb, int depth)
{
    struct tr_reader r = tr_rd_init(body, len);
    char b[TR_NAME_BUF];
    int rc = 0, is_hrr = 0;
    int side = from_client ? 0 : 1;
    int shown = type;
    switch (type) {
    case TR_HS_HELLO_REQUEST:
        break;
    case TR_HS_CLIENT_HELLO:
        rc = client_hello(hf, &r, fb, depth);
        break;
    case TR_HS_SERVER_HELLO:
        rc = server_hello(hf, &r, fb, depth, &is_hrr);
        if (is_hrr)
            shown = TR_HS_HRR_PSEUDO;
        break;
    case TR_HS_NEW_SESSION_TICKET: {
        hf->nst_seen = 1;
        uint32_t life = tr_rd_u32(&r);
        if (hf->version == 0x0304) {
            (void)tr_rd_u32(&r);
            (void)tr_rd_vec8(&r);
        }
        struct tr_reader t = tr_rd_vec16(&r);
        size_t tl = tr_rd_left(&t);
        hf->nst_ticket_len = 0;
        if (tl && tl <= sizeof hf->nst_ticket) {
            memcpy(hf->nst_ticket, t.p, tl);
            hf->nst_ticket_len = tl;
        }
        tr_fields_add(fb, depth, "ticket", "%zu bytes, lifetime %u s", tl, life);
        if (hf->version == 0x0304)
            (void)tr_rd_vec16(&r);
        break;
    }
    case TR_HS_END_OF_EARLY_DATA:
        break;
    case TR_HS_ENCRYPTED_EXTENSIONS:
        decode_exts(hf, 8, &r, fb, depth);
        break;
    case TR_HS_CERTIFICATE:
        rc = certificate(hf, from_client, body, len, capture_time, fb, depth);
        tr_rd_skip(&r, len);
        break;
    case TR_HS_SERVER_KEY_EXCHANGE:
        rc = server_key_exchange(hf, &r, fb, depth);
        tr_rd_skip(&r, tr_rd_left(&r));
        break;
    case TR_HS_CERTIFICATE_REQUEST:
        rc = certificate_request(hf, &r, fb, depth);
        break;
    case TR_HS_SERVER_HELLO_DONE:
        hf->shd_seen = 1;
        break;
    case TR_HS_CERTIFICATE_VERIFY: {
        if (hf->version >= 0x0303) {
            uint16_t sa = tr_rd_u16(&r);
            tr_fields_add(fb, depth, "signature_algorithm", "%s", tr_sigscheme_str(sa, b, sizeof b));
        }
        tr_rd_skip(&r, tr_rd_left(&r));
        break;
    }
    case TR_HS_CLIENT_KEY_EXCHANGE:
        rc = client_key_exchange(hf, &r, len, fb, depth);
        break;
    case TR_HS_FINISHED:
        hf->finished[side] = 1;
        tr_fields_add(fb, depth, "verify_data", "%zu bytes", len);
        tr_rd_skip(&r, len);
        break;
    case TR_HS_KEY_UPDATE: {
        uint8_t req = tr_rd_u8(&r);
        hf->key_updates[side]++;
        tr_fields_add(fb, depth, "request_update", "%s",
                      req == 0 ? "update_not_requested" : req == 1 ? "update_requested" : "invalid");
        break;
    }
    default:
        tr_fields_add(fb, depth, "body", "%zu bytes", len);
        tr_rd_skip(&r, len);
        break;
    }
    hf->last_msg[side] = shown;
    if (rc == 0 && !tr_rd_done(&r))
        rc = tr_rd_ok(&r) ? 0 : TR_E_MALFORMED; /* trailing bytes are tolerated */
    if (rc)
        tr_fields_add(fb, depth, "error", "malformed %s message", tr_hs_name(shown, b, sizeof b));
    return rc;
}

int tr_hs_decode_sslv2(struct tr_hs_facts *hf, const uint8_t *body, size_t len,
                       struct tr_fields *fb, int depth)
{
    char b[TR_NAME_BUF];
    struct tr_reader r = tr_rd_init(body, len);
    uint8_t mt = tr_rd_u8(&r);
    uint16_t v = tr_rd_u16(&r);
    uint16_t cs_len = tr_rd_u16(&r);
    uint16_t sid_len = tr_rd_u16(&r);
    uint16_t ch_len = tr_rd_u16(&r);
    struct tr_reader cs = tr_rd_sub(&r, cs_len);
    tr_rd_skip(&r, sid_len);
    const uint8_t *chal = tr_rd_bytes(&r, ch_len);
    if (!tr_rd_ok(&r) || mt != 1 || ch_len < 16 || ch_len > 32 || cs_len % 3)
        return TR_E_MALFORMED;
    hf->ch_count++;
    hf->ch_sslv2 = 1;
    hf->ch_legacy_version = hf->ch_max_version = hf->ch_min_version = v;
    memset(hf->client_random, 0, 32);
    memcpy(hf->client_random + 32 - ch_len, chal, ch_len);
    hf->ch_sid_len = 0;
    tr_fields_add(fb, depth, "format", "SSLv2-compatible ClientHello");
    tr_fields_add(fb, depth, "version", "%s", ver(v, b, sizeof b));
    struct list l = {.n = 0, .count = 0};
    l.s[0] = '\0';
    int n = 0;
    while (tr_rd_left(&cs) >= 3) {
        uint8_t k = tr_rd_u8(&cs);
        uint16_t id = tr_rd_u16(&cs);
        if (k == 0) {
            list_add(&l, tr_suite_name(id, b, sizeof b));
        } else {
            snprintf(b, sizeof b, "SSLv2 0x%02x%04x", k, id);
            list_add(&l, b);
        }
        n++;
    }
    tr_fields_add(fb, depth, "cipher_specs", "(%d) %s", n, l.s);
    hf->last_msg[0] = TR_HS_CLIENT_HELLO;
    return 0;
}
