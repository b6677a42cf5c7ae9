/* tlscrypt.h - per-connection decryption state: which keys protect which
 * records, for TLS 1.0-1.2 (RFC 5246 §6-8, RFC 7627 EMS, RFC 5077 tickets)
 * and TLS 1.3 (RFC 8446 §7: handshake/application epochs, KeyUpdate, 0-RTT).
 *
 * The session layer feeds it every handshake message in order (cleartext or
 * decrypted), every ChangeCipherSpec and gap, and asks it to decrypt each
 * protected record.  Key material comes from the key store (key logs, DSBs,
 * RSA keys, PSKs) and never leaves this module except as record plaintext.
 * When a connection cannot be (fully) decrypted, tr_tlscrypt_reason() says
 * precisely why, without revealing any secret.
 */
#ifndef TR_TLS_TLSCRYPT_H
#define TR_TLS_TLSCRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "tls/hs.h"

struct tr_keystore;
struct tr_tlscrypt;

struct tr_tlscrypt_stats {
    uint64_t records_ok[2];      /* per side: 0 client, 1 server */
    uint64_t bytes_ok[2];        /* plaintext bytes of decrypted records */
    uint64_t records_failed[2];  /* authentication failures (bad_record_mac) */
    uint64_t first_failed_rec[2];/* record number (connection-wide) of the first */
    uint64_t records_nokey[2];   /* protected records with no key */
    uint64_t early_skipped;      /* 0-RTT records that could not be decrypted */
    uint64_t early_ok;
    uint64_t key_updates[2];
};

/* ks may be NULL (no keys at all).  srv/sport: the server's address, for
 * keys bound with IP:PORT. */
struct tr_tlscrypt *tr_tlscrypt_new(struct tr_keystore *ks, const struct tr_addr *srv, uint16_t sport);
void tr_tlscrypt_free(struct tr_tlscrypt *tc);
/* The server turned out to be the other endpoint (ClientHello seen). */
void tr_tlscrypt_set_server(struct tr_tlscrypt *tc, const struct tr_addr *srv, uint16_t sport);

/* One complete handshake message (4-byte header included) from side (0
 * client, 1 server), after tr_hs_decode() has updated hf with it. */
void tr_tlscrypt_handshake(struct tr_tlscrypt *tc, const struct tr_hs_facts *hf, int side,
                           const uint8_t *msg, size_t len);
/* ChangeCipherSpec from side (TLS <= 1.2): its next records use new keys. */
void tr_tlscrypt_ccs(struct tr_tlscrypt *tc, int side);
/* Bytes were lost from side's stream: the record sequence is re-found by
 * trial on the next protected record. */
void tr_tlscrypt_gap(struct tr_tlscrypt *tc, int side);

/* Result of tr_tlscrypt_decrypt. */
enum tr_dec_result {
    TR_DEC_OK = 0,      /* out holds the plaintext, *inner the content type */
    TR_DEC_NOKEY,       /* no key for this record (it stays encrypted) */
    TR_DEC_FAILED,      /* authentication failed: bad_record_mac(20) */
    TR_DEC_EARLY_SKIPPED, /* 0-RTT data without its key, or rejected by the server */
};

/* Decrypts the body of one protected record from side; out must hold n
 * bytes.  rec_no is the connection-wide record number (for the reason). */
enum tr_dec_result tr_tlscrypt_decrypt(struct tr_tlscrypt *tc, int side, uint8_t type, uint16_t version,
                                       const uint8_t *in, size_t n, uint8_t *out, size_t *outlen,
                                       uint8_t *inner, uint64_t rec_no);

/* 1 when side's protected records are being decrypted. */
int tr_tlscrypt_active(const struct tr_tlscrypt *tc, int side);

const struct tr_tlscrypt_stats *tr_tlscrypt_stats(const struct tr_tlscrypt *tc);

/* Why some or all protected records could not be decrypted ("" when all
 * could, or nothing was protected).  One line, no secret. */
const char *tr_tlscrypt_reason(const struct tr_tlscrypt *tc);

#endif
