/* text.h - the human-readable transcript sink (ssldump-like, more readable).
 *
 * Per connection: a header line, one line per record / gap / note with
 * "conn rec  rel (delta)  C>S|S>C  type", indented details, and a verdict
 * line; a summary at the end.  Writes to a caller-owned FILE.
 */
#ifndef TR_OUT_TEXT_H
#define TR_OUT_TEXT_H

#include <stdio.h>

#include "out/event.h"

struct tr_text_opts {
    int verdicts_only;   /* -q: headers, verdicts and summary only */
};

struct tr_text;

struct tr_text *tr_text_new(FILE *out, const struct tr_text_opts *opts);
/* The sink to hand to the session layer. */
struct tr_sink tr_text_sink(struct tr_text *t);
void tr_text_free(struct tr_text *t);

#endif
