/* test_json.c - JSON Lines sink, JSON text helpers, temp-name-and-rename
 * outputs, file hashing and the audit report. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/atomicfile.h"
#include "core/sha256file.h"
#include "out/json.h"
#include "out/report.h"
#include "tt.h"

/* Captured output of one call. */
static char *mem;
static size_t memlen;

static FILE *mopen(void)
{
    free(mem);
    mem = NULL;
    memlen = 0;
    return open_memstream(&mem, &memlen);
}

static const char *strn_json(const uint8_t *p, size_t n)
{
    FILE *o = mopen();
    tr_json_strn(o, p, n);
    fclose(o);
    return mem;
}

static void test_control_chars(void)
{
    for (unsigned c = 0; c < 0x20; c++) {
        uint8_t b = (uint8_t)c;
        char want[16];
        switch (c) {
        case '\n': strcpy(want, "\"\\n\""); break;
        case '\r': strcpy(want, "\"\\r\""); break;
        case '\t': strcpy(want, "\"\\t\""); break;
        case '\b': strcpy(want, "\"\\b\""); break;
        case '\f': strcpy(want, "\"\\f\""); break;
        default: snprintf(want, sizeof want, "\"\\u%04x\"", c); break;
        }
        const char *got = strn_json(&b, 1);
        if (strcmp(got, want) != 0)
            printf("  char 0x%02x: got %s want %s\n", c, got, want);
        TT_EQ_STR(got, want);
    }
    uint8_t del = 0x7f;
    TT_EQ_STR(strn_json(&del, 1), "\"\\u007f\"");
    TT_EQ_STR(strn_json((const uint8_t *)"a\"b\\c/d", 7), "\"a\\\"b\\\\c/d\"");
    /* NUL inside a string */
    TT_EQ_STR(strn_json((const uint8_t *)"x\0y", 3), "\"x\\u0000y\"");
    FILE *o = mopen();
    tr_json_str(o, NULL);
    fclose(o);
    TT_EQ_STR(mem, "null");
}

