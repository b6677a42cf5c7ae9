/* report.h - the audit report (--report FILE): what a run read, what it
 * wrote, and what it removed and why, as one JSON document (docs/report.md).
 *
 * Contents: tool name and version; run time (UTC; SOURCE_DATE_EPOCH when set,
 * for reproducible reports); the options used (as main registers them: key
 * and key-log files by name and binding, never passwords, PSKs or key bytes);
 * SHA-256 of the input capture, of each rules file loaded and of each output
 * file of the run (never of keys); the rules (id, action, description); per
 * connection its addresses, verdict, bytes decrypted per direction, bytes
 * withheld by reason, gaps, per-rule matches and bytes (never values), why
 * records stayed encrypted; per-rule totals; totals; the end-of-run summary.
 *
 * Memory does not grow with the capture: per-connection entries go to an
 * anonymous temporary file as VERDICT events arrive; only connections still
 * open are tracked in memory.  The document is assembled at
 * tr_report_finish(), after main has closed every other output so that their
 * hashes describe the final files; it is written under a temporary name and
 * renamed (core/atomicfile.h).  The report cannot contain its own hash.
 *
 * Ownership: every string passed in is copied.
 */
#ifndef TR_OUT_REPORT_H
#define TR_OUT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "out/event.h"

#define TR_REPORT_SCHEMA 1

struct tr_ruleset;
struct tr_report;

/* path: the report file ("-" = standard output).  The temporary file is
 * created now, so an unwritable path fails before the run.  Returns NULL
 * with "PATH: reason" in err. */
struct tr_report *tr_report_new(const char *path, char *err, size_t errlen);

/* The capture read: a file path ("-" = standard input: not hashed), or
 * iface for a live capture (path NULL).  Hashed at finish. */
void tr_report_input(struct tr_report *r, const char *path, const char *iface);
/* One command-line option as used, in order: opt as typed in canonical form
 * ("-r", "-k", "--json", "filter"...), value NULL for a flag.  Only file
 * names and bindings belong here: main must not pass secret values; as a
 * safeguard the value of "--psk" is always recorded as "(hidden)".
 * Returns 0 or TR_E_NOMEM / TR_E_LIMIT (more than 256 options). */
int tr_report_option(struct tr_report *r, const char *opt, const char *value);
/* The ruleset in use (NULL: redaction off, the default).  Copies rule ids,
 * actions and descriptions and hashes each rules file now.  Returns 0 or
 * TR_E_NOMEM. */
int tr_report_rules(struct tr_report *r, const struct tr_ruleset *rs);
/* An output file of this run, hashed at finish: role is what it is
 * ("transcript", "json", "pcap", "export-streams"...), path its final name
 * ("-" = standard output: listed, not hashed).  Register the path given on
 * the command line; it must be closed (renamed) before tr_report_finish.
 * Returns 0 or TR_E_NOMEM / TR_E_LIMIT (64 outputs). */
int tr_report_output(struct tr_report *r, const char *role, const char *path);
/* A TLS port rewritten to its cleartext counterpart by the pcap writer.
 * Returns 0 or TR_E_LIMIT (64 pairs). */
int tr_report_port_map(struct tr_report *r, uint16_t tls_port, uint16_t clear_port);
/* A remark on the run for the reviewer ("input damaged: ...", "redaction
 * OFF (-R none)").  Returns 0 or TR_E_NOMEM / TR_E_LIMIT (64 notes). */
int tr_report_note(struct tr_report *r, const char *text);

/* The sink: tee it with the others, before the SUMMARY event is sent. */
struct tr_sink tr_report_sink(struct tr_report *r);

/* Hashes input and outputs, writes the document and renames it to its
 * name.  status: the run's exit status, recorded.  Returns 0, or -1 with
 * "PATH: reason" in err (the temporary file is then removed).  A file that
 * cannot be hashed is listed with "sha256": null and "error". */
int tr_report_finish(struct tr_report *r, int status, char *err, size_t errlen);
/* A few lines for standard error: connections by verdict, bytes decrypted,
 * withheld by reason, masked, rule matches, and "sha256  path" lines of the
 * hashed files (sha256sum format).  Call after tr_report_finish. */
void tr_report_print_summary(const struct tr_report *r, FILE *o);
/* Frees; an unfinished report's temporary file is removed.  NULL is fine. */
void tr_report_free(struct tr_report *r);

#endif
