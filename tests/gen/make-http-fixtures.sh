#!/bin/bash
# tests/gen/make-http-fixtures.sh - HTTPS fixtures whose secrets sit inside
# compressed bodies (gzip, br, zstd, and a body with a coding nobody knows),
# made by curl (with SSLKEYLOGFILE) against a small python TLS server, captured
# with tcpdump inside a private network namespace.  Writes
#   tests/fixtures/https_compressed.pcap + .keylog
#   tests/fixtures/https_websocket.pcap + .keylog (masked and permessage-deflate frames)
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

# --- WebSocket over TLS: masked client frames, one permessage-deflate message
cat >"$W/ws.py" <<'PY'
import base64, hashlib, os, socket, ssl, struct, sys, threading, zlib
W, KEYLOG = sys.argv[1], sys.argv[2]
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
def frame(op, payload, mask, rsv1=False):
    b0 = 0x80 | op | (0x40 if rsv1 else 0)
    n = len(payload)
    hdr = bytes([b0]) + (bytes([(0x80 if mask else 0) | n]) if n < 126 else bytes([(0x80 if mask else 0) | 126]) + struct.pack(">H", n))
    if mask:
        k = os.urandom(4)
        return hdr + k + bytes(c ^ k[i % 4] for i, c in enumerate(payload))
    return hdr + payload
def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b
def read_frame(s):
    h = recvn(s, 2)
    n = h[1] & 0x7f
    if n == 126:
        n = struct.unpack(">H", recvn(s, 2))[0]
    k = recvn(s, 4) if h[1] & 0x80 else b"\0\0\0\0"
    p = recvn(s, n) if n else b""
    return h[0], bytes(c ^ k[i % 4] for i, c in enumerate(p))
def server(ls):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(W + "/c.pem", W + "/k.pem")
    c, _ = ls.accept()
    s = ctx.wrap_socket(c, server_side=True)
    req = b""
    while b"\r\n\r\n" not in req:
        req += s.recv(4096)
    key = [l.split(b":", 1)[1].strip() for l in req.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key")][0]
    acc = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest()).decode()
    s.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Extensions: permessage-deflate; "
               "server_no_context_takeover; client_no_context_takeover\r\n\r\n" % acc).encode())
    for _ in range(2):
        b0, p = read_frame(s)
        if b0 & 0x40:
            p = zlib.decompressobj(-15).decompress(p + b"\0\0\xff\xff")
        s.sendall(frame(1, b"echo: " + p, False))
    read_frame(s)
    s.sendall(frame(8, b"\x03\xe8", False))
    s.close()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 9443))
ls.listen(1)
t = threading.Thread(target=server, args=(ls,))
t.start()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.keylog_filename = KEYLOG
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", 9443)))
s.sendall(b"GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
resp = b""
while b"\r\n\r\n" not in resp:
    resp += s.recv(4096)
c = zlib.compressobj(9, zlib.DEFLATED, -15)
z = c.compress(b'{"user":"alice","password":"hunter2-wsdeflate"}') + c.flush(zlib.Z_SYNC_FLUSH)
s.sendall(frame(1, z[:-4], True, rsv1=True))
print(read_frame(s)[1], file=sys.stderr)
s.sendall(frame(1, b'{"token":"tok-ws-masked-0123456789"}', True))
print(read_frame(s)[1], file=sys.stderr)
s.sendall(frame(8, b"\x03\xe8", True))
read_frame(s)
s.close()
t.join(5)
PY
tcpdump -i lo -U -w "$FX/https_websocket.pcap" 'tcp port 9443' >/dev/null 2>&1 &
tdp=$!
sleep 1
rm -f "$FX/https_websocket.keylog"
python3 "$W/ws.py" "$W" "$FX/https_websocket.keylog" 2>/dev/null
sleep 1
kill $tdp 2>/dev/null || true
wait $tdp 2>/dev/null || true
ls -la "$FX/https_websocket.pcap" "$FX/https_websocket.keylog"
