/* hs.h - TLS handshake message decoding (RFC 5246 §7.4, RFC 8446 §4,
 * RFC 6101 for SSLv3, the SSLv2-compatible ClientHello of RFC 5246 E.2).
 *
 * tr_hs_decode() takes one complete handshake message body, adds
 * human-readable fields to a tr_fields list and records the facts the session
 * layer needs (randoms, versions, suite, extensions, certificate verdicts)
 * in struct tr_hs_facts.  Field values are names, numbers, lengths and
 * public identifiers (randoms, session IDs, fingerprints) - never secrets.
 *
 * Ownership: the body is borrowed; facts keep copies of what they need.
 */
#ifndef TR_TLS_HS_H
#define TR_TLS_HS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "out/event.h"
#include "tls/cert.h"

/* handshake types */
enum {
    TR_HS_HELLO_REQUEST = 0, TR_HS_CLIENT_HELLO = 1, TR_HS_SERVER_HELLO = 2,
    TR_HS_NEW_SESSION_TICKET = 4, TR_HS_END_OF_EARLY_DATA = 5,
    TR_HS_ENCRYPTED_EXTENSIONS = 8, TR_HS_CERTIFICATE = 11,
    TR_HS_SERVER_KEY_EXCHANGE = 12, TR_HS_CERTIFICATE_REQUEST = 13,
    TR_HS_SERVER_HELLO_DONE = 14, TR_HS_CERTIFICATE_VERIFY = 15,
    TR_HS_CLIENT_KEY_EXCHANGE = 16, TR_HS_FINISHED = 20,
    TR_HS_CERTIFICATE_STATUS = 22, TR_HS_KEY_UPDATE = 24,
    TR_HS_MESSAGE_HASH = 254,
};

/* pseudo type used in facts.last_* for a HelloRetryRequest */
#define TR_HS_HRR_PSEUDO 6

#define TR_MAX_PMS_ENC 1024
#define TR_MAX_TICKET  2048   /* session tickets kept for resumption lookups */

struct tr_hs_facts {
    /* ClientHello */
    int ch_count;             /* ClientHellos seen (2 after HRR, >1 on renegotiation) */
    int ch_sslv2;
    uint16_t ch_legacy_version;
    uint16_t ch_max_version;  /* highest version offered (supported_versions) */
    uint16_t ch_min_version;
    uint8_t client_random[32];
    uint8_t ch_sid[32];
    uint8_t ch_sid_len;
    int ch_ems, ch_etm, ch_ticket_ext, ch_ticket_len, ch_psk, ch_early_data;
    uint8_t ch_ticket[TR_MAX_TICKET];   /* ticket offered (ch_ticket_len bytes if it fits) */
    int ch_nsuites;
    char sni[256];
    /* ServerHello / HRR */
    int sh_count, hrr;
    uint16_t version;         /* negotiated (supported_versions wins) */
    uint16_t suite;
    uint8_t server_random[32];
    uint8_t sh_sid[32];
    uint8_t sh_sid_len;
    int sh_ems, sh_etm, sh_ticket_ext, sh_psk, sh_early_data;
    int resumed;              /* abbreviated (session ID / ticket) or PSK handshake */
    char alpn[64];
    uint16_t group;           /* key_share group (1.3) or SKE curve */
    /* certificates */
    int server_cert_seen;
    enum tr_cert_validity server_cert;  /* leaf certificate at capture time */
    char server_cert_subject[256];
    char server_cert_issuer[256];
    char server_cert_not_after[32];
    char server_cert_not_before[32];
    char server_cert_fp[65];            /* SHA-256 of the leaf DER, hex */
    char server_cert_key_fp[65];        /* SHA-256 of its public key */
    int cert_request;                   /* server asked for a client certificate */
    int client_cert_seen, client_cert_empty;
    /* key exchange */
    int ske_seen, cke_seen;
    size_t pms_enc_len;                 /* RSA: encrypted premaster from the CKE */
    uint8_t pms_enc[TR_MAX_PMS_ENC];
    int shd_seen;
    int nst_seen;
    size_t nst_ticket_len;              /* last NewSessionTicket (<= TLS 1.2), if it fits */
    uint8_t nst_ticket[TR_MAX_TICKET];
    int finished[2];                    /* Finished decoded, per side (0 client) */
    int key_updates[2];
    /* last message per side (0 client, 1 server); -1 = none */
    int last_msg[2];
};

void tr_hs_facts_init(struct tr_hs_facts *hf);

/* Decodes one handshake message of `type` with `len` body bytes sent by the
 * client (from_client = 1) or server.  Adds fields at depth `depth` and below.
 * capture_time judges certificate validity.  Returns 0 or TR_E_MALFORMED /
 * TR_E_TRUNCATED (fields up to the error are kept; facts stay consistent). */
int tr_hs_decode(struct tr_hs_facts *hf, int from_client, uint8_t type,
                 const uint8_t *body, size_t len, time_t capture_time,
                 struct tr_fields *fb, int depth);

/* Decodes an SSLv2-compatible ClientHello record body (after the 2-byte
 * length header; starts with msg_type 1). */
int tr_hs_decode_sslv2(struct tr_hs_facts *hf, const uint8_t *body, size_t len,
                       struct tr_fields *fb, int depth);

/* Display name of a handshake message ("client_hello"), HRR-aware. */
const char *tr_hs_name(int type, char *buf, size_t n);

#endif
