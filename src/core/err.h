/* err.h - error codes shared by every module.
 *
 * Functions return 0 or a negative TR_E_* code.  Three classes:
 *   malformed input  (-1..-99):  count it, mark the connection, go on;
 *   limit reached    (-100..-199): stop inspecting, withhold, report;
 *   fatal            (-200..):   bad key file, out of memory, write error: stop.
 * User-facing text is built by the CLI from the code plus context; it never
 * contains payload bytes or secrets.
 */
#ifndef TR_CORE_ERR_H
#define TR_CORE_ERR_H

enum {
    TR_OK = 0,
    /* malformed input */
    TR_E_MALFORMED = -1,   /* structure does not parse */
    TR_E_TRUNCATED = -2,   /* fewer bytes than the structure needs */
    TR_E_UNSUPPORTED = -3, /* valid but not handled (link type, version...) */
    TR_E_DECRYPT = -4,     /* MAC/tag failure, bad padding */
    TR_E_NOKEY = -5,       /* no key material for this */
    /* limits */
    TR_E_LIMIT = -100,     /* a budget in core/limits.h was hit */
    TR_E_REGEX_LIMIT = -101,
    /* fatal */
    TR_E_NOMEM = -200,
    TR_E_IO = -201,
    TR_E_KEY = -202,       /* key file unusable */
    TR_E_ARG = -203,       /* bad option / argument */
    TR_E_RULES = -204,     /* rule file unusable */
};

#define TR_E_IS_FATAL(e) ((e) <= -200)
#define TR_E_IS_LIMIT(e) ((e) <= -100 && (e) > -200)

const char *tr_strerror(int code);

#endif
