#!/usr/bin/env python3
"""gen_recdec_vectors.py - builds TLS records the way a TLS stack does, with
tools independent of mbedTLS, and prints them as C initialisers for
tests/unit/test_recdec.c and tests/unit/test_keysched.c (pasted by hand).

  ciphers:  `openssl enc` (CBC with -nopad and explicit -K/-iv, RC4), the
            python `cryptography` package (OpenSSL) for GCM, CCM, ChaCha20-Poly1305
  MACs:     python hmac / hashlib (TLS HMAC, SSLv3 MAC)
  KDFs:     python hashlib for the SSLv3 master secret / key block and the
            TLS 1.0 export key expansion (P_MD5 xor P_SHA1 written out here)

Keys and IVs are fixed bytes so reruns print identical output.
Usage: python3 tests/unit/gen_recdec_vectors.py > /tmp/vectors.txt
"""
import hashlib
import hmac
import struct
import subprocess

from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305


def fill(n, start):
    return bytes((start + 7 * i) & 0xFF for i in range(n))


def openssl_enc(cipher, key, iv, data):
    args = ["openssl", "enc", "-" + cipher, "-e", "-K", key.hex(), "-nosalt"]
    if cipher in ("des-cbc", "rc4"):
        args += ["-provider", "legacy", "-provider", "default"]
    if iv is not None:
        args += ["-iv", iv.hex(), "-nopad"]
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout


HASH = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256,
        "sha384": hashlib.sha384}


def tls_mac(h, key, seq, typ, ver, data):
    hdr = struct.pack(">QBHH", seq, typ, ver, len(data))
    return hmac.new(key, hdr + data, HASH[h]).digest()


def ssl3_mac(h, key, seq, typ, data):
    npad = 48 if h == "md5" else 40
    inner = HASH[h](key + b"\x36" * npad + struct.pack(">QBH", seq, typ, len(data)) + data).digest()
    return HASH[h](key + b"\x5c" * npad + inner).digest()


def cbc_pad(data, bs, padlen=None):
    if padlen is None:
        padlen = bs - 1 - (len(data) % bs)
    return data + bytes([padlen]) * (padlen + 1)


def c_hex(b):
    return '"' + b.hex() + '"'


records = []  # (group, suite, version, etm, mac_key, key, iv, seq, type, rver, body, plain)


def emit(group, suite, ver, etm, mac_key, key, iv, seq, typ, body, plain):
    records.append((group, suite, ver, etm, mac_key, key, iv, seq, typ, ver, body, plain))


def cbc_group(group, suite, ver, cipher, bs, h, keylen, plains, etm=False, ssl3=False):
    maclen = HASH[h]().digest_size
    mac_key = fill(maclen, 0x11 + group)
    key = fill(keylen, 0x40 + group)
    iv0 = fill(bs, 0x90 + group)
    chain = iv0
    for i, plain in enumerate(plains):
        seq = i
        typ = 23 if i else 22
        if ssl3:
            mac = ssl3_mac(h, mac_key, seq, typ, plain)
        else:
            mac = tls_mac(h, mac_key, seq, typ, ver, plain)
        explicit = ver >= 0x0302
        if etm:
            ivr = fill(bs, 0xA0 + i) if explicit else chain
            ct = openssl_enc(cipher, key, ivr, cbc_pad(plain, bs))
            body = ivr + ct if explicit else ct
            chain = ct[-bs:]
            body += tls_mac(h, mac_key, seq, typ, ver, body)
        else:
            padded = cbc_pad(plain + mac, bs, None if i % 2 == 0 or ssl3 else bs + (bs - 1 - (len(plain) + maclen) % bs))
            if explicit:
                ivr = fill(bs, 0xA0 + i)
                body = ivr + openssl_enc(cipher, key, ivr, padded)
            else:
                body = openssl_enc(cipher, key, chain, padded)
                chain = body[-bs:]
        emit(group, suite, ver, int(etm), mac_key, key, iv0 if ver <= 0x0301 else b"", seq, typ, body, plain)


