#!/bin/sh
# make-certs.sh - regenerates the test certificates used by tests/unit/test_cert.c.
# Run from this directory.  Needs only openssl (no faketime): the expired
# certificate gets explicit past dates from `openssl ca -startdate/-enddate`.
# After regenerating, paste the new values printed by
#   openssl x509 -noout -text -fingerprint -sha256 -in X.pem
# into test_cert.c (serials, dates, fingerprints change on every run).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. RSA-2048 self-signed, CN=rsa.example.test, 10 years.
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa-self.key \
    -subj "/C=FR/O=tlsredact test/CN=rsa.example.test" -days 3650 -sha256 \
    -set_serial 0x1001 -addext "subjectAltName=DNS:rsa.example.test" \
    -out rsa-self.pem 2>/dev/null

# 2. EC P-256 CA, and an EC P-256 leaf signed by it with several SANs.
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -subj "/O=tlsredact test/CN=Test CA" \
    -days 7300 -sha256 -set_serial 0x2001 \
    -addext "basicConstraints=critical,CA:TRUE" -out ca.pem
openssl ecparam -name prime256v1 -genkey -noout -out ec-leaf.key
openssl req -new -key ec-leaf.key -subj "/O=tlsredact test/CN=www.example.test" \
    -out "$tmp/leaf.csr"
printf 'subjectAltName=DNS:www.example.test,DNS:example.test,DNS:api.example.test,DNS:*.cdn.example.test,IP:192.0.2.7\n' > "$tmp/leaf.ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA ca.pem -CAkey ca.key \
    -set_serial 0x3001 -days 3650 -sha256 -extfile "$tmp/leaf.ext" \
    -out ec-leaf.pem 2>/dev/null

# 3. Expired certificate (valid 2020-01-01..2021-01-01), issued by the CA
#    through `openssl ca`, which accepts explicit dates.
mkdir -p "$tmp/ca/newcerts"
: > "$tmp/ca/index.txt"
echo 4001 > "$tmp/ca/serial"
cat > "$tmp/ca.cnf" <<CNF
[ ca ]
default_ca = test
[ test ]
dir = $tmp/ca
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
certificate = $PWD/ca.pem
private_key = $PWD/ca.key
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[ anything ]
commonName = supplied
organizationName = optional
CNF
openssl req -new -newkey rsa:2048 -nodes -keyout expired.key \
    -subj "/O=tlsredact test/CN=expired.example.test" \
    -addext "subjectAltName=DNS:expired.example.test" -out "$tmp/exp.csr" 2>/dev/null
openssl ca -batch -config "$tmp/ca.cnf" -notext \
    -startdate 20200101000000Z -enddate 20210101000000Z \
    -in "$tmp/exp.csr" -out expired.pem 2>/dev/null

# 4. Ed25519 self-signed: well-formed, but mbedTLS 2.28 has no Ed25519, so
#    tr_cert_summarize must report "unsupported" and still fingerprint it.
openssl req -x509 -newkey ed25519 -nodes -keyout "$tmp/ed.key" \
    -subj "/CN=ed25519.example.test" -days 3650 -set_serial 0x5001 \
    -out ed25519.pem 2>/dev/null

# DER copies, which is what a TLS Certificate message carries.
for c in rsa-self ca ec-leaf expired ed25519; do
    openssl x509 -in $c.pem -outform DER -out $c.der
done
# Keys are not needed by the tests; keep the directory small.
rm -f ca.key ec-leaf.key rsa-self.key expired.key
