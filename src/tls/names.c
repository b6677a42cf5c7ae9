/* names.c - IANA TLS registry tables.  Data only: each table is the registry
 * as published (see names.h for sources); the few non-registry rows are
 * marked.  Values are looked up linearly: tables are small and this runs
 * once per handshake field, not per byte. */
#include "tls/names.h"

#include <stdio.h>

/* TLS Alerts (RFC 8446 6, RFC 9147, RFC 9846, ECH).  Spelling is the
 * registry's: values retired by TLS 1.3 carry the _RESERVED suffix. */
static const struct tr_tok alert_tab[] = {
    {0, "close_notify"},
    {10, "unexpected_message"},
    {20, "bad_record_mac"},
    {21, "decryption_failed_RESERVED"},
    {22, "record_overflow"},
    {30, "decompression_failure_RESERVED"},
    {40, "handshake_failure"},
    {41, "no_certificate_RESERVED"},
    {42, "bad_certificate"},
    {43, "unsupported_certificate"},
    {44, "certificate_revoked"},
    {45, "certificate_expired"},
    {46, "certificate_unknown"},
    {47, "illegal_parameter"},
    {48, "unknown_ca"},
    {49, "access_denied"},
    {50, "decode_error"},
    {51, "decrypt_error"},
    {52, "too_many_cids_requested"},
    {60, "export_restriction_RESERVED"},
    {70, "protocol_version"},
    {71, "insufficient_security"},
    {80, "internal_error"},
    {86, "inappropriate_fallback"},
    {90, "user_canceled"},
    {100, "no_renegotiation_RESERVED"},
    {109, "missing_extension"},
    {110, "unsupported_extension"},
    {111, "certificate_unobtainable_RESERVED"},
    {112, "unrecognized_name"},
    {113, "bad_certificate_status_response"},
    {114, "bad_certificate_hash_value_RESERVED"},
    {115, "unknown_psk_identity"},
    {116, "certificate_required"},
    {117, "general_error"},
    {120, "no_application_protocol"},
    {121, "ech_required"},
    {0, NULL},
};

static const struct tr_tok alert_level_tab[] = {
    {1, "warning"},
    {2, "fatal"},
    {0, NULL},
};

/* TLS ContentType. */
static const struct tr_tok content_type_tab[] = {
    {20, "change_cipher_spec"},
    {21, "alert"},
    {22, "handshake"},
    {23, "application_data"},
    {24, "heartbeat"},
    {25, "tls12_cid"},
    {26, "ack"},
    {27, "return_routability_check"},
    {0, NULL},
};

/* TLS HandshakeType.  6 is not sent on the wire since TLS 1.3 final (an HRR
 * is a ServerHello); kept so drafts and DTLS captures still get a name. */
static const struct tr_tok handshake_tab[] = {
    {0, "hello_request"},
    {1, "client_hello"},
    {2, "server_hello"},
    {3, "hello_verify_request"},
    {4, "new_session_ticket"},
    {5, "end_of_early_data"},
    {6, "hello_retry_request"},
    {8, "encrypted_extensions"},
    {9, "request_connection_id"},
    {10, "new_connection_id"},
    {11, "certificate"},
    {12, "server_key_exchange"},
    {13, "certificate_request"},
    {14, "server_hello_done"},
    {15, "certificate_verify"},
    {16, "client_key_exchange"},
    {17, "client_certificate_request"},
    {20, "finished"},
    {21, "certificate_url"},
    {22, "certificate_status"},
    {23, "supplemental_data"},
    {24, "key_update"},
    {25, "compressed_certificate"},
    {26, "ekt_key"},
    {254, "message_hash"},
    {0, NULL},
};