def stream_group(group, suite, ver, h, plains, rc4=True):
    maclen = HASH[h]().digest_size
    mac_key = fill(maclen, 0x21 + group)
    key = fill(16, 0x50 + group) if rc4 else b""
    stream_in = b""
    lens = []
    for i, plain in enumerate(plains):
        mac = tls_mac(h, mac_key, i, 23, ver, plain)
        stream_in += plain + mac
        lens.append(len(plain) + maclen)
    ct = openssl_enc("rc4", key, None, stream_in) if rc4 else stream_in
    off = 0
    for i, plain in enumerate(plains):
        emit(group, suite, ver, 0, mac_key, key, b"", i, 23, ct[off:off + lens[i]], plain)
        off += lens[i]


def aead_group(group, suite, kind, keylen, plains, tag=16):
    key = fill(keylen, 0x60 + group)
    for i, plain in enumerate(plains):
        seq = 5 + i
        aad = struct.pack(">QBHH", seq, 23, 0x0303, len(plain))
        if kind == "chacha":
            iv = fill(12, 0x70 + group)
            nonce = bytes(a ^ b for a, b in zip(iv, b"\0\0\0\0" + struct.pack(">Q", seq)))
            body = ChaCha20Poly1305(key).encrypt(nonce, plain, aad)
        else:
            iv = fill(4, 0x70 + group)
            explicit = fill(8, 0x78 + i)
            nonce = iv + explicit
            if kind == "gcm":
                body = explicit + AESGCM(key).encrypt(nonce, plain, aad)
            else:
                body = explicit + AESCCM(key, tag_length=tag).encrypt(nonce, plain, aad)
        emit(group, suite, 0x0303, 0, b"", key, iv, seq, 23, body, plain)


P0 = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
P1 = bytes(range(200))
P2 = b""

cbc_group(1, 0x002F, 0x0303, "aes-128-cbc", 16, "sha1", 16, [P0, P1, P2])
cbc_group(2, 0x003D, 0x0303, "aes-256-cbc", 16, "sha256", 32, [P0, P1])
cbc_group(3, 0xC028, 0x0303, "aes-256-cbc", 16, "sha384", 32, [P0, P1], etm=True)
cbc_group(4, 0x000A, 0x0301, "des-ede3-cbc", 8, "sha1", 24, [P0, P1, P2])
cbc_group(5, 0x0009, 0x0302, "des-cbc", 8, "sha1", 8, [P0, P1])
cbc_group(6, 0x00BA, 0x0303, "camellia-128-cbc", 16, "sha256", 16, [P0, P1])
cbc_group(7, 0x002F, 0x0300, "aes-128-cbc", 16, "sha1", 16, [P0, P1], ssl3=True)
cbc_group(8, 0x0035, 0x0301, "aes-256-cbc", 16, "sha1", 32, [P0, P1], etm=True)
stream_group(9, 0x0004, 0x0301, "md5", [P0, P1, P2])
stream_group(10, 0x003B, 0x0303, "sha256", [P0, P1], rc4=False)
aead_group(11, 0xC02F, "gcm", 16, [P0, P1])
aead_group(12, 0xC030, "gcm", 32, [P0, P1])
aead_group(13, 0xC09C, "ccm", 16, [P0, P1])
aead_group(14, 0xC0A0, "ccm8", 16, [P0, P1], tag=8)
aead_group(15, 0xCCA8, "chacha", 32, [P0, P1])
cbc_group(16, 0x0041, 0x0302, "camellia-128-cbc", 16, "sha1", 16, [P0, P1])

