/* media.c - see media.h. */
#include "proto/media.h"
#include "core/ascii.h"

#include <string.h>

static int ends(const char *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && tr_ieq(p + n - k, k, s);
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
    if (tr_ieq(t, tn, "application/x-www-form-urlencoded"))
        return TR_MEDIA_FORM;
    if (tr_ieq(sub, sn, "json") || ends(sub, sn, "+json") || tr_ieq(t, tn, "application/x-ndjson") ||
        tr_ieq(t, tn, "application/jsonl") || tr_ieq(t, tn, "application/jsonlines") ||
        tr_ieq(t, tn, "application/x-json") || tr_ieq(t, tn, "text/json"))
        return TR_MEDIA_JSON;
    if (tr_ieq(sub, sn, "xml") || ends(sub, sn, "+xml"))
        return TR_MEDIA_XML;
    if (tr_ieq(t, mn, "text"))
        return TR_MEDIA_TEXT;
    if (tr_ieq(t, mn, "image") || tr_ieq(t, mn, "audio") || tr_ieq(t, mn, "video") || tr_ieq(t, mn, "font"))
        return TR_MEDIA_OTHER;
    static const char *const binary[] = {
        "application/octet-stream", "application/zip", "application/gzip",
        "application/x-gzip", "application/pdf", "application/wasm",
        "application/x-protobuf", "application/protobuf", "application/vnd.google.protobuf",
        "application/grpc", "application/grpc+proto", "application/x-tar",
        "application/zstd", "application/x-brotli",
    };
    for (size_t i = 0; i < sizeof binary / sizeof *binary; i++)
        if (tr_ieq(t, tn, binary[i]))
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
