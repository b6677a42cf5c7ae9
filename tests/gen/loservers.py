#!/usr/bin/env python3
"""Small loopback-only peers used by make-fixtures.sh (python3 stdlib only).

  loservers.py smtp  PORT CERT KEY [KEYLOG]   one-connection SMTP server with STARTTLS
  loservers.py imap  PORT CERT KEY [KEYLOG]   one-connection IMAP server with STARTTLS
  loservers.py http  PORT HOST                one-connection HTTP/1.1 server (keep-alive)
  loservers.py http-client PORT HOST          GET with Authorization: Bearer, then a POST
                                              whose body (password=hunter2) is sent in two
                                              TCP segments split inside the secret

Every server binds to the loopback address given (127.0.0.1 / ::1), accepts one
connection, serves it, and exits; every socket operation has a timeout.
"""
import socket
import ssl
import sys
import time

TIMEOUT = 10.0


def listen(host, port):
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(1)
    s.settimeout(TIMEOUT)
    return s


def tls_ctx(cert, key, keylog):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if keylog:
        ctx.keylog_filename = keylog
    return ctx


class Lines:
    """CRLF line reader over a plain or TLS socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    def readline(self):
        while b'\n' not in self.buf:
            d = self.sock.recv(4096)
            if not d:
                out, self.buf = self.buf, b''
                return out
            self.buf += d
        i = self.buf.index(b'\n') + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out


def smtp(port, cert, key, keylog=None):
    ls = listen('127.0.0.1', port)
    c, _ = ls.accept()
    c.settimeout(TIMEOUT)
    c.sendall(b'220 mail.example.test ESMTP fixture\r\n')
    r = Lines(c)
    tls = False
    while True:
        line = r.readline()
        if not line:
            break
        cmd = line.strip().split(b' ', 1)[0].upper()
        if cmd in (b'EHLO', b'HELO'):
            ext = [b'250-mail.example.test', b'250-PIPELINING', b'250-SIZE 10240000']
            if not tls:
                ext.append(b'250-STARTTLS')
            ext.append(b'250-AUTH PLAIN LOGIN')
            ext.append(b'250 8BITMIME')
            c.sendall(b'\r\n'.join(ext) + b'\r\n')
        elif cmd == b'STARTTLS' and not tls:
            c.sendall(b'220 2.0.0 Ready to start TLS\r\n')
            c = tls_ctx(cert, key, keylog).wrap_socket(c, server_side=True)
            r = Lines(c)
            tls = True
        elif cmd == b'AUTH':
            c.sendall(b'235 2.7.0 Authentication successful\r\n')
        elif cmd == b'MAIL' or cmd == b'RCPT':
            c.sendall(b'250 2.1.0 Ok\r\n')
        elif cmd == b'QUIT':
            c.sendall(b'221 2.0.0 Bye\r\n')
            break
        else:
            c.sendall(b'250 2.0.0 Ok\r\n')
    close(c)
    ls.close()


def imap(port, cert, key, keylog=None):
    ls = listen('127.0.0.1', port)
    c, _ = ls.accept()
    c.settimeout(TIMEOUT)
    c.sendall(b'* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fixture ready\r\n')
    r = Lines(c)
    tls = False
    while True:
        line = r.readline()
        if not line:
            break
        parts = line.strip().split(b' ')
        tag = parts[0]
        cmd = parts[1].upper() if len(parts) > 1 else b''
        if cmd == b'CAPABILITY':
            caps = b'IMAP4rev1 AUTH=PLAIN' if tls else b'IMAP4rev1 STARTTLS LOGINDISABLED'
            c.sendall(b'* CAPABILITY ' + caps + b'\r\n' + tag + b' OK CAPABILITY completed\r\n')
        elif cmd == b'STARTTLS' and not tls:
            c.sendall(tag + b' OK Begin TLS negotiation now\r\n')
            c = tls_ctx(cert, key, keylog).wrap_socket(c, server_side=True)
            r = Lines(c)
            tls = True
        elif cmd == b'LOGIN':
            c.sendall(tag + b' OK LOGIN completed\r\n')
        elif cmd == b'LOGOUT':
            c.sendall(b'* BYE fixture logging out\r\n' + tag + b' OK LOGOUT completed\r\n')
            break
        else:
            c.sendall(tag + b' OK done\r\n')
    close(c)
    ls.close()


def close(c):
    try:
        if isinstance(c, ssl.SSLSocket):
            c = c.unwrap()
    except (OSError, ssl.SSLError):
        pass
    try:
        c.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    c.close()


def http_server(port, host):
    ls = listen(host, port)
    c, _ = ls.accept()
    c.settimeout(TIMEOUT)
    r = Lines(c)
    while True:
        req = r.readline()
        if not req:
            break
        headers = {}
        while True:
            h = r.readline()
            if h in (b'\r\n', b'\n', b''):
                break
            k, _, v = h.partition(b':')
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get(b'content-length', b'0'))
        body = r.buf
        while len(body) < n:
            d = c.recv(4096)
            if not d:
                break
            body += d
        r.buf = body[n:]
        if req.startswith(b'POST'):
            out = b'{"status":"ok","session":"s3ss10n-t0ken-0123456789"}'
            extra = b'Set-Cookie: sid=abcdef0123456789; HttpOnly\r\n'
        else:
            out = b'<html><body>hello alice</body></html>\n'
            extra = b''
        c.sendall(b'HTTP/1.1 200 OK\r\nServer: fixture\r\nContent-Type: text/plain\r\n' + extra +
                  b'Content-Length: ' + str(len(out)).encode() + b'\r\n\r\n' + out)
        if headers.get(b'connection', b'').lower() == b'close':
            break
    close(c)
    ls.close()


def http_client(port, host):
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.settimeout(TIMEOUT)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.connect((host, port))
    r = Lines(c)

    def response():
        n = 0
        while True:
            h = r.readline()
            if h in (b'\r\n', b''):
                break
            if h.lower().startswith(b'content-length:'):
                n = int(h.split(b':')[1])
        while len(r.buf) < n:
            d = c.recv(4096)
            if not d:
                break
            r.buf += d
        r.buf = r.buf[n:]

    c.sendall(b'GET /account HTTP/1.1\r\nHost: localhost:%d\r\n'
              b'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.Zml4dHVyZQ.c2lnbmF0dXJl\r\n'
              b'User-Agent: fixture-client\r\n\r\n' % port)
    response()
    time.sleep(0.05)
    body1 = b'user=alice&password=hun'
    body2 = b'ter2&remember=1'
    c.sendall(b'POST /login HTTP/1.1\r\nHost: localhost:%d\r\n'
              b'Content-Type: application/x-www-form-urlencoded\r\n'
              b'Content-Length: %d\r\nConnection: close\r\n\r\n' % (port, len(body1) + len(body2)))
    time.sleep(0.05)
    c.sendall(body1)
    time.sleep(0.05)
    c.sendall(body2)
    response()
    close(c)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    mode, port = argv[1], int(argv[2])
    if mode == 'smtp':
        smtp(port, *argv[3:6])
    elif mode == 'imap':
        imap(port, *argv[3:6])
    elif mode == 'http':
        http_server(port, argv[3])
    elif mode == 'http-client':
        http_client(port, argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
