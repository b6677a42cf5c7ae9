/* media.h - what kind of text an HTTP body is, for body-scoped rules
 * (RFC 9110 §8.3 media types; docs/rules.md "scope body:").
 *
 * The redactor applies a rule with `scope body:json` only to bytes it was
 * told are the body of a JSON message (tr_redactor_set_media()).  The HTTP
 * parsers classify each body's Content-Type here.  Fail closed: a body whose
 * type is missing or not recognised is TR_MEDIA_ANY, where every rule
 * applies, so a scoped rule never misses content it might have covered.
 */
#ifndef TR_PROTO_MEDIA_H
#define TR_PROTO_MEDIA_H

#include <stddef.h>

#include "redact/redact.h"

/* Classifies a Content-Type field value (parameters and case ignored):
 *   application/x-www-form-urlencoded             TR_MEDIA_FORM
 *   application/json, * / *+json, application/x-ndjson,
 *   application/jsonl(ines)                       TR_MEDIA_JSON
 *   application/xml, text/xml, * / *+xml          TR_MEDIA_XML
 *   other text/ *                                 TR_MEDIA_TEXT
 *   image/, audio/, video/, font/, application/octet-stream, zip, gzip,
 *   pdf, wasm, protobuf, grpc (binary framing)    TR_MEDIA_OTHER
 *   missing, empty, multipart/ *, anything else   TR_MEDIA_ANY
 * v may be NULL (n 0). */
int tr_media_classify(const char *v, size_t n);
/* "form", "json", "xml", "text", "other", "any", "head" - for transcripts. */
const char *tr_media_name(int media);

#endif
