/* json.h - the JSON Lines sink (--json FILE) and the JSON text helpers the
 * audit report shares.
 *
 * One JSON object per line: a "start" line naming the schema, then one line
 * per event (out/event.h) in the order the session layer emits them.  The
 * schema - every type and field - is documented in docs/json.md; field names
 * are stable within a schema number.
 *
 * What is written is what the event carries, nothing else: the redacted
 * cleartext of DATA (as UTF-8 text when the chunk is valid UTF-8, else
 * base64), withheld spans as their length and reason, record and verdict
 * fields as an ordered array of {depth, key, value}.  Events carry no key
 * material by design; this sink adds none.
 *
 * Output is streamed: each event is formatted straight to the FILE, memory
 * does not grow with the run.  A named file is written under a temporary
 * name (core/atomicfile.h) and appears under its name at tr_json_finish().
 */
#ifndef TR_OUT_JSON_H
#define TR_OUT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>

#include "out/event.h"

#define TR_JSON_SCHEMA 1

struct tr_json_opts {
    /* Add "raw_b64" to RECORD lines that travelled in cleartext (handshake,
     * alerts before keys): the original record, header included.  Off by
     * default (certificates make lines long). */
    int raw_records;
};

struct tr_json;

/* Opens path ("-" = standard output) for writing through a temporary name.
 * opts may be NULL.  Returns NULL with "PATH: reason" in err. */
struct tr_json *tr_json_new(const char *path, const struct tr_json_opts *opts, char *err, size_t errlen);
/* Writes to a caller-owned FILE (tests, pipes); finish only flushes it. */
struct tr_json *tr_json_new_file(FILE *out, const struct tr_json_opts *opts);
/* The sink to hand to the session layer (and the summary). */
struct tr_sink tr_json_sink(struct tr_json *j);
/* Flushes and, for a named file, renames the temporary file to its name.
 * Returns 0, or -1 with "PATH: write error (reason)" in err; the temporary
 * file is then removed.  Call once, after the SUMMARY event. */
int tr_json_finish(struct tr_json *j, char *err, size_t errlen);
/* Frees; a named file not finished successfully is removed (temporary
 * name).  NULL is fine. */
void tr_json_free(struct tr_json *j);

/* ---- JSON text helpers (shared with out/report.c) ---- */

/* 1 if p[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), else 0. */
int tr_json_utf8_valid(const uint8_t *p, size_t n);
/* Writes s as a JSON string with its quotes: '"', '\\' and every control
 * character (U+0000..U+001F, U+007F) escaped; bytes that are not part of
 * well-formed UTF-8 are replaced by U+FFFD, so invalid UTF-8 is never
 * written raw.  NULL writes null. */
void tr_json_str(FILE *o, const char *s);
/* Same for n bytes that may contain NUL (written as \u0000). */
void tr_json_strn(FILE *o, const uint8_t *p, size_t n);
/* Writes the n bytes as a quoted standard base64 string (RFC 4648, padded). */
void tr_json_b64(FILE *o, const uint8_t *p, size_t n);
/* Writes ts as a quoted RFC 3339 UTC time with microseconds,
 * "2024-01-31T12:00:00.123456Z". */
void tr_json_time(FILE *o, struct timeval ts);
/* Writes the fields as an ordered array [{"depth":D,"key":K,"value":V},...]
 * (key/value null when absent). NULL writes []. */
void tr_json_fields(FILE *o, const struct tr_fields *fb);

#endif
