/* anon.h - --anonymize: prefix-preserving IP address pseudonyms
 * (Crypto-PAn, Xu, Fan, Ammar, Moon, ICNP 2002) with AES-128 from mbedTLS.
 *
 * Two addresses that share a k-bit prefix map to pseudonyms that share a
 * k-bit prefix, so subnets stay recognisable; the mapping is a keyed
 * permutation, consistent across all outputs of a run (and across runs with
 * the same --token-key).  tr_anon_sink() wraps the output chain: every event
 * reaches the sinks with its addresses already replaced.
 */
#ifndef TR_OUT_ANON_H
#define TR_OUT_ANON_H

#include <stdint.h>

#include "out/event.h"

struct tr_anon;

/* key: 32 bytes (AES-128 key, then the pad seed), as Crypto-PAn defines it. */
struct tr_anon *tr_anon_new(const uint8_t key[32]);
/* Maps an IPv4 or IPv6 address. */
void tr_anon_addr(struct tr_anon *a, const struct tr_addr *in, struct tr_addr *out);
/* A sink that anonymizes events and forwards them to next. */
struct tr_sink tr_anon_sink(struct tr_anon *a, struct tr_sink next);
void tr_anon_free(struct tr_anon *a);

#endif
