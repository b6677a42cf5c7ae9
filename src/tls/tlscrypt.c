/* tlscrypt.c - per-connection key schedule driver and record decryption
 * (see tlscrypt.h). */
#include "tls/tlscrypt.h"
#include "core/err.h"
#include "core/reader.h"
#include "tls/keysched.h"
#include "tls/keystore.h"
#include "tls/recdec.h"
#include "tls/suites.h"

#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CERT (16u * 1024u)
/* After a gap, how many lost records we try to skip over by trial. */
#define GAP_TRIAL_RECORDS 256u

enum epoch { EP_NONE = 0, EP_EARLY, EP_HS, EP_APP, EP_TLS12 };

struct side {
    struct tr_recdec rd;     /* current decryptor (valid when active) */
    int active;
    enum epoch ep;
    struct tr_recdec pend;   /* next keys: <= 1.2 until CCS; 1.3 client hs keys during 0-RTT */
    int pend_ok;
    struct tr_secret secret; /* TLS 1.3 current traffic secret (for KeyUpdate) */
    int early_trial;         /* 1.3 client: records may still be 0-RTT */
    int after_gap;
};

struct tr_tlscrypt {
    struct tr_keystore *ks;
    struct tr_addr srv;
    uint16_t sport;
    const struct tr_suite *suite;
    uint16_t version;
    int tls13;
    int early_offered;       /* the ClientHello offered 0-RTT */
    struct side s[2];
    struct tr_hshash hh;
    int hh_ok;
    struct tr_secret ms;
    int have_ms;
    uint8_t client_random[32], server_random[32];
    uint8_t *cert;           /* server leaf certificate, until the key exchange */
    size_t cert_len;
    char why[512];           /* first reason for missing keys */
    struct tr_tlscrypt_stats st;
};

/* Keeps the first reason: later ones are consequences. */
static void set_why(struct tr_tlscrypt *tc, const char *msg, const char *detail)
{
    if (tc->why[0])
        return;
    snprintf(tc->why, sizeof tc->why, "%s%s%s%s", msg, detail ? " (" : "", detail ? detail : "",
             detail ? ")" : "");
}

struct tr_tlscrypt *tr_tlscrypt_new(struct tr_keystore *ks, const struct tr_addr *srv, uint16_t sport)
{
    struct tr_tlscrypt *tc = calloc(1, sizeof *tc);
    if (!tc)
        return NULL;
    tc->ks = ks;
    if (srv)
        tc->srv = *srv;
    tc->sport = sport;
    return tc;
}

void tr_tlscrypt_set_server(struct tr_tlscrypt *tc, const struct tr_addr *srv, uint16_t sport)
{
    tc->srv = *srv;
    tc->sport = sport;
}

static void side_reset(struct side *sd)
{
    tr_recdec_free(&sd->rd);
    tr_recdec_free(&sd->pend);
    tr_secret_wipe(&sd->secret);
    sd->active = sd->pend_ok = sd->early_trial = 0;
    sd->ep = EP_NONE;
}

void tr_tlscrypt_free(struct tr_tlscrypt *tc)
{
    if (!tc)
        return;
    side_reset(&tc->s[0]);
    side_reset(&tc->s[1]);
    if (tc->hh_ok)
        tr_hshash_free(&tc->hh);
    tr_secret_wipe(&tc->ms);
    free(tc->cert);
    mbedtls_platform_zeroize(tc, sizeof *tc);
    free(tc);
}

const struct tr_tlscrypt_stats *tr_tlscrypt_stats(const struct tr_tlscrypt *tc) { return &tc->st; }

int tr_tlscrypt_active(const struct tr_tlscrypt *tc, int side) { return tc->s[side & 1].active; }

const char *tr_tlscrypt_reason(const struct tr_tlscrypt *tc)
{
    int any_nokey = tc->st.records_nokey[0] || tc->st.records_nokey[1];
    if (!any_nokey && !tc->st.early_skipped)
        return "";
    return tc->why[0] ? tc->why : "no key for these records";
}

