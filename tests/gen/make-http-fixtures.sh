#!/bin/bash
# tests/gen/make-http-fixtures.sh - HTTPS fixtures whose secrets sit inside
# compressed bodies (gzip, br, zstd, and a body with a coding nobody knows),
# made by curl (with SSLKEYLOGFILE) against a small python TLS server, captured
# with tcpdump inside a private network namespace.  Writes
#   tests/fixtures/https_compressed.pcap + .keylog
# Needs: python3, curl, tcpdump, openssl, gzip, brotli, zstd (apt-get install).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${TR_FX_IN_NETNS:-}" ]; then
    for t in curl tcpdump brotli zstd; do
        command -v $t >/dev/null || apt-get install -y -qq $t >/dev/null
    done
    exec unshare --net env TR_FX_IN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
FX=tests/fixtures
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT
# bodies: JSON with planted secrets, compressed by the standard tools
printf '{"user":"alice","password":"hunter2-gz","api_key":"sk-test-gz0123456789abcdef"}\n' | gzip -9n >"$W/gz"
printf '{"user":"alice","password":"hunter2-br","token":"tok-br-0123456789abcdef"}\n' | brotli -c >"$W/br"
printf '{"user":"alice","password":"hunter2-zstd","client_secret":"cs-zstd-0123456789"}\n' | zstd -q -c >"$W/zst"
printf 'password=hunter2-unknown\n' | gzip -9n >"$W/unk"
cat >"$W/srv.py" <<'PY'
import http.server, ssl, sys
W = sys.argv[1]
BODIES = {"/gz": ("gzip", "gz"), "/br": ("br", "br"), "/zstd": ("zstd", "zst"), "/unknown": ("x-secret-coding", "unk")}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        enc, f = BODIES[self.path]
        body = open(W + "/" + f, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", enc)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(W + "/c.pem", W + "/k.pem")
srv = http.server.HTTPServer(("127.0.0.1", 8443), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/k.pem" -out "$W/c.pem" -days 3650 -subj /CN=localhost \
    >/dev/null 2>&1
tcpdump -i lo -U -w "$FX/https_compressed.pcap" 'tcp port 8443' >/dev/null 2>&1 &
sleep 1
python3 "$W/srv.py" "$W" &
sleep 1
rm -f "$FX/https_compressed.keylog"
SSLKEYLOGFILE="$FX/https_compressed.keylog" curl -sk --http1.1 --max-time 10 \
    https://localhost:8443/gz https://localhost:8443/br https://localhost:8443/zstd \
    https://localhost:8443/unknown -o /dev/null -o /dev/null -o /dev/null -o /dev/null
sleep 1
kill %1 %2 2>/dev/null || true
wait 2>/dev/null || true
ls -la "$FX/https_compressed.pcap" "$FX/https_compressed.keylog"
