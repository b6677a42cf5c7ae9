#!/usr/bin/python3
# Raw HTTP/1.1 client over TLS with controlled chunk boundaries (from the acceptance
# tester's rawh1.py); writes the TLS secrets to KEYLOG.  The server is not verified
# (self-signed certificate made by the generator).
# usage: rawh1.py PORT KEYLOG reqsplit | rawh1.py PORT KEYLOG get PATH...
#   port 10443: TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305; other ports: the default (TLS 1.3)
import socket, ssl, sys, time
port, keylog, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.keylog_filename = keylog
if port == 10443:
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers('ECDHE-RSA-CHACHA20-POLY1305')
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port)), server_hostname='localhost')
def readresp():
    s.settimeout(1.0)
    data = b''
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except socket.timeout:
        pass
    return data
if mode == 'reqsplit':
    # a chunked form body whose chunk boundary falls inside the password value
    s.sendall(b'POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n'
              b'Content-Type: application/x-www-form-urlencoded\r\n\r\n')
    for c in [b'user=alice&password=accept-sec-reqsplitA-', b'reqsplitB-7f3a9&x=1']:
        time.sleep(0.05)
        s.sendall(b'%x\r\n' % len(c) + c + b'\r\n')
    s.sendall(b'0\r\n\r\n')
    r = readresp()
    print(len(r), r[:400])
else:
    for p in sys.argv[4:]:
        s.sendall(b'GET %s HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n' % p.encode())
        r = readresp()
        print(p, len(r), r[:200])
s.close()
