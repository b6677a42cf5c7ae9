#!/bin/bash
# tests/gen/make-fixtures.sh - regenerates every capture fixture from scratch.
#
#   bash tests/gen/make-fixtures.sh          (as root, Debian 12)
#
# Everything is made by real software talking over loopback: openssl s_server /
# s_client (always with -keylogfile), small python3 stdlib peers
# (tests/gen/loservers.py), captured with tcpdump.  Derived fixtures (reordered,
# gapped, re-encapsulated, truncated...) are rewritten from those captures by
# tests/tools/pcaptool.py with fixed seeds.
#
# The whole run happens in a private network namespace (unshare -n) with its own
# loopback interface: no other process on the machine can add traffic to a
# capture, no port can be taken by someone else, and nothing leaves the host.
#
# Outputs (tests/fixtures/): *.pcap / *.pcapng / *.gz captures, <name>.keylog
# (NSS key log written by the client), keys/ and certs/, and MANIFEST, one line
# per fixture with the facts expected of it.  tests/gen/verify.sh checks those
# facts against tshark.
#
# Certificates, keys and captures change on every run (fresh randoms); the set
# of fixtures, their names and their facts do not.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT="$ROOT/tests/fixtures"
PCAPTOOL="$ROOT/tests/tools/pcaptool.py"
LOSERVERS="$HERE/loservers.py"
FX_PROG=make-fixtures
# shellcheck source=tests/gen/lib.sh
. "$HERE/lib.sh"

fx_enter_netns "tcpdump:tcpdump openssl:openssl tshark:tshark editcap:wireshark-common python3:python3
                unshare:util-linux gnutls-cli:gnutls-bin nghttpd:nghttp2-server curl:curl ip:iproute2
                ss:iproute2" "$@"
export OPENSSL_CONF=/etc/ssl/openssl.cnf   # ignore any caller override
fx_workdir /tmp/tr-fixtures.XXXXXX
WORK=$FX_WORK

# --- fresh output tree ------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT/keys" "$OUT/certs"
MANIFEST="$WORK/MANIFEST"
: >"$MANIFEST"

# mf NAME FACTS... -- HOW : one MANIFEST line.
mf() {
    local name=$1; shift
    local facts=() how=""
    while [ $# -gt 0 ]; do
        if [ "$1" = "--" ]; then shift; how="$*"; break; fi
        facts+=("$1"); shift
    done
    printf '%s\t%s\t%s\n' "$name" "${facts[*]}" "$how" >>"$MANIFEST"
}

# --- PKI --------------------------------------------------------------------
log "certificates and keys"
K="$OUT/keys"; C="$OUT/certs"
cat >"$WORK/leaf.ext" <<'EOF'
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EOF
cat >"$WORK/ca.ext" <<'EOF'
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
EOF
q() { "$@" >/dev/null 2>&1 || { "$@"; die "failed: $*"; }; }
mkca() { # name CN
    q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/$1.key"
    q openssl req -new -x509 -key "$K/$1.key" -subj "/O=tlsredact tests/CN=$2" -days 7300 \
        -sha256 -extensions v3_ca -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$C/$1.pem"
}
mkleaf() { # name CN keyalg
    case $3 in
        rsa) q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/$1.key" ;;
        ec)  q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/$1.key" ;;
    esac
    q openssl req -new -key "$K/$1.key" -subj "/O=tlsredact tests/CN=$2" -out "$WORK/$1.csr"
    q openssl x509 -req -in "$WORK/$1.csr" -CA "$C/ca.pem" -CAkey "$K/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
        -days 7300 -sha256 -extfile "$WORK/leaf.ext" -out "$C/$1.pem"
}
mkca ca "tlsredact test CA"
mkca other-ca "tlsredact unrelated CA"
mkleaf server localhost rsa
mkleaf server-ecdsa localhost ec
mkleaf client "fixture client" rsa
# expired server certificate: openssl 3.0's x509 has no -not_before, so openssl ca.
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/expired.key"
q openssl req -new -key "$K/expired.key" -subj "/O=tlsredact tests/CN=localhost" -out "$WORK/expired.csr"
mkdir -p "$WORK/ca/newcerts"; : >"$WORK/ca/index.txt"; echo 1000 >"$WORK/ca/serial"
cat >"$WORK/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
dir = $WORK/ca
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
default_md = sha256
policy = p
unique_subject = no
[p]
organizationName = optional
commonName = supplied
[x]
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EOF
q openssl ca -batch -config "$WORK/ca.cnf" -cert "$C/ca.pem" -keyfile "$K/ca.key" -in "$WORK/expired.csr" \
    -startdate 20200101000000Z -enddate 20210101000000Z -extensions x -notext -out "$C/expired.pem"
# the server key in other containers (password "test")
q openssl pkey -in "$K/server.key" -aes-256-cbc -passout pass:test -out "$K/server-encrypted.key"
q openssl rsa -in "$K/server.key" -traditional -aes128 -passout pass:test -out "$K/server-encrypted-legacy.key"
q openssl rsa -in "$K/server.key" -traditional -out "$K/server-pkcs1.key"
q openssl pkey -in "$K/server.key" -outform DER -out "$K/server.der"
q openssl pkcs12 -export -in "$C/server.pem" -inkey "$K/server.key" -passout pass:test -name server -out "$K/server.p12"

# --- capture plumbing ---------------------------------------------------------
LIVE=""
cap_start() { # file filter [tcpdump args...]: on lo; LIVE lists the files (checked at the end)
    LIVE="$LIVE $(basename "$1")"
    fx_cap_start lo "$1" "$2" -Z root "${@:3}"
}
cap_stop() { fx_cap_stop; }
SRV_PID=""
srv_start() { # port cmd... (runs in background, waits for the listening socket)
    local port=$1; shift
    timeout 30 "$@" >"$WORK/srv.log" 2>&1 </dev/null &
    SRV_PID=$!; PIDS+=("$SRV_PID")
    wait_until 5 listening "$port" || { cat "$WORK/srv.log" >&2; die "server on $port did not start"; }
}
srv_stop() { # waits up to 5 s for the server to exit on its own, then kills it
    local n=100
    while kill -0 "$SRV_PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
    kill "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
    SRV_PID=""
}
s_server() { # port args...
    local port=$1; shift
    srv_start "$port" openssl s_server -accept "$port" -naccept 1 "$@"
}

