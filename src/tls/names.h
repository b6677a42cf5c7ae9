/* names.h - value -> name tables for TLS wire codes (tcpdump `struct tok`).
 *
 * Names follow the IANA "Transport Layer Security (TLS) Parameters" and
 * "TLS ExtensionType Values" registries (RFC 8446 section 11, RFC 8447,
 * RFC 9147, RFC 9846, RFC 8701 for GREASE).  Alert descriptions are spelled
 * exactly as the registry spells them, including the "_RESERVED" suffix the
 * registry gives to values TLS 1.3 retired (e.g. no_renegotiation_RESERVED).
 * Handshake types use the message names (server_key_exchange, ...), because
 * the transcript shows TLS 1.2 messages as what they are.
 *
 * Cipher suite names are not here (tls/suites.h).
 *
 * Ownership: every returned string is either static (const tables) or
 * written into the caller's buffer; nothing is allocated, no state kept.
 * Lookups return NULL for unassigned values; the *_str() formatters never
 * return NULL and write "name(N)" or "unknown(N)" into `buf`.
 */
#ifndef TR_TLS_NAMES_H
#define TR_TLS_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* One table row; tables end with {0, NULL}. */
struct tr_tok {
    uint32_t v;
    const char *s;
};

/* Enough for every formatted name below ("unknown(0xffff)", drafts, the
 * longest alert or signature scheme name plus "(NNNNN)"). */
#define TR_NAME_BUF 64

/* Generic lookup: the name for v in a {0, NULL}-terminated table, or NULL. */
const char *tr_tok_lookup(const struct tr_tok *t, uint32_t v);

/* RFC 8701 GREASE value (0x?a?a with both bytes equal). */
int tr_is_grease16(uint16_t v);
/* GREASE for one-byte code points (psk modes, 0x0b + 0x1f*n). */
int tr_is_grease8(uint8_t v);

/* ---- lookups: static name or NULL when the value is not assigned ---- */
const char *tr_name_alert(uint8_t desc);          /* "handshake_failure" */
const char *tr_name_alert_level(uint8_t level);   /* "warning" / "fatal" */
const char *tr_name_content_type(uint8_t type);   /* "handshake" */
const char *tr_name_handshake(uint8_t type);      /* "client_hello" */
const char *tr_name_extension(uint16_t type);     /* "server_name", "GREASE" */
const char *tr_name_group(uint16_t group);        /* "x25519", "GREASE" */
const char *tr_name_sigscheme(uint16_t scheme);   /* "rsa_pss_rsae_sha256" */
const char *tr_name_ec_point_format(uint8_t f);   /* "uncompressed" */
const char *tr_name_psk_mode(uint8_t mode);       /* "psk_dhe_ke" */
const char *tr_name_cert_type(uint8_t type);      /* "ecdsa_sign" */
const char *tr_name_compression(uint8_t method);  /* "null", "DEFLATE" */

/* ---- formatters: never NULL; write into buf (n >= 1) and return buf ---- */

/* "handshake_failure(40)"; unassigned: "unknown(200)". */
const char *tr_alert_str(uint8_t desc, char *buf, size_t n);

/* Protocol version: "TLS 1.2", "DTLS 1.3", "SSL 2.0", "TLS 1.3 draft 28",
 * "GREASE(0x1a1a)", otherwise "unknown(0x0305)". */
const char *tr_version_str(uint16_t v, char *buf, size_t n);

/* Signature scheme: registry name; pre-TLS 1.3 (hash, signature) pairs
 * outside the registry as e.g. "dsa_sha256"; otherwise "unknown(0x1234)". */
const char *tr_sigscheme_str(uint16_t v, char *buf, size_t n);

/* Generic: "name" when name != NULL, else "unknown(N)" (decimal when
 * width == 0, else 0x%0*x with that many hex digits). */
const char *tr_name_or_unknown(const char *name, uint32_t v, int width,
                               char *buf, size_t n);

/* Generic: "name(N)" (decimal) or "unknown(N)". */
const char *tr_name_num(const char *name, uint32_t v, char *buf, size_t n);

#endif
