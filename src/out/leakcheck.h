/* leakcheck.h - the output leak self-check (issue 6 item 5).
 *
 * Before a run's outputs are accepted, every output file is scanned for the
 * key material the run loaded - each secret of the key store (its first 16
 * bytes raw, and its first 8 bytes as lower- and upper-case hex, the way a
 * key log writes it) and the private parts of RSA keys - and for every value
 * the redaction rules replaced during the run (its first 16 bytes, or 8 for
 * values of 8-15 bytes; shorter values are too common to search), so a secret
 * that one rule caught but that also travelled elsewhere unmatched is found.
 * A hit means a secret would leave: the caller deletes the file and fails.
 * One pass per file, constant memory per file (rolling hashes over 16- and
 * 8-byte windows, verified against the pattern bytes); redacted values are
 * kept up to TR_LEAKCHECK_MAX_VALUES; all patterns are wiped on free.
 */
#ifndef TR_OUT_LEAKCHECK_H
#define TR_OUT_LEAKCHECK_H

#include <stddef.h>
#include <stdint.h>

struct tr_keystore;
struct tr_leakcheck;

/* Redacted values remembered at most (about 40 bytes each). */
#define TR_LEAKCHECK_MAX_VALUES (1u << 20)

/* Patterns from every secret of ks (NULL: none).  NULL on out of memory. */
struct tr_leakcheck *tr_leakcheck_new(const struct tr_keystore *ks);
/* Adds one secret (at least 16 bytes to be searched raw, 8 as hex). */
int tr_leakcheck_add(struct tr_leakcheck *lc, const uint8_t *secret, size_t len);
/* Adds every secret of ks. */
void tr_leakcheck_add_keys(struct tr_leakcheck *lc, const struct tr_keystore *ks);
/* Adds a value a rule redacted (>= 8 bytes, not one repeated byte); beyond
 * TR_LEAKCHECK_MAX_VALUES values are counted, not kept.  0 or TR_E_NOMEM. */
int tr_leakcheck_add_value(struct tr_leakcheck *lc, const uint8_t *v, size_t len);
uint64_t tr_leakcheck_values_dropped(const struct tr_leakcheck *lc);
size_t tr_leakcheck_patterns(const struct tr_leakcheck *lc);
/* Scans a file: 0 clean, 1 a secret was found (at *offset), -1 cannot read. */
int tr_leakcheck_file(const struct tr_leakcheck *lc, const char *path, uint64_t *offset);
/* Scans memory: 1 found, 0 clean. */
int tr_leakcheck_mem(const struct tr_leakcheck *lc, const uint8_t *p, size_t n);
void tr_leakcheck_free(struct tr_leakcheck *lc);

#endif
