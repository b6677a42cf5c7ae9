#!/bin/bash
# tests/gen/make-nginx-fixtures.sh - real-world HTTPS fixtures: curl (with
# SSLKEYLOGFILE) against nginx, over HTTP/1.1 (TLS 1.2) and HTTP/2 (TLS 1.3),
# with secrets in request headers, cookies, the query string, form / JSON /
# chunked request bodies and in gzip-encoded responses (one spanning several
# TLS records).  Captured with tcpdump on the loopback of a private network
# namespace.  Writes
#   tests/fixtures/https_nginx_h1.pcap + .keylog   (HTTP/1.1, TLS 1.2, port 8443)
#   tests/fixtures/https_nginx_h2.pcap + .keylog   (HTTP/2,   TLS 1.3, port 443)
# and replaces their two lines in tests/fixtures/MANIFEST (other lines are kept;
# c2s_bytes/s2c_bytes are measured with tshark, as s2c varies with the random
# part of big.txt), then checks them with tests/gen/verify.py.
# make-fixtures.sh rewrites tests/fixtures/ whole: run this script after it.
#
#   bash tests/gen/make-nginx-fixtures.sh        (as root, Debian 12)
#
# Needs: nginx (nginx-light is enough: ssl + http_v2 + gzip), curl, tcpdump,
# tshark, python3, iproute2, util-linux (apt-get install when missing).  Only
# regenerating needs nginx; `make check` only reads the fixtures.
# The server certificate/key are the fixtures' own (certs/server.pem,
# keys/server.key, CN=localhost, issued by certs/ca.pem), so the key must exist
# (tests/gen/make-fixtures.sh makes it).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FX="$ROOT/tests/fixtures"
FX_PROG=make-nginx-fixtures
# shellcheck source=tests/gen/lib.sh
. "$HERE/lib.sh"

fx_enter_netns "nginx|/usr/sbin/nginx:nginx-light curl:curl tcpdump:tcpdump tshark:tshark python3:python3
                ip:iproute2 ss:iproute2 unshare:util-linux" "$@"
PATH=$PATH:/usr/sbin
[ -f "$FX/certs/server.pem" ] && [ -f "$FX/keys/server.key" ] ||
    { echo "make-nginx-fixtures: no tests/fixtures/certs/server.pem + keys/server.key" >&2; exit 1; }
fx_workdir /tmp/tr-nginx.XXXXXX
W=$FX_WORK

# --- planted secrets (each in exactly one place; tests/e2e/http_nginx.sh greps for them)
S_QUERY=hunter2-nginx-query                 # request :path / request line, ?password=
S_BEARER=tok-nginx-0123456789abcdef         # Authorization: Bearer
S_COOKIE=nginx-cookie-0123456789            # Cookie: sid=
S_XAPIKEY=xak-nginx-0123456789abcdef        # X-API-Key request header
S_SETCOOKIE=nginx-setcookie-0123456789abcdef # Set-Cookie response header (nginx add_header)
S_BODY_KEY=sk-nginx-0123456789abcdef        # gzip JSON response body, "api_key"
S_BODY_PW=hunter2-nginx-body                # gzip JSON response body, "password"
S_FORM=hunter2-nginx-form                   # form request body
S_SESSION=st-nginx-0123456789abcdef         # gzip JSON response to the form POST, "session_token"
S_JSON=hunter2-nginx-json                   # JSON request body
S_CHUNKED=hunter2-nginx-chunked             # streamed (chunked / DATA frames) JSON request body
S_BIG=hunter2-nginx-big                     # 400 times in a ~40 KB text/plain response, gzip

# --- document root and nginx configuration ----------------------------------
mkdir -p "$W/www" "$W/tmp"
printf '{"user":"alice","api_key":"%s","password":"%s","plan":"pro"}\n' "$S_BODY_KEY" "$S_BODY_PW" \
    >"$W/www/account.json"
# 400 lines of 100 bytes: 'l00001 password=hunter2-nginx-big data=<53 random base64 chars>\n'; the random
# part keeps the gzip'd body around 16-20 KB, i.e. more than one TLS record (16 KB plaintext max)
python3 - "$W/www/big.txt" "$S_BIG" <<'PY'
import base64, os, sys
with open(sys.argv[1], "w") as f:
    for i in range(1, 401):
        head = "l%05d password=%s data=" % (i, sys.argv[2])
        f.write(head + base64.b64encode(os.urandom(60)).decode()[:99 - len(head)] + "\n")
