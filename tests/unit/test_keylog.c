/* test_keylog.c - NSS key log parsing: every label, the quirks of real
 * files, counting of bad lines, no secret echo. */
#include "tt.h"

#include "core/err.h"
#include "tls/keylog.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char *hexrep(char *p, int byte, int n, int upper)
{
    for (int i = 0; i < n; i++)
        p += sprintf(p, upper ? "%02X" : "%02x", byte);
    return p;
}

/* "LABEL <32 x kb> <vlen x vb>" */
static const char *mk(char *buf, const char *label, int kb, int vb, int vlen, int upper)
{
    char *p = buf + sprintf(buf, "%s ", label);
    p = hexrep(p, kb, 32, upper);
    *p++ = ' ';
    p = hexrep(p, vb, vlen, upper);
    *p = '\0';
    return buf;
}

static void test_all_labels(void)
{
    static const struct { const char *l; enum tr_secret_label sl; int vlen; } c[] = {
        {"CLIENT_RANDOM", TR_SL_CLIENT_RANDOM, 48},
        {"PMS_CLIENT_RANDOM", TR_SL_PMS_CLIENT_RANDOM, 48},
        {"CLIENT_EARLY_TRAFFIC_SECRET", TR_SL_CLIENT_EARLY_TRAFFIC_SECRET, 32},
        {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", TR_SL_CLIENT_HANDSHAKE_TRAFFIC_SECRET, 48},
        {"SERVER_HANDSHAKE_TRAFFIC_SECRET", TR_SL_SERVER_HANDSHAKE_TRAFFIC_SECRET, 32},
        {"CLIENT_TRAFFIC_SECRET_0", TR_SL_CLIENT_TRAFFIC_SECRET_0, 48},
        {"SERVER_TRAFFIC_SECRET_0", TR_SL_SERVER_TRAFFIC_SECRET_0, 32},
        {"EARLY_EXPORTER_SECRET", TR_SL_EARLY_EXPORTER_SECRET, 32},
        {"EXPORTER_SECRET", TR_SL_EXPORTER_SECRET, 48},
    };
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_keylog_stats st = {0};
    char text[8192], line[400];
    char *p = text;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        p += sprintf(p, "%s\n", mk(line, c[i].l, 0x10 + (int)i, 0x40 + (int)i, c[i].vlen, (int)i % 2));
    p += sprintf(p, "RSA 0102030405060708 ");
    p = hexrep(p, 0x77, 48, 0);
    p += sprintf(p, "\nRSA Session-ID:");
    p = hexrep(p, 0x55, 32, 1);
    p += sprintf(p, " Master-Key:");
    p = hexrep(p, 0x66, 48, 0);
    *p++ = '\n';
    *p = '\0';
    TT_EQ_INT(tr_keylog_load_mem(ks, (const uint8_t *)text, strlen(text), &st), 0);
    TT_EQ_INT(st.total, 11);
    TT_EQ_INT(st.malformed, 0);
    TT_EQ_INT(st.unknown, 0);
    TT_EQ_INT(st.lines, 11);
    uint8_t k[32];
    struct tr_secret s;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        TT_EQ_INT(st.entries[c[i].sl], 1);
        memset(k, 0x10 + (int)i, 32);
        TT_EQ_INT(tr_keystore_get(ks, c[i].sl, k, 32, &s), 0);
        TT_EQ_INT(s.len, c[i].vlen);
        TT_EQ_INT(s.b[0], 0x40 + (int)i);
    }
    const uint8_t enc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    TT_EQ_INT(tr_keystore_pms_by_enc_prefix(ks, enc, 8, &s), 0);
    TT_EQ_INT(s.b[0], 0x77);
    memset(k, 0x55, 32);
    TT_EQ_INT(tr_keystore_master_by_session_id(ks, k, 32, &s), 0);
    TT_EQ_INT(s.b[0], 0x66);
    tr_secret_wipe(&s);
    tr_keystore_free(ks);
}

