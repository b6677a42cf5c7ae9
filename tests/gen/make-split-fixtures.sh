#!/bin/bash
# tests/gen/make-split-fixtures.sh - regression fixture for secrets cut by framing
# (found leaking by an acceptance capture): an HTTP/1.1 chunk boundary inside a
# password value (a chunked request and a chunked response), a gzip body that
# decodes to more than 1 MiB (tlsredact re-chunks it) with a token on every
# line, a WebSocket fragment boundary inside a password (the 2nd fragment's
# frame header is 0x80 0x20), a secret at the very end of a WebSocket message
# followed by another message, and a 100 KB permessage-deflate message full of
# Bearer tokens (tlsredact re-frames it in 16 KiB frames).  Python peers
# (tests/gen/split/), a self-signed certificate made at run time, tcpdump on
# the loopback of a private network namespace.  Writes
#   tests/fixtures/split_boundaries.pcap + .keylog
# and replaces its line in tests/fixtures/MANIFEST (other lines are kept;
# c2s_bytes/s2c_bytes measured with tshark), then checks it with verify.py.
# make-fixtures.sh rewrites tests/fixtures/ whole: run this script after it.
#
#   bash tests/gen/make-split-fixtures.sh        (as root, Debian 12, ~10 s)
#
# Needs: /usr/bin/python3 with python3-websockets (10.4 in Debian 12), openssl,
# tcpdump, tshark, iproute2, util-linux (apt-get install when missing).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FX="$ROOT/tests/fixtures"
SP="$HERE/split"
PY=/usr/bin/python3        # Debian's, where python3-websockets is installed
NAME=split_boundaries
FX_PROG=make-split-fixtures
# shellcheck source=tests/gen/lib.sh
. "$HERE/lib.sh"

if [ -z "${TR_FX_IN_NETNS:-}" ] && [ "$(id -u)" -eq 0 ] && ! "$PY" -c 'import websockets' 2>/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-websockets >/dev/null
fi
fx_enter_netns "/usr/bin/python3:python3 openssl:openssl tcpdump:tcpdump tshark:tshark ip:iproute2 ss:iproute2
                unshare:util-linux" "$@"
"$PY" -c 'import websockets' 2>/dev/null || die "$PY has no websockets module (apt-get install python3-websockets)"
fx_workdir /tmp/tr-split.XXXXXX
W=$FX_WORK
PORTS="10443 11443 13443"

# --- planted secrets (tests/e2e/split_boundaries.sh greps for each; values as in the
# acceptance capture that found the leaks)
SECRETS=(
    accept-sec-reqsplitA reqsplitB-7f3a9 accept-sec-reqsplitA-reqsplitB-7f3a9   # chunked request
    accept-sec-respsplitA respsplitB-7f3a9 accept-sec-respsplitA-respsplitB-7f3a9 # chunked response
    accept-sec-h1trailer-7f3a9 accept-sec-pysetcookie-7f3a9                     # trailer, Set-Cookie
    accept-sec-densebear-7f3a9 accept-sec-densetok-7f3a9                        # > 1 MiB gzip body
    accept-sec-wssplitA wssplitB-7f3a9 accept-sec-wssplitA-wssplitB-7f3a9       # WebSocket fragments
    accept-sec-wsnexthdr-7f3a9 accept-sec-wstoken-7f3a9 accept-sec-wsdense-7f3a9
)

# --- self-signed server certificate (CN=localhost); the clients do not verify it
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/server.key" -out "$W/server.pem" -days 3650 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null || die "openssl req failed"

"$PY" "$SP/h1server.py" 10443 "$W/server.pem" "$W/server.key" >"$W/h1-10443.log" 2>&1 & PIDS+=($!)
"$PY" "$SP/h1server.py" 11443 "$W/server.pem" "$W/server.key" >"$W/h1-11443.log" 2>&1 & PIDS+=($!)
"$PY" "$SP/ws.py" server 13443 "$W/server.pem" "$W/server.key" >"$W/ws.log" 2>&1 & PIDS+=($!)
for p in $PORTS; do wait_until 10 listening "$p" || die "no server on port $p: $(cat "$W"/*.log)"; done

# --- the capture: four connections one after the other
capture() {
    rm -f "$W/cap.pcap" "$W/keylog"
    fx_cap_start lo "$W/cap.pcap" "tcp port 10443 or tcp port 11443 or tcp port 13443"
    "$PY" "$SP/rawh1.py" 10443 "$W/keylog" reqsplit >"$W/c1.log" 2>&1 || die "rawh1 10443: $(cat "$W/c1.log")"
    "$PY" "$SP/rawh1.py" 11443 "$W/keylog" get /chunkplain /bigdense >"$W/c2.log" 2>&1 ||
        die "rawh1 11443: $(cat "$W/c2.log")"
    "$PY" "$SP/ws.py" client 13443 "$W/keylog" >"$W/c3.log" 2>&1 || die "ws client: $(cat "$W/c3.log")"
    fx_cap_stop
    cat "$W"/c[123].log >&2
    [ -z "$(tshark -n -r "$W/cap.pcap" -Y 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment' \
            2>/dev/null)" ] || { log "capture lost a segment"; return 1; }
}
for try in 1 2 3; do
    log "$NAME, try $try"
    capture && break
    [ "$try" -lt 3 ] || die "3 captures lost segments"
done