static void test_utf8(void)
{
    static const struct { const char *s; int ok; } cases[] = {
        {"plain ascii", 1},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", 1}, /* é € key emoji */
        {"\xc3", 0},                 /* truncated */
        {"\xc0\xaf", 0},             /* overlong '/' */
        {"\xe0\x80\xaf", 0},         /* overlong */
        {"\xed\xa0\x80", 0},         /* surrogate D800 */
        {"\xf4\x90\x80\x80", 0},     /* above U+10FFFF */
        {"\xff", 0},
        {"\x80", 0},                 /* lone continuation */
        {"\xef\xbf\xbd", 1},         /* U+FFFD itself */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        TT_EQ_INT(tr_json_utf8_valid((const uint8_t *)cases[i].s, strlen(cases[i].s)), cases[i].ok);
    /* invalid bytes in a string become U+FFFD escapes, valid ones stay */
    TT_EQ_STR(strn_json((const uint8_t *)"a\xffz\xc3\xa9", 5), "\"a\\ufffdz\xc3\xa9\"");
    FILE *o = mopen();
    tr_json_b64(o, (const uint8_t *)"any carnal pleas", 16);
    fclose(o);
    TT_EQ_STR(mem, "\"YW55IGNhcm5hbCBwbGVhcw==\"");
    o = mopen();
    tr_json_b64(o, (const uint8_t *)"", 0);
    fclose(o);
    TT_EQ_STR(mem, "\"\"");
    o = mopen();
    struct timeval tv = {.tv_sec = 1700000000, .tv_usec = 42};
    tr_json_time(o, tv);
    fclose(o);
    TT_EQ_STR(mem, "\"2023-11-14T22:13:20.000042Z\"");
}

static struct tr_addr v4(uint8_t last)
{
    struct tr_addr a;
    memset(&a, 0, sizeof a);
    a.family = 4;
    a.a[0] = 10;
    a.a[3] = last;
    return a;
}

static char *run_json(const struct tr_ev *e)
{
    FILE *o = mopen();
    struct tr_json *j = tr_json_new_file(o, NULL);
    struct tr_sink s = tr_json_sink(j);
    s.ev(s.ctx, e);
    char err[256];
    TT_EQ_INT(tr_json_finish(j, err, sizeof err), 0);
    tr_json_free(j);
    fclose(o);
    /* skip the start line */
    char *nl = strchr(mem, '\n');
    return nl ? nl + 1 : mem;
}

static void test_data_event(void)
{
    struct tr_addr c = v4(1), s = v4(2);
    struct tr_ev e = {.type = TR_EV_DATA, .conn = 7, .dir = TR_S2C, .data = (const uint8_t *)"GET /\r\n\"x\"",
                      .len = 10, .offset = 99, .decrypted = 1, .cli = &c, .srv = &s, .ts = {1700000000, 5}};
    const char *l = run_json(&e);
    TT_CHECK(strstr(l, "{\"type\":\"data\",\"conn\":7,\"ts\":\"2023-11-14T22:13:20.000005Z\"") == l);
    TT_CHECK(strstr(l, "\"dir\":\"s2c\",\"offset\":99,\"length\":10,\"decrypted\":true,"
                       "\"data\":\"GET /\\r\\n\\\"x\\\"\"}\n") != NULL);
    /* invalid UTF-8 goes base64 */
    uint8_t bin[] = {0x00, 0xff, 0xfe, 'A'};
    e.data = bin;
    e.len = sizeof bin;
    l = run_json(&e);
    TT_CHECK(strstr(l, "\"data_b64\":\"AP/+QQ==\"") != NULL);
    TT_CHECK(strstr(l, "\"data\":") == NULL);
    /* withheld span */
    e.data = NULL;
    e.len = 33;
    e.withheld = 1;
    l = run_json(&e);
    TT_CHECK(strstr(l, "\"withheld\":33,\"reason\":\"drop_rule\"") != NULL);
    e.withheld = 2;
    l = run_json(&e);
    TT_CHECK(strstr(l, "\"withheld\":33,\"reason\":\"fail_closed\"") != NULL);
    TT_CHECK(strchr(l, '\n') == l + strlen(l) - 1); /* one line */
}

static void test_verdict_event(void)
{
    struct tr_addr c = v4(1), s = v4(2);
    static struct tr_fields fb;
    tr_fields_reset(&fb);
    tr_fields_add(&fb, 0, "client", "%d segments", 3);
    tr_fields_add(&fb, 1, NULL, "bare \x01 value");
    uint64_t rm[2] = {0, 4}, rb[2] = {0, 40};
    const char *ids[2] = {"never", "bearer-token"};
    struct tr_conn_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.decrypted[0] = 104;
    sum.decrypted[1] = 57;
    sum.failed[1] = 29;
    sum.masked = 40;
    sum.nrules = 2;
    sum.rule_matches = rm;
    sum.rule_bytes = rb;
    sum.rule_ids = ids;
    sum.version = 0x0304;
    sum.version_name = "TLS 1.3";
    sum.suite = 0x1302;
    sum.suite_name = "TLS_AES_256_GCM_SHA384";
    sum.sni = "example.com";
    sum.decrypt_reason = "";
    sum.close_reason = "fin";
    struct tr_ev e = {.type = TR_EV_VERDICT, .conn = 3, .dir = -1, .title = "ok", .verdict = "ok",
                      .text = "OK: TLS 1.3", .fields = &fb, .sum = &sum, .cli = &c, .srv = &s, .cport = 5555,
                      .sport = 443, .tls = 1, .alpn = "h2"};
    const char *l = run_json(&e);
    TT_CHECK(strstr(l, "\"client\":{\"addr\":\"10.0.0.1\",\"port\":5555}") != NULL);
    TT_CHECK(strstr(l, "\"verdict\":\"ok\",\"text\":\"OK: TLS 1.3\",\"tls\":true,\"alpn\":\"h2\"") != NULL);
    TT_CHECK(strstr(l, "\"fields\":[{\"depth\":0,\"key\":\"client\",\"value\":\"3 segments\"},"
                       "{\"depth\":1,\"key\":null,\"value\":\"bare \\u0001 value\"}]") != NULL);
    TT_CHECK(strstr(l, "\"decrypted\":104") != NULL);
    TT_CHECK(strstr(l, "\"failed\":29}") != NULL);
    TT_CHECK(strstr(l, "\"version\":772,\"version_name\":\"TLS 1.3\"") != NULL);
    TT_CHECK(strstr(l, "\"rules\":[{\"id\":\"bearer-token\",\"matches\":4,\"bytes\":40}]") != NULL);
    TT_CHECK(strstr(l, "never") == NULL); /* rules without matches are left out */
}

static int count_dir(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

static void test_atomic_and_hash(void)
{
    char dir[] = "/tmp/test_json.XXXXXX";
    TT_CHECK(mkdtemp(dir) != NULL);
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    struct tr_atomic a;
    TT_EQ_INT(tr_atomic_open(&a, path, err, sizeof err), 0);
    fputs("abc", a.f);
    TT_CHECK(access(path, F_OK) != 0); /* not there under its name yet */
    TT_EQ_INT(count_dir(dir), 1);
    TT_EQ_INT(tr_atomic_commit(&a, err, sizeof err), 0);
    TT_CHECK(access(path, F_OK) == 0);
    TT_EQ_INT(count_dir(dir), 1);
    char hex[TR_SHA256_HEX_LEN + 1];
    uint64_t size = 0;
    TT_EQ_INT(tr_sha256_file(path, hex, &size), 0);
    TT_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    TT_EQ_INT(size, 3);
    /* abort leaves nothing */
    char p2[256];
    snprintf(p2, sizeof p2, "%s/aborted.txt", dir);
    TT_EQ_INT(tr_atomic_open(&a, p2, err, sizeof err), 0);
    fputs("partial", a.f);
    tr_atomic_abort(&a);
    TT_EQ_INT(count_dir(dir), 1);
    /* a directory that does not exist: an error naming the file */
    char p3[256];
    snprintf(p3, sizeof p3, "%s/nodir/x.json", dir);
    TT_CHECK(tr_atomic_open(&a, p3, err, sizeof err) != 0);
    TT_CHECK(strstr(err, p3) == err);
    TT_CHECK(tr_sha256_file(p3, hex, NULL) != 0);
    unlink(path);
    rmdir(dir);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_report(void)
{
    char dir[] = "/tmp/test_report.XXXXXX";
    TT_CHECK(mkdtemp(dir) != NULL);
    char rpath[256], opath[256], err[512];
    snprintf(rpath, sizeof rpath, "%s/report.json", dir);
    snprintf(opath, sizeof opath, "%s/out.txt", dir);
    FILE *f = fopen(opath, "w");
    fputs("abc", f);
    fclose(f);
    struct tr_report *r = tr_report_new(rpath, err, sizeof err);
    TT_CHECK(r != NULL);
    if (!r)
        return;
    tr_report_input(r, opath, NULL);
    TT_EQ_INT(tr_report_option(r, "-k", "10.0.0.2:443=server.key"), 0);
    TT_EQ_INT(tr_report_option(r, "--psk", "00112233445566778899"), 0);
    TT_EQ_INT(tr_report_output(r, "transcript", opath), 0);
    TT_EQ_INT(tr_report_port_map(r, 443, 80), 0);
    struct tr_sink s = tr_report_sink(r);
    struct tr_addr c = v4(1), sv = v4(2);
    struct tr_ev e = {.type = TR_EV_CONN_OPEN, .conn = 1, .cli = &c, .srv = &sv, .cport = 5555, .sport = 443,
                      .ts = {1700000000, 0}};
    s.ev(s.ctx, &e);
    struct tr_ev d = {.type = TR_EV_DATA, .conn = 1, .withheld = 1, .len = 12, .ts = {1700000000, 1}};
    s.ev(s.ctx, &d);
    d.withheld = 2;
    d.len = 5;
    s.ev(s.ctx, &d);
    struct tr_conn_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.decrypted[0] = 100;
    sum.failed[0] = 29;
    sum.gaps = 1;
    sum.gap_bytes = 7;
    sum.decrypt_reason = "no key";
    sum.close_reason = "fin";
    struct tr_ev v = {.type = TR_EV_VERDICT, .conn = 1, .verdict = "ok", .title = "ok", .text = "OK",
                      .sum = &sum, .cli = &c, .srv = &sv, .cport = 5555, .sport = 443, .tls = 1,
                      .ts = {1700000001, 0}};
    s.ev(s.ctx, &v);
    struct tr_ev cl = {.type = TR_EV_CONN_CLOSE, .conn = 1};
    s.ev(s.ctx, &cl);
    struct tr_ev sm = {.type = TR_EV_SUMMARY, .text = "1 TCP connection"};
    s.ev(s.ctx, &sm);
    TT_EQ_INT(count_dir(dir), 2); /* out.txt and the report's temporary name (its connection list is unlinked) */
    TT_EQ_INT(tr_report_finish(r, 0, err, sizeof err), 0);
    const char *doc = slurp(rpath);
    TT_CHECK(doc != NULL);
    if (doc) {
        TT_CHECK(strstr(doc, "\"sha256\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"") != NULL);
        TT_CHECK(strstr(doc, "{\"option\": \"-k\", \"value\": \"10.0.0.2:443=server.key\"}") != NULL);
        TT_CHECK(strstr(doc, "00112233") == NULL);
        TT_CHECK(strstr(doc, "\"(hidden)\"") != NULL);
        TT_CHECK(strstr(doc, "\"redaction_drop\":12,\"redaction_drop_spans\":1,\"redaction_limit\":5") != NULL);
        TT_CHECK(strstr(doc, "\"failed_or_skipped\":29") != NULL);
        TT_CHECK(strstr(doc, "\"gaps\":{\"count\":1,\"bytes\":7}") != NULL);
        TT_CHECK(strstr(doc, "\"decrypt_reason\":\"no key\"") != NULL);
        TT_CHECK(strstr(doc, "{\"tls_port\": 443, \"cleartext_port\": 80}") != NULL);
        TT_CHECK(strstr(doc, "\"verdicts\": {\"ok\": 1}") != NULL);
        TT_CHECK(strstr(doc, "\"summary\": {\"text\":\"1 TCP connection\"") != NULL);
        TT_CHECK(strstr(doc, "\"first_seen\":\"2023-11-14T22:13:20.000000Z\"") != NULL);
    }
    TT_EQ_INT(count_dir(dir), 2); /* out.txt and report.json: no temporary left */
    FILE *o = mopen();
    tr_report_print_summary(r, o);
    fclose(o);
    TT_CHECK(strstr(mem, "1 connection: 1 ok") != NULL);
    TT_CHECK(strstr(mem, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  ") != NULL);
    tr_report_free(r);
    /* an unfinished report leaves nothing behind */
    r = tr_report_new(rpath, err, sizeof err);
    TT_CHECK(r != NULL);
    tr_report_free(r);
    TT_EQ_INT(count_dir(dir), 2);
    unlink(rpath);
    unlink(opath);
    rmdir(dir);
}

int main(void)
{
    TT_RUN(test_control_chars);
    TT_RUN(test_utf8);
    TT_RUN(test_data_event);
    TT_RUN(test_verdict_event);
    TT_RUN(test_atomic_and_hash);
    TT_RUN(test_report);
    free(mem);
    TT_DONE();
}
