#!/bin/sh
# make-keys.sh - regenerates the test keys used by tests/unit/test_rsakey.c and
# test_keystore.c.  Needs OpenSSL 3.  Run from anywhere; writes beside itself.
# Passwords are "test".  These keys protect nothing: test fixtures only.
set -eu
cd "$(dirname "$0")"
umask 077
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-pkcs8.pem 2>/dev/null
openssl pkey -in rsa-pkcs8.pem -traditional -out rsa-pkcs1.pem
openssl pkey -in rsa-pkcs8.pem -outform DER -out rsa-pkcs8.der
openssl rsa -in rsa-pkcs8.pem -traditional -outform DER -out rsa-pkcs1.der 2>/dev/null
# encrypted PKCS#8: PBES2 + PBKDF2(hmacWithSHA256) + AES-256-CBC (OpenSSL 3 default)
openssl pkcs8 -topk8 -in rsa-pkcs8.pem -v2 aes-256-cbc -passout pass:test -out rsa-pkcs8-enc.pem
openssl pkcs8 -topk8 -in rsa-pkcs8.pem -v2 aes-256-cbc -passout pass:test -outform DER -out rsa-pkcs8-enc.der
# legacy encrypted PEM (Proc-Type / DEK-Info)
openssl rsa -in rsa-pkcs8.pem -traditional -aes128 -passout pass:test -out rsa-legacy-enc.pem 2>/dev/null
# matching self-signed certificate (DER)
openssl req -new -x509 -key rsa-pkcs8.pem -subj /CN=tlsredact-test -days 36500 -outform DER -out rsa-cert.der
openssl x509 -inform DER -in rsa-cert.der -out rsa-cert.pem
# PKCS#12: OpenSSL 3 default (PBES2/AES-256-CBC, SHA-256 MAC) and -legacy (3DES, RC2 certs)
openssl pkcs12 -export -inkey rsa-pkcs8.pem -in rsa-cert.pem -passout pass:test -out rsa.p12
openssl pkcs12 -export -legacy -inkey rsa-pkcs8.pem -in rsa-cert.pem -passout pass:test -out rsa-legacy.p12
# a PKCS#12 with the key only (no certificate), 3DES via PBE-SHA1-3DES
openssl pkcs12 -export -nocerts -inkey rsa-pkcs8.pem -keypbe PBE-SHA1-3DES -passout pass:test -out rsa-nocert.p12 2>/dev/null
# unencrypted keyBag and certificates
openssl pkcs12 -export -keypbe NONE -certpbe NONE -inkey rsa-pkcs8.pem -in rsa-cert.pem -passout pass:test -out rsa-plainbag.p12
# a second, unrelated RSA key (wrong-key tests), and an EC key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa-other.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem
rm -f rsa-cert.pem