PY
[ "$(wc -c <"$W/www/big.txt")" -eq 40000 ] || die "big.txt is not 40000 bytes"
cat >"$W/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $W/error.log info;
pid $W/nginx.pid;
events { worker_connections 64; }
http {
    access_log $W/access.log;
    client_body_temp_path $W/tmp/body;
    proxy_temp_path $W/tmp/proxy;
    fastcgi_temp_path $W/tmp/fastcgi;
    uwsgi_temp_path $W/tmp/uwsgi;
    scgi_temp_path $W/tmp/scgi;
    types { application/json json; text/plain txt; text/html html; }
    default_type application/octet-stream;
    gzip on;
    gzip_types application/json text/plain text/html;
    gzip_min_length 0;
    gzip_proxied any;
    gzip_vary on;
    ssl_certificate $FX/certs/server.pem;
    ssl_certificate_key $FX/keys/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets off;
    keepalive_timeout 30s;
    server {
        listen 127.0.0.1:443 ssl http2;
        listen 127.0.0.1:8443 ssl;
        server_name localhost;
        root $W/www;
        location = /account.json {
            add_header Set-Cookie "sid=$S_SETCOOKIE; Path=/; HttpOnly; Secure" always;
        }
        # POSTs go to a backend (below) through proxy_pass, which reads the whole request
        # body first (a bare 'return' answers before the body and, over HTTP/2, resets the
        # stream, so curl would never send it)
        location ~ ^/(login|api/profile|upload)$ {
            proxy_pass http://127.0.0.1:8080;
            proxy_set_header Accept-Encoding "";
        }
    }
    server {
        listen 127.0.0.1:8080;
        gzip off;
        location = /login {
            default_type application/json;
            return 200 '{"ok":true,"user":"alice","session_token":"$S_SESSION"}\n';
        }
        location = /api/profile {
            default_type application/json;
            return 200 '{"ok":true,"user":"alice","updated":["password"]}\n';
        }
        location = /upload {
            default_type application/json;
            return 200 '{"ok":true,"user":"alice","stored":"upload.json"}\n';
        }
    }
}
EOF
nginx -t -p "$W" -c "$W/nginx.conf" -e "$W/error.log" >/dev/null 2>&1 ||
    { nginx -t -p "$W" -c "$W/nginx.conf" -e "$W/error.log"; die "nginx -t failed"; }
nginx -p "$W" -c "$W/nginx.conf" -e "$W/error.log" >"$W/nginx.out" 2>&1 </dev/null &
PIDS+=($!)
wait_until 5 listening 443 || { cat "$W/error.log" >&2; die "nginx did not start"; }
wait_until 5 listening 8443 || die "nginx did not listen on 8443"

# --- one capture: all five requests on one connection --------------------------
# capture NAME PORT curl-args...: writes $FX/NAME.pcap and $FX/NAME.keylog
capture() {
    local name=$1 port=$2; shift 2
    local common=("$@" -sS -k --resolve "localhost:$port:127.0.0.1" -o /dev/null
                  -w '%{http_version} %{response_code} connects=%{num_connects} %{url_effective}\n')
    local u="https://localhost:$port"
    rm -f "$W/cap.pcap" "$W/keylog"
    fx_cap_start lo "$W/cap.pcap" "tcp port $port"
    # the streamed upload: three writes 150 ms apart from a pipe (curl -T -): HTTP/1.1 chunked
    # with one chunk per write, HTTP/2 DATA frames; the secret sits whole in the second write
    { printf '{"user":"alice",'; sleep 0.15; printf '"password":"%s",' "$S_CHUNKED"; sleep 0.15
      printf '"note":"streamed upload"}\n'; } |
    SSLKEYLOGFILE="$W/keylog" curl "${common[@]}" --compressed \
        -H "Authorization: Bearer $S_BEARER" -H "Cookie: sid=$S_COOKIE" -H "X-API-Key: $S_XAPIKEY" \
        "$u/account.json?password=$S_QUERY&x=1" \
      --next "${common[@]}" --compressed -H 'Content-Type: application/x-www-form-urlencoded' \
        --data-binary "user=alice&password=$S_FORM" "$u/login" \
      --next "${common[@]}" --compressed -H 'Content-Type: application/json' \
        --data-binary "{\"user\":\"alice\",\"password\":\"$S_JSON\"}" "$u/api/profile" \
      --next "${common[@]}" --compressed -X POST -H 'Content-Type: application/json' -H 'Expect:' \
        -T - "$u/upload" \
      --next "${common[@]}" --compressed "$u/big.txt" >"$W/curl.out" || die "$name: curl failed"
    fx_cap_stop
    cat "$W/curl.out" >&2
    [ "$(grep -c ' 200 ' "$W/curl.out")" -eq 5 ] || die "$name: not five 200 answers"
    [ "$(grep -c 'connects=1' "$W/curl.out")" -eq 1 ] || die "$name: curl did not reuse one connection"
    [ -z "$(tshark -n -r "$W/cap.pcap" -Y 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment' \
            2>/dev/null)" ] || { log "$name: capture lost a segment"; return 1; }
    cp "$W/cap.pcap" "$FX/$name.pcap"
    cp "$W/keylog" "$FX/$name.keylog"
}

