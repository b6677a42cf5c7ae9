/* keystore.c - secrets by key: a dense entry array indexed by an
 * open-addressing table of 32-bit slot numbers.  Entries are wiped whenever
 * they are freed or moved. */
#include "tls/keystore.h"
#include "core/ascii.h"

#include "core/err.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

/* Ceiling on symmetric entries: a key log of 16 M lines is ~3 GB of text;
 * beyond it something is wrong (reported as TR_E_LIMIT).  Candidate for
 * core/limits.h. */
#define KS_MAX_ENTRIES (16u << 20)
/* A run has a handful of RSA keys; Wireshark users rarely have more than 20. */
#define KS_MAX_RSA 1024u
/* Largest SubjectPublicKeyInfo we encode (8192-bit RSA is ~1.1 KB). */
#define KS_SPKI_MAX 2600u
/* Largest RSA modulus we decrypt with, in bytes (16384 bits). */
#define KS_RSA_MAX_BYTES 2048u

#define KS_KEY_MAX 32

struct entry {
    uint8_t label;
    uint8_t klen;
    uint8_t vlen;
    uint8_t key[KS_KEY_MAX];
    uint8_t val[TR_SECRET_MAX];
};

struct tr_keystore {
    struct entry *ents;
    size_t n, cap;          /* entries used / allocated */
    uint32_t *slots;        /* 0 = empty, else entry index + 1 */
    size_t nslots;          /* power of two */
    uint64_t seed;
    size_t count[TR_SL_COUNT];