# Application data: three lines from the client, 50 ms apart, each one TCP
# segment; s_server -rev answers each with the line reversed (same length).
L1="hello one: user=alice password=hunter2"
L2="hello two: Authorization: Bearer tok-0123456789abcdef"
L3="three: bye"
APP_BYTES=$(( ${#L1} + ${#L2} + ${#L3} + 3 ))
APP="app=rev3 c2s_bytes=$APP_BYTES s2c_bytes=$APP_BYTES"
feed_rev3() { sleep 0.3; printf '%s\n' "$L1"; sleep 0.05; printf '%s\n' "$L2"; sleep 0.05; printf '%s\n' "$L3"; sleep 0.4; }
feed_none() { sleep 1.5; }
s_client() { # feedfn args...
    local feed=$1; shift
    $feed | timeout 20 openssl s_client -nocommands "$@" >"$WORK/cli.log" 2>&1 || true
}
# one capture = one server + one client (+ optional extra client runs)
# tls_one NAME PORT FEED "server args" "client args"
SRVA=(-cert "$C/server.pem" -key "$K/server.key")
CLIA=(-servername localhost -CAfile "$C/ca.pem" -verify_return_error)
tls_one() {
    local name=$1 port=$2 feed=$3 try
    local -a sa cla
    read -r -a sa <<<"$4"; read -r -a cla <<<"$5"
    log "$name"
    for try in 1 2 3; do
        rm -f "$OUT/$name.keylog"    # s_client appends to a key log
        cap_start "$OUT/$name.pcap" "tcp port $port"
        s_server "$port" -rev "${SRVA[@]}" "${sa[@]}"
        s_client "$feed" -connect "${CONNECT:-127.0.0.1}:$port" -keylogfile "$OUT/$name.keylog" "${CLIA[@]}" "${cla[@]}"
        srv_stop
        cap_stop
        cap_ok "$OUT/$name.pcap" && return 0
        log "$name: the capture lost a segment, again ($try)"
    done
    die "$name: no clean capture in 3 tries"
}
# cap_ok FILE: no segment missing from the capture (tcpdump on a busy 2-core box has
# been seen to miss one). The check: tshark -Y 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment'
cap_ok() {
    [ -s "$1" ] || return 1
    [ -z "$(tshark -n -r "$1" -Y 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment' 2>/dev/null)" ]
}

# =========================== GROUP A ========================================
# tshark facts quoted below come from tests/gen/verify.sh (see there).

tls_one tls12_ecdhe_aesgcm 8443 feed_rev3 "-tls1_2" "-cipher ECDHE-RSA-AES128-GCM-SHA256"
mf tls12_ecdhe_aesgcm.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f sni=localhost fatal=- keylog=tls12_ecdhe_aesgcm.keylog $APP close=both \
   -- "openssl s_server -tls1_2 -rev / s_client -cipher ECDHE-RSA-AES128-GCM-SHA256; 3 client lines 50ms apart, server echoes each reversed; both send close_notify"

tls_one tls13_aes256gcm 4433 feed_rev3 "" ""
mf tls13_aes256gcm.pcap link=1 conns=1 ports=4433 tls=1.3 cipher=0x1302 sni=localhost fatal=- keylog=tls13_aes256gcm.keylog $APP close=both \
   -- "openssl s_server -rev / s_client defaults (TLS 1.3, TLS_AES_256_GCM_SHA384, X25519); server sends 2 NewSessionTickets after the handshake"

# HTTPS on 443: s_server -www answers a GET with an HTML status page.
# The request goes out in ONE write (cat of a file): bash's printf writes line by line, and
# s_server -www answers (and closes) as soon as it has read the request line.
printf 'GET /index.html?password=hunter2 HTTP/1.0\r\nHost: localhost\r\nAuthorization: Bearer tok-0123456789abcdef\r\nCookie: sid=abcdef0123456789\r\n\r\n' >"$WORK/get.txt"
feed_get() { sleep 0.3; cat "$WORK/get.txt"; sleep 1; }
GET_BYTES=$(wc -c <"$WORK/get.txt")
log https_443_tls12
cap_start "$OUT/https_443_tls12.pcap" "tcp port 443"
s_server 443 -www -tls1_2 "${SRVA[@]}"
s_client feed_get -connect 127.0.0.1:443 -keylogfile "$OUT/https_443_tls12.keylog" "${CLIA[@]}" -cipher ECDHE-RSA-AES256-GCM-SHA384
srv_stop; cap_stop
mf https_443_tls12.pcap link=1 conns=1 ports=443 tls=1.2 cipher=0xc030 sni=localhost fatal=- keylog=https_443_tls12.keylog app=http c2s_bytes=$GET_BYTES \
   -- "openssl s_server -www -tls1_2 on 443 / s_client -cipher ECDHE-RSA-AES256-GCM-SHA384 sending one HTTP/1.0 GET (query password=hunter2, Authorization: Bearer, Cookie); server answers 200 text/html status page and closes"

# A larger response: 40 KB file (s_server -WWW sends it in 16 KiB records, one loopback
# segment each).  Every 100-byte line holds password=hunter2 twice, at line offsets 10 and
# 30, so that with the 45-byte HTTP header in front two occurrences straddle the record
# (and segment) boundaries at response offsets 16384 and 32768.
mkdir -p "$WORK/www"
python3 - "$WORK/www/big.txt" <<'PY'
import sys
with open(sys.argv[1], 'w') as f:
    for i in range(400):
        f.write(('l%05d ab password=hunter2 -- password=hunter2 ' % i).ljust(99, '.') + '\n')
PY
printf 'GET /big.txt HTTP/1.0\r\nHost: localhost\r\n\r\n' >"$WORK/getbig.txt"
feed_getbig() { sleep 0.3; cat "$WORK/getbig.txt"; sleep 1.5; }
log https_large_tls13
for try in 1 2 3; do
    rm -f "$OUT/https_large_tls13.keylog"
    cap_start "$OUT/https_large_tls13.pcap" "tcp port 443"
    srv_start 443 env -C "$WORK/www" openssl s_server -accept 443 -naccept 1 -WWW "${SRVA[@]}"
    s_client feed_getbig -connect 127.0.0.1:443 -keylogfile "$OUT/https_large_tls13.keylog" "${CLIA[@]}"
    srv_stop; cap_stop
    cap_ok "$OUT/https_large_tls13.pcap" && break
    [ "$try" -lt 3 ] || die "https_large_tls13: no clean capture"
done
mf https_large_tls13.pcap link=1 conns=1 ports=443 tls=1.3 cipher=0x1302 sni=localhost fatal=- keylog=https_large_tls13.keylog app=http c2s_bytes=$(wc -c <"$WORK/getbig.txt") s2c_bytes=40045 \
   -- "openssl s_server -WWW on 443 serving a 40000-byte text file to GET /big.txt: 400 lines of 100 bytes, each 'l00000 ab password=hunter2 -- password=hunter2 ....' (800 occurrences); response = 45-byte header 'HTTP/1.0 200 ok\\r\\nContent-type: text/plain\\r\\n\\r\\n' + body = 40045 bytes in records of 16384, 16384, 7277 bytes (one TCP segment each). Occurrences at response offsets 16375..16390 and 32755..32770 straddle the record boundaries"

# HTTP/2 over TLS 1.3: nghttpd (Debian nghttp2-server) serving a JSON file, curl (with
# SSLKEYLOGFILE) making a GET with Authorization/Cookie headers, then a POST with a form
# body, on one connection (--next keeps it).
if command -v nghttpd >/dev/null && command -v curl >/dev/null; then
    mkdir -p "$WORK/h2"
    printf '{"user":"alice","api_key":"sk-test-0123456789abcdef"}\n' >"$WORK/h2/account.json"
    log https_h2_tls13
    for try in 1 2 3; do
        rm -f "$OUT/https_h2_tls13.keylog"
        cap_start "$OUT/https_h2_tls13.pcap" "tcp port 8443"
        srv_start 8443 nghttpd -d "$WORK/h2" 8443 "$K/server.key" "$C/server.pem"
        SSLKEYLOGFILE="$OUT/https_h2_tls13.keylog" timeout 20 curl -s -o /dev/null --http2 --cacert "$C/ca.pem" \
            --resolve localhost:8443:127.0.0.1 -H 'Authorization: Bearer tok-0123456789abcdef' \
            -H 'Cookie: sid=abcdef0123456789' 'https://localhost:8443/account.json?password=hunter2' \
            --next -s -o /dev/null --http2 --cacert "$C/ca.pem" --resolve localhost:8443:127.0.0.1 \
            -d 'user=alice&password=hunter2' https://localhost:8443/account.json || true
        sleep 0.2; kill "$SRV_PID" 2>/dev/null || true; srv_stop; cap_stop
        cap_ok "$OUT/https_h2_tls13.pcap" && break
        [ "$try" -lt 3 ] || die "https_h2_tls13: no clean capture"
    done
    mf https_h2_tls13.pcap link=1 conns=1 ports=8443 tls=1.3 cipher=0x1302 sni=localhost keylog=https_h2_tls13.keylog alpn=h2 app=http2 \
       -- "nghttpd / curl --http2 (ALPN h2), one connection: stream 1 GET /account.json?password=hunter2 with Authorization: Bearer tok-0123456789abcdef and Cookie: sid=abcdef0123456789 (HPACK), response 200 JSON with api_key sk-test-0123456789abcdef; stream 3 POST body user=alice&password=hunter2 (same JSON answer). curl closes without close_notify"
else
    log "nghttpd or curl missing (apt-get install nghttp2-server curl): https_h2_tls13 not made"
fi

# --- failures ---
tls_one alert_handshake_failure_nocipher 8443 feed_none "-tls1_2 -cipher AES256-GCM-SHA384" "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256"
mf alert_handshake_failure_nocipher.pcap link=1 conns=1 ports=8443 tls=- fatal=server:handshake_failure\(40\) \
   -- "server only AES256-GCM-SHA384, client only ECDHE-RSA-AES128-GCM-SHA256 (both TLS 1.2): no shared cipher; server answers the ClientHello with a cleartext fatal alert; no ServerHello"

tls_one alert_protocol_version 8443 feed_none "-min_protocol TLSv1.2 -cipher DEFAULT@SECLEVEL=0" "-tls1_1 -cipher DEFAULT@SECLEVEL=0"
mf alert_protocol_version.pcap link=1 conns=1 ports=8443 tls=- fatal=server:protocol_version\(70\) \
   -- "client -tls1_1 (ClientHello version 0x0302), server -min_protocol TLSv1.2: server sends cleartext fatal alert in a TLS 1.1 record; no ServerHello"

tls_one alert_internal_error_tls11 8443 feed_none "" "-tls1_1 -cipher DEFAULT@SECLEVEL=0"
mf alert_internal_error_tls11.pcap link=1 conns=1 ports=8443 tls=- fatal=server:internal_error\(80\) \
   -- "client -tls1_1, server with defaults (SECLEVEL 2 leaves it no usable version/cipher): OpenSSL 3.0 answers internal_error, not protocol_version (real-world quirk)"

tls_one alert_unknown_ca_tls12 8443 feed_none "-tls1_2" "-CAfile $C/other-ca.pem"
mf alert_unknown_ca_tls12.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc030 sni=localhost fatal=client:unknown_ca\(48\) \
   -- "client -verify_return_error -CAfile other-ca.pem (server cert is issued by ca.pem): client sends cleartext fatal unknown_ca after the server's first flight"

tls_one alert_unknown_ca_tls13 4433 feed_none "" "-CAfile $C/other-ca.pem"
mf alert_unknown_ca_tls13.pcap link=1 conns=1 ports=4433 tls=1.3 cipher=0x1302 sni=localhost fatal=client:unknown_ca\(48\) keylog=alert_unknown_ca_tls13.keylog \
   -- "as alert_unknown_ca_tls12 in TLS 1.3. Quirk checked with tshark: OpenSSL's client sends this alert in a CLEARTEXT record (type 21, version 0x0303), since it has not yet switched its write side to the handshake keys when it rejects the certificate"

tls_one alert_no_client_cert_tls12 8443 feed_none "-tls1_2 -Verify 1 -CAfile $C/ca.pem" ""
mf alert_no_client_cert_tls12.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc030 sni=localhost fatal=server:handshake_failure\(40\) keylog=alert_no_client_cert_tls12.keylog \
   -- "server -Verify 1 (client certificate required), client has none and sends an empty Certificate; server sends cleartext handshake_failure"

tls_one alert_no_client_cert_tls13 4433 feed_rev3 "-Verify 1 -CAfile $C/ca.pem" ""
mf alert_no_client_cert_tls13.pcap link=1 conns=1 ports=4433 tls=1.3 cipher=0x1302 sni=localhost fatal=server:certificate_required\(116\)[enc] keylog=alert_no_client_cert_tls13.keylog \
   -- "TLS 1.3, server -Verify 1, client sends an empty Certificate; server sends certificate_required encrypted under the server application traffic secret"

SRVA_SAVE=("${SRVA[@]}"); SRVA=(-cert "$C/expired.pem" -key "$K/expired.key")
tls_one alert_cert_expired 8443 feed_none "-tls1_2" ""
SRVA=("${SRVA_SAVE[@]}")
mf alert_cert_expired.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc030 sni=localhost fatal=client:certificate_expired\(45\) \
   -- "server certificate valid 2020-01-01..2021-01-01 (openssl ca -startdate/-enddate), client -verify_return_error -CAfile ca.pem sends cleartext certificate_expired"

# --- IPv6 ---
CONNECT="[::1]" tls_one tls13_ipv6 4433 feed_rev3 "" ""
mf tls13_ipv6.pcap link=1 conns=1 ports=4433 ip=6 tls=1.3 cipher=0x1302 sni=localhost fatal=- keylog=tls13_ipv6.keylog $APP close=both \
   -- "as tls13_aes256gcm over ::1"

# --- STARTTLS ---
log starttls_smtp
cap_start "$OUT/starttls_smtp.pcap" "tcp port 25"
srv_start 25 python3 "$LOSERVERS" smtp 25 "$C/server.pem" "$K/server.key"
AUTH=$(printf '\0alice\0hunter2' | base64)
feed_smtp() { sleep 0.3; printf 'EHLO client.example.test\r\n'; sleep 0.05; printf 'AUTH PLAIN %s\r\n' "$AUTH"; sleep 0.05; printf 'mail FROM:<alice@example.test>\r\n'; sleep 0.05; printf 'quit\r\n'; sleep 0.5; }
s_client feed_smtp -connect 127.0.0.1:25 -starttls smtp -name client.example.test -keylogfile "$OUT/starttls_smtp.keylog" "${CLIA[@]}"
srv_stop; cap_stop
mf starttls_smtp.pcap link=1 conns=1 ports=25 tls=1.3 cipher=0x1302 sni=localhost fatal=- keylog=starttls_smtp.keylog app=smtp \
   -- "python SMTP server (tests/gen/loservers.py) / openssl s_client -starttls smtp: cleartext banner, EHLO, 250-STARTTLS, STARTTLS, 220, then TLS 1.3; inside TLS: EHLO, AUTH PLAIN base64(\\0alice\\0hunter2), MAIL FROM, QUIT"

log starttls_imap
cap_start "$OUT/starttls_imap.pcap" "tcp port 143"
srv_start 143 python3 "$LOSERVERS" imap 143 "$C/server.pem" "$K/server.key"
feed_imap() { sleep 0.3; printf 'a1 LOGIN alice hunter2\r\n'; sleep 0.05; printf 'a2 SELECT INBOX\r\n'; sleep 0.05; printf 'a3 LOGOUT\r\n'; sleep 0.5; }
s_client feed_imap -connect 127.0.0.1:143 -starttls imap -keylogfile "$OUT/starttls_imap.keylog" "${CLIA[@]}"
srv_stop; cap_stop
mf starttls_imap.pcap link=1 conns=1 ports=143 tls=1.3 cipher=0x1302 sni=localhost fatal=- keylog=starttls_imap.keylog app=imap \
   -- "python IMAP server / openssl s_client -starttls imap: cleartext greeting, CAPABILITY, STARTTLS, then TLS 1.3; inside TLS: a1 LOGIN alice hunter2, a2 SELECT INBOX, a3 LOGOUT"

# --- plaintext HTTP ---
log http_plain_8080
cap_start "$OUT/http_plain_8080.pcap" "tcp port 8080"
srv_start 8080 python3 "$LOSERVERS" http 8080 127.0.0.1
timeout 20 python3 "$LOSERVERS" http-client 8080 127.0.0.1
srv_stop; cap_stop
mf http_plain_8080.pcap link=1 conns=1 ports=8080 tls=none fatal=- app=http \
   -- "python peers: HTTP/1.1 keep-alive; GET /account with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.Zml4dHVyZQ.c2lnbmF0dXJl; POST /login, form body user=alice&password=hunter2&remember=1 sent as headers + 2 body segments split inside the secret ('...password=hun' | 'ter2&remember=1'); response has Set-Cookie: sid=abcdef0123456789 and a session token"

# --- demo: four connections in one capture ---
log demo
cap_start "$OUT/demo.pcap" "tcp port 8443 or tcp port 8444 or tcp port 4433 or tcp port 8080"
s_server 8443 -rev -tls1_2 "${SRVA[@]}"
s_client feed_rev3 -connect 127.0.0.1:8443 -keylogfile "$WORK/demo1.keylog" "${CLIA[@]}" -cipher ECDHE-RSA-AES128-GCM-SHA256
srv_stop
s_server 8444 -rev -tls1_2 "${SRVA[@]}"
s_client feed_none -connect 127.0.0.1:8444 -keylogfile "$WORK/demo2.keylog" "${CLIA[@]}" -CAfile "$C/other-ca.pem"
srv_stop
s_server 4433 -rev "${SRVA[@]}"
s_client feed_rev3 -connect 127.0.0.1:4433 -keylogfile "$WORK/demo3.keylog" "${CLIA[@]}"
srv_stop
srv_start 8080 python3 "$LOSERVERS" http 8080 127.0.0.1
timeout 20 python3 "$LOSERVERS" http-client 8080 127.0.0.1
srv_stop
cap_stop
cat "$WORK/demo1.keylog" "$WORK/demo2.keylog" "$WORK/demo3.keylog" >"$OUT/demo.keylog"
mf demo.pcap link=1 conns=4 ports=8443,8444,4433,8080 tls=1.2,1.2,1.3,none cipher=0xc02f,0xc030,0x1302,- fatal=-,client:unknown_ca\(48\),-,- \
   keylog=demo.keylog c2s_bytes=$APP_BYTES,-,$APP_BYTES,- s2c_bytes=$APP_BYTES,-,$APP_BYTES,- \
   -- "sample for make demo, in order: TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 rev3 (8443); TLS 1.2 client rejects cert with unknown_ca (8444); TLS 1.3 rev3 (4433); plaintext HTTP GET+POST with password=hunter2 and Authorization: Bearer (8080). demo.keylog = the three client key logs"

# --- three connections at once (interleaved packets) ---
log concurrent
for try in 1 2 3; do
    cap_start "$OUT/concurrent.pcap" "tcp port 8443 or tcp port 4433 or tcp port 8080"
    s_server 8443 -rev -tls1_2 "${SRVA[@]}"; P1=$SRV_PID
    s_server 4433 -rev "${SRVA[@]}"; P2=$SRV_PID
    srv_start 8080 python3 "$LOSERVERS" http 8080 127.0.0.1; P3=$SRV_PID
    rm -f "$WORK"/conc*.keylog
    feed_rev3 | timeout 20 openssl s_client -nocommands -connect 127.0.0.1:8443 -keylogfile "$WORK/conc1.keylog" "${CLIA[@]}" -cipher ECDHE-RSA-AES128-GCM-SHA256 >/dev/null 2>&1 &
    C1=$!; PIDS+=("$C1"); sleep 0.1
    feed_rev3 | timeout 20 openssl s_client -nocommands -connect 127.0.0.1:4433 -keylogfile "$WORK/conc2.keylog" "${CLIA[@]}" >/dev/null 2>&1 &
    C2=$!; PIDS+=("$C2"); sleep 0.15
    timeout 20 python3 "$LOSERVERS" http-client 8080 127.0.0.1
    wait "$C1" "$C2" || true
    for SRV_PID in $P1 $P2 $P3; do srv_stop; done
    cap_stop
    cap_ok "$OUT/concurrent.pcap" && break
    [ "$try" -lt 3 ] || die "concurrent: no clean capture"
done
cat "$WORK/conc1.keylog" "$WORK/conc2.keylog" >"$OUT/concurrent.keylog"
mf concurrent.pcap link=1 conns=3 ports=8443,4433,8080 tls=1.2,1.3,none cipher=0xc02f,0x1302,- fatal=-,-,- keylog=concurrent.keylog \
   c2s_bytes=$APP_BYTES,$APP_BYTES,- s2c_bytes=$APP_BYTES,$APP_BYTES,- \
   -- "three connections alive at the same time, packets interleaved: TLS 1.2 rev3 (8443), TLS 1.3 rev3 (4433, starts 0.1 s later), plaintext HTTP GET+POST as in http_plain_8080 (8080, 0.25 s later); concurrent.keylog = both client key logs"

# --- link layers captured for real ---
log tls12_sll / tls12_sll2
for lt in LINUX_SLL LINUX_SLL2; do
    n=$(echo "$lt" | tr 'A-Z' 'a-z' | sed 's/linux_//')
    for try in 1 2 3; do
        rm -f "$OUT/tls12_$n.keylog"
        fx_cap_start any "$OUT/tls12_$n.pcap" "tcp port 8443" -Z root -y "$lt"
        s_server 8443 -rev -tls1_2 "${SRVA[@]}"
        s_client feed_rev3 -connect 127.0.0.1:8443 -keylogfile "$OUT/tls12_$n.keylog" "${CLIA[@]}" -cipher ECDHE-RSA-AES128-GCM-SHA256
        srv_stop; cap_stop
        cap_ok "$OUT/tls12_$n.pcap" && break
        [ "$try" -lt 3 ] || die "tls12_$n: no clean capture"
    done
done
mf tls12_sll.pcap link=113 conns=1 ports=8443 tls=1.2 cipher=0xc02f fatal=- keylog=tls12_sll.keylog $APP \
   -- "tcpdump -i any -y LINUX_SLL of a TLS 1.2 rev3 connection (Linux cooked v1, 16-byte header)"
mf tls12_sll2.pcap link=276 conns=1 ports=8443 tls=1.2 cipher=0xc02f fatal=- keylog=tls12_sll2.keylog $APP \
   -- "tcpdump -i any -y LINUX_SLL2 of a TLS 1.2 rev3 connection (Linux cooked v2, 20-byte header)"

# ---------------------- derived from tls12_ecdhe_aesgcm ----------------------
BASE="$OUT/tls12_ecdhe_aesgcm.pcap"
BK="keylog=tls12_ecdhe_aesgcm.keylog"
# derive NAME FACTS -- pcaptool-args...   (the MANIFEST gets pcaptool's own account of the change)
derive() {
    local name=$1; shift
    local facts=()
    while [ "$1" != "--" ]; do facts+=("$1"); shift; done; shift
    log "$name"
    local what
    what=$(python3 "$PCAPTOOL" "$@") || die "pcaptool $*"
    mf "$name" "${facts[@]}" -- "pcaptool $(echo "$*" | sed "s#$OUT/##g"): $what"
}
derive tls12_reorder.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP -- \
    reorder --dir c2s --data-index 4 "$BASE" "$OUT/tls12_reorder.pcap"
derive tls12_dup.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP -- \
    dup --dir s2c --data-index 3 --overlap "$BASE" "$OUT/tls12_dup.pcap"
derive tls12_gap.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK c2s_bytes=$((APP_BYTES - ${#L3} - 1)) s2c_bytes=$APP_BYTES -- \
    drop --dir c2s --data-index 5 "$BASE" "$OUT/tls12_gap.pcap"
derive tls12_midstream_appdata.pcap link=1 conns=1 ports=8443 $BK -- \
    cut --from-data c2s:4 "$BASE" "$OUT/tls12_midstream_appdata.pcap"
NOTE_MID="no SYN, no ClientHello: the key log line cannot be found by client random"
echo "$(tail -1 "$MANIFEST"). Starts after the handshake; $NOTE_MID. First kept records are line 2 (c2s record seq 2 after CCS) and its answer (s2c seq 2): AES-GCM's nonce is explicit but the AAD holds the sequence number. tshark 4.0 decrypts nothing here" >"$WORK/m" && sed -i '$d' "$MANIFEST" && cat "$WORK/m" >>"$MANIFEST"
derive tls12_midstream_handshake.pcap link=1 conns=1 ports=8443 $BK -- \
    cut --from-data s2c:1 "$BASE" "$OUT/tls12_midstream_handshake.pcap"
echo "$(tail -1 "$MANIFEST"). Starts with the server's ServerHello..ServerHelloDone flight (server random, certificate visible); $NOTE_MID. tshark 4.0 decrypts nothing here" >"$WORK/m" && sed -i '$d' "$MANIFEST" && cat "$WORK/m" >>"$MANIFEST"
derive tls12_vlan.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP -- \
    vlan --vid 100 "$BASE" "$OUT/tls12_vlan.pcap"
derive tls12_qinq.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP -- \
    vlan --qinq --outer-vid 200 --vid 100 "$BASE" "$OUT/tls12_qinq.pcap"
derive tls12_raw101.pcap link=101 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP -- \
    rawip --linktype 101 "$BASE" "$OUT/tls12_raw101.pcap"
derive tls12_raw228.pcap link=228 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP -- \
    rawip --linktype 228 "$BASE" "$OUT/tls12_raw228.pcap"
derive tls13_ipv6_raw229.pcap link=229 conns=1 ports=4433 ip=6 tls=1.3 cipher=0x1302 keylog=tls13_ipv6.keylog $APP -- \
    rawip --linktype 229 "$OUT/tls13_ipv6.pcap" "$OUT/tls13_ipv6_raw229.pcap"
derive tls12_null.pcap link=0 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP -- \
    null "$BASE" "$OUT/tls12_null.pcap"
derive tls12_loop108.pcap link=108 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP -- \
    null --loop "$BASE" "$OUT/tls12_loop108.pcap"
derive tls12_ipfrag.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP -- \
    fragment --size 64 --shuffle --seed 1 "$BASE" "$OUT/tls12_ipfrag.pcap"
derive tls13_ipv6_frag.pcap link=1 conns=1 ports=4433 ip=6 tls=1.3 cipher=0x1302 keylog=tls13_ipv6.keylog $APP -- \
    fragment --size 64 --shuffle --seed 1 "$OUT/tls13_ipv6.pcap" "$OUT/tls13_ipv6_frag.pcap"
derive tls12_linktype147.pcap link=147 -- \
    setlinktype --linktype 147 "$BASE" "$OUT/tls12_linktype147.pcap"
derive tls12_truncated_file.pcap link=1 -- \
    truncate-file --record 9 --keep 40 "$BASE" "$OUT/tls12_truncated_file.pcap"
derive tls12_snaplen96.pcap link=1 conns=1 ports=8443 -- \
    snaplen --snaplen 96 "$BASE" "$OUT/tls12_snaplen96.pcap"
derive tls12_nsec.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP -- \
    nsec "$BASE" "$OUT/tls12_nsec.pcap"
derive tls12_bigendian.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP -- \
    byteswap "$BASE" "$OUT/tls12_bigendian.pcap"
derive tls12_mss100.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP -- \
    resegment --mss 100 "$BASE" "$OUT/tls12_mss100.pcap"
derive tls12_mss100_midrecord.pcap link=1 conns=1 ports=8443 $BK -- \
    cut --from-data s2c:3 "$OUT/tls12_mss100.pcap" "$OUT/tls12_mss100_midrecord.pcap"

log "pcapng, gzip, junk"
editcap -F pcapng "$BASE" "$OUT/tls12_ecdhe_aesgcm.pcapng"
mf tls12_ecdhe_aesgcm.pcapng link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP \
   -- "editcap -F pcapng tls12_ecdhe_aesgcm.pcap"
gzip -9 -n -c "$BASE" >"$OUT/tls12_ecdhe_aesgcm.pcap.gz"
mf tls12_ecdhe_aesgcm.pcap.gz link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f $BK $APP \
   -- "gzip -9 -n of tls12_ecdhe_aesgcm.pcap (libpcap 1.10 does not read gzip itself)"
python3 "$PCAPTOOL" garbage --seed 42 --size 4096 "$OUT/garbage.bin" >/dev/null
mf garbage.bin -- "4096 pseudo-random bytes (pcaptool garbage --seed 42): not a capture"
: >"$OUT/empty.pcap"
mf empty.pcap -- "0-byte file"
python3 "$PCAPTOOL" header-only --linktype 1 "$OUT/header_only.pcap" >/dev/null
mf header_only.pcap link=1 conns=0 -- "valid 24-byte pcap file header (Ethernet, snaplen 262144) and no packet record"

# =========================== GROUP B: decryption ==============================
GROUP_B=${TR_FX_GROUP_A_ONLY:-}
if [ -z "$GROUP_B" ]; then
RK="rsakey=keys/server.key"
# OpenSSL 3.0 has no -no_ems switch: EMS goes off through the config file's Options.
cat >"$WORK/noems.cnf" <<'EOF'
openssl_conf = init
[init]
ssl_conf = ssl
[ssl]
system_default = sys
[sys]
Options = -ExtendedMasterSecret
EOF
# tls12 RSA key exchange: NAME CIPHER HEX "extra client args" ems etm
rsa_one() {
    local name=$1 cipher=$2 hex=$3 extra=$4 ems=$5 etm=$6
    tls_one "$name" 8443 feed_rev3 "-tls1_2 -cipher ALL:@SECLEVEL=0" "-tls1_2 -cipher $cipher@SECLEVEL=0 $extra"
    mf "$name.pcap" link=1 conns=1 ports=8443 tls=1.2 cipher=$hex sni=localhost fatal=- keylog=$name.keylog $RK ems=$ems etm=$etm $APP close=both \
       -- "RSA key exchange, s_server -tls1_2 -rev / s_client -cipher $cipher $extra; decryptable with keys/server.key alone (any of its containers) or with the keylog"
}
rsa_one tls12_rsa_aes128sha       AES128-SHA        0x002f ""        yes yes
OPENSSL_CONF="$WORK/noems.cnf" rsa_one tls12_rsa_aes128sha_noems AES128-SHA 0x002f "" no yes
rsa_one tls12_rsa_aes128sha_noetm AES128-SHA        0x002f "-no_etm" yes no
OPENSSL_CONF="$WORK/noems.cnf" rsa_one tls12_rsa_aes128sha_noems_noetm AES128-SHA 0x002f "-no_etm" no no
rsa_one tls12_rsa_aes128sha256    AES128-SHA256     0x003c ""        yes yes
rsa_one tls12_rsa_aes256gcm       AES256-GCM-SHA384 0x009d ""        yes no
OPENSSL_CONF="$WORK/noems.cnf" rsa_one tls12_rsa_aes256gcm_noems AES256-GCM-SHA384 0x009d "" no no
rsa_one tls12_rsa_aes128ccm       AES128-CCM        0xc09c ""        yes no
rsa_one tls12_rsa_aes128ccm8      AES128-CCM8       0xc0a0 ""        yes no
rsa_one tls12_rsa_camellia128sha  CAMELLIA128-SHA   0x0041 ""        yes yes
# DES-CBC3-SHA: not in Debian 12's OpenSSL 3.0 build at any SECLEVEL ("no cipher match").

tls_one tls12_ecdhe_chacha20 8443 feed_rev3 "-tls1_2" "-cipher ECDHE-RSA-CHACHA20-POLY1305"
mf tls12_ecdhe_chacha20.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xcca8 sni=localhost fatal=- keylog=tls12_ecdhe_chacha20.keylog $APP close=both \
   -- "s_server -tls1_2 -rev / s_client -cipher ECDHE-RSA-CHACHA20-POLY1305"
SRVA_SAVE=("${SRVA[@]}"); SRVA=(-cert "$C/server-ecdsa.pem" -key "$K/server-ecdsa.key")
tls_one tls12_ecdhe_ecdsa_aes256gcm 8443 feed_rev3 "-tls1_2" "-cipher ECDHE-ECDSA-AES256-GCM-SHA384"
SRVA=("${SRVA_SAVE[@]}")
mf tls12_ecdhe_ecdsa_aes256gcm.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02c sni=localhost fatal=- keylog=tls12_ecdhe_ecdsa_aes256gcm.keylog $APP close=both \
   -- "ECDSA P-256 server certificate (certs/server-ecdsa.pem), s_client -cipher ECDHE-ECDSA-AES256-GCM-SHA384"
tls_one tls12_ecdhe_aes128cbc_sha256 8443 feed_rev3 "-tls1_2" "-cipher ECDHE-RSA-AES128-SHA256"
mf tls12_ecdhe_aes128cbc_sha256.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc027 sni=localhost fatal=- keylog=tls12_ecdhe_aes128cbc_sha256.keylog etm=yes $APP close=both \
   -- "s_client -cipher ECDHE-RSA-AES128-SHA256 (CBC, encrypt-then-MAC negotiated)"

# TLS 1.3, every suite (CCM ones are off by default: both sides name them)
for cs in TLS_AES_128_GCM_SHA256:0x1301 TLS_AES_256_GCM_SHA384:0x1302 TLS_CHACHA20_POLY1305_SHA256:0x1303 \
          TLS_AES_128_CCM_SHA256:0x1304 TLS_AES_128_CCM_8_SHA256:0x1305; do
    suite=${cs%%:*}; hex=${cs##*:}
    n=tls13_$(echo "$suite" | sed 's/^TLS_//; s/_SHA[0-9]*$//' | tr 'A-Z' 'a-z' | tr -d _)
    tls_one "$n" 4433 feed_rev3 "-ciphersuites $suite" "-ciphersuites $suite"
    mf "$n.pcap" link=1 conns=1 ports=4433 tls=1.3 cipher=$hex sni=localhost fatal=- keylog=$n.keylog $APP close=both \
       -- "s_server -rev / s_client, both -ciphersuites $suite"
done

tls_one tls13_hrr 4433 feed_rev3 "-groups P-384" "-groups X25519:P-384"
mf tls13_hrr.pcap link=1 conns=1 ports=4433 tls=1.3 cipher=0x1302 sni=localhost fatal=- keylog=tls13_hrr.keylog hrr=yes $APP close=both \
   -- "HelloRetryRequest: client -groups X25519:P-384 sends a key share for X25519 only, server -groups P-384 answers with an HRR (ServerHello with the special random) asking for P-384; second ClientHello, then a normal handshake"

# KeyUpdate: command letters at the start of a stdin line, on both sides (so no -nocommands
# here, and no -rev: s_server's plain mode sends its stdin and obeys 'k'/'K' lines too).
S1="server line one: session=s3cr3t-server-1"
S2="server line two"
KU_S2C=$(( ${#S1} + ${#S2} + 2 ))
feed_ku() { sleep 0.3; printf '%s\n' "$L1"; sleep 0.1; printf 'k\n'; sleep 0.1; printf '%s\n' "$L2"; sleep 0.1; printf 'K\n'; sleep 0.1; printf '%s\n' "$L3"; sleep 1.5; }
feed_ku_srv() { sleep 1.3; printf '%s\n' "$S1"; sleep 0.1; printf 'k\n'; sleep 0.1; printf '%s\n' "$S2"; sleep 2; }
log tls13_keyupdate
cap_start "$OUT/tls13_keyupdate.pcap" "tcp port 4433"
feed_ku_srv | timeout 20 openssl s_server -accept 4433 -naccept 1 "${SRVA[@]}" >"$WORK/srv.log" 2>&1 &
SRV_PID=$!; PIDS+=("$SRV_PID")
wait_until 5 listening 4433 || die "keyupdate server"
feed_ku | timeout 20 openssl s_client -connect 127.0.0.1:4433 -keylogfile "$OUT/tls13_keyupdate.keylog" "${CLIA[@]}" >"$WORK/cli.log" 2>&1 || true
srv_stop; cap_stop
mf tls13_keyupdate.pcap link=1 conns=1 ports=4433 tls=1.3 cipher=0x1302 sni=localhost fatal=- keylog=tls13_keyupdate.keylog keyupdate=4 c2s_bytes=$APP_BYTES s2c_bytes=$KU_S2C \
   -- "KeyUpdates both ways: client sends line 1, 'k' (KeyUpdate update_not_requested), line 2, 'K' (KeyUpdate update_requested), line 3; the server (plain s_server, stdin-driven) answers the request with its own KeyUpdate before it sends '$S1', then 'k' (another server KeyUpdate) and '$S2'. 4 KeyUpdates: c2s 2, s2c 2. The keylog holds only *_TRAFFIC_SECRET_0: later secrets come from HKDF-Expand-Label(secret, 'traffic upd', '', hash_len)"

# Old protocol versions (OpenSSL allows them only at SECLEVEL=0)
tls_one tls10_rsa_aes128sha 8443 feed_rev3 "-tls1 -cipher AES128-SHA@SECLEVEL=0" "-tls1 -cipher AES128-SHA@SECLEVEL=0"
mf tls10_rsa_aes128sha.pcap link=1 conns=1 ports=8443 tls=1.0 cipher=0x002f sni=localhost fatal=- keylog=tls10_rsa_aes128sha.keylog $RK etm=yes $APP close=both \
   -- "TLS 1.0 (IV chained from the previous record, MD5/SHA-1 PRF), RSA key exchange, AES128-SHA with encrypt-then-MAC, both sides -tls1 @SECLEVEL=0; OpenSSL sends an empty-plaintext record (36 bytes) before every application-data record (the BEAST countermeasure)"
tls_one tls11_rsa_aes256sha 8443 feed_rev3 "-tls1_1 -cipher AES256-SHA@SECLEVEL=0" "-tls1_1 -cipher AES256-SHA@SECLEVEL=0"
mf tls11_rsa_aes256sha.pcap link=1 conns=1 ports=8443 tls=1.1 cipher=0x0035 sni=localhost fatal=- keylog=tls11_rsa_aes256sha.keylog $RK etm=yes $APP close=both \
   -- "TLS 1.1 (explicit CBC IV), RSA key exchange, AES256-SHA, both sides -tls1_1 @SECLEVEL=0"

# A second implementation: GnuTLS (Debian package gnutls-bin).  Its client writes the key
# log named by SSLKEYLOGFILE; gnutls-serv --echo sends every record back.
if command -v gnutls-cli >/dev/null; then
    gnutls_one() { # name port priority
        local name=$1 port=$2 prio=$3 try
        log "$name"
        for try in 1 2 3; do
            rm -f "$OUT/$name.keylog"
            cap_start "$OUT/$name.pcap" "tcp port $port"
            srv_start "$port" gnutls-serv --echo -p "$port" --disable-client-cert --x509certfile "$C/server.pem" \
                --x509keyfile "$K/server.key" --priority "$prio"
            feed_rev3 | SSLKEYLOGFILE="$OUT/$name.keylog" timeout 20 gnutls-cli -p "$port" --x509cafile "$C/ca.pem" \
                --priority "$prio" localhost >"$WORK/cli.log" 2>&1 || true
            kill "$SRV_PID" 2>/dev/null || true; srv_stop
            cap_stop
            cap_ok "$OUT/$name.pcap" && return 0
        done
        die "$name: no clean capture"
    }
    gnutls_one tls12_gnutls_rsa_3des 8443 "NORMAL:-CIPHER-ALL:+3DES-CBC:-KX-ALL:+RSA:-VERS-ALL:+VERS-TLS1.2:-MAC-ALL:+SHA1"
    mf tls12_gnutls_rsa_3des.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0x000a sni=localhost fatal=- keylog=tls12_gnutls_rsa_3des.keylog $RK app=echo3 c2s_bytes=$APP_BYTES s2c_bytes=$APP_BYTES \
       -- "GnuTLS 3.7 gnutls-serv --echo / gnutls-cli, TLS_RSA_WITH_3DES_EDE_CBC_SHA (Debian's OpenSSL has no 3DES); server echoes the rev3 lines unchanged"
    gnutls_one tls13_gnutls_aes128gcm 4433 "NORMAL:-CIPHER-ALL:+AES-128-GCM:-VERS-ALL:+VERS-TLS1.3"
    mf tls13_gnutls_aes128gcm.pcap link=1 conns=1 ports=4433 tls=1.3 cipher=0x1301 sni=localhost fatal=- keylog=tls13_gnutls_aes128gcm.keylog app=echo3 c2s_bytes=$APP_BYTES s2c_bytes=$APP_BYTES \
       -- "GnuTLS 3.7 TLS 1.3 TLS_AES_128_GCM_SHA256, echo of the rev3 lines"
else
    log "gnutls-cli missing (apt-get install gnutls-bin): 3DES and GnuTLS fixtures not made"
fi

# TLS 1.2 resumption: two connections in one capture
resume2() { # name "server args" "client args"
    local name=$1
    local -a sa cla; read -r -a sa <<<"$2"; read -r -a cla <<<"$3"
    log "$name"
    cap_start "$OUT/$name.pcap" "tcp port 8443"
    srv_start 8443 openssl s_server -accept 8443 -naccept 2 -rev "${SRVA[@]}" "${sa[@]}"
    s_client feed_rev3 -connect 127.0.0.1:8443 -keylogfile "$OUT/$name.keylog" "${CLIA[@]}" "${cla[@]}" -sess_out "$WORK/sess.pem"
    s_client feed_rev3 -connect 127.0.0.1:8443 -keylogfile "$OUT/$name.keylog" "${CLIA[@]}" "${cla[@]}" -sess_in "$WORK/sess.pem"
    srv_stop; cap_stop
}
resume2 tls12_resume_sessionid "-tls1_2 -no_ticket" "-tls1_2 -no_ticket -cipher ECDHE-RSA-AES128-GCM-SHA256"
mf tls12_resume_sessionid.pcap link=1 conns=2 ports=8443 tls=1.2 cipher=0xc02f sni=localhost fatal=- keylog=tls12_resume_sessionid.keylog resumed=no,yes $APP close=both \
   -- "TLS 1.2 session-ID resumption (-no_ticket both sides): connection 1 full handshake, -sess_out; connection 2 -sess_in, abbreviated handshake (ServerHello echoes the session ID, no Certificate). The keylog has one CLIENT_RANDOM per connection; without it, connection 2 needs the master secret of connection 1"
resume2 tls12_resume_ticket "-tls1_2" "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256"
mf tls12_resume_ticket.pcap link=1 conns=2 ports=8443 tls=1.2 cipher=0xc02f sni=localhost fatal=- keylog=tls12_resume_ticket.keylog resumed=no,yes $APP close=both \
   -- "TLS 1.2 ticket resumption: connection 1 full handshake, server sends NewSessionTicket; connection 2 offers it in the session_ticket extension, abbreviated handshake"
resume2 tls12_resume_sessionid_rsa "-tls1_2 -no_ticket" "-tls1_2 -no_ticket -cipher AES128-GCM-SHA256"
mf tls12_resume_sessionid_rsa.pcap link=1 conns=2 ports=8443 tls=1.2 cipher=0x009c sni=localhost fatal=- keylog=tls12_resume_sessionid_rsa.keylog $RK resumed=no,yes $APP close=both \
   -- "as tls12_resume_sessionid with RSA key exchange (AES128-GCM-SHA256): keys/server.key decrypts connection 1, and connection 2 only through the master secret remembered by session ID"

# TLS 1.2 renegotiation: 'R' line from s_client
feed_reneg() { sleep 0.3; printf '%s\n' "$L1"; sleep 0.1; printf 'R\n'; sleep 0.3; printf '%s\n' "$L2"; sleep 0.05; printf '%s\n' "$L3"; sleep 0.4; }
log tls12_renegotiation
cap_start "$OUT/tls12_renegotiation.pcap" "tcp port 8443"
s_server 8443 -rev -tls1_2 -client_renegotiation "${SRVA[@]}"
feed_reneg | timeout 20 openssl s_client -connect 127.0.0.1:8443 -keylogfile "$OUT/tls12_renegotiation.keylog" "${CLIA[@]}" -cipher ECDHE-RSA-AES128-GCM-SHA256 >"$WORK/cli.log" 2>&1 || true
srv_stop; cap_stop
mf tls12_renegotiation.pcap link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f sni=localhost fatal=- keylog=tls12_renegotiation.keylog renegotiated=yes $APP \
   -- "rev3 with an 'R' (client-initiated secure renegotiation) after line 1: a second, encrypted handshake inside the connection; keylog has two CLIENT_RANDOM lines"

# TLS 1.3 resumption + 0-RTT: server stdin stays open and silent (sv_body handles early data)
log tls13_resume_early_data
printf 'early data: password=hunter2\n' >"$WORK/early.txt"
EARLY_BYTES=$(wc -c <"$WORK/early.txt")
cap_start "$OUT/tls13_resume_early_data.pcap" "tcp port 4433"
( sleep 12 ) | timeout 15 openssl s_server -accept 4433 -naccept 2 -early_data -max_early_data 16384 "${SRVA[@]}" >"$WORK/srv.log" 2>&1 &
SRV_PID=$!; PIDS+=("$SRV_PID")
wait_until 5 listening 4433 || die "early data server"
s_client feed_rev3 -connect 127.0.0.1:4433 -keylogfile "$OUT/tls13_resume_early_data.keylog" "${CLIA[@]}" -sess_out "$WORK/sess13.pem"
s_client feed_rev3 -connect 127.0.0.1:4433 -keylogfile "$OUT/tls13_resume_early_data.keylog" "${CLIA[@]}" -sess_in "$WORK/sess13.pem" -early_data "$WORK/early.txt"
kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true
cap_stop
mf tls13_resume_early_data.pcap link=1 conns=2 ports=4433 tls=1.3 cipher=0x1302 sni=localhost fatal=- keylog=tls13_resume_early_data.keylog resumed=no,yes \
   c2s_bytes=$APP_BYTES,$((APP_BYTES + EARLY_BYTES)) s2c_bytes=0,0 \
   -- "connection 1: full TLS 1.3 handshake, rev3 lines to a silent server (s_server -early_data, stdin open), tickets allow early data; connection 2: PSK resumption (-sess_in) with 0-RTT: 'early data: password=hunter2\\n' ($EARLY_BYTES bytes) sent under CLIENT_EARLY_TRAFFIC_SECRET before the server's Finished, then the rev3 lines. Server sends no application data"

# pcapng with Decryption Secrets Blocks
log "DSB pcapng"
editcap --inject-secrets "tls,$OUT/tls12_ecdhe_aesgcm.keylog" -F pcapng "$OUT/tls12_ecdhe_aesgcm.pcap" "$OUT/tls12_ecdhe_aesgcm_dsb.pcapng"
mf tls12_ecdhe_aesgcm_dsb.pcapng link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f $APP \
   -- "editcap --inject-secrets tls,tls12_ecdhe_aesgcm.keylog -F pcapng: the key log travels inside the capture (DSB, secrets type 0x544c534b); decrypts with no key file"
editcap --inject-secrets "tls,$OUT/tls13_aes256gcm.keylog" -F pcapng "$OUT/tls13_aes256gcm.pcap" "$OUT/tls13_aes256gcm_dsb.pcapng"
mf tls13_aes256gcm_dsb.pcapng link=1 conns=1 ports=4433 tls=1.3 cipher=0x1302 $APP \
   -- "editcap --inject-secrets tls,tls13_aes256gcm.keylog -F pcapng"

# key logs with lines missing
grep -v '^SERVER_TRAFFIC_SECRET_0 ' "$OUT/tls13_aes256gcm.keylog" >"$OUT/tls13_aes256gcm_partial.keylog"
mf tls13_aes256gcm.pcap link=1 conns=1 ports=4433 tls=1.3 cipher=0x1302 keylog=tls13_aes256gcm_partial.keylog c2s_bytes=$APP_BYTES s2c_bytes=0 \
   -- "same capture with tls13_aes256gcm_partial.keylog (its SERVER_TRAFFIC_SECRET_0 line removed): handshake and client data decrypt, server application data does not"
cat "$WORK/demo1.keylog" "$WORK/demo3.keylog" >"$OUT/demo_partial.keylog"
mf demo.pcap link=1 conns=4 keylog=demo_partial.keylog c2s_bytes=$APP_BYTES,-,$APP_BYTES,- s2c_bytes=$APP_BYTES,-,$APP_BYTES,- \
   -- "demo.pcap with demo_partial.keylog: the lines of connection 2 (the failed one) are missing"
{ printf '# keylog in the style of other tools: CRLF, upper-case hex, comments, a duplicate, no final newline\r\n'
  grep -v '^#' "$OUT/tls12_ecdhe_aesgcm.keylog" | tr 'a-f' 'A-F' | sed 's/$/\r/'
  grep -v '^#' "$OUT/tls12_ecdhe_aesgcm.keylog" | head -1 | sed 's/$/\r/'
  printf 'RSA Session-ID: Master-Key:%s' "$(openssl rand -hex 48)"
} >"$OUT/tls12_ecdhe_aesgcm_crlf.keylog"
mf tls12_ecdhe_aesgcm.pcap link=1 conns=1 keylog=tls12_ecdhe_aesgcm_crlf.keylog c2s_bytes=$APP_BYTES s2c_bytes=$APP_BYTES \
   -- "same capture with tls12_ecdhe_aesgcm_crlf.keylog: CRLF line ends, upper-case hex, a comment, the CLIENT_RANDOM line twice, a trailing 'RSA Session-ID: Master-Key:' line with an empty session ID and no final newline"
fi

# every live capture must be whole (derived ones with intended gaps are not checked)
for f in $LIVE; do cap_ok "$OUT/$f" || log "WARNING: $f misses a segment (tshark tcp.analysis.lost_segment); rerun"; done

# key logs of failed handshakes that hold no secret at all are not worth shipping
for f in "$OUT"/*.keylog; do grep -qv '^#' "$f" || rm -f "$f"; done

# --- MANIFEST ---
{
    cat <<'EOF'
# tlsredact test fixtures - generated by tests/gen/make-fixtures.sh; checked by tests/gen/verify.sh.
# One line per fixture: FILE <TAB> FACTS <TAB> HOW IT WAS MADE
# FACTS are key=value; for several TCP connections a value is a comma list, one entry per
# connection in order of their first packet; '-' = does not apply.  Facts are what the
# generator set up, and verify.sh confirms each with tshark.  Keys:
#   link       pcap link type (1 Ethernet, 0 null, 101 raw IP, 108 loop, 113 SLL, 147 user0,
#              228 raw IPv4, 229 raw IPv6, 276 SLL2)
#   conns      number of TCP connections (tshark tcp.stream count)
#   ports      server TCP port of each connection; ip=6 when over ::1 (else 127.0.0.1)
#   tls        negotiated version (from ServerHello; 'none' = cleartext, '-' = no ServerHello)
#   cipher     negotiated cipher suite, IANA hex; sni = SNI sent by the client
#   fatal      fatal alerts: SENDER:name(number); [enc] = encrypted, needs the keylog to see
#   close      'both' = each side sent an (encrypted) close_notify
#   keylog     NSS key log of the client (fixtures/NAME); keys/server.key is the RSA key of
#              certs/server.pem
#   app        rev3 = client sends 3 lines as 3 writes 50 ms apart, server (s_server -rev)
#              answers each with the line reversed:
#                "hello one: user=alice password=hunter2"
#                "hello two: Authorization: Bearer tok-0123456789abcdef"
#                "three: bye"
#              echo3 = the same 3 lines, echoed unchanged (gnutls-serv --echo)
#              http / http2 / smtp / imap: see HOW
#   c2s_bytes / s2c_bytes  decrypted application-data bytes client->server / server->client
#              (as tshark's follow,tls counts them: TLS 1.3 early data included)
#   rsakey     the RSA key exchange can be decrypted with this private key alone (the keylog
#              not needed); keys/ holds the same key as PKCS#8 PEM (server.key), PKCS#1 PEM
#              (server-pkcs1.key), DER (server.der), encrypted PKCS#8 (server-encrypted.key),
#              legacy encrypted PEM (server-encrypted-legacy.key) and PKCS#12 (server.p12); the
#              password of the last three is "test"
#   ems / etm  extended_master_secret / encrypt_then_mac negotiated (in the ServerHello)
#   hrr        a HelloRetryRequest precedes the ServerHello
#   keyupdate  number of KeyUpdate messages (both directions)
#   resumed    per connection: abbreviated handshake (no Certificate message)
#   renegotiated  a second handshake inside the connection
#   alpn       protocol selected by ALPN
# A FILE may appear on more than one line when it is checked with different key logs.
# Derived fixtures (made by tests/tools/pcaptool.py from another fixture): HOW quotes the tool's
# own account of what it changed (frame numbers are 1-based, stream offsets are relative to
# the first payload byte of that direction, i.e. tshark's relative seq - 1).
EOF
    cat "$MANIFEST"
} >"$OUT/MANIFEST"
log "done: $(ls "$OUT" | wc -l) entries, $(du -sh "$OUT" | cut -f1); checking the MANIFEST with tshark"
python3 "$HERE/verify.py" >"$WORK/verify.out" 2>&1 || { grep -v '^PASS' "$WORK/verify.out" >&2; die "verify.py found facts that do not hold (a flaky capture? run again)"; }
tail -1 "$WORK/verify.out" >&2