# --- checks of a capture with tshark (decrypted with the key log) ------------------
SECRETS=("$S_QUERY" "$S_BEARER" "$S_COOKIE" "$S_XAPIKEY" "$S_SETCOOKIE" "$S_BODY_KEY" "$S_BODY_PW" "$S_FORM"
         "$S_SESSION" "$S_JSON" "$S_CHUNKED" "$S_BIG")
ts() { tshark -n -r "$FX/$1.pcap" -o "tls.keylog_file:$FX/$1.keylog" "${@:2}" 2>/dev/null; }
verify() { # NAME h1|h2 PORT
    local name=$1 kind=$2 v
    [ "$(wc -c <"$FX/$name.pcap")" -lt 100000 ] || die "$name: capture is not under 100 KB"
    log "$name: $(wc -c <"$FX/$name.pcap") bytes, $(ts "$name" | wc -l) frames," \
        "$(ts "$name" -T fields -e tcp.stream | sort -u | wc -l) TCP connection(s)"
    ts "$name" -Y 'tls.handshake.type == 2' -T fields -e tls.handshake.version -e tls.handshake.ciphersuite \
        -e tls.handshake.extensions_alpn_str -e tls.handshake.extensions.supported_version >&2
    # the whole dissection as text: decrypted, gzip bodies inflated by tshark
    v=$(ts "$name" -V)
    local s
    for s in "${SECRETS[@]}"; do
        grep -qF -- "$s" <<<"$v" || die "$name: planted secret $s not visible in tshark's decryption"
    done
    local recs
    if [ "$kind" = h1 ]; then
        ts "$name" -Y http.request -T fields -e http.request.method -e http.request.uri -e http.authorization \
            -e http.cookie -e http.transfer_encoding >&2
        ts "$name" -Y http.response -T fields -e http.response.code -e http.content_type \
            -e http.content_encoding -e http.transfer_encoding -e http.set_cookie >&2
        [ "$(ts "$name" -Y http.request | wc -l)" -eq 5 ] || die "$name: not 5 HTTP requests"
        [ "$(ts "$name" -Y 'http.content_encoding == "gzip"' | wc -l)" -eq 5 ] ||
            die "$name: not 5 gzip responses"
        [ "$(ts "$name" -Y 'http.request and http.transfer_encoding == "chunked"' | wc -l)" -eq 1 ] ||
            die "$name: no chunked upload"
    else
        ts "$name" -Y http2.type==1 -T fields -e http2.streamid -e http2.header.name -e http2.header.value >&2
        [ "$(ts "$name" -Y 'http2.headers.method' -T fields -e http2.streamid | sort -u | wc -l)" -eq 5 ] ||
            die "$name: not 5 HTTP/2 requests"
        [ "$(ts "$name" -Y 'http2.header.value == "gzip" and http2.headers.status' -T fields \
              -e http2.streamid | sort -u | wc -l)" -eq 5 ] || die "$name: not 5 gzip responses"
    fi
    # the big response: how many TLS records carry it
    recs=$(ts "$name" -Y 'tls.app_data and tcp.srcport == '"$3" -T fields -e tls.record.length | tr ',' '\n' |
           awk '$1 > 2000' | wc -l)
    log "$name: $recs server application-data records over 2000 bytes (the gzip'd big.txt)"
    [ "$recs" -ge 2 ] || die "$name: the gzip'd big.txt does not span several TLS records"
}

for try in 1 2 3; do
    log "https_nginx_h1 (HTTP/1.1, TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256, port 8443), try $try"
    capture https_nginx_h1 8443 --http1.1 --tls-max 1.2 --tlsv1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256 && break
    [ "$try" -lt 3 ] || die "https_nginx_h1: 3 captures lost segments"
done
verify https_nginx_h1 h1 8443
for try in 1 2 3; do
    log "https_nginx_h2 (HTTP/2, TLS 1.3 TLS_AES_128_GCM_SHA256, port 443), try $try"
    capture https_nginx_h2 443 --http2 --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256 && break
    [ "$try" -lt 3 ] || die "https_nginx_h2: 3 captures lost segments"
