/* media.c - see media.h. */
#include "proto/media.h"

#include <string.h>

static int lc(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Does [p, p+n) equal the lowercase string s, ignoring case? */
static int eq(const char *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    if (n != k)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lc((unsigned char)p[i]) != s[i])
            return 0;
    return 1;
}

static int ends(const char *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && eq(p + n - k, k, s);
}

int tr_media_classify(const char *v, size_t n)
{
    if (!v)
        return TR_MEDIA_ANY;
    /* the type/subtype token, without parameters and whitespace */
    size_t a = 0;
    while (a < n && (v[a] == ' ' || v[a] == '\t'))
        a++;
    size_t b = a;
    while (b < n && v[b] != ';' && v[b] != ' ' && v[b] != '\t' && v[b] != ',')
        b++;
    const char *t = v + a;
    size_t tn = b - a;
    const char *slash = memchr(t, '/', tn);
    if (!tn || !slash || slash == t)
        return TR_MEDIA_ANY;
    /* only parameters may follow: "a/b, c/d" (two types) or "a/b junk" is
     * not a media type we can vouch for */
    while (b < n && (v[b] == ' ' || v[b] == '\t'))
        b++;
    if (b < n && v[b] != ';')
        return TR_MEDIA_ANY;
    size_t mn = (size_t)(slash - t);
    const char *sub = slash + 1;
    size_t sn = tn - mn - 1;
    if (!sn)
        return TR_MEDIA_ANY;
    if (eq(t, tn, "application/x-www-form-urlencoded"))
        return TR_MEDIA_FORM;
    if (eq(sub, sn, "json") || ends(sub, sn, "+json") || eq(t, tn, "application/x-ndjson") ||
        eq(t, tn, "application/jsonl") || eq(t, tn, "application/jsonlines") ||
        eq(t, tn, "application/x-json") || eq(t, tn, "text/json"))
        return TR_MEDIA_JSON;
    if (eq(sub, sn, "xml") || ends(sub, sn, "+xml"))
        return TR_MEDIA_XML;
    if (eq(t, mn, "text"))
        return TR_MEDIA_TEXT;
    if (eq(t, mn, "image") || eq(t, mn, "audio") || eq(t, mn, "video") || eq(t, mn, "font"))
        return TR_MEDIA_OTHER;
    static const char *const binary[] = {
        "application/octet-stream", "application/zip", "application/gzip",
        "application/x-gzip", "application/pdf", "application/wasm",
        "application/x-protobuf", "application/protobuf", "application/vnd.google.protobuf",
        "application/grpc", "application/grpc+proto", "application/x-tar",
        "application/zstd", "application/x-brotli",
    };
    for (size_t i = 0; i < sizeof binary / sizeof *binary; i++)
        if (eq(t, tn, binary[i]))
            return TR_MEDIA_OTHER;
    return TR_MEDIA_ANY;
}

const char *tr_media_name(int media)
{
    static const char *const names[TR_MEDIA_N] = {
        [TR_MEDIA_ANY] = "any", [TR_MEDIA_HEAD] = "head", [TR_MEDIA_OTHER] = "other",
        [TR_MEDIA_FORM] = "form", [TR_MEDIA_JSON] = "json", [TR_MEDIA_XML] = "xml",
        [TR_MEDIA_TEXT] = "text",
    };
    return media >= 0 && media < TR_MEDIA_N ? names[media] : "?";
}
