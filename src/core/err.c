#include "core/err.h"

const char *tr_strerror(int code)
{
    switch (code) {
    case TR_OK: return "success";
    case TR_E_MALFORMED: return "malformed input";
    case TR_E_TRUNCATED: return "truncated input";
    case TR_E_UNSUPPORTED: return "unsupported";
    case TR_E_DECRYPT: return "decryption failed";
    case TR_E_NOKEY: return "no key";
    case TR_E_LIMIT: return "limit reached";
    case TR_E_REGEX_LIMIT: return "regex match limit reached";
    case TR_E_NOMEM: return "out of memory";
    case TR_E_IO: return "I/O error";
    case TR_E_KEY: return "unusable key";
    case TR_E_ARG: return "invalid argument";
    case TR_E_RULES: return "unusable rules";
    default: return "unknown error";
    }
}
