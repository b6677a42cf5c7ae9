/* test_redact.c - rule parser (every error path), validators, actions,
 * overlap merging, hold-back window, limits, and the default packs'
 * embedded examples. */
#include "core/err.h"
#include "redact/internal.h"
#include "tt.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/tr_redact_XXXXXX";

static const char *root(void)
{
    const char *r = getenv("TR_ROOT");
    return r ? r : ".";
}

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

static struct tr_ruleset *load_text(const char *text, char *err, size_t errlen,
                                    int *rc)
{
    const char *p = write_file("t.rules", text);
    struct tr_ruleset *rs = NULL;
    *rc = tr_rules_load(&rs, &p, 1, err, errlen);
    return rs;
}

/* Collects the output stream. */
struct out {
    uint8_t data[1 << 16];
    size_t len;
    size_t withheld_drop, withheld_limit;
    uint64_t next_off; /* checks in_off continuity */
    int off_bad;
};

static int emit(void *ctx, const uint8_t *d, size_t n, uint64_t off, int kind)
{
    struct out *o = ctx;
    if (off != o->next_off)
        o->off_bad = 1;
    o->next_off = off + n;
    if (kind == TR_EMIT_DATA) {
        if (o->len + n > sizeof o->data)
            return TR_E_LIMIT;
        memcpy(o->data + o->len, d, n);
        o->len += n;
    } else if (kind == TR_EMIT_WITHHELD_DROP) {
        o->withheld_drop += n;
    } else {
        o->withheld_limit += n;
    }
    return 0;
}

static const uint8_t key1[32] = {1, 2, 3};
static const uint8_t key2[32] = {9, 9, 9};

/* Redacts s with rules text; returns output as a NUL-terminated string in a
 * static buffer. */
static struct out OUT;
static const char *redact_with(const char *rules, const char *s,
                               const uint8_t *key, char mask)
{
    char err[512];
    int rc;
    struct tr_ruleset *rs = load_text(rules, err, sizeof err, &rc);
    memset(&OUT, 0, sizeof OUT);
    if (!rs) {
        printf("  load: %s\n", err);
        return "";
    }
    struct tr_redact_opts o = {.mask_char = mask, .token_key = key};
    struct tr_redactor *R = tr_redactor_new(rs, &o, emit, &OUT);
    if (tr_redactor_push(R, (const uint8_t *)s, strlen(s)) ||
        tr_redactor_flush(R))
        printf("  push failed\n");
    tr_redactor_free(R);
    tr_rules_free(rs);
    OUT.data[OUT.len < sizeof OUT.data ? OUT.len : sizeof OUT.data - 1] = 0;
    return (const char *)OUT.data;
}

struct err_case {
    const char *text;
    const char *want; /* substring of the message, after "t.rules:" */
};