# --- checks: size, connections, every secret visible (tshark decrypts, dissects HTTP on the
# three ports and inflates the gzip body); the WebSocket fragments are shown apart by tshark,
# so the split password is checked in the server's log (it received the message whole)
ts() { tshark -n -r "$W/cap.pcap" -o "tls.keylog_file:$W/keylog" -o "http.tls.port:${PORTS// /,}" "$@" 2>/dev/null; }
size=$(wc -c <"$W/cap.pcap")
[ "$size" -lt 300000 ] || die "capture is $size bytes, not under 300 KB"
nconn=$(ts -T fields -e tcp.stream | sort -u | wc -l)
[ "$nconn" -eq 4 ] || die "$nconn TCP connections, expected 4"
ts -V >"$W/dis.txt"
for s in "${SECRETS[@]}"; do
    case $s in *wssplit*) continue ;; esac
    grep -qF -- "$s" "$W/dis.txt" || die "planted secret $s not visible in tshark's decryption"
done
grep -qF "x password=accept-sec-wssplitA-wssplitB-7f3a9____" "$W/ws.log" ||
    die "the WebSocket server did not receive the split password: $(cat "$W/ws.log")"
grep -qF "accept-sec-reqsplitA-reqsplitB-7f3a9&x=1" "$W/h1-10443.log" ||
    die "the HTTP server did not receive the split request body: $(cat "$W/h1-10443.log")"
[ "$(grep -c '"token": "accept-sec-wstoken-7f3a9"' "$W/c3.log")" -eq 4 ] || die "not 4 WebSocket answers"
log "$NAME: $size bytes, $(ts | wc -l) frames, $nconn TCP connections"
cp "$W/cap.pcap" "$FX/$NAME.pcap"
cp "$W/keylog" "$FX/$NAME.keylog"

# --- MANIFEST: this script's line replaced (other lines kept as they are)
# bytes N PORT: "c2s s2c" decrypted application data of TCP stream N, as tshark's follow,tls counts it
bytes() {
    tshark -n -r "$FX/$NAME.pcap" -o "tls.keylog_file:$FX/$NAME.keylog" -q -z "follow,tls,raw,$1" 2>/dev/null |
    awk -v port="$2" '
        /^Node 0:/ { srv = ($NF ~ ":" port "$") } /^Node 1:/ { body = 1; next }
        body && /^[0-9a-f]/ { n0 += length($1) / 2 } body && /^\t/ { n1 += length($1) / 2 }
        END { if (srv) print n1, n0; else print n0, n1 }'
}
C=(); S=(); i=0
for p in 10443 11443 13443 13443; do
    read -r c s < <(bytes "$i" "$p"); C+=("$c"); S+=("$s"); i=$((i + 1))
done
c2s=$(IFS=,; echo "${C[*]}"); s2c=$(IFS=,; echo "${S[*]}")
cs11443=$(ts -Y 'tls.handshake.type == 2 && tcp.srcport == 11443' -T fields -e tls.handshake.ciphersuite | head -1)
{
    grep -v "^$NAME\.pcap	" "$FX/MANIFEST" || true
    printf '%s\t%s\t%s\n' "$NAME.pcap" \
        "link=1 conns=4 ports=10443,11443,13443,13443 tls=1.2,1.3,1.2,1.2 cipher=0xcca8,$cs11443,0xcca8,0xcca8 sni=localhost fatal=- keylog=$NAME.keylog app=http c2s_bytes=$c2s s2c_bytes=$s2c" \
        "tests/gen/make-split-fixtures.sh: python ssl peers (tests/gen/split/, self-signed certificate), secrets cut by framing, no ALPN. (1) port 10443, TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305, rawh1.py: POST /echo, Transfer-Encoding: chunked, 2 chunks 50 ms apart cutting the password: 'user=alice&password=accept-sec-reqsplitA-' | 'reqsplitB-7f3a9&x=1'; h1server.py answers the body whole in one chunk (accept-sec-reqsplitA-reqsplitB-7f3a9). (2) port 11443, TLS 1.3, rawh1.py, keep-alive: GET /chunkplain, identity chunked response cut in the password: 'a=1&password=accept-sec-respsplitA-' | 'respsplitB-7f3a9&b=2'; GET /bigdense, Content-Encoding: gzip, 17000 lines (1.56 MB decoded, > 1 MiB: tlsredact re-chunks it) 'lNNNNNN Authorization: Bearer accept-sec-densebear-7f3a9 pw token=accept-sec-densetok-7f3a9'. Every HTTP response has Set-Cookie: pyid=accept-sec-pysetcookie-7f3a9, every chunked one the trailer X-Trailer-Token: accept-sec-h1trailer-7f3a9. (3) port 13443, TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305, python3-websockets 10.4 (ws.py), GET /split, no compression: a text message in 2 fragments 'x password=accept-sec-wssplitA-' | 'wssplitB-7f3a9' padded with '_' to 32 bytes (frame header 0x80 0x20), then 'token=accept-sec-wsnexthdr-7f3a9' (secret at the end of a message) and 'hello after'; the server answers each message {\"echo_len\": N, \"token\": \"accept-sec-wstoken-7f3a9\"}. (4) port 13443, permessage-deflate: one 109 KB text message 'BIG ' + 2800 x 'nNNNNN Bearer accept-sec-wsdense-7f3a9 ' (tlsredact re-frames the inflated message in 16 KiB frames), answered as in (3). Client frames masked; closes with WebSocket close frames"
} >"$W/MANIFEST"
cp "$W/MANIFEST" "$FX/MANIFEST"
grep "^$NAME\.pcap	" "$FX/MANIFEST"
ls -la "$FX/$NAME.pcap" "$FX/$NAME.keylog"
python3 "$HERE/verify.py" "$NAME.pcap"
