#!/usr/bin/env python3
"""Generate TLS traffic on loopback for the benchmark: a client sends MB
megabytes of text-like data (base64 lines) to a server that answers with a
short acknowledgement every 64 KiB, over TLS 1.2 with the given cipher.  The
client's key log goes to KEYLOG.  Usage: gen_traffic.py PORT MB KEYLOG CERT KEY CIPHER"""
import base64
import os
import socket
import ssl
import sys
import threading


def serve(sock, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    conn, _ = sock.accept()
    with ctx.wrap_socket(conn, server_side=True) as s:
        got = 0
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += len(b)
            s.sendall(b"ack %d\n" % got)
        try:
            s.unwrap()
        except (ssl.SSLError, OSError):
            pass


def main():
    port, mb, keylog, cert, key, cipher = sys.argv[1:7]
    mb = int(mb)
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", int(port)))
    lsock.listen(1)
    t = threading.Thread(target=serve, args=(lsock, cert, key), daemon=True)
    t.start()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(cipher)
    ctx.keylog_filename = keylog
    block = base64.encodebytes(os.urandom(3 * 1024 * 48))  # ~196 KB of 76-char lines
    with socket.create_connection(("127.0.0.1", int(port))) as raw:
        with ctx.wrap_socket(raw) as s:
            sent = 0
            s.settimeout(5)
            while sent < mb * 1024 * 1024:
                s.sendall(block)
                sent += len(block)
                try:
                    s.recv(65536)
                except socket.timeout:
                    pass
            s.shutdown(socket.SHUT_WR)
            try:
                while s.recv(65536):
                    pass
            except (ssl.SSLError, OSError):
                pass
    t.join(10)


if __name__ == "__main__":
    main()
