/* export.h - --export-streams DIR: the redacted cleartext of each connection,
 * one file per direction:
 *   DIR/<N>-<client-ip>.<client-port>-<server-ip>.<server-port>.c2s / .s2c
 * (N = connection number of the transcript; c2s = from the side that sent the
 * ClientHello).  Files are opened on the first cleartext byte and closed with
 * the connection, so open files are bounded by live connections.
 */
#ifndef TR_OUT_EXPORT_H
#define TR_OUT_EXPORT_H

#include "out/event.h"

struct tr_export;

/* dir must exist and be writable.  Returns NULL with a reason in err. */
struct tr_export *tr_export_new(const char *dir, char *err, size_t errlen);
struct tr_sink tr_export_sink(struct tr_export *x);
/* 0, or -1 when a write failed (reason in err: file and errno text). */
int tr_export_status(const struct tr_export *x, char *err, size_t errlen);
void tr_export_free(struct tr_export *x);

#endif
