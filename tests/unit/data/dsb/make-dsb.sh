#!/bin/sh
# make-dsb.sh - regenerates the DSB fixtures for tests/unit/test_dsb.c:
# tiny.pcap (two fake TCP packets, written by python3), keylog.txt (fake
# secrets, every label), and secrets.pcapng made by
#   editcap --inject-secrets tls,keylog.txt tiny.pcap secrets.pcapng
set -eu
cd "$(dirname "$0")"
python3 - <<'PY'
import struct
def pkt(sport, dport, payload):
    tcp = struct.pack('>HHIIBBHHH', sport, dport, 1, 0, 5 << 4, 0x18, 65535, 0, 0) + payload
    ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    eth = b'\0' * 12 + b'\x08\x00'
    return eth + ip + tcp
with open('tiny.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate([pkt(40000, 443, b'hello'), pkt(443, 40000, b'world')]):
        f.write(struct.pack('<IIII', 1700000000 + i, 0, len(p), len(p)) + p)
cr = lambda n: ('%02x' % n) * 32
sec = lambda n, l: ('%02X' % n) * l
lines = [
    '# fake secrets for tests',
    'CLIENT_RANDOM %s %s' % (cr(1), sec(0x11, 48)),
    'RSA %s %s' % ('0102030405060708', sec(0x12, 48)),
    'RSA Session-ID:%s Master-Key:%s' % ('ab' * 32, sec(0x13, 48)),
    'PMS_CLIENT_RANDOM %s %s' % (cr(2), sec(0x14, 48)),
    'CLIENT_HANDSHAKE_TRAFFIC_SECRET %s %s' % (cr(3), sec(0x15, 32)),
    'SERVER_HANDSHAKE_TRAFFIC_SECRET %s %s' % (cr(3), sec(0x16, 32)),
    'CLIENT_TRAFFIC_SECRET_0 %s %s' % (cr(3), sec(0x17, 48)),
    'SERVER_TRAFFIC_SECRET_0 %s %s' % (cr(3), sec(0x18, 48)),
    'EXPORTER_SECRET %s %s' % (cr(3), sec(0x19, 32)),
]
with open('keylog.txt', 'w') as f:
    f.write('\n'.join(lines) + '\n')
PY
editcap --inject-secrets tls,keylog.txt tiny.pcap secrets.pcapng