/* TLS ExtensionType Values. */
static const struct tr_tok extension_tab[] = {
    {0, "server_name"},
    {1, "max_fragment_length"},
    {2, "client_certificate_url"},
    {3, "trusted_ca_keys"},
    {4, "truncated_hmac"},
    {5, "status_request"},
    {6, "user_mapping"},
    {7, "client_authz"},
    {8, "server_authz"},
    {9, "cert_type"},
    {10, "supported_groups"},
    {11, "ec_point_formats"},
    {12, "srp"},
    {13, "signature_algorithms"},
    {14, "use_srtp"},
    {15, "heartbeat"},
    {16, "application_layer_protocol_negotiation"},
    {17, "status_request_v2"},
    {18, "signed_certificate_timestamp"},
    {19, "client_certificate_type"},
    {20, "server_certificate_type"},
    {21, "padding"},
    {22, "encrypt_then_mac"},
    {23, "extended_master_secret"},
    {24, "token_binding"},
    {25, "cached_info"},
    {26, "tls_lts"},
    {27, "compress_certificate"},
    {28, "record_size_limit"},
    {29, "pwd_protect"},
    {30, "pwd_clear"},
    {31, "password_salt"},
    {32, "ticket_pinning"},
    {33, "tls_cert_with_extern_psk"},
    {34, "delegated_credential"},
    {35, "session_ticket"},
    {36, "TLMSP"},
    {37, "TLMSP_proxying"},
    {38, "TLMSP_delegate"},
    {39, "supported_ekt_ciphers"},
    {41, "pre_shared_key"},
    {42, "early_data"},
    {43, "supported_versions"},
    {44, "cookie"},
    {45, "psk_key_exchange_modes"},
    {47, "certificate_authorities"},
    {48, "oid_filters"},
    {49, "post_handshake_auth"},
    {50, "signature_algorithms_cert"},
    {51, "key_share"},
    {52, "transparency_info"},
    {53, "connection_id_deprecated"},
    {54, "connection_id"},
    {55, "external_id_hash"},
    {56, "external_session_id"},
    {57, "quic_transport_parameters"},
    {58, "ticket_request"},
    {59, "dnssec_chain"},
    {60, "sequence_number_encryption_algorithms"},
    {61, "rrc"},
    {0xfd00, "ech_outer_extensions"},
    {0xfe0d, "encrypted_client_hello"},
    {0xff01, "renegotiation_info"},
    {0, NULL},
};

/* TLS Supported Groups (formerly EC Named Curve). */
static const struct tr_tok group_tab[] = {
    {1, "sect163k1"},
    {2, "sect163r1"},
    {3, "sect163r2"},
    {4, "sect193r1"},
    {5, "sect193r2"},
    {6, "sect233k1"},
    {7, "sect233r1"},
    {8, "sect239k1"},
    {9, "sect283k1"},
    {10, "sect283r1"},
    {11, "sect409k1"},
    {12, "sect409r1"},
    {13, "sect571k1"},
    {14, "sect571r1"},
    {15, "secp160k1"},
    {16, "secp160r1"},
    {17, "secp160r2"},
    {18, "secp192k1"},
    {19, "secp192r1"},
    {20, "secp224k1"},
    {21, "secp224r1"},
    {22, "secp256k1"},
    {23, "secp256r1"},
    {24, "secp384r1"},
    {25, "secp521r1"},
    {26, "brainpoolP256r1"},
    {27, "brainpoolP384r1"},
    {28, "brainpoolP512r1"},
    {29, "x25519"},
    {30, "x448"},
    {31, "brainpoolP256r1tls13"},
    {32, "brainpoolP384r1tls13"},
    {33, "brainpoolP512r1tls13"},
    {34, "GC256A"},
    {35, "GC256B"},
    {36, "GC256C"},
    {37, "GC256D"},
    {38, "GC512A"},
    {39, "GC512B"},
    {40, "GC512C"},
    {41, "curveSM2"},
    {256, "ffdhe2048"},
    {257, "ffdhe3072"},
    {258, "ffdhe4096"},
    {259, "ffdhe6144"},
    {260, "ffdhe8192"},
    {512, "MLKEM512"},
    {513, "MLKEM768"},
    {514, "MLKEM1024"},
    {0x11eb, "SecP256r1MLKEM768"},
    {0x11ec, "X25519MLKEM768"},
    {0x11ed, "SecP384r1MLKEM1024"},
    {0x6399, "X25519Kyber768Draft00"},
    {0x639a, "SecP256r1Kyber768Draft00"},
    {0xff01, "arbitrary_explicit_prime_curves"},
    {0xff02, "arbitrary_explicit_char2_curves"},
    {0, NULL},
};