done
verify https_nginx_h2 h2 443
ls -la "$FX"/https_nginx_h[12].pcap "$FX"/https_nginx_h[12].keylog

# --- MANIFEST: this script's two lines replaced (other lines kept as they are) -------
# bytes NAME PORT: "c2s s2c" decrypted application data, as tshark's follow,tls counts it
bytes() {
    ts "$1" -q -z follow,tls,raw,0 | awk -v port="$2" '
        /^Node 0:/ { srv = ($NF ~ ":" port "$") } /^Node 1:/ { body = 1; next }
        body && /^[0-9a-f]/ { n0 += length($1) / 2 } body && /^\t/ { n1 += length($1) / 2 }
        END { if (srv) print n1, n0; else print n0, n1 }'
}
REQS="(1) GET /account.json?password=$S_QUERY&x=1 with Authorization: Bearer $S_BEARER, Cookie: sid=$S_COOKIE,\
 X-API-Key: $S_XAPIKEY; answer: static JSON {\"user\":\"alice\",\"api_key\":\"$S_BODY_KEY\",\"password\":\"$S_BODY_PW\",\"plan\":\"pro\"}\
 with Set-Cookie: sid=$S_SETCOOKIE (add_header); (2) POST /login, form body user=alice&password=$S_FORM, answer\
 JSON with \"session_token\":\"$S_SESSION\"; (3) POST /api/profile, JSON body {\"user\":\"alice\",\"password\":\"$S_JSON\"};"
BIG="(5) GET /big.txt, 40000-byte text/plain, 400 lines 'lNNNNN password=$S_BIG data=<random base64>' (the secret 400\
 times), gzip'd by nginx to ~20 KB, more than one TLS record"
GZ="Every response has Content-Encoding: gzip (nginx gzip filter, gzip_min_length 0); the POSTs go through proxy_pass\
 to a second nginx server (not captured), which answers with a fixed JSON"
read -r h1c h1s < <(bytes https_nginx_h1 8443)
read -r h2c h2s < <(bytes https_nginx_h2 443)
{
    grep -v -e '^https_nginx_h1\.pcap	' -e '^https_nginx_h2\.pcap	' "$FX/MANIFEST" || true
    printf '%s\t%s\t%s\n' https_nginx_h1.pcap \
        "link=1 conns=1 ports=8443 tls=1.2 cipher=0xc02f sni=localhost fatal=- keylog=https_nginx_h1.keylog alpn=http/1.1 app=http c2s_bytes=$h1c s2c_bytes=$h1s" \
        "tests/gen/make-nginx-fixtures.sh: nginx 1.22 (certs/server.pem) / curl 7.88 --http1.1 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256 --compressed, 5 requests on one keep-alive connection (curl --next): $REQS (4) POST /upload, Transfer-Encoding: chunked (curl -T - from a pipe, Expect suppressed): 3 chunks 150 ms apart, one TLS record each, the 2nd '\"password\":\"$S_CHUNKED\",' then the 0 chunk; $BIG. $GZ; responses are chunked (gzip, no length). curl closes without close_notify"
    printf '%s\t%s\t%s\n' https_nginx_h2.pcap \
        "link=1 conns=1 ports=443 tls=1.3 cipher=0x1301 sni=localhost fatal=- keylog=https_nginx_h2.keylog alpn=h2 app=http2 c2s_bytes=$h2c s2c_bytes=$h2s" \
        "tests/gen/make-nginx-fixtures.sh: nginx 1.22 (listen 443 ssl http2, certs/server.pem) / curl 7.88 --http2 --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256 --compressed, one connection, streams 1,3,5,7,9 (curl --next), HPACK with dynamic-table references from stream 3 on: $REQS (4) POST /upload without content-length (curl -T - from a pipe): 3 DATA frames 150 ms apart, the 2nd '\"password\":\"$S_CHUNKED\",', then an empty END_STREAM DATA; $BIG, in DATA frames of at most 8192 bytes. $GZ. curl sends RST_STREAM(STREAM_CLOSED) after each finished stream and closes without close_notify"
} >"$W/MANIFEST"
cp "$W/MANIFEST" "$FX/MANIFEST"
grep -e '^https_nginx_h1\.pcap	' -e '^https_nginx_h2\.pcap	' "$FX/MANIFEST"
python3 "$HERE/verify.py" https_nginx_h1.pcap https_nginx_h2.pcap
