#!/bin/bash
# --keep-other: non-TCP packets (here a UDP datagram and an ICMP echo, built
# into a capture with a real TLS connection) are dropped from the pcap output
# and counted by default, and copied as captured with --keep-other.
. "$(dirname "$0")/lib.sh"
if ! have_tshark || ! command -v mergecap >/dev/null; then
    skip "keep-other" "needs tshark and mergecap"
    exit 0
fi
python3 - "$TMP/other.pcap" <<'PY'
import struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def ip(proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                    bytes([127, 0, 0, 1]), bytes([127, 0, 0, 53]))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload
eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00"
udp = struct.pack("!HHHH", 40000, 53, 8 + 12, 0) + b"dns-ish-data"
icmp = b"\x08\x00" + b"\0\0" + b"\x12\x34\x00\x01" + b"ping"
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate((ip(17, udp), ip(1, icmp))):
        pkt = eth + p
        f.write(struct.pack("<IIII", 2000000000 + i, 0, len(pkt), len(pkt)) + pkt)
PY
mergecap -F pcap -w "$TMP/mixed.pcap" "$FIX/demo.pcap" "$TMP/other.pcap" 2>/dev/null
"$TR_BIN" -r "$TMP/mixed.pcap" -l "$FIX/demo.keylog" -o "$TMP/t1.txt" -w "$TMP/o1.pcap" 2>/dev/null
"$TR_BIN" -r "$TMP/mixed.pcap" -l "$FIX/demo.keylog" -o "$TMP/t2.txt" -w "$TMP/o2.pcap" --keep-other 2>/dev/null
n1=$(tshark_q -r "$TMP/o1.pcap" -Y "udp || icmp" | wc -l)
n2=$(tshark_q -r "$TMP/o2.pcap" -Y "udp.dstport == 53 || icmp.type == 8" | wc -l)
[ "$n1" -eq 0 ] && pass "keep-other: non-TCP dropped by default" || fail "keep-other default" "$n1 non-TCP packets"
grep -q "1 UDP, 1 ICMP" "$TMP/t1.txt" && pass "keep-other: dropped packets counted in the summary" ||
    fail "keep-other count" "$(grep packets: "$TMP/t1.txt")"
[ "$n2" -eq 2 ] && pass "keep-other: UDP and ICMP copied with --keep-other" || fail "keep-other copy" "$n2 of 2"
http=$(tshark_q -r "$TMP/o2.pcap" -Y http.request | wc -l)
[ "$http" -ge 1 ] && pass "keep-other: decrypted traffic still there" || fail "keep-other http" "no HTTP request"