/* TLS SignatureScheme. */
static const struct tr_tok sigscheme_tab[] = {
    {0x0201, "rsa_pkcs1_sha1"},
    {0x0203, "ecdsa_sha1"},
    {0x0401, "rsa_pkcs1_sha256"},
    {0x0403, "ecdsa_secp256r1_sha256"},
    {0x0420, "rsa_pkcs1_sha256_legacy"},
    {0x0501, "rsa_pkcs1_sha384"},
    {0x0503, "ecdsa_secp384r1_sha384"},
    {0x0520, "rsa_pkcs1_sha384_legacy"},
    {0x0601, "rsa_pkcs1_sha512"},
    {0x0603, "ecdsa_secp521r1_sha512"},
    {0x0620, "rsa_pkcs1_sha512_legacy"},
    {0x0704, "eccsi_sha256"},
    {0x0705, "iso_ibs1"},
    {0x0706, "iso_ibs2"},
    {0x0707, "iso_chinese_ibs"},
    {0x0708, "sm2sig_sm3"},
    {0x0709, "gostr34102012_256a"},
    {0x070a, "gostr34102012_256b"},
    {0x070b, "gostr34102012_256c"},
    {0x070c, "gostr34102012_256d"},
    {0x070d, "gostr34102012_512a"},
    {0x070e, "gostr34102012_512b"},
    {0x070f, "gostr34102012_512c"},
    {0x0804, "rsa_pss_rsae_sha256"},
    {0x0805, "rsa_pss_rsae_sha384"},
    {0x0806, "rsa_pss_rsae_sha512"},
    {0x0807, "ed25519"},
    {0x0808, "ed448"},
    {0x0809, "rsa_pss_pss_sha256"},
    {0x080a, "rsa_pss_pss_sha384"},
    {0x080b, "rsa_pss_pss_sha512"},
    {0x081a, "ecdsa_brainpoolP256r1tls13_sha256"},
    {0x081b, "ecdsa_brainpoolP384r1tls13_sha384"},
    {0x081c, "ecdsa_brainpoolP512r1tls13_sha512"},
    {0x0904, "mldsa44"},
    {0x0905, "mldsa65"},
    {0x0906, "mldsa87"},
    {0, NULL},
};

/* TLS EC Point Formats (RFC 8422). */
static const struct tr_tok ec_point_format_tab[] = {
    {0, "uncompressed"},
    {1, "ansiX962_compressed_prime"},
    {2, "ansiX962_compressed_char2"},
    {0, NULL},
};

/* TLS PskKeyExchangeMode (RFC 8446 4.2.9). */
static const struct tr_tok psk_mode_tab[] = {
    {0, "psk_ke"},
    {1, "psk_dhe_ke"},
    {0, NULL},
};

/* TLS ClientCertificateType Identifiers. */
static const struct tr_tok cert_type_tab[] = {
    {1, "rsa_sign"},
    {2, "dss_sign"},
    {3, "rsa_fixed_dh"},
    {4, "dss_fixed_dh"},
    {5, "rsa_ephemeral_dh_RESERVED"},
    {6, "dss_ephemeral_dh_RESERVED"},
    {20, "fortezza_dms_RESERVED"},
    {64, "ecdsa_sign"},
    {65, "rsa_fixed_ecdh"},
    {66, "ecdsa_fixed_ecdh"},
    {67, "gost_sign256"},
    {68, "gost_sign512"},
    {0, NULL},
};

/* TLS Compression Method Identifiers (RFC 3749, RFC 3943). */
static const struct tr_tok compression_tab[] = {
    {0, "null"},
    {1, "DEFLATE"},
    {64, "LZS"},
    {0, NULL},
};

const char *tr_tok_lookup(const struct tr_tok *t, uint32_t v)
{
    for (; t->s; t++)
        if (t->v == v)
            return t->s;
    return NULL;
}

