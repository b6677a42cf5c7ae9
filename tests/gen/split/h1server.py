#!/usr/bin/python3
# HTTP/1.1 over TLS server for tests/gen/make-split-fixtures.sh (trimmed from the
# acceptance tester's pyh1.py).  usage: h1server.py PORT CERT KEY
#   POST /echo       reads a chunked (or Content-Length) request body, answers it back whole
#   GET /chunkplain  identity chunked body, the chunk boundary inside a password value
#   GET /bigdense    gzip text/plain, N lines each with a Bearer token and a token= value;
#                    decoded > 1 MiB, so tlsredact re-chunks it
# Every response has a Set-Cookie; chunked ones end with a trailer holding a token.
import gzip, socket, ssl, sys, threading
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
DENSE_LINES = 17000   # 92 bytes each: 1.56 MB decoded (> 1 MiB)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)

def resp(path, body):
    """(headers, body bytes or list of chunks, chunked?)"""
    if path.startswith('/echo'):
        return [('Content-Type', 'application/x-www-form-urlencoded')], [body], True
    if path.startswith('/chunkplain'):
        return [('Content-Type', 'application/x-www-form-urlencoded')], \
            [b'a=1&password=accept-sec-respsplitA-', b'respsplitB-7f3a9&b=2'], True
    if path.startswith('/bigdense'):
        b = b''.join(b'l%06d Authorization: Bearer accept-sec-densebear-7f3a9 pw token=accept-sec-densetok-7f3a9\n' % i
                     for i in range(DENSE_LINES))
        return [('Content-Type', 'text/plain'), ('Content-Encoding', 'gzip')], gzip.compress(b), False
    return [('Content-Type', 'text/plain')], b'not found\n', False

def handle(conn):
    f = conn.makefile('rb')
    while True:
        line = f.readline()
        if not line:
            break
        method, path, _ = line.decode().split(' ', 2)
        hdrs = {}
        while True:
            h = f.readline()
            if h in (b'\r\n', b'\n', b''):
                break
            k, v = h.decode().split(':', 1)
            hdrs[k.strip().lower()] = v.strip()
        body = b''
        if hdrs.get('transfer-encoding', '').lower() == 'chunked':
            while True:
                n = int(f.readline().split(b';')[0], 16)
                body += f.read(n)
                f.readline()
                if n == 0:
                    break
        elif 'content-length' in hdrs:
            body = f.read(int(hdrs['content-length']))
        hs, b, chunked = resp(path, body)
        out = 'HTTP/1.1 200 OK\r\nServer: h1server\r\nSet-Cookie: pyid=accept-sec-pysetcookie-7f3a9; Secure\r\n'
        out += ''.join('%s: %s\r\n' % kv for kv in hs)
        if chunked:
            data = (out + 'Transfer-Encoding: chunked\r\n\r\n').encode()
            for c in b:
                data += b'%x\r\n' % len(c) + c + b'\r\n'
            data += b'0\r\nX-Trailer-Token: accept-sec-h1trailer-7f3a9\r\n\r\n'
            conn.sendall(data)
        else:
            conn.sendall((out + 'Content-Length: %d\r\n\r\n' % len(b)).encode() + b)
        print(method, path, len(body), body[:80], flush=True)
    conn.close()

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port))
s.listen(8)
print('ready', flush=True)
while True:
    c, _ = s.accept()
    try:
        c = ctx.wrap_socket(c, server_side=True)
    except Exception as e:
        print('handshake', e, flush=True)
        continue
    threading.Thread(target=handle, args=(c,), daemon=True).start()