static void test_parser_errors(void)
{
    static const struct err_case cases[] = {
        {"pattern x\n", ":1: 'pattern' outside a rule"},
        {"rule a\nfrobnicate 1\npattern x\n", ":2: unknown directive 'frobnicate'"},
        {"rule a b\npattern x\n", ":1: bad rule id"},
        {"rule \npattern x\n", ":1: bad rule id"},
        {"rule a\npattern x\nrule a\npattern y\n", ":3: duplicate rule id a"},
        {"rule a\ndescription d\n", ":1: rule a has no pattern"},
        {"rule a\npattern x\nrule b\n", ":3: rule b has no pattern"},
        {"rule a\npattern x\npattern y\n", ":3: second pattern"},
        {"rule a\npattern \n", ":2: empty pattern"},
        {"rule a\npattern (abc\n", ":2: bad pattern at offset 4: missing closing parenthesis"},
        {"rule a\npattern a{2,1}\n", ":2: bad pattern at offset"},
        {"rule a\npattern (?<secret>a)(?<secret>b)\n", ":2: bad pattern"},
        {"rule a\npattern x\nkeywords \n", ":3: keywords: none given"},
        {"rule a\npattern x\nkeywords aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", ":3: keyword longer than"},
        {"rule a\npattern x\naction shred\n", ":3: bad action"},
        {"rule a\npattern x\nwindow 8\n", ":3: bad window"},
        {"rule a\nscope cookie:x\npattern x\n", ":2: bad scope"},
        {"rule a\nscope header:\npattern x\n", ":2: bad scope"},
        {"rule a\nscope header:a b\npattern x\n", ":2: bad scope name"},
        {"rule a\npattern x\nscope header:x\n", ":3: scope must come before the pattern"},
        {"rule a\nscope header:x\nscope query:y\npattern x\n", ":3: second scope"},
        {"rule a\nscope query:x\npattern (\n", ":3: bad pattern at offset"},
        {"rule a\nscope body:\npattern x\n", "t.rules:2: bad scope"},
        {"rule a\nscope body\npattern x\n", "t.rules:2: bad scope"},
        {"rule a\nscope body:yaml\npattern x\n", "t.rules:2: bad body scope 'yaml'"},
        {"rule a\nscope body:JSON\npattern x\n", "t.rules:2: bad body scope 'JSON'"},
        {"rule a\nscope body:json,,x\npattern x\n", "t.rules:2: bad body scope ''"},
        {"rule a\nscope body:json,yaml\npattern x\n", "t.rules:2: bad body scope 'yaml'"},
        {"rule a\nscope body:json xml\npattern x\n", "t.rules:2: bad body scope 'json xml'"},
        {"rule a\nscope body:any\npattern x\n", "t.rules:2: bad body scope 'any'"},
        {"rule a\nscope header:bad name\npattern x\n", "t.rules:2: bad scope name"},
        {"rule a\nscope header:**\npattern x\n", "t.rules:2: bad scope name"},
        {"rule a\nscope header:X-*\npattern x\n", "t.rules:2: bad scope name"},
        {"rule a\nscope query:*\npattern x\n", "t.rules:2: bad scope name"},
        {"rule a\nscope body:json\nscope body:xml\npattern x\n", "t.rules:3: second scope"},
        {"rule a\nscope header:*\nscope body:xml\npattern x\n", "t.rules:3: second scope"},
        {"rule a\npattern x\nscope body:json\n", "t.rules:3: scope must come before the pattern"},
        {"rule a\nscope body:json\npattern (x\n", "t.rules:3: bad pattern at offset"},
        {"rule a\nscope header:*\npattern (x\n", "t.rules:3: bad pattern at offset"},
        {"rule a\npattern x\nwindow 99999999\n", ":3: bad window"},
        {"rule a\npattern x\nwindow 12ab\n", ":3: bad window"},
        {"rule a\npattern x\nwindow -20\n", ":3: bad window"},
        {"rule a\npattern x\nkeyword-within 9x\n", ":3: bad keyword-within"},
        {"rule a\npattern x\nkeyword-within 4\n", ":1: keyword-within without keywords"},
        {"rule a\npattern x\nvalidate crc32\n", ":3: bad validator"},
        {"rule a\npattern x\nvalidate entropy=9\n", ":3: bad entropy"},
        {"rule a\npattern x\nvalidate entropy=abc\n", ":3: bad entropy"},
        {"rule a\npattern x\nmatch a\\q\n", ":3: bad escape"},
        {"rule a\npattern x\nmatch a\\x4\n", ":3: bad escape"},
        {"rule a\npattern x\nmatch \n", ":3: empty example"},
        {"rule a\npattern x\nexpect x\n", ":3: expect must follow a match line"},
        {"rule a\npattern x\nnomatch y\nexpect y\n", ":4: expect must follow a match line"},
        {"rule a\npattern x\nmatch x\nexpect *\nexpect *\n", ":5: expect must follow a match line"},
        {"rule a\npattern x\nmatch xy\nexpect *\n", ":4: expect must have the length"},
        {"rule a\npattern x\nmatch \\xzz\n", ":3: bad escape"},
        {"# only a comment\n\n", "no rules found"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        int rc;
        struct tr_ruleset *rs = load_text(cases[i].text, err, sizeof err, &rc);
        TT_CHECK(rs == NULL);
        TT_EQ_INT(rc, TR_E_RULES);
        if (!strstr(err, cases[i].want)) {
            printf("  case %zu: got \"%s\", want \"%s\"\n", i, err, cases[i].want);
            tt_cur_failed++;
        }
        tr_rules_free(rs);
    }
    /* NUL byte in a line */
    {
        char path[512];
        snprintf(path, sizeof path, "%s/nul.rules", tmpdir);
        FILE *f = fopen(path, "wb");
        fwrite("rule a\npattern a\0b\n", 1, 19, f);
        fclose(f);
        const char *p = path;
        struct tr_ruleset *rs;
        char err[512];
        TT_EQ_INT(tr_rules_load(&rs, &p, 1, err, sizeof err), TR_E_RULES);
        TT_CHECK(strstr(err, "nul.rules:2: NUL byte") != NULL);
    }
    /* missing file; the message starts with the path */
    {
        const char *p = "/nonexistent/x.rules";
        struct tr_ruleset *rs;
        char err[512];
        TT_EQ_INT(tr_rules_load(&rs, &p, 1, err, sizeof err), TR_E_RULES);
        TT_CHECK(strncmp(err, "/nonexistent/x.rules:0: cannot open", 35) == 0);
    }
}

static void test_parser_ok(void)
{
    char err[512];
    int rc;
    struct tr_ruleset *rs = load_text(
        "# c\n"
        "  rule one\r\n"
        "\tdescription  The first\r\n"
        "pattern (?i)pw=(\\w+)\n"
        "keywords PW= other\n"
        "action token\n"
        "window 64\n"
        "validate entropy=1.5\n"
        "match pw=abcdef\n"
        "expect pw=******\n"
        "nomatch pw=aaaaaaa\n"
        "rule two.b_c-d\n"
        "pattern (?<secret>\\d+)x(\\d+)\n",
        err, sizeof err, &rc);
    TT_EQ_INT(rc, 0);
    if (!rs) {
        printf("  %s\n", err);
        tt_cur_failed++;
        return;
    }
    TT_EQ_INT(tr_rules_count(rs), 2);
    TT_EQ_STR(tr_rules_id(rs, 0), "one");
    TT_EQ_STR(tr_rules_description(rs, 0), "The first");
    TT_EQ_STR(tr_rules_description(rs, 1), "");
    TT_EQ_INT(tr_rules_action(rs, 0), TR_ACT_TOKEN);
    TT_EQ_INT(tr_rules_action(rs, 1), TR_ACT_MASK);
    TT_EQ_INT(tr_rules_window(rs, 0), 64);
    TT_EQ_INT(tr_rules_window(rs, 1), TR_REDACT_WINDOW_DEFAULT);
    TT_CHECK(tr_rules_id(rs, 2) == NULL);
    TT_EQ_INT(tr_rules_file_count(rs), 1);
    TT_CHECK(strstr(tr_rules_file(rs, 0), "t.rules") != NULL);
    TT_EQ_INT(rs->rules[1].secret_group, 1); /* named group wins */
    TT_EQ_INT(tr_rules_selftest(rs, stdout), 0);
    tr_rules_free(rs);
    /* named 'secret' is group 2 here */
    TT_EQ_STR(redact_with("rule a\npattern (\\d+)-(?<secret>\\d+)\n", "x 12-34 y", NULL, 0),
              "x 12-** y");
}

static void test_directory_load(void)
{
    char d[600], err[512];
    snprintf(d, sizeof d, "%s/dir", tmpdir);
    mkdir(d, 0700);
    write_file("dir/b.rules", "rule b\npattern bbb\n");
    write_file("dir/a.rules", "rule a\npattern aaa\n");
    write_file("dir/c.txt", "not rules\n");
    const char *p = d;
    struct tr_ruleset *rs;
    TT_EQ_INT(tr_rules_load(&rs, &p, 1, err, sizeof err), 0);
    TT_EQ_INT(tr_rules_count(rs), 2);
    TT_EQ_STR(tr_rules_id(rs, 0), "a");
    TT_EQ_STR(tr_rules_id(rs, 1), "b");
    TT_EQ_INT(tr_rules_file_count(rs), 2);
    tr_rules_free(rs);
}

static void test_validators(void)
{
#define V(fn, s) fn((const uint8_t *)(s), strlen(s))
    TT_CHECK(V(tr_val_luhn, "4111111111111111"));
    TT_CHECK(V(tr_val_luhn, "4111 1111 1111 1111"));
    TT_CHECK(V(tr_val_luhn, "3782-822463-10005"));
    TT_CHECK(!V(tr_val_luhn, "4111111111111112"));
    TT_CHECK(!V(tr_val_luhn, "0000000000"));          /* too short */
    TT_CHECK(!V(tr_val_luhn, "41111111111111x1"));
    TT_CHECK(!V(tr_val_luhn, "41111111111111111111")); /* 20 digits */
    TT_CHECK(V(tr_val_iban, "DE89370400440532013000"));
    TT_CHECK(V(tr_val_iban, "GB29 NWBK 6016 1331 9268 19"));
    TT_CHECK(V(tr_val_iban, "gb29nwbk60161331926819"));
    TT_CHECK(!V(tr_val_iban, "DE89370400440532013001"));
    TT_CHECK(!V(tr_val_iban, "DE8937040044"));          /* too short */
    TT_CHECK(!V(tr_val_iban, "1289370400440532013000"));
    TT_CHECK(!V(tr_val_iban, "DE89370400440532013000DE89370400440532013000"));
    TT_CHECK(V(tr_val_ssn, "123-45-6789"));
    TT_CHECK(V(tr_val_ssn, "123 45 6789"));
    TT_CHECK(!V(tr_val_ssn, "000-45-6789"));
    TT_CHECK(!V(tr_val_ssn, "666-45-6789"));
    TT_CHECK(!V(tr_val_ssn, "900-45-6789"));
    TT_CHECK(!V(tr_val_ssn, "123-00-6789"));
    TT_CHECK(!V(tr_val_ssn, "123-45-0000"));
    TT_CHECK(!V(tr_val_ssn, "078-05-1120"));
    TT_CHECK(!V(tr_val_ssn, "12-345-678"));
    double e0 = V(tr_val_entropy, "aaaaaaaa");
    double e1 = V(tr_val_entropy, "abababab");
    double e3 = V(tr_val_entropy, "abcdefgh");
    TT_CHECK(e0 < 1e-9);
    TT_CHECK(e1 > 0.999 && e1 < 1.001);
    TT_CHECK(e3 > 2.999 && e3 < 3.001);
    TT_CHECK(V(tr_val_entropy, "") == 0.0);
#undef V
    /* validators gate matches */
    TT_EQ_STR(redact_with("rule c\npattern \\d{16}\nvalidate luhn\n",
                          "4111111111111111 4111111111111112", NULL, 0),
              "**************** 4111111111111112");
    TT_EQ_STR(redact_with("rule e\npattern k=(\\w+)\nvalidate entropy=3\n",
                          "k=aaaaaaaaaa k=Zx9Lq2Vw8R", NULL, 0),
              "k=aaaaaaaaaa k=**********");
}

static void test_actions(void)
{
    const char *rules = "rule t\npattern s=(\\w+)\naction token\n";
    char a[128], b[128];
    snprintf(a, sizeof a, "%s", redact_with(rules, "s=secret1 s=secret1 s=other", key1, 0));
    TT_EQ_INT(strlen(a), strlen("s=secret1 s=secret1 s=other"));
    TT_CHECK(strncmp(a, "s=", 2) == 0 && strncmp(a + 10, "s=", 2) == 0);
    TT_CHECK(memcmp(a + 2, a + 12, 7) == 0);  /* same secret, same token */
    TT_CHECK(memcmp(a + 2, "secret1", 7) != 0);
    TT_CHECK(memcmp(a + 22, "other", 5) != 0);
    for (size_t i = 2; i < 9; i++)
        TT_CHECK(strchr("0123456789abcdef", a[i]) != NULL);
    snprintf(b, sizeof b, "%s", redact_with(rules, "s=secret1 s=secret1 s=other", key2, 0));
    TT_CHECK(memcmp(a + 2, b + 2, 7) != 0);   /* another key, another token */
    snprintf(b, sizeof b, "%s", redact_with(rules, "s=secret1 s=secret1 s=other", key1, 0));
    TT_EQ_STR(a, b);                          /* deterministic */
    /* long token (more than one HMAC block) keeps the length */
    char lng[300];
    memset(lng, 'q', sizeof lng);
    memcpy(lng, "s=", 2);
    lng[sizeof lng - 1] = 0;
    TT_EQ_INT(strlen(redact_with(rules, lng, key1, 0)), sizeof lng - 1);
    TT_CHECK(strspn((const char *)OUT.data + 2, "0123456789abcdef") == sizeof lng - 3);
    /* no key: token falls back to mask */
    TT_EQ_STR(redact_with(rules, "s=abc", NULL, 0), "s=***");
    /* mask char */
    TT_EQ_STR(redact_with("rule m\npattern s=(\\w+)\n", "s=abc s=de", NULL, 'X'), "s=XXX s=XX");
    /* drop: the secret is withheld, with a notice */
    TT_EQ_STR(redact_with("rule d\npattern s=(\\w+)\naction drop\n", "a s=abc b", NULL, 0), "a s= b");
    TT_EQ_INT(OUT.withheld_drop, 3);
    TT_CHECK(!OUT.off_bad);
}

static void test_overlap(void)
{
    /* token [2,10) and mask [6,14): mask wins on the overlap */
    const char *r2 = "rule t\npattern (?<=^..)\\w{8}\naction token\n"
                     "rule m\npattern (?<=^......)\\w{8}\naction mask\n";
    const char *o = redact_with(r2, "..abcdefghijklmn..", key1, 0);
    TT_EQ_INT(strlen(o), 18);
    TT_CHECK(memcmp(o, "..", 2) == 0 && memcmp(o + 6, "********", 8) == 0);
    TT_CHECK(memcmp(o + 2, "abcd", 4) != 0 && memcmp(o + 14, "mn..", 4) == 0);
    /* drop beats mask; the union is redacted */
    o = redact_with("rule m\npattern abcdef\nrule d\npattern defghi\naction drop\n",
                    "xxabcdefghiyy", NULL, 0);
    TT_EQ_STR(o, "xx***yy");
    TT_EQ_INT(OUT.withheld_drop, 6);
    /* two rules matching the same bytes count for each rule */
    char err[256];
    int rc;
    struct tr_ruleset *rs = load_text("rule a\npattern foo\nrule b\npattern oo\n", err, sizeof err, &rc);
    struct out *ob = calloc(1, sizeof *ob);
    struct tr_redactor *R = tr_redactor_new(rs, NULL, emit, ob);
    tr_redactor_push(R, (const uint8_t *)"foo foo", 7);
    tr_redactor_flush(R);
    TT_EQ_INT(tr_redactor_rule_matches(R, 0), 2);
    TT_EQ_INT(tr_redactor_rule_matches(R, 1), 2);
    TT_EQ_INT(tr_redactor_rule_bytes(R, 0), 6);
    TT_EQ_INT(tr_redactor_rule_bytes(R, 1), 4);
    struct tr_redact_stats st;
    tr_redactor_stats(R, &st);
    TT_EQ_INT(st.bytes_masked, 6);
    TT_EQ_INT(st.bytes_in, 7);
    TT_EQ_MEM(ob->data, "*** ***", 7);
    tr_redactor_free(R);
    tr_rules_free(rs);
    free(ob);
}

/* Hold-back: bytes are released as soon as no rule can match them; a
 * partial match holds back from its start, at most a window. */
static void test_holdback(void)
{
    char err[256];
    int rc;
    struct tr_ruleset *rs = load_text("rule s\npattern secret=(\\w{1,40})\nwindow 64\n",
                                      err, sizeof err, &rc);
    struct out *o = calloc(1, sizeof *o);
    struct tr_redactor *R = tr_redactor_new(rs, NULL, emit, o);
    const char *a = "hello world, secr";
    tr_redactor_push(R, (const uint8_t *)a, strlen(a));
    TT_EQ_INT(o->len, strlen("hello world, ")); /* "secr" held back */
    tr_redactor_push(R, (const uint8_t *)"et=ab", 5);
    TT_EQ_INT(o->len, strlen("hello world, "));
    tr_redactor_push(R, (const uint8_t *)"c d", 3);
    TT_EQ_INT(o->len, strlen("hello world, secret=*** d")); /* nothing can start a match */
    tr_redactor_flush(R);
    TT_EQ_MEM(o->data, "hello world, secret=*** d", 25);
    TT_EQ_INT(o->len, 25);
    /* a partial match longer than its window fails closed */
    memset(o, 0, sizeof *o);
    tr_redactor_free(R);
    tr_rules_free(rs);
    rs = load_text("rule w\npattern k=[a-z]+;\nwindow 16\n", err, sizeof err, &rc);
    R = tr_redactor_new(rs, NULL, emit, o);
    const char *b = "x k=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; y";
    for (size_t i = 0; b[i]; i++)
        tr_redactor_push(R, (const uint8_t *)b + i, 1);
    tr_redactor_flush(R);
    struct tr_redact_stats st;
    tr_redactor_stats(R, &st);
    TT_EQ_INT(st.limit_hits, 1);
    TT_EQ_INT(o->withheld_limit, 16);
    TT_EQ_INT(o->len + o->withheld_limit, strlen(b));
    TT_CHECK(!o->off_bad);
    tr_redactor_free(R);
    tr_rules_free(rs);
    free(o);
}

/* Catastrophic backtracking hits the match limit: fails closed. */
static void test_match_limit(void)
{
    char err[256];
    int rc;
    struct tr_ruleset *rs = load_text("rule bad\npattern (a+)+$\nwindow 4096\n",
                                      err, sizeof err, &rc);
    struct out *o = calloc(1, sizeof *o);
    struct tr_redactor *R = tr_redactor_new(rs, NULL, emit, o);
    char s[200];
    memset(s, 'a', sizeof s);
    s[60] = '!';
    tr_redactor_push(R, (const uint8_t *)"ok ", 3);
    tr_redactor_push(R, (const uint8_t *)s, sizeof s);
    tr_redactor_flush(R);
    struct tr_redact_stats st;
    tr_redactor_stats(R, &st);
    TT_CHECK(st.limit_hits >= 1);
    TT_CHECK(st.bytes_withheld_limit >= 1);
    TT_CHECK(o->withheld_limit >= 1);
    TT_EQ_INT(o->len + o->withheld_limit, 203);
    for (size_t i = 0; i < o->len; i++) /* nothing of the 'a' run leaks */
        TT_CHECK(i < 3 || o->data[i] != 'a' || i > 63);
    tr_redactor_free(R);
    tr_rules_free(rs);
    free(o);
}

/* Flush ends a stream: no match spans it, ^ matches again after it. */
static void test_flush(void)
{
    char err[256];
    int rc;
    struct tr_ruleset *rs = load_text("rule s\npattern (?m)^k=(\\w+)\n", err, sizeof err, &rc);
    struct out *o = calloc(1, sizeof *o);
    struct tr_redactor *R = tr_redactor_new(rs, NULL, emit, o);
    tr_redactor_push(R, (const uint8_t *)"k=ab", 4);
    tr_redactor_flush(R);
    tr_redactor_push(R, (const uint8_t *)"cd k=ef", 7);
    tr_redactor_flush(R);
    tr_redactor_push(R, (const uint8_t *)"k=gh", 4);
    tr_redactor_flush(R);
    TT_EQ_INT(o->len, 15);
    TT_EQ_MEM(o->data, "k=**cd k=efk=**", 15);
    tr_redactor_free(R);
    tr_rules_free(rs);
    free(o);
}

static void test_keys(void)
{
    uint8_t k1[32], k2[32], k3[32];
    TT_EQ_INT(tr_redact_random_key(k1), 0);
    TT_EQ_INT(tr_redact_random_key(k2), 0);
    TT_CHECK(memcmp(k1, k2, 32) != 0);
    char err[256];
    const char *p = write_file("hex.key",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
    TT_EQ_INT(tr_redact_load_key(p, k3, err, sizeof err), 0);
    TT_CHECK(k3[0] == 0 && k3[31] == 0x1f);
    p = write_file("raw.key", "this is a passphrase file of 40 bytes...");
    TT_EQ_INT(tr_redact_load_key(p, k3, err, sizeof err), 0);
    p = write_file("short.key", "short");
    TT_EQ_INT(tr_redact_load_key(p, k3, err, sizeof err), TR_E_KEY);
    TT_CHECK(strstr(err, "short") == NULL || strstr(err, "short.key") != NULL);
    TT_EQ_INT(tr_redact_load_key("/nonexistent/k", k3, err, sizeof err), TR_E_IO);
    tr_redact_wipe(k1, 32);
    TT_CHECK(k1[0] == 0 && k1[31] == 0);
}

static void test_default_packs(void)
{
    char path[600], err[512];
    snprintf(path, sizeof path, "%s/rules", root());
    const char *p = path;
    struct tr_ruleset *rs;
    int rc = tr_rules_load(&rs, &p, 1, err, sizeof err);
    TT_EQ_INT(rc, 0);
    if (rc) {
        printf("  %s\n", err);
        return;
    }
    TT_CHECK(tr_rules_count(rs) >= 20);
    TT_EQ_INT(tr_rules_selftest(rs, stdout), 0);
    /* every rule carries examples of both kinds */
    for (size_t i = 0; i < rs->n; i++) {
        int m = 0, n = 0;
        for (size_t e = 0; e < rs->rules[i].nex; e++)
            rs->rules[i].ex[e].must_match ? m++ : n++;
        if (!m || !n) {
            printf("  rule %s lacks match or nomatch examples\n", rs->rules[i].id);
            tt_cur_failed++;
        }
    }
    tr_rules_free(rs);
}

/* Scoped rules: the value of the named header / query parameter only. */
static void test_scope(void)
{
    static const char rules[] =
        "rule h\nscope header:X-Key\npattern [^\\r\\n]+\n"
        "rule q\nscope query:sig\npattern [^&\\s]+\n";
    char path[] = "/tmp/tr_scopeXXXXXX";
    int fd = mkstemp(path);
    TT_CHECK(fd >= 0);
    TT_CHECK(write(fd, rules, sizeof rules - 1) == (ssize_t)(sizeof rules - 1));
    close(fd);
    struct tr_ruleset *rs = NULL;
    char err[256];
    const char *paths[] = {path};
    TT_EQ_INT(tr_rules_load(&rs, paths, 1, err, sizeof err), 0);
    unlink(path);
    if (!rs)
        return;
    static const char in[] = "GET /a?x=1&sig=abc HTTP/1.1\r\nx-key: secretvalue\r\nX-Key-Id: 7\r\n"
                             "Referer: /b?sig=zzz\r\n:path: /c?sig=def\r\n";
    static const char want[] = "GET /a?x=1&sig=*** HTTP/1.1\r\nx-key: ***********\r\nX-Key-Id: 7\r\n"
                               "Referer: /b?sig=zzz\r\n:path: /c?sig=***\r\n";
    static struct out o;
    memset(&o, 0, sizeof o);
    struct tr_redact_opts opts = {.mask_char = '*'};
    struct tr_redactor *r = tr_redactor_new(rs, &opts, emit, &o);
    TT_EQ_INT(tr_redactor_push(r, (const uint8_t *)in, sizeof in - 1), 0);
    TT_EQ_INT(tr_redactor_flush(r), 0);
    TT_EQ_INT(o.len, sizeof want - 1);
    TT_EQ_MEM(o.data, want, sizeof want - 1);
    tr_redactor_free(r);
    tr_rules_free(rs);
}

/* The scopes added with media contexts parse into the media a rule is
 * active in: body:TYPE[,TYPE] (plus ANY), header:* and header/query names
 * (HEAD plus ANY); unscoped rules everywhere. */
static void test_scope_parse_media(void)
{
    char err[512];
    int rc;
    struct tr_ruleset *rs = load_text(
        "rule plain\npattern p1\n"
        "rule j\nscope body:json\npattern j1\n"
        "rule all4\nscope body:form,json,xml,text\npattern a1\n"
        "rule fx\nscope body:xml,form\npattern f1\n"
        "rule t\nscope body:text\npattern t1\n"
        "rule dup\nscope body:json,json\npattern d1\n"
        "rule hs\nscope header:*\npattern h1\n"
        "rule hn\nscope header:X-Foo\npattern h2\n"
        "rule q\nscope query:sig\npattern q1\n",
        err, sizeof err, &rc);
    TT_EQ_INT(rc, 0);
    if (!rs) {
        printf("  %s\n", err);
        tt_cur_failed++;
        return;
    }
#define M(m) (1u << (m))
    TT_EQ_INT(tr_rules_count(rs), 9);
    TT_EQ_INT(rs->rules[0].media, TR_MEDIA_ALL);
    TT_EQ_INT(rs->rules[1].media, M(TR_MEDIA_ANY) | M(TR_MEDIA_JSON));
    TT_EQ_INT(rs->rules[2].media, M(TR_MEDIA_ANY) | M(TR_MEDIA_FORM) | M(TR_MEDIA_JSON) |
                                      M(TR_MEDIA_XML) | M(TR_MEDIA_TEXT));
    TT_EQ_INT(rs->rules[3].media, M(TR_MEDIA_ANY) | M(TR_MEDIA_FORM) | M(TR_MEDIA_XML));
    TT_EQ_INT(rs->rules[4].media, M(TR_MEDIA_ANY) | M(TR_MEDIA_TEXT));
    TT_EQ_INT(rs->rules[5].media, M(TR_MEDIA_ANY) | M(TR_MEDIA_JSON));
    TT_EQ_INT(rs->rules[6].media, M(TR_MEDIA_ANY) | M(TR_MEDIA_HEAD));
    TT_EQ_INT(rs->rules[7].media, M(TR_MEDIA_ANY) | M(TR_MEDIA_HEAD));
    TT_EQ_INT(rs->rules[8].media, M(TR_MEDIA_ANY) | M(TR_MEDIA_HEAD));
#undef M
    /* no rule is ever active in OTHER but the unscoped one */
    for (size_t i = 1; i < rs->n; i++)
        TT_CHECK(!(rs->rules[i].media & (1u << TR_MEDIA_OTHER)));
    /* header:NAME gets its name as keyword; header:* has none of its own */
    TT_EQ_INT(rs->rules[7].nkw, 1);
    TT_EQ_INT(rs->rules[6].nkw, 0);
    TT_EQ_INT(rs->rules[1].nkw, 0);
    tr_rules_free(rs);
    /* a header:* rule may bring its own keywords */
    rs = load_text("rule k\nscope header:*\npattern Basic ([A-Za-z0-9+/=]{4,64})\n"
                   "keywords basic\nkeyword-within 64\n"
                   "match X-Forwarded-Authorization: Basic dXNlcjpwYXNz\\r\\n\n"
                   "expect X-Forwarded-Authorization: Basic ************\\r\\n\n"
                   "nomatch Basic dXNlcjpwYXNz\n",
                   err, sizeof err, &rc);
    TT_EQ_INT(rc, 0);
    if (rs) {
        TT_EQ_INT(rs->rules[0].nkw, 1);
        TT_EQ_INT(tr_rules_selftest(rs, stdout), 0);
    }
    tr_rules_free(rs);
}

/* A stretch of one stream in one media context. */
struct seg {
    int media;
    const char *text;
};

/* Runs segments through one redactor: each segment's media is set, then
 * its text pushed whole (step 0) or in step-byte pieces.  The output lands
 * in *o (NUL-terminated); returns the redactor's stats in *st. */
static void run_segs(const char *rules, const struct tr_redact_opts *opts, const struct seg *sg,
                     size_t n, size_t step, struct out *o, struct tr_redact_stats *st)
{
    char err[512];
    int rc;
    memset(o, 0, sizeof *o);
    memset(st, 0, sizeof *st);
    struct tr_ruleset *rs = load_text(rules, err, sizeof err, &rc);
    if (!rs) {
        printf("  load: %s\n", err);
        tt_cur_failed++;
        return;
    }
    struct tr_redactor *R = tr_redactor_new(rs, opts, emit, o);
    for (size_t i = 0; i < n; i++) {
        TT_EQ_INT(tr_redactor_set_media(R, sg[i].media), 0);
        const uint8_t *p = (const uint8_t *)sg[i].text;
        size_t len = strlen(sg[i].text);
        if (!step) {
            TT_EQ_INT(tr_redactor_push(R, p, len), 0);
        } else {
            for (size_t k = 0; k < len; k += step)
                TT_EQ_INT(tr_redactor_push(R, p + k, len - k < step ? len - k : step), 0);
        }
    }
    TT_EQ_INT(tr_redactor_flush(R), 0);
    tr_redactor_stats(R, st);
    tr_redactor_free(R);
    tr_rules_free(rs);
    o->data[o->len < sizeof o->data ? o->len : sizeof o->data - 1] = 0;
}

/* s redacted in one media context by rules. */
static const char *redact_in(const char *rules, int media, const char *s)
{
    static struct out o;
    struct tr_redact_stats st;
    struct seg sg = {media, s};
    run_segs(rules, NULL, &sg, 1, 0, &o, &st);
    return (const char *)o.data;
}

/* Which rules apply in which media context. */
static void test_media_rules(void)
{
    static const char *const names[TR_MEDIA_N] = {"ANY", "HEAD", "OTHER", "FORM", "JSON", "XML", "TEXT"};
    static const struct {
        const char *rules, *in, *masked;
        unsigned where; /* bit m: masked in media m */
    } cases[] = {
        {"rule j\nscope body:json\npattern \"email\":\"([^\"]{1,64})\"\n",
         "{\"email\":\"a@b.c\"}", "{\"email\":\"*****\"}",
         1u << TR_MEDIA_ANY | 1u << TR_MEDIA_JSON},
        {"rule fj\nscope body:form,json\npattern email[\"=:]{1,3}(\\w{1,64})\n",
         "email=bob", "email=***",
         1u << TR_MEDIA_ANY | 1u << TR_MEDIA_FORM | 1u << TR_MEDIA_JSON},
        {"rule x\nscope body:xml\npattern <pw>([^<]{1,64})\n",
         "<pw>hunter2</pw>", "<pw>*******</pw>",
         1u << TR_MEDIA_ANY | 1u << TR_MEDIA_XML},
        {"rule t\nscope body:text\npattern pw: (\\S{1,64})\n",
         "pw: hunter2\n", "pw: *******\n",
         1u << TR_MEDIA_ANY | 1u << TR_MEDIA_TEXT},
        {"rule h\nscope header:X-Key\npattern [^\\r\\n]{1,64}\n",
         "X-Key: secretvalue\r\n", "X-Key: ***********\r\n",
         1u << TR_MEDIA_ANY | 1u << TR_MEDIA_HEAD},
        {"rule hs\nscope header:*\npattern secret\\w{0,64}\n",
         "X-Foo: secretvalue\r\n", "X-Foo: ***********\r\n",
         1u << TR_MEDIA_ANY | 1u << TR_MEDIA_HEAD},
        {"rule q\nscope query:sig\npattern [^&\\s]{1,64}\n",
         "GET /a?sig=abc HTTP/1.1\r\n", "GET /a?sig=*** HTTP/1.1\r\n",
         1u << TR_MEDIA_ANY | 1u << TR_MEDIA_HEAD},
        {"rule u\npattern pw=(\\w{1,64})\n",
         "pw=hunter2", "pw=*******", TR_MEDIA_ALL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int m = 0; m < TR_MEDIA_N; m++) {
            const char *got = redact_in(cases[i].rules, m, cases[i].in);
            const char *want = (cases[i].where >> m & 1) ? cases[i].masked : cases[i].in;
            if (strcmp(got, want)) {
                printf("  case %zu in %s: got \"%s\", want \"%s\"\n", i, names[m], got, want);
                tt_cur_failed++;
            }
        }
    }
    /* an out-of-range media is ANY: every rule applies */
    const char *j = cases[0].rules;
    TT_EQ_STR(redact_in(j, -1, "{\"email\":\"a@b.c\"}"), "{\"email\":\"*****\"}");
    TT_EQ_STR(redact_in(j, TR_MEDIA_N, "{\"email\":\"a@b.c\"}"), "{\"email\":\"*****\"}");
    TT_EQ_STR(redact_in(j, 1000, "{\"email\":\"a@b.c\"}"), "{\"email\":\"*****\"}");
    /* both kinds in one rule set: each in its own context */
    const char *two = "rule j\nscope body:json\npattern \"pw\":\"(\\w{1,64})\n"
                      "rule h\nscope header:X-Pw\npattern \\w{1,64}\n";
    const char *in2 = "X-Pw: abc\r\n{\"pw\":\"def\"}";
    TT_EQ_STR(redact_in(two, TR_MEDIA_ANY, in2), "X-Pw: ***\r\n{\"pw\":\"***\"}");
    TT_EQ_STR(redact_in(two, TR_MEDIA_HEAD, in2), "X-Pw: ***\r\n{\"pw\":\"def\"}");
    TT_EQ_STR(redact_in(two, TR_MEDIA_JSON, in2), "X-Pw: abc\r\n{\"pw\":\"***\"}");
    TT_EQ_STR(redact_in(two, TR_MEDIA_OTHER, in2), in2);
}

/* header:* takes the value of any header line, in HEAD (and ANY) context:
 * not the request line, not pseudo-header-like or malformed lines, not a
 * value that does not start with what the pattern wants. */
static void test_scope_header_any(void)
{
    const char *rules = "rule hs\nscope header:*\npattern secret\\w{0,64}\n";
    const char *in = "GET /secretpath?q=secretq HTTP/1.1\r\n"
                     "X-Foo: secretvalue\r\n"
                     "x-bar-baz:secretother\r\n"
                     "Via:\t secretvia\r\n"
                     "X-Plain: notsecret\r\n"
                     "X Foo: secretspace\r\n"
                     "X-Two: a, secretlater\r\n"
                     "Accept: */*\r\n\r\n";
    const char *want = "GET /secretpath?q=secretq HTTP/1.1\r\n"
                       "X-Foo: ***********\r\n"
                       "x-bar-baz:***********\r\n"
                       "Via:\t *********\r\n"
                       "X-Plain: notsecret\r\n"
                       "X Foo: secretspace\r\n"
                       "X-Two: a, secretlater\r\n"
                       "Accept: */*\r\n\r\n";
    TT_EQ_STR(redact_in(rules, TR_MEDIA_HEAD, in), want);
    TT_EQ_STR(redact_in(rules, TR_MEDIA_ANY, in), want);
    TT_EQ_STR(redact_in(rules, TR_MEDIA_JSON, in), in);
    TT_EQ_STR(redact_in(rules, TR_MEDIA_TEXT, in), in);
    /* whole value when the pattern has no group; the named group when it
     * has one */
    TT_EQ_STR(redact_in("rule a\nscope header:*\npattern [^\\r\\n]{1,100}\n", TR_MEDIA_HEAD,
                        "A: 1\r\nBb-Cc: two words\r\n"),
              "A: *\r\nBb-Cc: *********\r\n");
    TT_EQ_STR(redact_in("rule a\nscope header:*\npattern Basic (?<secret>\\S{1,100})\n",
                        TR_MEDIA_HEAD, "X-Fwd-Auth: Basic dXNlcjpw\r\nX: Basicx\r\n"),
              "X-Fwd-Auth: Basic ********\r\nX: Basicx\r\n");
}

/* scope target: anywhere in a request target (HTTP/1.x request line or
 * HTTP/2 :path), in header sections; not in a body, not on other lines. */
static void test_scope_target(void)
{
    const char *rules = "rule t\nscope target\npattern /accounts/(?<secret>[0-9]{3,12})\n";
    const char *in = "GET /v1/accounts/12345/statement?x=1 HTTP/1.1\r\n"
                     ":path: /accounts/987/x\r\n"
                     "Referer: https://h/accounts/55555/\r\n"
                     "Hello /accounts/4444 world\r\n\r\n";
    const char *want = "GET /v1/accounts/*****/statement?x=1 HTTP/1.1\r\n"
                       ":path: /accounts/***/x\r\n"
                       "Referer: https://h/accounts/55555/\r\n"
                       "Hello /accounts/4444 world\r\n\r\n";
    TT_EQ_STR(redact_in(rules, TR_MEDIA_HEAD, in), want);
    TT_EQ_STR(redact_in(rules, TR_MEDIA_ANY, in), want);
    TT_EQ_STR(redact_in(rules, TR_MEDIA_JSON, in), in);
    /* the whole pattern is the secret without a group */
    TT_EQ_STR(redact_in("rule t\nscope target\npattern sess-[0-9a-f]{8}\n", TR_MEDIA_HEAD,
                        "POST /a/sess-0123abcd/b HTTP/1.1\r\n"),
              "POST /a/*************/b HTTP/1.1\r\n");
}

/* A media switch releases held-back bytes as a flush does: no match spans
 * the switch point; a match that completes at it is applied; the output
 * does not depend on how the segments were pushed. */
static void test_media_switch(void)
{
    const char *rules = "rule s\npattern secret=(\\w{1,40})\nwindow 64\n"
                        "rule j\nscope body:json\npattern \"pw\":\"(\\w{1,40})\"\nwindow 64\n"
                        "rule h\nscope header:*\npattern tok-\\w{1,40}\nwindow 64\n";
    static const struct seg sg[] = {
        {TR_MEDIA_HEAD, "POST / HTTP/1.1\r\nX-A: tok-abc\r\nX-B: secr"},
        {TR_MEDIA_JSON, "et=xyz\r\n{\"pw\":\"abc\",\"x\":\"secret=de"},
        {TR_MEDIA_JSON, "f\",\"pw\":\"ghi\"}"}, /* same media: no flush */
        {TR_MEDIA_HEAD, "X-C: tok-"},
        {TR_MEDIA_HEAD, "def\r\n{\"pw\":\"jkl\"}\r\n"}, /* same media */
        {TR_MEDIA_FORM, "X-D: tok-ghi&secret=ab"},
        {TR_MEDIA_OTHER, "cd&secret=12"},
        {TR_MEDIA_ANY, "X-E: tok-any {\"pw\":\"mno\"}"},
    };
    const char *want = "POST / HTTP/1.1\r\nX-A: *******\r\nX-B: secr"
                       "et=xyz\r\n{\"pw\":\"***\",\"x\":\"secret=***"
                       "\",\"pw\":\"***\"}"
                       "X-C: ****"
                       "***\r\n{\"pw\":\"jkl\"}\r\n"
                       "X-D: tok-ghi&secret=**"
                       "cd&secret=**"
                       "X-E: ******* {\"pw\":\"***\"}";
    static struct out o1, o2, o3;
    struct tr_redact_stats st1, st2, st3;
    size_t n = sizeof sg / sizeof sg[0];
    run_segs(rules, NULL, sg, n, 0, &o1, &st1);
    run_segs(rules, NULL, sg, n, 1, &o2, &st2);
    run_segs(rules, NULL, sg, n, 3, &o3, &st3);
    TT_EQ_STR((const char *)o1.data, want);
    if (strcmp((const char *)o1.data, want))
        printf("  got \"%s\"\n", (const char *)o1.data);
    TT_EQ_INT(o1.len, o2.len);
    TT_EQ_MEM(o1.data, o2.data, o1.len);
    TT_EQ_INT(o1.len, o3.len);
    TT_EQ_MEM(o1.data, o3.data, o1.len);
    TT_EQ_INT(st1.bytes_masked, st2.bytes_masked);
    TT_EQ_INT(st1.bytes_in, st2.bytes_in);
    TT_CHECK(!o1.off_bad && !o2.off_bad && !o3.off_bad);
    /* switching to the same media holds nothing back (no flush) */
    static const struct seg same[] = {{TR_MEDIA_ANY, "a secr"}, {TR_MEDIA_ANY, "et=xyz b"}};
    run_segs(rules, NULL, same, 2, 0, &o1, &st1);
    TT_EQ_STR((const char *)o1.data, "a secret=*** b");
    /* the switch does flush: the partial "secr" is released before it */
    static const struct seg cut[] = {{TR_MEDIA_ANY, "a secr"}, {TR_MEDIA_TEXT, "et=xyz b"}};
    run_segs(rules, NULL, cut, 2, 0, &o1, &st1);
    TT_EQ_STR((const char *)o1.data, "a secret=xyz b");
}

/* keep_length: what a drop rule or a limit hit withholds is emitted as
 * mask fill of the same length; the counts still say withheld. */
static void test_keep_length(void)
{
    static struct out o;
    struct tr_redact_stats st;
    struct tr_redact_opts kl = {.keep_length = 1};
    const char *drop = "rule d\npattern s=(\\w{1,40})\naction drop\n";
    struct seg sg = {TR_MEDIA_ANY, "a s=abc b s=de"};
    run_segs(drop, &kl, &sg, 1, 0, &o, &st);
    TT_EQ_STR((const char *)o.data, "a s=*** b s=**");
    TT_EQ_INT(o.len, strlen(sg.text));
    TT_EQ_INT(o.withheld_drop, 0);  /* nothing emitted as withheld */
    TT_EQ_INT(st.bytes_withheld_drop, 5);
    TT_EQ_INT(st.bytes_masked, 0);
    TT_EQ_INT(st.bytes_in, strlen(sg.text));
    TT_CHECK(!o.off_bad);
    /* 1-byte pieces: the same */
    run_segs(drop, &kl, &sg, 1, 1, &o, &st);
    TT_EQ_STR((const char *)o.data, "a s=*** b s=**");
    TT_EQ_INT(st.bytes_withheld_drop, 5);
    /* the fill is the mask character */
    struct tr_redact_opts klx = {.keep_length = 1, .mask_char = 'X'};
    run_segs(drop, &klx, &sg, 1, 0, &o, &st);
    TT_EQ_STR((const char *)o.data, "a s=XXX b s=XX");
    /* without keep_length the bytes are withheld */
    run_segs(drop, NULL, &sg, 1, 0, &o, &st);
    TT_EQ_STR((const char *)o.data, "a s= b s=");
    TT_EQ_INT(o.withheld_drop, 5);
    TT_EQ_INT(st.bytes_withheld_drop, 5);
    /* drop merged with mask: the whole union keeps its length */
    struct seg sg2 = {TR_MEDIA_ANY, "xxabcdefghiyy"};
    run_segs("rule m\npattern abcdef\nrule d\npattern defghi\naction drop\n", &kl, &sg2, 1, 0, &o,
             &st);
    TT_EQ_STR((const char *)o.data, "xx*********yy");
    TT_EQ_INT(st.bytes_withheld_drop, 6);
    TT_EQ_INT(st.bytes_masked, 3);
    TT_EQ_INT(o.withheld_drop, 0);
    /* a token rule with a key is unaffected by keep_length */
    struct tr_redact_opts klk = {.keep_length = 1, .token_key = key1};
    struct seg sg3 = {TR_MEDIA_ANY, "t=abcdef"};
    run_segs("rule t\npattern t=(\\w{1,40})\naction token\n", &klk, &sg3, 1, 0, &o, &st);
    TT_EQ_INT(o.len, 8);
    TT_CHECK(memcmp(o.data + 2, "abcdef", 6) != 0 && memcmp(o.data + 2, "******", 6) != 0);
    TT_EQ_INT(st.bytes_tokenized, 6);
    /* a limit hit (window overflow) withholds as mask fill too */
    struct seg sg4 = {TR_MEDIA_ANY, "x k=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; y"};
    run_segs("rule w\npattern k=[a-z]+;\nwindow 16\n", &kl, &sg4, 1, 1, &o, &st);
    TT_EQ_INT(o.len, strlen(sg4.text));
    TT_EQ_INT(o.withheld_limit, 0);
    TT_EQ_INT(st.limit_hits, 1);
    TT_EQ_INT(st.bytes_withheld_limit, 16);
    TT_EQ_STR((const char *)o.data, "x ****************aaaaaaaaaaaaaaaa; y");
    TT_CHECK(!o.off_bad);
    /* keep_length with media switches and a drop in a body-scoped rule */
    static const struct seg sg5[] = {
        {TR_MEDIA_HEAD, "X-Pw: abc\r\n\r\n"},
        {TR_MEDIA_FORM, "pw=abc&pw=de"},
        {TR_MEDIA_JSON, "pw=abc"},
    };
    run_segs("rule f\nscope body:form\npattern (?<![\\w])pw=(\\w{1,40})\naction drop\n", &kl, sg5, 3, 1,
             &o, &st);
    TT_EQ_STR((const char *)o.data, "X-Pw: abc\r\n\r\npw=***&pw=**pw=abc");
    TT_EQ_INT(st.bytes_withheld_drop, 5);
}

int main(void)
{
    TT_RUN(test_scope);
    if (!mkdtemp(tmpdir)) {
        printf("FAIL mkdtemp\n");
        return 1;
    }
    TT_RUN(test_parser_errors);
    TT_RUN(test_parser_ok);
    TT_RUN(test_directory_load);
    TT_RUN(test_validators);
    TT_RUN(test_actions);
    TT_RUN(test_overlap);
    TT_RUN(test_holdback);
    TT_RUN(test_match_limit);
    TT_RUN(test_flush);
    TT_RUN(test_keys);
    TT_RUN(test_default_packs);
    TT_RUN(test_scope_parse_media);
    TT_RUN(test_media_rules);
    TT_RUN(test_scope_header_any);
    TT_RUN(test_scope_target);
    TT_RUN(test_media_switch);
    TT_RUN(test_keep_length);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        printf("  could not remove %s\n", tmpdir);
    TT_DONE();
}