int tr_is_grease16(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

int tr_is_grease8(uint8_t v)
{
    return v % 0x1f == 0x0b; /* 0x0b, 0x2a, 0x49, ..., 0xe4 (RFC 8701 2) */
}

const char *tr_name_alert(uint8_t d)
{
    return tr_tok_lookup(alert_tab, d);
}
const char *tr_name_alert_level(uint8_t l)
{
    return tr_tok_lookup(alert_level_tab, l);
}
const char *tr_name_content_type(uint8_t t)
{
    return tr_tok_lookup(content_type_tab, t);
}
const char *tr_name_handshake(uint8_t t)
{
    return tr_tok_lookup(handshake_tab, t);
}
const char *tr_name_ec_point_format(uint8_t f)
{
    return tr_tok_lookup(ec_point_format_tab, f);
}
const char *tr_name_cert_type(uint8_t t)
{
    return tr_tok_lookup(cert_type_tab, t);
}
const char *tr_name_compression(uint8_t m)
{
    return tr_tok_lookup(compression_tab, m);
}

const char *tr_name_psk_mode(uint8_t m)
{
    const char *s = tr_tok_lookup(psk_mode_tab, m);
    return s ? s : tr_is_grease8(m) ? "GREASE" : NULL;
}

const char *tr_name_extension(uint16_t t)
{
    const char *s = tr_tok_lookup(extension_tab, t);
    return s ? s : tr_is_grease16(t) ? "GREASE" : NULL;
}

const char *tr_name_group(uint16_t g)
{
    const char *s = tr_tok_lookup(group_tab, g);
    return s ? s : tr_is_grease16(g) ? "GREASE" : NULL;
}

const char *tr_name_sigscheme(uint16_t v)
{
    const char *s = tr_tok_lookup(sigscheme_tab, v);
    return s ? s : tr_is_grease16(v) ? "GREASE" : NULL;
}

const char *tr_name_or_unknown(const char *name, uint32_t v, int width,
                               char *buf, size_t n)
{
    if (!buf || n == 0)
        return name ? name : "unknown";
    if (name)
        snprintf(buf, n, "%s", name);
    else if (width > 0)
        snprintf(buf, n, "unknown(0x%0*x)", width, (unsigned)v);
    else
        snprintf(buf, n, "unknown(%u)", (unsigned)v);
    return buf;
}

const char *tr_name_num(const char *name, uint32_t v, char *buf, size_t n)
{
    if (!buf || n == 0)
        return name ? name : "unknown";
    snprintf(buf, n, "%s(%u)", name ? name : "unknown", (unsigned)v);
    return buf;
}

const char *tr_alert_str(uint8_t desc, char *buf, size_t n)
{
    return tr_name_num(tr_name_alert(desc), desc, buf, n);
}

const char *tr_version_str(uint16_t v, char *buf, size_t n)
{
    const char *s = NULL;
    if (!buf || n == 0)
        return "unknown";
    switch (v) {
    case 0x0002: s = "SSL 2.0"; break;
    case 0x0300: s = "SSL 3.0"; break;
    case 0x0301: s = "TLS 1.0"; break;
    case 0x0302: s = "TLS 1.1"; break;
    case 0x0303: s = "TLS 1.2"; break;
    case 0x0304: s = "TLS 1.3"; break;
    case 0x0100: s = "DTLS 1.0 (OpenSSL pre-RFC)"; break; /* DTLS1_BAD_VER */
    case 0xfeff: s = "DTLS 1.0"; break;
    case 0xfefd: s = "DTLS 1.2"; break;
    case 0xfefc: s = "DTLS 1.3"; break;
    default: break;
    }
    if (s)
        snprintf(buf, n, "%s", s);
    else if ((v >> 8) == 0x7f) /* draft-ietf-tls-tls13-NN used 0x7f00 | NN */
        snprintf(buf, n, "TLS 1.3 draft %u", (unsigned)(v & 0xff));
    else if (tr_is_grease16(v))
        snprintf(buf, n, "GREASE(0x%04x)", (unsigned)v);
    else
        snprintf(buf, n, "unknown(0x%04x)", (unsigned)v);
    return buf;
}

/* TLS 1.2 SignatureAndHashAlgorithm (RFC 5246 7.4.1.4.1) halves, for pairs
 * the SignatureScheme registry does not name (e.g. dsa_sha256, rsa_md5). */
static const struct tr_tok hash_tab[] = {
    {1, "md5"}, {2, "sha1"}, {3, "sha224"}, {4, "sha256"},
    {5, "sha384"}, {6, "sha512"}, {0, NULL},
};
static const struct tr_tok sig_tab[] = {
    {1, "rsa"}, {2, "dsa"}, {3, "ecdsa"}, {0, NULL},
};

const char *tr_sigscheme_str(uint16_t v, char *buf, size_t n)
{
    const char *s = tr_name_sigscheme(v);
    const char *h = tr_tok_lookup(hash_tab, v >> 8);
    const char *g = tr_tok_lookup(sig_tab, v & 0xff);
    if (!buf || n == 0)
        return s ? s : "unknown";
    if (s)
        snprintf(buf, n, "%s", s);
    else if (h && g)
        snprintf(buf, n, "%s_%s", g, h);
    else
        snprintf(buf, n, "unknown(0x%04x)", (unsigned)v);
    return buf;
}
