/* sha256file.h - SHA-256 of a whole file, for the audit report.
 *
 * The report lets a reviewer check with sha256sum(1) that the files they
 * received are the ones it describes, so the digest is of the bytes on disk
 * as they are (a gzip-compressed capture is hashed compressed).  Never used
 * on key files: the report names keys, it does not fingerprint them.
 */
#ifndef TR_CORE_SHA256FILE_H
#define TR_CORE_SHA256FILE_H

#include <stdint.h>

#define TR_SHA256_HEX_LEN 64

/* Reads path to its end and writes the lower-case hex digest (64 digits and a
 * NUL) to hex; *size (may be NULL) gets the number of bytes read.  Returns 0,
 * or TR_E_IO with errno set (file cannot be opened or read). */
int tr_sha256_file(const char *path, char hex[TR_SHA256_HEX_LEN + 1], uint64_t *size);

#endif
