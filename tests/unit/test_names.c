/* test_names.c - IANA registry tables in tls/names.c. */
#include "tt.h"

#include "tls/names.h"

/* The whole TLS Alerts registry, as published (value, description). */
static const struct {
    unsigned v;
    const char *s;
} iana_alerts[] = {
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
};

static void test_alert_registry_complete(void)
{
    size_t n = sizeof iana_alerts / sizeof iana_alerts[0];
    size_t named = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = tr_name_alert((uint8_t)iana_alerts[i].v);
        TT_CHECK(s != NULL);
        if (s) {
            if (strcmp(s, iana_alerts[i].s) != 0)
                printf("  alert %u: %s != %s\n", iana_alerts[i].v, s,
                       iana_alerts[i].s);
            TT_EQ_STR(s, iana_alerts[i].s);
        }
    }
    /* Nothing outside the registry has a name. */
    for (unsigned v = 0; v < 256; v++)
        if (tr_name_alert((uint8_t)v))
            named++;
    TT_EQ_INT(named, n);
}

static void test_alert_format(void)
{
    char b[TR_NAME_BUF];
    TT_EQ_STR(tr_alert_str(40, b, sizeof b), "handshake_failure(40)");
    TT_EQ_STR(tr_alert_str(20, b, sizeof b), "bad_record_mac(20)");
    TT_EQ_STR(tr_alert_str(45, b, sizeof b), "certificate_expired(45)");
    TT_EQ_STR(tr_alert_str(48, b, sizeof b), "unknown_ca(48)");
    TT_EQ_STR(tr_alert_str(70, b, sizeof b), "protocol_version(70)");
    TT_EQ_STR(tr_alert_str(116, b, sizeof b), "certificate_required(116)");
    TT_EQ_STR(tr_alert_str(200, b, sizeof b), "unknown(200)");
    TT_EQ_STR(tr_alert_str(255, b, sizeof b), "unknown(255)");
    /* Truncation stays terminated. */
    char small[8];
    tr_alert_str(40, small, sizeof small);
    TT_EQ_STR(small, "handsha");
    TT_EQ_STR(tr_name_alert_level(1), "warning");
    TT_EQ_STR(tr_name_alert_level(2), "fatal");
    TT_CHECK(tr_name_alert_level(3) == NULL);
}

static void test_content_and_handshake(void)
{
    TT_EQ_STR(tr_name_content_type(20), "change_cipher_spec");
    TT_EQ_STR(tr_name_content_type(21), "alert");
    TT_EQ_STR(tr_name_content_type(22), "handshake");
    TT_EQ_STR(tr_name_content_type(23), "application_data");
    TT_EQ_STR(tr_name_content_type(24), "heartbeat");
    TT_EQ_STR(tr_name_content_type(25), "tls12_cid");
    TT_EQ_STR(tr_name_content_type(26), "ack");
    TT_CHECK(tr_name_content_type(19) == NULL);
    TT_CHECK(tr_name_content_type(0x80) == NULL);

    static const struct { unsigned v; const char *s; } hs[] = {
        {0, "hello_request"}, {1, "client_hello"}, {2, "server_hello"},
        {3, "hello_verify_request"}, {4, "new_session_ticket"},
        {5, "end_of_early_data"}, {6, "hello_retry_request"},
        {8, "encrypted_extensions"}, {9, "request_connection_id"},
        {10, "new_connection_id"}, {11, "certificate"},
        {12, "server_key_exchange"}, {13, "certificate_request"},
        {14, "server_hello_done"}, {15, "certificate_verify"},
        {16, "client_key_exchange"}, {17, "client_certificate_request"},
        {20, "finished"}, {21, "certificate_url"},
        {22, "certificate_status"}, {23, "supplemental_data"},
        {24, "key_update"}, {25, "compressed_certificate"},
        {26, "ekt_key"}, {254, "message_hash"},
    };
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        const char *s = tr_name_handshake((uint8_t)hs[i].v);
        TT_CHECK(s && strcmp(s, hs[i].s) == 0);
    }
    TT_CHECK(tr_name_handshake(7) == NULL);
    TT_CHECK(tr_name_handshake(18) == NULL);
    TT_CHECK(tr_name_handshake(255) == NULL);
}