static void test_quirks(void)
{
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_keylog_stats st = {0};
    char text[8192], line[400];
    char *p = text;
    p += sprintf(p, "\xef\xbb\xbf# comment with BOM before it\r\n");        /* 1 */
    p += sprintf(p, "\r\n");                                                 /* 2 */
    p += sprintf(p, "   %s  \t\r\n", mk(line, "CLIENT_RANDOM", 1, 2, 48, 1)); /* 3 */
    p += sprintf(p, "%s\n", mk(line, "CLIENT_RANDOM", 1, 2, 48, 0));          /* 4 dup */
    p += sprintf(p, "%s\n", mk(line, "CLIENT_RANDOM", 1, 3, 48, 0));          /* 5 conflict */
    p += sprintf(p, "FOO_SECRET 00 00\n");                                   /* 6 unknown */
    p += sprintf(p, "CLIENT_RANDOM 0011 2233\n");                            /* 7 length */
    p += sprintf(p, "CLIENT_RANDOM zz\n");                                   /* 8 syntax */
    p += sprintf(p, "RSA Session-ID: Master-Key:");                          /* 9 empty id */
    p = hexrep(p, 0x22, 48, 0);
    p += sprintf(p, "\r");
    p += sprintf(p, "%s extra\n", mk(line, "CLIENT_RANDOM", 4, 2, 48, 0));    /* 10 extra */
    p += sprintf(p, "%s\r", mk(line, "PMS_CLIENT_RANDOM", 5, 2, 47, 0));      /* 11 length */
    p += sprintf(p, "client_random 00\n");                                   /* 12 unknown */
    p += sprintf(p, "%s", mk(line, "SERVER_TRAFFIC_SECRET_0", 6, 7, 48, 0));  /* 13 no EOL */
    TT_EQ_INT(tr_keylog_load_mem(ks, (const uint8_t *)text, strlen(text), &st), 0);
    TT_EQ_INT(st.lines, 13);
    TT_EQ_INT(st.comments, 1);
    TT_EQ_INT(st.blank, 1);
    TT_EQ_INT(st.total, 2);
    TT_EQ_INT(st.duplicates, 1);
    TT_EQ_INT(st.conflicts, 1);
    TT_EQ_INT(st.empty_session_id, 1);
    TT_EQ_INT(st.unknown, 2);
    TT_EQ_INT(st.unknown_lines[0], 6);
    TT_EQ_INT(st.unknown_lines[1], 12);
    TT_EQ_INT(st.malformed, 4);
    TT_EQ_INT(st.malformed_lines[0], 7);
    TT_EQ_INT(st.malformed_why[0], TR_KL_BAD_LENGTH);
    TT_EQ_INT(st.malformed_lines[1], 8);
    TT_EQ_INT(st.malformed_why[1], TR_KL_BAD_SYNTAX);
    TT_EQ_INT(st.malformed_lines[2], 10);
    TT_EQ_INT(st.malformed_lines[3], 11);
    uint8_t k[32];
    struct tr_secret s;
    memset(k, 1, 32);
    TT_EQ_INT(tr_keystore_master_by_random(ks, k, &s), 0);
    TT_EQ_INT(s.b[0], 2); /* first one kept */
    memset(k, 6, 32);
    TT_EQ_INT(tr_keystore_tls13_secret(ks, k, TR_SL_SERVER_TRAFFIC_SECRET_0, &s), 0);
    tr_secret_wipe(&s);
    tr_keystore_free(ks);
}

static void test_long_lines_and_controls(void)
{
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_keylog_stats st = {0};
    static char text[20000];
    char line[400];
    memset(text, 'A', 5000);
    size_t n = 5000;
    text[n++] = '\n';
    n += (size_t)sprintf(text + n, "CLIENT_RANDOM 00");
    text[n++] = '\0';
    n += (size_t)sprintf(text + n, "11 22\n%s\n", mk(line, "CLIENT_RANDOM", 9, 9, 48, 0));
    for (int i = 0; i < 20; i++)
        n += (size_t)sprintf(text + n, "BAD%d\n", i);
    TT_EQ_INT(tr_keylog_load_mem(ks, (const uint8_t *)text, n, &st), 0);
    TT_EQ_INT(st.malformed, 2);
    TT_EQ_INT(st.malformed_why[0], TR_KL_BAD_TOO_LONG);
    TT_EQ_INT(st.malformed_lines[0], 1);
    TT_EQ_INT(st.malformed_why[1], TR_KL_BAD_CONTROL);
    TT_EQ_INT(st.total, 1);
    TT_EQ_INT(st.unknown, 20);
    TT_EQ_INT(st.unknown_lines[TR_KEYLOG_KEEP_LINES - 1], 3 + TR_KEYLOG_KEEP_LINES);
    tr_keystore_free(ks);
}

static void test_chunked_stream(void)
{
    /* the same text fed one byte at a time gives the same result */
    char text[2000], line[400];
    char *p = text;
    p += sprintf(p, "%s\r\n", mk(line, "CLIENT_RANDOM", 1, 2, 48, 0));
    p += sprintf(p, "%s\r\n", mk(line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 1, 2, 32, 0));
    p += sprintf(p, "junk\r\n%s", mk(line, "EXPORTER_SECRET", 1, 2, 32, 0));
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_keylog_stats st = {0};
    struct tr_keylog_stream s;
    tr_keylog_stream_init(&s, ks, &st);
    for (size_t i = 0; i < strlen(text); i++)
        TT_EQ_INT(tr_keylog_stream_feed(&s, (const uint8_t *)text + i, 1), 0);
    TT_EQ_INT(tr_keylog_stream_finish(&s), 0);
    TT_EQ_INT(st.total, 3);
    TT_EQ_INT(st.unknown, 1);
    TT_EQ_INT(st.unknown_lines[0], 3);
    TT_EQ_INT(st.lines, 4);
    tr_keystore_free(ks);
}

static void test_file(void)
{
    char path[] = "/tmp/tlsredact-klXXXXXX";
    int fd = mkstemp(path);
    TT_CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "w");
    char line[400];
    /* enough lines to cross the 64 KiB read chunk several times */
    for (int i = 0; i < 3000; i++) {
        mk(line, "CLIENT_RANDOM", 0, 0x30, 48, 0);
        sprintf(line + 14, "%08x", (unsigned)i); /* vary the client random */
        line[22] = '0';
        fprintf(f, "%s\r\n", line);
    }
    fclose(f);
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_keylog_stats st = {0};
    TT_EQ_INT(tr_keylog_load_file(ks, path, &st), 0);
    TT_EQ_INT(st.lines, 3000);
    TT_EQ_INT(st.malformed, 0);
    TT_EQ_INT(st.entries[TR_SL_CLIENT_RANDOM] + st.duplicates, 3000);
    TT_CHECK(st.entries[TR_SL_CLIENT_RANDOM] > 256);
    unlink(path);
    TT_EQ_INT(tr_keylog_load_file(ks, path, &st), TR_E_IO);
    tr_keystore_free(ks);
}

int main(void)
{
    TT_RUN(test_all_labels);
    TT_RUN(test_quirks);
    TT_RUN(test_long_lines_and_controls);
    TT_RUN(test_chunked_stream);
    TT_RUN(test_file);
    TT_DONE();
}
