/* test_media.c - Content-Type classification for body-scoped rules
 * (tr_media_classify) on real header values, and the media names. */
#include "proto/media.h"
#include "tt.h"

struct ct_case {
    const char *v;
    int want;
};

static int classify(const char *v)
{
    return tr_media_classify(v, v ? strlen(v) : 0);
}

static void test_classify(void)
{
    static const struct ct_case cases[] = {
        /* JSON: application/json, any +json suffix, case ignored */
        {"application/json", TR_MEDIA_JSON},
        {"application/json; charset=utf-8", TR_MEDIA_JSON},
        {"application/json;charset=UTF-8", TR_MEDIA_JSON},
        {"application/problem+json", TR_MEDIA_JSON},
        {"application/vnd.api+json", TR_MEDIA_JSON},
        {"application/hal+json; charset=utf-8", TR_MEDIA_JSON},
        {"APPLICATION/JSON", TR_MEDIA_JSON},
        {"Application/Json ; charset=utf-8", TR_MEDIA_JSON},
        {"  application/json", TR_MEDIA_JSON},
        {"\tapplication/json", TR_MEDIA_JSON},
        {"application/x-ndjson", TR_MEDIA_JSON},
        {"application/jsonl", TR_MEDIA_JSON},
        {"text/json", TR_MEDIA_JSON},
        {"application/x-json", TR_MEDIA_JSON},
        /* form */
        {"application/x-www-form-urlencoded", TR_MEDIA_FORM},
        {"application/x-www-form-urlencoded; charset=UTF-8", TR_MEDIA_FORM},
        {"Application/X-WWW-Form-Urlencoded", TR_MEDIA_FORM},
        /* XML */
        {"text/xml", TR_MEDIA_XML},
        {"text/xml; charset=\"utf-8\"", TR_MEDIA_XML},
        {"application/xml", TR_MEDIA_XML},
        {"application/soap+xml; charset=utf-8", TR_MEDIA_XML},
        {"application/soap+xml;charset=UTF-8;action=\"urn:Login\"", TR_MEDIA_XML},
        {"application/atom+xml", TR_MEDIA_XML},
        {"application/samlassertion+xml", TR_MEDIA_XML},
        {"image/svg+xml", TR_MEDIA_XML},
        /* other text */
        {"text/html", TR_MEDIA_TEXT},
        {"text/html; charset=utf-8", TR_MEDIA_TEXT},
        {"text/plain;charset=us-ascii", TR_MEDIA_TEXT},
        {"text/plain", TR_MEDIA_TEXT},
        {"text/css", TR_MEDIA_TEXT},
        {"text/event-stream", TR_MEDIA_TEXT},
        {"TEXT/CSV", TR_MEDIA_TEXT},
        /* binary */
        {"image/png", TR_MEDIA_OTHER},
        {"image/jpeg", TR_MEDIA_OTHER},
        {"audio/mpeg", TR_MEDIA_OTHER},
        {"video/mp4", TR_MEDIA_OTHER},
        {"font/woff2", TR_MEDIA_OTHER},
        {"application/octet-stream", TR_MEDIA_OTHER},
        {"application/pdf", TR_MEDIA_OTHER},
        {"application/zip", TR_MEDIA_OTHER},
        {"application/gzip", TR_MEDIA_OTHER},
        {"application/wasm", TR_MEDIA_OTHER},
        {"application/x-protobuf", TR_MEDIA_OTHER},
        {"application/grpc", TR_MEDIA_OTHER},
        {"application/grpc+proto", TR_MEDIA_OTHER},
        {"Application/Octet-Stream; name=\"x.bin\"", TR_MEDIA_OTHER},
        /* not placed: every rule applies (fail closed) */
        {"multipart/form-data; boundary=x", TR_MEDIA_ANY},
        {"multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", TR_MEDIA_ANY},
        {"multipart/mixed; boundary=\"simple boundary\"", TR_MEDIA_ANY},
        {"", TR_MEDIA_ANY},
        {"   ", TR_MEDIA_ANY},
        {"json", TR_MEDIA_ANY},
        {"application", TR_MEDIA_ANY},
        {"application/", TR_MEDIA_ANY},
        {"/json", TR_MEDIA_ANY},
        {";charset=utf-8", TR_MEDIA_ANY},
        {"application/javascript", TR_MEDIA_ANY},
        {"application/graphql", TR_MEDIA_ANY},
        {"application/x-www-form-urlencodedx", TR_MEDIA_ANY},
        {"application/jsonx", TR_MEDIA_ANY},
        {"application/grpc-web+proto", TR_MEDIA_ANY},
        {"x-unknown/whatever", TR_MEDIA_ANY},
        /* only parameters may follow the type: two types, or junk after
         * it, are not a type to vouch for */
        {"application/json, text/html", TR_MEDIA_ANY},
        {"text/plain,application/x-www-form-urlencoded", TR_MEDIA_ANY},
        {"application/json junk", TR_MEDIA_ANY},
        {"application/json ", TR_MEDIA_JSON},
        {"application/json \t; charset=utf-8", TR_MEDIA_JSON},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = classify(cases[i].v);
        if (got != cases[i].want) {
            printf("  \"%s\": got %s, want %s\n", cases[i].v, tr_media_name(got),
                   tr_media_name(cases[i].want));
            tt_cur_failed++;
        }
    }
    TT_EQ_INT(classify(NULL), TR_MEDIA_ANY);
    TT_EQ_INT(tr_media_classify(NULL, 5), TR_MEDIA_ANY);
}

/* The length bounds the value: bytes after n are not looked at, and the
 * value needs no NUL terminator. */
static void test_classify_length(void)
{
    static const char v[] = "application/json; charset=utf-8";
    TT_EQ_INT(tr_media_classify(v, 16), TR_MEDIA_JSON);  /* "application/json" */
    TT_EQ_INT(tr_media_classify(v, 15), TR_MEDIA_ANY);   /* "application/jso" */
    TT_EQ_INT(tr_media_classify(v, 12), TR_MEDIA_ANY);   /* "application/" */
    TT_EQ_INT(tr_media_classify(v, 0), TR_MEDIA_ANY);
    char buf[9];
    memcpy(buf, "text/xmlZ", 9);                       /* not NUL-terminated */
    TT_EQ_INT(tr_media_classify(buf, 8), TR_MEDIA_XML);
    TT_EQ_INT(tr_media_classify(buf, 9), TR_MEDIA_TEXT); /* "text/xmlz" */
}

static void test_names(void)
{
    TT_EQ_STR(tr_media_name(TR_MEDIA_ANY), "any");
    TT_EQ_STR(tr_media_name(TR_MEDIA_HEAD), "head");
    TT_EQ_STR(tr_media_name(TR_MEDIA_OTHER), "other");
    TT_EQ_STR(tr_media_name(TR_MEDIA_FORM), "form");
    TT_EQ_STR(tr_media_name(TR_MEDIA_JSON), "json");
    TT_EQ_STR(tr_media_name(TR_MEDIA_XML), "xml");
    TT_EQ_STR(tr_media_name(TR_MEDIA_TEXT), "text");
    TT_EQ_STR(tr_media_name(-1), "?");
    TT_EQ_STR(tr_media_name(TR_MEDIA_N), "?");
    TT_EQ_STR(tr_media_name(1000), "?");
}

int main(void)
{
    TT_RUN(test_classify);
    TT_RUN(test_classify_length);
    TT_RUN(test_names);
    TT_DONE();
}