static void test_versions(void)
{
    char b[TR_NAME_BUF];
    TT_EQ_STR(tr_version_str(0x0002, b, sizeof b), "SSL 2.0");
    TT_EQ_STR(tr_version_str(0x0300, b, sizeof b), "SSL 3.0");
    TT_EQ_STR(tr_version_str(0x0301, b, sizeof b), "TLS 1.0");
    TT_EQ_STR(tr_version_str(0x0302, b, sizeof b), "TLS 1.1");
    TT_EQ_STR(tr_version_str(0x0303, b, sizeof b), "TLS 1.2");
    TT_EQ_STR(tr_version_str(0x0304, b, sizeof b), "TLS 1.3");
    TT_EQ_STR(tr_version_str(0xfeff, b, sizeof b), "DTLS 1.0");
    TT_EQ_STR(tr_version_str(0xfefd, b, sizeof b), "DTLS 1.2");
    TT_EQ_STR(tr_version_str(0xfefc, b, sizeof b), "DTLS 1.3");
    TT_EQ_STR(tr_version_str(0x7f1c, b, sizeof b), "TLS 1.3 draft 28");
    TT_EQ_STR(tr_version_str(0x7f17, b, sizeof b), "TLS 1.3 draft 23");
    TT_EQ_STR(tr_version_str(0x1a1a, b, sizeof b), "GREASE(0x1a1a)");
    TT_EQ_STR(tr_version_str(0xfafa, b, sizeof b), "GREASE(0xfafa)");
    TT_EQ_STR(tr_version_str(0x0305, b, sizeof b), "unknown(0x0305)");
}

static void test_grease(void)
{
    unsigned n = 0;
    for (unsigned v = 0; v < 65536; v++)
        n += tr_is_grease16((uint16_t)v) != 0;
    TT_EQ_INT(n, 16); /* RFC 8701: 0x0a0a, 0x1a1a, ..., 0xfafa */
    TT_CHECK(tr_is_grease16(0x0a0a));
    TT_CHECK(tr_is_grease16(0xdada));
    TT_CHECK(!tr_is_grease16(0x0a1a));
    TT_CHECK(!tr_is_grease16(0x0303));
    TT_CHECK(tr_is_grease8(0x0b));
    TT_CHECK(tr_is_grease8(0x2a));
    TT_CHECK(tr_is_grease8(0xe4)); /* 0x0b + 7 * 0x1f */
    TT_CHECK(!tr_is_grease8(0xe6));
    TT_CHECK(!tr_is_grease8(0x00));
    TT_CHECK(!tr_is_grease8(0x01));
    TT_EQ_STR(tr_name_extension(0x2a2a), "GREASE");
    TT_EQ_STR(tr_name_group(0xbaba), "GREASE");
    TT_EQ_STR(tr_name_sigscheme(0x4a4a), "GREASE");
    TT_EQ_STR(tr_name_psk_mode(0x0b), "GREASE");
}

static void test_extensions(void)
{
    static const struct { unsigned v; const char *s; } ext[] = {
        {0, "server_name"}, {1, "max_fragment_length"},
        {5, "status_request"}, {10, "supported_groups"},
        {11, "ec_point_formats"}, {13, "signature_algorithms"},
        {14, "use_srtp"}, {15, "heartbeat"},
        {16, "application_layer_protocol_negotiation"},
        {18, "signed_certificate_timestamp"}, {21, "padding"},
        {22, "encrypt_then_mac"}, {23, "extended_master_secret"},
        {27, "compress_certificate"}, {28, "record_size_limit"},
        {35, "session_ticket"}, {41, "pre_shared_key"}, {42, "early_data"},
        {43, "supported_versions"}, {44, "cookie"},
        {45, "psk_key_exchange_modes"}, {47, "certificate_authorities"},
        {48, "oid_filters"}, {49, "post_handshake_auth"},
        {50, "signature_algorithms_cert"}, {51, "key_share"},
        {57, "quic_transport_parameters"},
        {0xfd00, "ech_outer_extensions"},
        {0xfe0d, "encrypted_client_hello"}, {0xff01, "renegotiation_info"},
    };
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        const char *s = tr_name_extension((uint16_t)ext[i].v);
        if (!s || strcmp(s, ext[i].s) != 0)
            printf("  ext %u: %s\n", ext[i].v, s ? s : "(null)");
        TT_CHECK(s && strcmp(s, ext[i].s) == 0);
    }
    TT_CHECK(tr_name_extension(40) == NULL);  /* reserved */
    TT_CHECK(tr_name_extension(46) == NULL);  /* reserved */
    TT_CHECK(tr_name_extension(0x4469) == NULL);
    char b[TR_NAME_BUF];
    TT_EQ_STR(tr_name_or_unknown(tr_name_extension(0x4469), 0x4469, 4, b,
                                 sizeof b), "unknown(0x4469)");
    TT_EQ_STR(tr_name_or_unknown(tr_name_extension(0), 0, 4, b, sizeof b),
              "server_name");
    TT_EQ_STR(tr_name_num(tr_name_extension(43), 43, b, sizeof b),
              "supported_versions(43)");
}