print("/* generated by tests/unit/gen_recdec_vectors.py */")
print("static const struct vec vecs[] = {")
for (g, suite, ver, etm, mk, k, iv, seq, typ, rver, body, plain) in records:
    print("    {%d, 0x%04X, 0x%04X, %d, %s, %s, %s, %d, %d,\n     %s,\n     %s}," % (
        g, suite, ver, etm, c_hex(mk), c_hex(k), c_hex(iv), seq, typ, c_hex(body), c_hex(plain)))
print("};")


# ---- key schedule vectors (test_keysched.c) ----
def ssl3_prf(secret, seed, n):
    out = b""
    i = 0
    while len(out) < n:
        salt = bytes([0x41 + i]) * (i + 1)
        out += hashlib.md5(secret + hashlib.sha1(salt + secret + seed).digest()).digest()
        i += 1
    return out[:n]


def p_hash(h, secret, seed, n):
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, h).digest()
        out += hmac.new(secret, a + seed, h).digest()
    return out[:n]


def tls1_prf(secret, label, seed, n):
    half = (len(secret) + 1) // 2
    s1, s2 = secret[:half], secret[len(secret) - half:]
    a = p_hash(hashlib.md5, s1, label + seed, n)
    b = p_hash(hashlib.sha1, s2, label + seed, n)
    return bytes(x ^ y for x, y in zip(a, b))


cr = fill(32, 0x01)
sr = fill(32, 0x81)
pms = b"\x03\x00" + fill(46, 0x33)
ms3 = ssl3_prf(pms, cr + sr, 48)
kb3 = ssl3_prf(ms3, sr + cr, 2 * (20 + 16 + 16))
print("/* SSLv3, TLS_RSA_WITH_AES_128_CBC_SHA: cr, sr, pms -> ms, key block */")
print("ssl3 cr", cr.hex())
print("ssl3 sr", sr.hex())
print("ssl3 pms", pms.hex())
print("ssl3 ms", ms3.hex())
print("ssl3 kb", kb3.hex())

# SSLv3 export RC4_40 (TLS_RSA_EXPORT_WITH_RC4_40_MD5): key block MAC 16+16, keys 5+5
kbe = ssl3_prf(ms3, sr + cr, 2 * (16 + 5))
ck, sk = kbe[32:37], kbe[37:42]
print("ssl3exp ck", hashlib.md5(ck + cr + sr).digest().hex())
print("ssl3exp sk", hashlib.md5(sk + sr + cr).digest().hex())

# TLS 1.0 export DES40 (TLS_RSA_EXPORT_WITH_DES40_CBC_SHA): MAC 20+20, keys 5+5
pms1 = b"\x03\x01" + fill(46, 0x35)
ms1 = tls1_prf(pms1, b"master secret", cr + sr, 48)
kb1 = tls1_prf(ms1, b"key expansion", sr + cr, 2 * (20 + 5))
ck, sk = kb1[40:45], kb1[45:50]
ivb = tls1_prf(b"", b"IV block", cr + sr, 16)
print("tls10 pms", pms1.hex())
print("tls10 ms", ms1.hex())
print("tls10exp cmac", kb1[:20].hex())
print("tls10exp ck", tls1_prf(ck, b"client write key", cr + sr, 8).hex())
print("tls10exp sk", tls1_prf(sk, b"server write key", cr + sr, 8).hex())
print("tls10exp civ", ivb[:8].hex(), "siv", ivb[8:].hex())
# EMS over a fake handshake with TLS 1.0 (MD5||SHA1) and TLS 1.2 SHA-384
hs = b"\x01\x00\x00\x04abcd\x02\x00\x00\x02xy"
sh10 = hashlib.md5(hs).digest() + hashlib.sha1(hs).digest()
print("ems10 hash", sh10.hex())
print("ems10 ms", tls1_prf(pms1, b"extended master secret", sh10, 48).hex())
sh384 = hashlib.sha384(hs).digest()
print("ems12 hash", sh384.hex())
print("ems12 ms", p_hash(hashlib.sha384, pms1, b"extended master secret" + sh384, 48).hex())