static void hex(char *out, const uint8_t *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ---- TLS <= 1.2 ---- */

static int derive_pending(struct tr_tlscrypt *tc, const struct tr_hs_facts *hf)
{
    struct tr_key_block kb;
    int rc = tr_key_block(tc->suite, tc->version, &tc->ms, hf->client_random, hf->server_random, &kb);
    if (rc) {
        set_why(tc, "this build cannot decrypt the cipher suite", tc->suite ? tc->suite->name : "?");
        return rc;
    }
    int etm = hf->ch_etm && hf->sh_etm;
    for (int i = 0; i < 2; i++) {
        tr_recdec_free(&tc->s[i].pend);
        tc->s[i].pend_ok = tr_recdec_init(&tc->s[i].pend, tc->suite, tc->version, etm,
                                          i == 0 ? &kb.client : &kb.server) == 0;
    }
    tr_key_block_wipe(&kb);
    return 0;
}

/* Premaster for a plain PSK suite (RFC 4279 §2): N zeros and the PSK. */
static int psk_premaster(struct tr_tlscrypt *tc, uint8_t *pms, size_t *pmslen)
{
    struct tr_secret psk;
    if (!tc->ks || tr_keystore_psk(tc->ks, NULL, 0, &psk) != 0)
        return TR_E_NOKEY;
    size_t n = psk.len;
    pms[0] = (uint8_t)(n >> 8);
    pms[1] = (uint8_t)n;
    memset(pms + 2, 0, n);
    pms[2 + n] = (uint8_t)(n >> 8);
    pms[3 + n] = (uint8_t)n;
    memcpy(pms + 4 + n, psk.b, n);
    *pmslen = 4 + 2 * n;
    tr_secret_wipe(&psk);
    return 0;
}

static void key_exchange(struct tr_tlscrypt *tc, const struct tr_hs_facts *hf)
{
    char b[96];
    tc->have_ms = 0;
    if (!tc->suite || !tr_suite_decryptable(tc->suite)) {
        set_why(tc, "this build cannot decrypt the cipher suite", tc->suite ? tc->suite->name : "unknown");
        return;
    }
    if (!tc->ks) {
        set_why(tc, "no keys given (use -l KEYLOG, or -k KEYFILE for RSA key exchange)", NULL);
        return;
    }
    /* 1. the key log has the master secret */
    if (tr_keystore_master_by_random(tc->ks, hf->client_random, &tc->ms) == 0) {
        tc->have_ms = 1;
        return;
    }
    uint8_t pms[2 * TR_SECRET_MAX + 4];
    size_t pmslen = 0;
    struct tr_secret s;
    int have_pms = 0;
    unsigned kx = tc->suite->kx;
    if (tr_keystore_pms_by_random(tc->ks, hf->client_random, &s) == 0) {
        memcpy(pms, s.b, s.len);
        pmslen = s.len;
        have_pms = 1;
        tr_secret_wipe(&s);
    } else if (kx == TR_KX_RSA && hf->pms_enc_len >= 8 &&
               tr_keystore_pms_by_enc_prefix(tc->ks, hf->pms_enc, hf->pms_enc_len, &s) == 0) {
        memcpy(pms, s.b, s.len);
        pmslen = s.len;
        have_pms = 1;
        tr_secret_wipe(&s);
    } else if (kx == TR_KX_RSA) {
        struct tr_rsa_match m;
        const struct tr_rsa_key *key = tr_keystore_rsa_for_server(tc->ks, &tc->srv, tc->sport, tc->cert,
                                                                  tc->cert_len, &m);
        if (!key) {
            if (m.reason == TR_RSA_NO_MATCH && m.have_cert) {
                char fp[65], kfp[65] = "";
                hex(fp, m.cert_sha256, 32);
                if (tr_keystore_rsa_count(tc->ks) > 0)
                    hex(kfp, tr_keystore_rsa_at(tc->ks, 0)->spki_sha256, 32);
                snprintf(tc->why, sizeof tc->why,
                         "no RSA key matches the server certificate (certificate SHA-256 %s; "
                         "key public-key SHA-256 %s%s) and the key log has no entry for this client random",
                         fp, kfp, tr_keystore_rsa_count(tc->ks) > 1 ? ", ..." : "");
            } else if (m.reason == TR_RSA_NO_KEYS) {
                set_why(tc, "RSA key exchange and no key for it: give the server key (-k) or a key log (-l)", NULL);
            } else if (m.reason == TR_RSA_NO_CERT) {
                set_why(tc, "RSA key exchange but the server certificate was not captured: bind the key "
                        "with -k IP:PORT=KEYFILE, or give a key log", NULL);
            } else {
                set_why(tc, "no usable RSA key for this server", tr_rsa_match_reason_str(m.reason));
            }
            return;
        }
        if (hf->pms_enc_len == 0) {
            set_why(tc, "the client key exchange carrying the premaster was not captured", NULL);
            return;
        }
        enum tr_pms_status st;
        uint16_t v;
        if (tr_keystore_rsa_decrypt_pms(tc->ks, key, hf->pms_enc, hf->pms_enc_len, pms, &v, &st) != 0) {
            snprintf(tc->why, sizeof tc->why, "premaster decryption with %.200s failed (%s): wrong key for "
                     "this server", key->name, tr_pms_status_str(st));
            return;
        }
        pmslen = 48;
        have_pms = 1;
    } else if (kx == TR_KX_PSK) {
        have_pms = psk_premaster(tc, pms, &pmslen) == 0;
        if (!have_pms)
            set_why(tc, "PSK key exchange: give the PSK with --psk HEX, or a key log", NULL);
    } else {
        const char *k = tr_kx_name(kx);
        snprintf(tc->why, sizeof tc->why, "%s key exchange and the key log has no entry for this client "
                 "random: an RSA key cannot decrypt it, supply the client's key log (SSLKEYLOGFILE)", k);
        return;
    }
    if (!have_pms)
        return;
    int rc;
    if (hf->ch_ems && hf->sh_ems && tc->version != 0x0300 && tc->hh_ok) {
        uint8_t h[64];
        size_t hl = 0;
        enum tr_hash hash = tr_prf_hash(tc->suite, tc->version);
        rc = tr_hshash_peek(&tc->hh, hash, h, &hl);
        if (rc == 0)
            rc = tr_master_secret_ems(tc->suite, tc->version, pms, pmslen, h, hl, &tc->ms);
        mbedtls_platform_zeroize(h, sizeof h);
    } else {
        rc = tr_master_secret(tc->suite, tc->version, pms, pmslen, hf->client_random, hf->server_random, &tc->ms);
    }
    mbedtls_platform_zeroize(pms, sizeof pms);
    if (rc == 0)
        tc->have_ms = 1;
    else
        set_why(tc, "master secret derivation failed", tr_strerror(rc));
    (void)b;
}

static void resumed(struct tr_tlscrypt *tc, const struct tr_hs_facts *hf)
{
    tc->have_ms = 0;
    if (!tc->ks) {
        set_why(tc, "resumed session and no keys given", NULL);
        return;
    }
    if (tr_keystore_master_by_random(tc->ks, hf->client_random, &tc->ms) == 0 ||
        (hf->sh_sid_len && tr_keystore_master_by_session_id(tc->ks, hf->sh_sid, hf->sh_sid_len, &tc->ms) == 0) ||
        (hf->ch_ticket_len > 0 &&
         tr_keystore_master_by_ticket(tc->ks, hf->ch_ticket, (size_t)hf->ch_ticket_len, &tc->ms) == 0)) {
        tc->have_ms = 1;
        derive_pending(tc, hf);
        return;
    }
    set_why(tc, "resumed session (abbreviated handshake) whose full handshake is not in the capture, and "
            "the key log has no entry for it", NULL);
}

/* ---- TLS 1.3 ---- */

static int tls13_side_keys(struct tr_tlscrypt *tc, int side, enum tr_secret_label label,
                           const struct tr_hs_facts *hf, struct tr_recdec *rd, struct tr_secret *keep)
{
    struct tr_secret sec;
    if (!tc->ks || tr_keystore_tls13_secret(tc->ks, hf->client_random, label, &sec) != 0)
        return TR_E_NOKEY;
    struct tr_dir_keys k;
    int rc = tr_tls13_traffic_keys(tc->suite, &sec, &k);
    if (rc == 0) {
        tr_recdec_free(rd);
        rc = tr_recdec_init(rd, tc->suite, 0x0304, 0, &k);
    }
    tr_keys_wipe(&k);
    if (rc == 0 && keep)
        *keep = sec;
    tr_secret_wipe(&sec);
    (void)side;
    return rc;
}

static void tls13_server_hello(struct tr_tlscrypt *tc, const struct tr_hs_facts *hf)
{
    if (!tc->suite || !tr_suite_decryptable(tc->suite)) {
        set_why(tc, "this build cannot decrypt the TLS 1.3 cipher suite", tc->suite ? tc->suite->name : "?");
        return;
    }
    struct side *sv = &tc->s[1], *cl = &tc->s[0];
    sv->active = tls13_side_keys(tc, 1, TR_SL_SERVER_HANDSHAKE_TRAFFIC_SECRET, hf, &sv->rd, &sv->secret) == 0;
    sv->ep = EP_HS;
    struct tr_recdec hs;
    memset(&hs, 0, sizeof hs);
    int have = tls13_side_keys(tc, 0, TR_SL_CLIENT_HANDSHAKE_TRAFFIC_SECRET, hf, &hs, NULL) == 0;
    if (hf->ch_early_data) {
        /* the client's next records may still be 0-RTT: keep hs keys aside */
        tr_recdec_free(&cl->pend);
        cl->pend = hs;
        cl->pend_ok = have;
        cl->early_trial = 1;
    } else {
        tr_recdec_free(&cl->rd);
        cl->rd = hs;
        cl->active = have;
        cl->ep = EP_HS;
    }
    if (!sv->active || !have) {
        struct tr_secret probe;
        memset(&probe, 0, sizeof probe);
        if (!tc->ks || (tr_keystore_tls13_secret(tc->ks, hf->client_random, TR_SL_CLIENT_TRAFFIC_SECRET_0,
                                                 &probe) != 0)) {
            /* the most basic reason wins over one noted earlier (0-RTT) */
            tc->why[0] = '\0';
            set_why(tc, "the key log has no TLS 1.3 secrets for this client random", NULL);
        } else {
            set_why(tc, "the key log lacks this connection's handshake traffic secrets", NULL);
        }
        tr_secret_wipe(&probe);
    }
}

static void tls13_finished(struct tr_tlscrypt *tc, const struct tr_hs_facts *hf, int side)
{
    struct side *sd = &tc->s[side];
    struct tr_recdec rd;
    memset(&rd, 0, sizeof rd);
    int ok = tls13_side_keys(tc, side, side ? TR_SL_SERVER_TRAFFIC_SECRET_0 : TR_SL_CLIENT_TRAFFIC_SECRET_0, hf,
                             &rd, &sd->secret) == 0;
    tr_recdec_free(&sd->rd);
    sd->rd = rd;
    sd->active = ok;
    sd->ep = EP_APP;
    sd->early_trial = 0;
    if (!ok)
        set_why(tc, "the key log has only handshake secrets for this connection: application data "
                "cannot be decrypted", side ? "no SERVER_TRAFFIC_SECRET_0" : "no CLIENT_TRAFFIC_SECRET_0");
}

static void tls13_key_update(struct tr_tlscrypt *tc, int side)
{
    struct side *sd = &tc->s[side];
    if (!sd->active || sd->ep != EP_APP)
        return;
    struct tr_dir_keys k;
    if (tr_tls13_next_secret(tc->suite, &sd->secret) == 0 && tr_tls13_traffic_keys(tc->suite, &sd->secret, &k) == 0 &&
        tr_recdec_rekey(&sd->rd, &k) == 0) {
        tc->st.key_updates[side]++;
    } else {
        sd->active = 0;
        set_why(tc, "KeyUpdate could not be followed", NULL);
    }
    tr_keys_wipe(&k);
}

/* ---- events ---- */

void tr_tlscrypt_handshake(struct tr_tlscrypt *tc, const struct tr_hs_facts *hf, int side,
                           const uint8_t *msg, size_t len)
{
    if (len < 4)
        return;
    uint8_t type = msg[0];
    if (type == TR_HS_CLIENT_HELLO && side == 0) {
        /* a new handshake (first, after HRR, or renegotiation) */
        if (!(tc->tls13 && hf->hrr)) {
            if (tc->hh_ok)
                tr_hshash_free(&tc->hh);
            tc->hh_ok = tr_hshash_init(&tc->hh) == 0;
        }
        tc->early_offered = hf->ch_early_data && !hf->hrr;
        if (hf->ch_early_data && tc->ks && !hf->hrr) {
            /* 0-RTT: the client's next records use the early traffic secret */
            tc->suite = NULL;
            struct side *cl = &tc->s[0];
            struct tr_secret sec;
            if (tr_keystore_tls13_secret(tc->ks, hf->client_random, TR_SL_CLIENT_EARLY_TRAFFIC_SECRET, &sec) == 0) {
                /* the suite is not known before the ServerHello: use the one a
                 * PSK must share, which the client offered first */
                cl->ep = EP_EARLY;
                tr_secret_wipe(&cl->secret);
                cl->secret = sec;
            }
            tr_secret_wipe(&sec);
        }
    }
    if (tc->hh_ok && type != 0 /* hello_request is not hashed */)
        tr_hshash_update(&tc->hh, msg, len);
    switch (type) {
    case TR_HS_SERVER_HELLO:
        if (side != 1 || hf->last_msg[1] == TR_HS_HRR_PSEUDO)
            break;
        tc->suite = tr_suite_find(hf->suite);
        tc->version = hf->version;
        tc->tls13 = hf->version == 0x0304;
        if (tc->tls13) {
            /* early data keys, now that the suite is known */
            struct side *cl = &tc->s[0];
            if (cl->ep == EP_EARLY && cl->secret.len && tc->suite && !cl->active) {
                struct tr_dir_keys k;
                if (tr_tls13_traffic_keys(tc->suite, &cl->secret, &k) == 0 &&
                    tr_recdec_init(&cl->rd, tc->suite, 0x0304, 0, &k) == 0)
                    cl->active = 1;
                tr_keys_wipe(&k);
            }
            tls13_server_hello(tc, hf);
        } else if (hf->resumed) {
            resumed(tc, hf);
        }
        break;
    case TR_HS_CERTIFICATE:
        if (side == 1 && !tc->tls13) {
            struct tr_cert_iter it;
            struct tr_cert_entry e;
            if (tr_cert_msg_begin(&it, msg + 4, len - 4, 0) == 0 && tr_cert_msg_next(&it, &e) == 1 &&
                e.len <= MAX_CERT) {
                free(tc->cert);
                tc->cert = malloc(e.len);
                if (tc->cert) {
                    memcpy(tc->cert, e.der, e.len);
                    tc->cert_len = e.len;
                }
            }
        }
        break;
    case TR_HS_CLIENT_KEY_EXCHANGE:
        if (side == 0 && !tc->tls13) {
            key_exchange(tc, hf);
            if (tc->have_ms)
                derive_pending(tc, hf);
            free(tc->cert);
            tc->cert = NULL;
            tc->cert_len = 0;
        }
        break;
    case TR_HS_NEW_SESSION_TICKET:
        if (side == 1 && !tc->tls13 && tc->have_ms && hf->nst_ticket_len && tc->ks)
            tr_keystore_add_master_by_ticket(tc->ks, hf->nst_ticket, hf->nst_ticket_len, tc->ms.b, tc->ms.len);
        break;
    case TR_HS_FINISHED:
        if (tc->tls13) {
            tls13_finished(tc, hf, side);
        } else if (tc->have_ms && hf->sh_sid_len && tc->ks) {
            /* remember the session for abbreviated handshakes later on */
            tr_keystore_add_master_by_session_id(tc->ks, hf->sh_sid, hf->sh_sid_len, tc->ms.b, tc->ms.len);
        }
        break;
    case TR_HS_END_OF_EARLY_DATA:
        if (tc->tls13 && side == 0) {
            struct side *cl = &tc->s[0];
            tr_recdec_free(&cl->rd);
            cl->rd = cl->pend;
            memset(&cl->pend, 0, sizeof cl->pend);
            cl->active = cl->pend_ok;
            cl->pend_ok = 0;
            cl->early_trial = 0;
            cl->ep = EP_HS;
        }
        break;
    case TR_HS_KEY_UPDATE:
        if (tc->tls13)
            tls13_key_update(tc, side);
        break;
    default:
        break;
    }
}

void tr_tlscrypt_ccs(struct tr_tlscrypt *tc, int side)
{
    if (tc->tls13)
        return;
    struct side *sd = &tc->s[side & 1];
    tr_recdec_free(&sd->rd);
    if (sd->pend_ok) {
        sd->rd = sd->pend;
        memset(&sd->pend, 0, sizeof sd->pend);
        sd->pend_ok = 0;
        sd->active = 1;
        sd->ep = EP_TLS12;
    } else {
        sd->active = 0;
    }
}

void tr_tlscrypt_gap(struct tr_tlscrypt *tc, int side) { tc->s[side & 1].after_gap = 1; }

static void count_ok(struct tr_tlscrypt *tc, int side, size_t n)
{
    tc->st.records_ok[side]++;
    tc->st.bytes_ok[side] += n;
}

/* Tries rd on a copy of the record; restores the sequence number on failure. */
static int trial(struct tr_recdec *rd, uint8_t type, uint16_t version, const uint8_t *in, size_t n,
                 uint8_t *out, size_t *outlen, uint8_t *inner)
{
    uint64_t seq = tr_recdec_seq(rd);
    int rc = tr_recdec_decrypt(rd, type, version, in, n, out, outlen, inner);
    if (rc != 0)
        tr_recdec_set_seq(rd, seq);
    return rc;
}

enum tr_dec_result tr_tlscrypt_decrypt(struct tr_tlscrypt *tc, int side, uint8_t type, uint16_t version,
                                       const uint8_t *in, size_t n, uint8_t *out, size_t *outlen,
                                       uint8_t *inner, uint64_t rec_no)
{
    struct side *sd = &tc->s[side & 1];
    *outlen = 0;
    if (tc->tls13 && side == 0 && sd->early_trial) {
        /* 0-RTT or the first handshake record? */
        if (sd->active && trial(&sd->rd, type, version, in, n, out, outlen, inner) == 0) {
            tc->st.early_ok++;
            count_ok(tc, 0, *outlen);
            return TR_DEC_OK;
        }
        if (sd->pend_ok && trial(&sd->pend, type, version, in, n, out, outlen, inner) == 0) {
            tr_recdec_free(&sd->rd);
            sd->rd = sd->pend;
            memset(&sd->pend, 0, sizeof sd->pend);
            sd->pend_ok = 0;
            sd->active = 1;
            sd->early_trial = 0;
            sd->ep = EP_HS;
            count_ok(tc, 0, *outlen);
            return TR_DEC_OK;
        }
        if (!sd->pend_ok) {
            tc->st.records_nokey[0]++;
            return TR_DEC_NOKEY;
        }
        tc->st.early_skipped++;
        if (!tc->why[0] && !sd->active)
            set_why(tc, "0-RTT early data without CLIENT_EARLY_TRAFFIC_SECRET in the key log (or rejected by "
                    "the server): those records are skipped", NULL);
        return TR_DEC_EARLY_SKIPPED;
    }
    if (side == 0 && !tc->suite && tc->early_offered && type == 23) {
        /* 0-RTT before the ServerHello names the suite: the early secret's
         * length leaves a few TLS 1.3 suites, and the tag tells which one. */
        if (sd->ep == EP_EARLY && !sd->active) {
            static const uint16_t cands[] = {0x1301, 0x1303, 0x1304, 0x1305, 0x1302};
            for (size_t i = 0; i < sizeof cands / sizeof cands[0] && !sd->active; i++) {
                const struct tr_suite *su = tr_suite_find(cands[i]);
                struct tr_dir_keys k;
                if (!su || tr_hash_len((enum tr_hash)su->prf) != sd->secret.len ||
                    tr_tls13_traffic_keys(su, &sd->secret, &k) != 0)
                    continue;
                struct tr_recdec rd;
                memset(&rd, 0, sizeof rd);
                if (tr_recdec_init(&rd, su, 0x0304, 0, &k) == 0 &&
                    trial(&rd, type, version, in, n, out, outlen, inner) == 0) {
                    tr_recdec_free(&sd->rd);
                    sd->rd = rd;
                    sd->active = 1;
                    tr_keys_wipe(&k);
                    tc->st.early_ok++;
                    count_ok(tc, 0, *outlen);
                    return TR_DEC_OK;
                }
                tr_recdec_free(&rd);
                tr_keys_wipe(&k);
            }
        } else if (sd->ep == EP_EARLY && sd->active &&
                   tr_recdec_decrypt(&sd->rd, type, version, in, n, out, outlen, inner) == 0) {
            tc->st.early_ok++;
            count_ok(tc, 0, *outlen);
            return TR_DEC_OK;
        }
        tc->st.early_skipped++;
        set_why(tc, "0-RTT early data without CLIENT_EARLY_TRAFFIC_SECRET in the key log: those records "
                "are skipped", NULL);
        return TR_DEC_EARLY_SKIPPED;
    }
    if (!sd->active) {
        tc->st.records_nokey[side & 1]++;
        if (!tc->why[0] && !tc->suite)
            set_why(tc, "handshake not captured: the keys of this connection cannot be identified", NULL);
        return TR_DEC_NOKEY;
    }
    int rc;
    if (sd->after_gap) {
        /* records were lost: find the sequence number by trial */
        uint64_t base = tr_recdec_seq(&sd->rd);
        rc = -1;
        for (uint64_t k = 0; k < GAP_TRIAL_RECORDS && rc != 0; k++) {
            tr_recdec_set_seq(&sd->rd, base + k);
            rc = trial(&sd->rd, type, version, in, n, out, outlen, inner);
        }
        if (rc != 0)
            tr_recdec_set_seq(&sd->rd, base + 1);
        else
            sd->after_gap = 0;
    } else {
        rc = tr_recdec_decrypt(&sd->rd, type, version, in, n, out, outlen, inner);
    }
    if (rc != 0) {
        if (!tc->st.records_failed[side & 1])
            tc->st.first_failed_rec[side & 1] = rec_no;
        tc->st.records_failed[side & 1]++;
        return TR_DEC_FAILED;
    }
    count_ok(tc, side & 1, *outlen);
    return TR_DEC_OK;
}