    struct tr_rsa_key **rsa;
    size_t nrsa, caprsa;

    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

static const char *const label_names[TR_SL_COUNT] = {
    [TR_SL_CLIENT_RANDOM] = "CLIENT_RANDOM",
    [TR_SL_RSA] = "RSA",
    [TR_SL_RSA_SESSION_ID] = "RSA Session-ID",
    [TR_SL_PMS_CLIENT_RANDOM] = "PMS_CLIENT_RANDOM",
    [TR_SL_CLIENT_EARLY_TRAFFIC_SECRET] = "CLIENT_EARLY_TRAFFIC_SECRET",
    [TR_SL_CLIENT_HANDSHAKE_TRAFFIC_SECRET] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    [TR_SL_SERVER_HANDSHAKE_TRAFFIC_SECRET] = "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    [TR_SL_CLIENT_TRAFFIC_SECRET_0] = "CLIENT_TRAFFIC_SECRET_0",
    [TR_SL_SERVER_TRAFFIC_SECRET_0] = "SERVER_TRAFFIC_SECRET_0",
    [TR_SL_EARLY_EXPORTER_SECRET] = "EARLY_EXPORTER_SECRET",
    [TR_SL_EXPORTER_SECRET] = "EXPORTER_SECRET",
    [TR_SL_SESSION_TICKET] = "session ticket",
    [TR_SL_PSK] = "PSK",
};

const char *tr_secret_label_name(enum tr_secret_label l)
{
    if ((unsigned)l >= TR_SL_COUNT)
        return "?";
    return label_names[l];
}

/* ---- hashing ------------------------------------------------------------ */

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Keyed with a per-store random seed: key log lines are not chosen to
 * collide, but a capture's Decryption Secrets Block might be. */
static uint64_t hash_key(uint64_t seed, unsigned label, const uint8_t *k, size_t n)
{
    uint64_t h = mix(seed ^ ((uint64_t)label << 56) ^ n);
    size_t i = 0;
    while (i < n) {
        uint64_t w = 0;
        for (size_t j = 0; j < 8 && i < n; j++, i++)
            w |= (uint64_t)k[i] << (8 * j);
        h = mix(h ^ w ^ seed);
    }
    return h;
}

/* Reduces ticket / PSK identity to a fixed-size key. */
static int norm_key(enum tr_secret_label label, const uint8_t *key, size_t klen,
                    uint8_t out[KS_KEY_MAX], size_t *olen)
{
    if (label == TR_SL_SESSION_TICKET || label == TR_SL_PSK) {
        if (label == TR_SL_PSK && (key == NULL || klen == 0)) {
            *olen = 0; /* default PSK */
            return 0;
        }
        if (key == NULL || klen == 0)
            return TR_E_ARG;
        if (mbedtls_sha256_ret(key, klen, out, 0) != 0)
            return TR_E_ARG;
        *olen = 32;
        return 0;
    }
    if (label == TR_SL_RSA) {
        if (key == NULL || klen < 8)
            return TR_E_ARG;
        klen = 8;
    }
    if (key == NULL || klen == 0 || klen > KS_KEY_MAX)
        return TR_E_ARG;
    memcpy(out, key, klen);
    *olen = klen;
    return 0;
}

static size_t find_slot(const struct tr_keystore *ks, unsigned label,
                        const uint8_t *k, size_t klen, int *found)
{
    size_t mask = ks->nslots - 1;
    size_t i = (size_t)hash_key(ks->seed, label, k, klen) & mask;
    for (;;) {
        uint32_t s = ks->slots[i];
        if (s == 0) {
            *found = 0;
            return i;
        }
        const struct entry *e = &ks->ents[s - 1];
        if (e->label == label && e->klen == klen && memcmp(e->key, k, klen) == 0) {
            *found = 1;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static int grow_slots(struct tr_keystore *ks)
{
    size_t nn = ks->nslots ? ks->nslots * 2 : 1024;
    uint32_t *ns = calloc(nn, sizeof *ns);
    if (!ns)
        return TR_E_NOMEM;
    free(ks->slots);
    ks->slots = ns;
    ks->nslots = nn;
    for (size_t idx = 0; idx < ks->n; idx++) {
        const struct entry *e = &ks->ents[idx];
        int found;
        size_t i = find_slot(ks, e->label, e->key, e->klen, &found);
        ks->slots[i] = (uint32_t)(idx + 1);
    }
    return 0;
}

static int grow_ents(struct tr_keystore *ks)
{
    size_t nc = ks->cap ? ks->cap * 2 : 256;
    if (nc > KS_MAX_ENTRIES)
        nc = KS_MAX_ENTRIES;
    struct entry *ne = malloc(nc * sizeof *ne);
    if (!ne)
        return TR_E_NOMEM;
    if (ks->n)
        memcpy(ne, ks->ents, ks->n * sizeof *ne);
    if (ks->ents) {
        mbedtls_platform_zeroize(ks->ents, ks->cap * sizeof *ks->ents);
        free(ks->ents);
    }
    ks->ents = ne;
    ks->cap = nc;
    return 0;
}

/* ---- lifetime ----------------------------------------------------------- */

struct tr_keystore *tr_keystore_new(void)
{
    static const char pers[] = "tlsredact keystore";
    struct tr_keystore *ks = calloc(1, sizeof *ks);
    if (!ks)
        return NULL;
    mbedtls_entropy_init(&ks->entropy);
    mbedtls_ctr_drbg_init(&ks->drbg);
    uint8_t sb[8];
    if (mbedtls_ctr_drbg_seed(&ks->drbg, mbedtls_entropy_func, &ks->entropy,
                              (const unsigned char *)pers, sizeof pers - 1) != 0 ||
        mbedtls_ctr_drbg_random(&ks->drbg, sb, sizeof sb) != 0 ||
        grow_slots(ks) != 0) {
        tr_keystore_free(ks);
        return NULL;
    }
    for (size_t i = 0; i < sizeof sb; i++)
        ks->seed |= (uint64_t)sb[i] << (8 * i);
    mbedtls_platform_zeroize(sb, sizeof sb);
    return ks;
}

static void rsa_key_free(struct tr_rsa_key *k)
{
    if (!k)
        return;
    mbedtls_pk_free(&k->pk); /* mbedTLS zeroizes the RSA context */
    mbedtls_platform_zeroize(k, sizeof *k);
    free(k);
}

void tr_keystore_free(struct tr_keystore *ks)
{
    if (!ks)
        return;
    if (ks->ents) {
        mbedtls_platform_zeroize(ks->ents, ks->cap * sizeof *ks->ents);
        free(ks->ents);
    }
    free(ks->slots);
    for (size_t i = 0; i < ks->nrsa; i++)
        rsa_key_free(ks->rsa[i]);
    free(ks->rsa);
    mbedtls_ctr_drbg_free(&ks->drbg);
    mbedtls_entropy_free(&ks->entropy);
    mbedtls_platform_zeroize(ks, sizeof *ks);
    free(ks);
}

int tr_keystore_protect_process(void)
{
    int rc = 0;
    struct rlimit rl = {0, 0};
    if (setrlimit(RLIMIT_CORE, &rl) != 0)
        rc = TR_E_IO;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        rc = TR_E_IO;
    return rc;
}

/* ---- symmetric secrets -------------------------------------------------- */

int tr_keystore_add(struct tr_keystore *ks, enum tr_secret_label label,
                    const uint8_t *key, size_t klen, const uint8_t *val,
                    size_t vlen, int replace)
{
    uint8_t k[KS_KEY_MAX];
    size_t kn;
    int rc;
    if ((unsigned)label >= TR_SL_COUNT || val == NULL || vlen == 0 ||
        vlen > TR_SECRET_MAX)
        return TR_E_ARG;
    if ((rc = norm_key(label, key, klen, k, &kn)) != 0)
        return rc;
    int found;
    size_t i = find_slot(ks, label, k, kn, &found);
    if (found) {
        struct entry *e = &ks->ents[ks->slots[i] - 1];
        if (e->vlen == vlen && memcmp(e->val, val, vlen) == 0)
            return TR_KS_DUPLICATE;
        if (!replace)
            return TR_KS_CONFLICT;
        mbedtls_platform_zeroize(e->val, sizeof e->val);
        memcpy(e->val, val, vlen);
        e->vlen = (uint8_t)vlen;
        return TR_KS_REPLACED;
    }
    if (ks->n >= KS_MAX_ENTRIES)
        return TR_E_LIMIT;
    if (ks->n == ks->cap && (rc = grow_ents(ks)) != 0)
        return rc;
    /* keep the load factor <= 1/2 */
    if ((ks->n + 1) * 2 > ks->nslots) {
        if ((rc = grow_slots(ks)) != 0)
            return rc;
        i = find_slot(ks, label, k, kn, &found);
    }
    struct entry *e = &ks->ents[ks->n];
    memset(e, 0, sizeof *e);
    e->label = (uint8_t)label;
    e->klen = (uint8_t)kn;
    e->vlen = (uint8_t)vlen;
    memcpy(e->key, k, kn);
    memcpy(e->val, val, vlen);
    ks->slots[i] = (uint32_t)(++ks->n);
    ks->count[label]++;
    mbedtls_platform_zeroize(k, sizeof k);
    return TR_KS_ADDED;
}

int tr_keystore_get(const struct tr_keystore *ks, enum tr_secret_label label,
                    const uint8_t *key, size_t klen, struct tr_secret *out)
{
    uint8_t k[KS_KEY_MAX];
    size_t kn;
    out->len = 0;
    if ((unsigned)label >= TR_SL_COUNT || norm_key(label, key, klen, k, &kn) != 0)
        return TR_E_NOKEY;
    int found;
    size_t i = find_slot(ks, label, k, kn, &found);
    if (!found)
        return TR_E_NOKEY;
    const struct entry *e = &ks->ents[ks->slots[i] - 1];
    memcpy(out->b, e->val, e->vlen);
    out->len = e->vlen;
    return 0;
}

size_t tr_keystore_count(const struct tr_keystore *ks, enum tr_secret_label label)
{
    return (unsigned)label < TR_SL_COUNT ? ks->count[label] : 0;
}

int tr_keystore_master_by_random(const struct tr_keystore *ks,
                                 const uint8_t client_random[32],
                                 struct tr_secret *ms)
{
    return tr_keystore_get(ks, TR_SL_CLIENT_RANDOM, client_random, 32, ms);
}

int tr_keystore_master_by_session_id(const struct tr_keystore *ks,
                                     const uint8_t *sid, size_t sid_len,
                                     struct tr_secret *ms)
{
    return tr_keystore_get(ks, TR_SL_RSA_SESSION_ID, sid, sid_len, ms);
}

int tr_keystore_master_by_ticket(const struct tr_keystore *ks,
                                 const uint8_t *ticket, size_t ticket_len,
                                 struct tr_secret *ms)
{
    return tr_keystore_get(ks, TR_SL_SESSION_TICKET, ticket, ticket_len, ms);
}

int tr_keystore_add_master_by_session_id(struct tr_keystore *ks,
                                         const uint8_t *sid, size_t sid_len,
                                         const uint8_t *ms, size_t ms_len)
{
    return tr_keystore_add(ks, TR_SL_RSA_SESSION_ID, sid, sid_len, ms, ms_len, 1);
}

int tr_keystore_add_master_by_ticket(struct tr_keystore *ks,
                                     const uint8_t *ticket, size_t ticket_len,
                                     const uint8_t *ms, size_t ms_len)
{
    return tr_keystore_add(ks, TR_SL_SESSION_TICKET, ticket, ticket_len, ms,
                           ms_len, 1);
}

int tr_keystore_pms_by_enc_prefix(const struct tr_keystore *ks,
                                  const uint8_t *enc, size_t enc_len,
                                  struct tr_secret *pms)
{
    return tr_keystore_get(ks, TR_SL_RSA, enc, enc_len, pms);
}

int tr_keystore_pms_by_random(const struct tr_keystore *ks,
                              const uint8_t client_random[32],
                              struct tr_secret *pms)
{
    return tr_keystore_get(ks, TR_SL_PMS_CLIENT_RANDOM, client_random, 32, pms);
}

int tr_keystore_tls13_secret(const struct tr_keystore *ks,
                             const uint8_t client_random[32],
                             enum tr_secret_label label, struct tr_secret *out)
{
    if (label < TR_SL_CLIENT_EARLY_TRAFFIC_SECRET || label > TR_SL_EXPORTER_SECRET) {
        out->len = 0;
        return TR_E_NOKEY;
    }
    return tr_keystore_get(ks, label, client_random, 32, out);
}

int tr_keystore_add_psk(struct tr_keystore *ks, const uint8_t *identity,
                        size_t id_len, const uint8_t *psk, size_t psk_len)
{
    return tr_keystore_add(ks, TR_SL_PSK, identity, id_len, psk, psk_len, 1);
}

int tr_keystore_psk(const struct tr_keystore *ks, const uint8_t *identity,
                    size_t id_len, struct tr_secret *psk)
{
    if (identity && id_len &&
        tr_keystore_get(ks, TR_SL_PSK, identity, id_len, psk) == 0)
        return 0;
    return tr_keystore_get(ks, TR_SL_PSK, NULL, 0, psk);
}

int tr_keystore_add_psk_hex(struct tr_keystore *ks, const char *hex)
{
    struct tr_secret s;
    size_t n = hex ? strlen(hex) : 0;
    int rc = TR_E_ARG;
    if (n == 0 || n % 2 || n / 2 > TR_SECRET_MAX)
        return TR_E_ARG;
    for (size_t i = 0; i < n; i += 2) {
        int hi = tr_hexval((unsigned char)hex[i]), lo = tr_hexval((unsigned char)hex[i + 1]);
        if (hi < 0 || lo < 0)
            goto out;
        s.b[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    s.len = n / 2;
    rc = tr_keystore_add_psk(ks, NULL, 0, s.b, s.len);
out:
    tr_secret_wipe(&s);
    return rc;
}

/* ---- RSA keys ----------------------------------------------------------- */

/* SHA-256 of the DER SubjectPublicKeyInfo mbedTLS encodes for pk. */
static int spki_hash(mbedtls_pk_context *pk, uint8_t out[32])
{
    unsigned char buf[KS_SPKI_MAX];
    int n = mbedtls_pk_write_pubkey_der(pk, buf, sizeof buf);
    if (n <= 0)
        return TR_E_KEY;
    if (mbedtls_sha256_ret(buf + sizeof buf - (size_t)n, (size_t)n, out, 0) != 0)
        return TR_E_KEY;
    return 0;
}

int tr_keystore_add_rsa(struct tr_keystore *ks, mbedtls_pk_context *pk,
                        const struct tr_addr *addr, uint16_t port,
                        const char *name)
{
    if (!pk || mbedtls_pk_get_type(pk) != MBEDTLS_PK_RSA)
        return TR_E_KEY;
    if (mbedtls_pk_get_len(pk) > KS_RSA_MAX_BYTES)
        return TR_E_KEY;
    if (ks->nrsa >= KS_MAX_RSA)
        return TR_E_LIMIT;
    if (ks->nrsa == ks->caprsa) {
        size_t nc = ks->caprsa ? ks->caprsa * 2 : 4;
        struct tr_rsa_key **nr = realloc(ks->rsa, nc * sizeof *nr);
        if (!nr)
            return TR_E_NOMEM;
        ks->rsa = nr;
        ks->caprsa = nc;
    }
    struct tr_rsa_key *k = calloc(1, sizeof *k);
    if (!k)
        return TR_E_NOMEM;
    if (spki_hash(pk, k->spki_sha256) != 0) {
        free(k);
        return TR_E_KEY;
    }
    k->pk = *pk;          /* move */
    mbedtls_pk_init(pk);
    if (addr) {
        k->bound = 1;
        k->addr = *addr;
        k->port = port;
    }
    k->bits = mbedtls_pk_get_bitlen(&k->pk);
    if (name) {
        strncpy(k->name, name, sizeof k->name - 1);
        k->name[sizeof k->name - 1] = '\0';
    }
    ks->rsa[ks->nrsa++] = k;
    return 0;
}

size_t tr_keystore_rsa_count(const struct tr_keystore *ks) { return ks->nrsa; }

const struct tr_rsa_key *tr_keystore_rsa_at(const struct tr_keystore *ks, size_t i)
{
    return i < ks->nrsa ? ks->rsa[i] : NULL;
}

const char *tr_rsa_match_reason_str(enum tr_rsa_match_reason r)
{
    switch (r) {
    case TR_RSA_BOUND: return "key bound to this server address";
    case TR_RSA_CERT_MATCH: return "key matches the server certificate";
    case TR_RSA_NO_KEYS: return "no RSA key loaded";
    case TR_RSA_NO_CERT: return "no server certificate captured and no key bound to this address";
    case TR_RSA_CERT_BAD: return "server certificate does not parse";
    case TR_RSA_CERT_NOT_RSA: return "server certificate key is not RSA";
    case TR_RSA_NO_MATCH: return "no key matches the server certificate";
    }
    return "?";
}

static int addr_match(const struct tr_rsa_key *k, const struct tr_addr *addr,
                      uint16_t port)
{
    if (!k->bound)
        return 0;
    if (k->port != 0 && k->port != port)
        return 0;
    if (k->addr.family == 0)
        return 1;
    if (!addr || addr->family != k->addr.family)
        return 0;
    size_t n = addr->family == 4 ? 4 : 16;
    return memcmp(addr->a, k->addr.a, n) == 0;
}

const struct tr_rsa_key *tr_keystore_rsa_for_server(
    const struct tr_keystore *ks, const struct tr_addr *addr, uint16_t port,
    const uint8_t *cert_der, size_t cert_len, struct tr_rsa_match *m)
{
    const struct tr_rsa_key *bound = NULL, *found = NULL;
    mbedtls_x509_crt crt;

    memset(m, 0, sizeof *m);
    mbedtls_x509_crt_init(&crt);
    /* Prefer an exact address binding over a wildcard one. */
    for (size_t i = 0; i < ks->nrsa; i++) {
        const struct tr_rsa_key *k = ks->rsa[i];
        if (addr_match(k, addr, port) &&
            (!bound || (bound->addr.family == 0 && k->addr.family != 0) ||
             (bound->port == 0 && k->port != 0)))
            bound = k;
    }
    if (cert_der && cert_len) {
        if (mbedtls_sha256_ret(cert_der, cert_len, m->cert_sha256, 0) == 0)
            m->have_cert = 1;
        if (mbedtls_x509_crt_parse_der(&crt, cert_der, cert_len) != 0) {
            m->reason = TR_RSA_CERT_BAD;
        } else {
            if (spki_hash(&crt.pk, m->cert_spki_sha256) == 0)
                m->have_cert_spki = 1;
            if (mbedtls_pk_get_type(&crt.pk) != MBEDTLS_PK_RSA) {
                m->reason = TR_RSA_CERT_NOT_RSA;
            } else if (m->have_cert_spki) {
                for (size_t i = 0; i < ks->nrsa && !found; i++)
                    if (memcmp(ks->rsa[i]->spki_sha256, m->cert_spki_sha256, 32) == 0)
                        found = ks->rsa[i];
                m->reason = found ? TR_RSA_CERT_MATCH : TR_RSA_NO_MATCH;
            } else {
                m->reason = TR_RSA_CERT_BAD;
            }
        }
    } else {
        m->reason = TR_RSA_NO_CERT;
    }
    mbedtls_x509_crt_free(&crt);
    if (bound) {
        if (m->have_cert_spki &&
            memcmp(bound->spki_sha256, m->cert_spki_sha256, 32) != 0)
            m->bound_mismatch = 1;
        m->reason = TR_RSA_BOUND;
        return bound;
    }
    if (ks->nrsa == 0)
        m->reason = TR_RSA_NO_KEYS;
    return found;
}

const char *tr_pms_status_str(enum tr_pms_status s)
{
    switch (s) {
    case TR_PMS_OK: return "ok";
    case TR_PMS_BAD_LENGTH: return "encrypted pre-master length differs from the key size (wrong key)";
    case TR_PMS_BAD_PADDING: return "pre-master decryption failed (wrong key)";
    case TR_PMS_BAD_SIZE: return "decrypted pre-master is not 48 bytes (wrong key)";
    case TR_PMS_INTERNAL: return "RSA decryption error";
    }
    return "?";
}

int tr_keystore_rsa_decrypt_pms(struct tr_keystore *ks,
                                const struct tr_rsa_key *key,
                                const uint8_t *enc, size_t n, uint8_t pms[48],
                                uint16_t *version, enum tr_pms_status *status)
{
    unsigned char out[KS_RSA_MAX_BYTES];
    size_t olen = 0;
    enum tr_pms_status st = TR_PMS_INTERNAL;
    int rc = TR_E_DECRYPT;
    /* The store owns the key; decryption mutates its blinding values. */
    mbedtls_pk_context *pk = (mbedtls_pk_context *)&key->pk;

    memset(pms, 0, 48);
    if (version)
        *version = 0;
    if (!enc || n == 0 || n != mbedtls_pk_get_len(pk)) {
        st = TR_PMS_BAD_LENGTH;
        rc = TR_E_MALFORMED;
        goto out;
    }
    int r = mbedtls_pk_decrypt(pk, enc, n, out, &olen, sizeof out,
                               mbedtls_ctr_drbg_random, &ks->drbg);
    if (r != 0) {
        /* invalid padding, output too large, c >= N: all mean wrong key */
        st = TR_PMS_BAD_PADDING;
        goto out;
    }
    if (olen != 48) {
        st = TR_PMS_BAD_SIZE;
        goto out;
    }
    memcpy(pms, out, 48);
    if (version)
        *version = (uint16_t)(out[0] << 8 | out[1]);
    st = TR_PMS_OK;
    rc = 0;
out:
    mbedtls_platform_zeroize(out, sizeof out);
    if (status)
        *status = st;
    return rc;
}

void tr_keystore_foreach_secret(const struct tr_keystore *ks, tr_keystore_secret_cb cb, void *ctx)
{
    if (!ks)
        return;
    for (size_t i = 0; i < ks->n; i++)
        if (ks->ents[i].vlen)
            cb(ctx, ks->ents[i].val, ks->ents[i].vlen);
    for (size_t i = 0; i < ks->nrsa; i++) {
        const mbedtls_rsa_context *rsa = mbedtls_pk_rsa(ks->rsa[i]->pk);
        size_t n = mbedtls_rsa_get_len(rsa);
        if (n == 0 || n > 1024)
            continue;
        uint8_t d[1024], p[1024], q[1024];
        size_t h = n / 2;
        if (mbedtls_rsa_export_raw(rsa, NULL, 0, p, h, q, h, d, n, NULL, 0) == 0) {
            cb(ctx, d, n);
            cb(ctx, p, h);
            cb(ctx, q, h);
        }
        mbedtls_platform_zeroize(d, sizeof d);
        mbedtls_platform_zeroize(p, sizeof p);
        mbedtls_platform_zeroize(q, sizeof q);
    }
}