static void test_groups_and_sigschemes(void)
{
    TT_EQ_STR(tr_name_group(23), "secp256r1");
    TT_EQ_STR(tr_name_group(24), "secp384r1");
    TT_EQ_STR(tr_name_group(25), "secp521r1");
    TT_EQ_STR(tr_name_group(26), "brainpoolP256r1");
    TT_EQ_STR(tr_name_group(29), "x25519");
    TT_EQ_STR(tr_name_group(30), "x448");
    TT_EQ_STR(tr_name_group(256), "ffdhe2048");
    TT_EQ_STR(tr_name_group(260), "ffdhe8192");
    TT_EQ_STR(tr_name_group(0x6399), "X25519Kyber768Draft00");
    TT_EQ_STR(tr_name_group(0x11ec), "X25519MLKEM768");
    TT_CHECK(tr_name_group(0) == NULL);

    char b[TR_NAME_BUF];
    TT_EQ_STR(tr_sigscheme_str(0x0401, b, sizeof b), "rsa_pkcs1_sha256");
    TT_EQ_STR(tr_sigscheme_str(0x0403, b, sizeof b), "ecdsa_secp256r1_sha256");
    TT_EQ_STR(tr_sigscheme_str(0x0804, b, sizeof b), "rsa_pss_rsae_sha256");
    TT_EQ_STR(tr_sigscheme_str(0x0807, b, sizeof b), "ed25519");
    TT_EQ_STR(tr_sigscheme_str(0x0808, b, sizeof b), "ed448");
    TT_EQ_STR(tr_sigscheme_str(0x080b, b, sizeof b), "rsa_pss_pss_sha512");
    TT_EQ_STR(tr_sigscheme_str(0x0201, b, sizeof b), "rsa_pkcs1_sha1");
    TT_EQ_STR(tr_sigscheme_str(0x0203, b, sizeof b), "ecdsa_sha1");
    /* TLS 1.2 pairs outside the SignatureScheme registry. */
    TT_EQ_STR(tr_sigscheme_str(0x0402, b, sizeof b), "dsa_sha256");
    TT_EQ_STR(tr_sigscheme_str(0x0301, b, sizeof b), "rsa_sha224");
    TT_EQ_STR(tr_sigscheme_str(0x0101, b, sizeof b), "rsa_md5");
    TT_EQ_STR(tr_sigscheme_str(0x1234, b, sizeof b), "unknown(0x1234)");
}

static void test_small_registries(void)
{
    TT_EQ_STR(tr_name_ec_point_format(0), "uncompressed");
    TT_EQ_STR(tr_name_ec_point_format(1), "ansiX962_compressed_prime");
    TT_EQ_STR(tr_name_ec_point_format(2), "ansiX962_compressed_char2");
    TT_CHECK(tr_name_ec_point_format(3) == NULL);
    TT_EQ_STR(tr_name_psk_mode(0), "psk_ke");
    TT_EQ_STR(tr_name_psk_mode(1), "psk_dhe_ke");
    TT_CHECK(tr_name_psk_mode(2) == NULL);
    TT_EQ_STR(tr_name_cert_type(1), "rsa_sign");
    TT_EQ_STR(tr_name_cert_type(2), "dss_sign");
    TT_EQ_STR(tr_name_cert_type(64), "ecdsa_sign");
    TT_EQ_STR(tr_name_cert_type(66), "ecdsa_fixed_ecdh");
    TT_CHECK(tr_name_cert_type(0) == NULL);
    TT_EQ_STR(tr_name_compression(0), "null");
    TT_EQ_STR(tr_name_compression(1), "DEFLATE");
    TT_CHECK(tr_name_compression(2) == NULL);
    char b[TR_NAME_BUF];
    TT_EQ_STR(tr_name_or_unknown(NULL, 7, 0, b, sizeof b), "unknown(7)");
    TT_EQ_STR(tr_name_or_unknown(NULL, 7, 2, b, sizeof b), "unknown(0x07)");
}

int main(void)
{
    TT_RUN(test_alert_registry_complete);
    TT_RUN(test_alert_format);
    TT_RUN(test_content_and_handshake);
    TT_RUN(test_versions);
    TT_RUN(test_grease);
    TT_RUN(test_extensions);
    TT_RUN(test_groups_and_sigschemes);
    TT_RUN(test_small_registries);
    TT_DONE();
}
