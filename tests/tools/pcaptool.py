#!/usr/bin/env python3
"""pcaptool - rewrites classic pcap captures into test fixtures (python3 stdlib only).

Usage: pcaptool.py COMMAND [options] IN OUT     (garbage / header-only take only OUT)

Every rewriting command reads a classic pcap (either byte order, usec or nsec), changes
it, writes a classic little-endian pcap, and prints one line saying exactly what it
changed (frame numbers 1-based, as tshark counts them; stream offsets relative to the
first payload byte of that direction, i.e. tshark's relative sequence number - 1).
IP header checksums are recomputed wherever an IP header changes and TCP checksums
wherever a TCP header or payload is built anew.  The input link type must be Ethernet
(1) unless said otherwise; TCP over IPv4 or IPv6.

"Data segments" are TCP packets with a payload; DIR is c2s (client to server: the
sender of the first SYN, else the higher port) or s2c; data segment numbers are 1-based
and counted per direction.

Commands
  info IN                          list the packets: frame, direction, flags, offset, length
  reorder --dir D --data-index N   swap data segment N and N+1 of direction D in the file
                                   (timestamps stay in file order)
  dup --dir D --data-index N [--overlap]
                                   insert an exact copy of data segment N right after it;
                                   with --overlap also insert, after segment N+1, a
                                   retransmission carrying the second half of N and the first
                                   half of N+1 (covers parts of two segments)
  drop --dir D --data-index N      remove data segment N (a gap in that stream)
  cut (--first K | --from-data D:N)
                                   drop the first K packets / every packet before data
                                   segment N of D (a capture starting mid-stream)
  vlan [--vid V] [--qinq --outer-vid V2]
                                   insert an 802.1Q tag (0x8100); --qinq puts an 802.1ad
                                   tag (0x88a8, outer) before it
  rawip --linktype 101|228|229     drop the Ethernet header (101 raw IP, 228 IPv4, 229 IPv6)
  null [--loop]                    Ethernet -> BSD null/loopback (link type 0, 4-byte
                                   little-endian AF: 2 IPv4, 24 IPv6 (BSD)); --loop -> link
                                   type 108 with the AF in network byte order
  fragment --size S [--shuffle] [--seed N]
                                   split every IPv4/IPv6 packet carrying TCP payload into IP
                                   fragments of S bytes of IP payload (multiple of 8; IPv6
                                   gets a Fragment extension header);
                                   --shuffle puts the fragments of every second such packet
                                   in reverse order
  resegment --mss M                split every TCP payload longer than M into M-byte
                                   segments (as a real NIC capture would show them)
  setlinktype --linktype N         rewrite the link type in the file header only
  truncate-file --record N --keep B
                                   keep records 1..N-1, then the 16-byte header of record N
                                   and B bytes of its data, then end the file
  snaplen --snaplen N              cut every packet to N bytes (orig len kept); header
                                   snaplen N
  nsec                             rewrite as a nanosecond-resolution pcap (magic a1b23c4d)
  byteswap                         rewrite as a big-endian pcap
  garbage --seed N --size B OUT    B pseudo-random bytes
  header-only --linktype N OUT     a valid 24-byte pcap header and no record
"""
import argparse
import random
import struct
import sys

MAGIC_US = 0xa1b2c3d4
MAGIC_NS = 0xa1b23c4d


class Pcap:
    def __init__(self, linktype=1, snaplen=262144, nsec=False):
        self.linktype = linktype
        self.snaplen = snaplen
        self.nsec = nsec
        self.pkts = []  # [ts_sec, ts_frac, orig_len, data]

    @classmethod
    def read(cls, path):
        with open(path, 'rb') as f:
            raw = f.read()
        if len(raw) < 24:
            sys.exit('pcaptool: %s: not a pcap file' % path)
        for e in '<>':
            magic = struct.unpack(e + 'I', raw[:4])[0]
            if magic in (MAGIC_US, MAGIC_NS):
                break
        else:
            sys.exit('pcaptool: %s: not a classic pcap file (pcapng? convert with editcap -F pcap)' % path)
        _, _, _, _, _, snaplen, linktype = struct.unpack(e + 'IHHiIII', raw[:24])
        p = cls(linktype & 0xffff, snaplen, magic == MAGIC_NS)
        off = 24
        while off + 16 <= len(raw):
            s, fr, incl, orig = struct.unpack(e + 'IIII', raw[off:off + 16])
            off += 16
            p.pkts.append([s, fr, orig, raw[off:off + incl]])
            off += incl
        return p

    def header(self, endian='<'):
        return struct.pack(endian + 'IHHiIII', MAGIC_NS if self.nsec else MAGIC_US, 2, 4, 0, 0,
                           self.snaplen, self.linktype)

    def records(self, endian='<'):
        for s, fr, orig, data in self.pkts:
            yield struct.pack(endian + 'IIII', s, fr, len(data), orig) + data

    def write(self, path, endian='<'):
        with open(path, 'wb') as f:
            f.write(self.header(endian))
            for r in self.records(endian):
                f.write(r)


# ---------------------------------------------------------------- packet parsing
def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


class Pkt:
    """Parsed view of an Ethernet/(VLAN)/IP/TCP frame; None fields when absent."""

    def __init__(self, data, linktype=1):
        self.data = data
        self.l3 = None
        self.ipv = None
        self.tcp = None
        self.payload = b''
        if linktype == 1:
            off, et = 14, struct.unpack('!H', data[12:14])[0] if len(data) >= 14 else 0
            while et in (0x8100, 0x88a8) and len(data) >= off + 4:
                et = struct.unpack('!H', data[off + 2:off + 4])[0]
                off += 4
            if et not in (0x0800, 0x86dd):
                return
        elif linktype in (101, 228, 229):
            off = 0
        else:
            return
        self.l3 = off
        v = data[off] >> 4 if len(data) > off else 0
        if v == 4:
            self.ipv = 4
            ihl = (data[off] & 15) * 4
            tot = struct.unpack('!H', data[off + 2:off + 4])[0]
            frag = struct.unpack('!H', data[off + 6:off + 8])[0]
            self.proto = data[off + 9]
            self.src, self.dst = data[off + 12:off + 16], data[off + 16:off + 20]
            l4 = off + ihl
            end = off + tot
            if frag & 0x3fff:
                return  # already a fragment
        elif v == 6:
            self.ipv = 6
            plen = struct.unpack('!H', data[off + 4:off + 6])[0]
            self.proto = data[off + 6]
            self.src, self.dst = data[off + 8:off + 24], data[off + 24:off + 40]
            l4 = off + 40
            end = l4 + plen
        else:
            return
        if self.proto != 6:
            return
        self.tcp = l4
        self.sport, self.dport, self.seq, self.ack = struct.unpack('!HHII', data[l4:l4 + 12])
        self.thl = (data[l4 + 12] >> 4) * 4
        self.flags = data[l4 + 13]
        self.payload = data[l4 + self.thl:end]
        self.end = end

    @property
    def syn(self):
        return bool(self.flags & 0x02)

    @property
    def fin(self):
        return bool(self.flags & 0x01)


def tcp_checksum(ipv, src, dst, seg):
    if ipv == 4:
        ph = src + dst + struct.pack('!BBH', 0, 6, len(seg))
    else:
        ph = src + dst + struct.pack('!IxxxB', len(seg), 6)
    return csum(ph + seg)


def build(p, seq, flags, payload, ip_id=None):
    """New frame from parsed packet p with another seq/flags/payload; checksums fixed."""
    d = p.data
    l3, l4 = p.l3, p.tcp
    tcph = bytearray(d[l4:l4 + p.thl])
    struct.pack_into('!I', tcph, 4, seq)
    tcph[13] = flags
    tcph[16:18] = b'\0\0'
    seg = bytes(tcph) + payload
    struct.pack_into('!H', tcph, 16, tcp_checksum(p.ipv, p.src, p.dst, seg))
    seg = bytes(tcph) + payload
    iph = bytearray(d[l3:l4])
    if p.ipv == 4:
        struct.pack_into('!H', iph, 2, len(iph) + len(seg))
        if ip_id is not None:
            struct.pack_into('!H', iph, 4, ip_id)
        iph[10:12] = b'\0\0'
        struct.pack_into('!H', iph, 10, csum(bytes(iph)))
    else:
        struct.pack_into('!H', iph, 4, len(seg))
    return d[:l3] + bytes(iph) + seg


class Flow:
    """Directions and stream offsets of the (single) TCP connection of a capture."""

    def __init__(self, cap):
        self.cap = cap
        self.parsed = [Pkt(d, cap.linktype) for _, _, _, d in cap.pkts]
        self.client = None
        for p in self.parsed:
            if p.tcp is not None and p.syn and not (p.flags & 0x10):
                self.client = (p.src, p.sport)
                break
        if self.client is None:
            for p in self.parsed:
                if p.tcp is not None:
                    self.client = (p.src, p.sport) if p.sport > p.dport else (p.dst, p.dport)
                    break
        self.base = {}
        for p in self.parsed:
            if p.tcp is None:
                continue
            d = self.dir(p)
            if d not in self.base:
                self.base[d] = (p.seq + 1) if p.syn else p.seq

    def dir(self, p):
        return 'c2s' if (p.src, p.sport) == self.client else 's2c'

    def offset(self, p):
        o = (p.seq - self.base[self.dir(p)]) & 0xffffffff
        return o - (1 << 32) if o >= (1 << 31) else o

    def data_frames(self, d):
        return [i for i, p in enumerate(self.parsed)
                if p.tcp is not None and p.payload and self.dir(p) == d]

    def data_frame(self, d, n):
        fr = self.data_frames(d)
        if not 1 <= n <= len(fr):
            sys.exit('pcaptool: %s has %d data segments, not %d' % (d, len(fr), n))
        return fr[n - 1]

    def describe(self, i):
        p = self.parsed[i]
        return 'frame %d (%s data segment, stream offset %d, %d bytes)' % (
            i + 1, self.dir(p), self.offset(p), len(p.payload))


def need_ether(cap):
    if cap.linktype != 1:
        sys.exit('pcaptool: input link type is %d, this command needs Ethernet (1)' % cap.linktype)


# ---------------------------------------------------------------- commands
def cmd_info(a):
    cap = Pcap.read(a.input)
    fl = Flow(cap)
    print('linktype %d, snaplen %d, %d records, %s' % (cap.linktype, cap.snaplen, len(cap.pkts),
                                                      'nsec' if cap.nsec else 'usec'))
    for i, p in enumerate(fl.parsed):
        if p.tcp is None:
            print('%4d  non-TCP %d bytes' % (i + 1, len(p.data)))
            continue
        f = ''.join(c for c, b in zip('FSRPAU', (1, 2, 4, 8, 16, 32)) if p.flags & b)
        print('%4d  %s %-6s off %-8d len %d' % (i + 1, fl.dir(p), f, fl.offset(p), len(p.payload)))


def cmd_reorder(a):
    cap = Pcap.read(a.input)
    fl = Flow(cap)
    i = fl.data_frame(a.dir, a.data_index)
    j = fl.data_frame(a.dir, a.data_index + 1)
    what = 'swapped %s and %s in file order (timestamps kept in place)' % (fl.describe(i), fl.describe(j))
    cap.pkts[i][2:], cap.pkts[j][2:] = cap.pkts[j][2:], cap.pkts[i][2:]
    cap.write(a.output)
    return what


def cmd_dup(a):
    cap = Pcap.read(a.input)
    fl = Flow(cap)
    i = fl.data_frame(a.dir, a.data_index)
    what = ['%s duplicated right after itself (new frame %d)' % (fl.describe(i), i + 2)]
    inserts = [(i + 1, list(cap.pkts[i]))]
    if a.overlap:
        j = fl.data_frame(a.dir, a.data_index + 1)
        p, q = fl.parsed[i], fl.parsed[j]
        if (p.seq + len(p.payload)) & 0xffffffff != q.seq:
            sys.exit('pcaptool: data segments %d and %d are not contiguous' % (a.data_index, a.data_index + 1))
        h1, h2 = len(p.payload) // 2, len(q.payload) // 2
        pay = p.payload[h1:] + q.payload[:h2]
        rec = list(cap.pkts[j])
        rec[3] = build(q, (p.seq + h1) & 0xffffffff, q.flags, pay)
        rec[2] = len(rec[3])
        inserts.append((j + 1, rec))
        what.append('retransmission inserted after %s: stream offset %d, %d bytes '
                    '(last %d bytes of the first segment + first %d of the next; new frame %d)'
                    % (fl.describe(j), fl.offset(p) + h1, len(pay), len(p.payload) - h1, h2, j + 3))
    for pos, rec in sorted(inserts, reverse=True):
        cap.pkts.insert(pos, rec)
    cap.write(a.output)
    return '; '.join(what)


def cmd_drop(a):
    cap = Pcap.read(a.input)
    fl = Flow(cap)
    i = fl.data_frame(a.dir, a.data_index)
    p = fl.parsed[i]
    what = 'removed %s: gap of %d bytes in the %s stream at stream offset %d (later frames renumber -1)' % (
        fl.describe(i), len(p.payload), a.dir, fl.offset(p))
    del cap.pkts[i]
    cap.write(a.output)
    return what


def cmd_cut(a):
    cap = Pcap.read(a.input)
    fl = Flow(cap)
    if a.from_data:
        d, n = a.from_data.split(':')
        k = fl.data_frame(d, int(n))
        what = 'dropped frames 1..%d; the capture starts at old %s' % (k, fl.describe(k))
    else:
        k = a.first
        what = 'dropped frames 1..%d' % k
    c_off = [fl.offset(p) for p in fl.parsed[k:] if p.tcp is not None and fl.dir(p) == 'c2s']
    s_off = [fl.offset(p) for p in fl.parsed[k:] if p.tcp is not None and fl.dir(p) == 's2c']
    what += ' (first c2s byte kept: stream offset %s, first s2c: %s)' % (
        c_off[0] if c_off else '-', s_off[0] if s_off else '-')
    del cap.pkts[:k]
    cap.write(a.output)
    return what


def cmd_vlan(a):
    cap = Pcap.read(a.input)
    need_ether(cap)
    tag = struct.pack('!HH', 0x8100, a.vid & 0xfff)
    if a.qinq:
        tag = struct.pack('!HH', 0x88a8, a.outer_vid & 0xfff) + tag
    for r in cap.pkts:
        r[3] = r[3][:12] + tag + r[3][12:]
        r[2] += len(tag)
    cap.write(a.output)
    if a.qinq:
        return 'every frame: 802.1ad tag (0x88a8, VID %d) + 802.1Q tag (0x8100, VID %d) after the MACs' % (
            a.outer_vid, a.vid)
    return 'every frame: 802.1Q tag (0x8100, VID %d) after the MACs' % a.vid


def cmd_rawip(a):
    cap = Pcap.read(a.input)
    need_ether(cap)
    for r in cap.pkts:
        et = struct.unpack('!H', r[3][12:14])[0]
        want = {101: (0x0800, 0x86dd), 228: (0x0800,), 229: (0x86dd,)}[a.linktype]
        if et not in want:
            sys.exit('pcaptool: ethertype 0x%04x cannot go to link type %d' % (et, a.linktype))
        r[3] = r[3][14:]
        r[2] -= 14
    cap.linktype = a.linktype
    cap.write(a.output)
    return 'Ethernet header removed from every frame; link type %d' % a.linktype


def cmd_null(a):
    cap = Pcap.read(a.input)
    need_ether(cap)
    for r in cap.pkts:
        et = struct.unpack('!H', r[3][12:14])[0]
        af = {0x0800: 2, 0x86dd: 24}[et]
        hdr = struct.pack('!I' if a.loop else '<I', af)
        r[3] = hdr + r[3][14:]
        r[2] -= 10
    cap.linktype = 108 if a.loop else 0
    cap.write(a.output)
    if a.loop:
        return 'Ethernet header replaced by a 4-byte big-endian AF (2 = IPv4); link type 108 (LOOP)'
    return 'Ethernet header replaced by a 4-byte little-endian (host order) AF (2 = IPv4); link type 0 (NULL)'


def cmd_fragment(a):
    if a.size % 8 or a.size <= 0:
        sys.exit('pcaptool: --size must be a positive multiple of 8')
    cap = Pcap.read(a.input)
    rnd = random.Random(a.seed)
    out, n, nfrag, shuffled = [], 0, 0, []
    ip_id = rnd.randrange(0x1000, 0xf000)
    for idx, r in enumerate(cap.pkts):
        p = Pkt(r[3], cap.linktype)
        if p.tcp is None or not p.payload:
            out.append(r)
            continue
        n += 1
        l3, l4 = p.l3, p.tcp
        d = r[3]
        body = d[l4:p.end]
        ip_id = (ip_id + 1) & 0xffff
        frags = []
        for off in range(0, len(body), a.size):
            chunk = body[off:off + a.size]
            more = off + a.size < len(body)
            if p.ipv == 4:
                h = bytearray(d[l3:l4])
                struct.pack_into('!H', h, 2, len(h) + len(chunk))
                struct.pack_into('!H', h, 4, ip_id)
                struct.pack_into('!H', h, 6, (0x2000 if more else 0) | (off // 8))
                h[10:12] = b'\0\0'
                struct.pack_into('!H', h, 10, csum(bytes(h)))
                f = d[:l3] + bytes(h) + chunk
            else:  # IPv6: a Fragment extension header (RFC 8200 4.5) after the fixed header
                if l4 - l3 != 40:
                    sys.exit('pcaptool: IPv6 extension headers are not supported')
                h = bytearray(d[l3:l4])
                struct.pack_into('!H', h, 4, 8 + len(chunk))
                h[6] = 44
                fh = struct.pack('!BBHI', 6, 0, off | (1 if more else 0), 0x10000 + ip_id)
                f = d[:l3] + bytes(h) + fh + chunk
            frags.append([r[0], r[1], len(f), f])
        nfrag += len(frags)
        if a.shuffle and n % 2 == 0:
            frags.reverse()
            shuffled.append(idx + 1)
        out.extend(frags)
    cap.pkts = out
    cap.write(a.output)
    return ('%d IP packets carrying TCP payload split into %d fragments of <= %d bytes of fragmentable '
            'payload (IPv4: DF cleared, fresh IP IDs; IPv6: Fragment header, ids from 0x10000); fragments in reverse order for the packets of original frames %s'
            % (n, nfrag, a.size, ','.join(map(str, shuffled)) or 'none'))


def cmd_resegment(a):
    cap = Pcap.read(a.input)
    out, n, made = [], 0, 0
    for r in cap.pkts:
        p = Pkt(r[3], cap.linktype)
        if p.tcp is None or len(p.payload) <= a.mss:
            out.append(r)
            continue
        n += 1
        ip_id = struct.unpack('!H', r[3][p.l3 + 4:p.l3 + 6])[0] if p.ipv == 4 else None
        chunks = [p.payload[o:o + a.mss] for o in range(0, len(p.payload), a.mss)]
        for k, ch in enumerate(chunks):
            last = k == len(chunks) - 1
            flags = p.flags if last else p.flags & ~0x09  # FIN and PSH only on the last
            f = build(p, (p.seq + k * a.mss) & 0xffffffff, flags, ch,
                      None if ip_id is None else (ip_id + k) & 0xffff)
            out.append([r[0], r[1], len(f), f])
            made += 1
    cap.pkts = out
    cap.write(a.output)
    return '%d TCP segments longer than %d bytes split into %d segments of <= %d bytes (checksums recomputed)' % (
        n, a.mss, made, a.mss)


def cmd_setlinktype(a):
    cap = Pcap.read(a.input)
    old = cap.linktype
    cap.linktype = a.linktype
    cap.write(a.output)
    return 'file header link type %d -> %d, records unchanged' % (old, a.linktype)


def cmd_truncate_file(a):
    cap = Pcap.read(a.input)
    if not 1 <= a.record <= len(cap.pkts):
        sys.exit('pcaptool: no record %d' % a.record)
    recs = list(cap.records())
    with open(a.output, 'wb') as f:
        f.write(cap.header())
        for r in recs[:a.record - 1]:
            f.write(r)
        cut = recs[a.record - 1][:16 + a.keep]
        f.write(cut)
    return ('records 1..%d complete; record %d cut after its 16-byte header + %d of its %d data bytes '
            '(file ends there)' % (a.record - 1, a.record, a.keep, len(cap.pkts[a.record - 1][3])))


def cmd_snaplen(a):
    cap = Pcap.read(a.input)
    n = 0
    for r in cap.pkts:
        if len(r[3]) > a.snaplen:
            r[3] = r[3][:a.snaplen]
            n += 1
    cap.snaplen = a.snaplen
    cap.write(a.output)
    return '%d of %d packets cut to %d bytes (orig len kept); header snaplen %d' % (n, len(cap.pkts), a.snaplen, a.snaplen)


def cmd_nsec(a):
    cap = Pcap.read(a.input)
    if not cap.nsec:
        for r in cap.pkts:
            r[1] *= 1000
        cap.nsec = True
    cap.write(a.output)
    return 'rewritten as nanosecond pcap (magic 0xa1b23c4d), same packets and times'


def cmd_byteswap(a):
    cap = Pcap.read(a.input)
    cap.write(a.output, '>')
    return 'rewritten big-endian (magic bytes a1 b2 c3 d4 on disk), same packets'


def cmd_garbage(a):
    rnd = random.Random(a.seed)
    with open(a.output, 'wb') as f:
        f.write(bytes(rnd.randrange(256) for _ in range(a.size)))
    return '%d pseudo-random bytes, seed %d' % (a.size, a.seed)


def cmd_header_only(a):
    Pcap(a.linktype).write(a.output)
    return 'pcap header only, link type %d' % a.linktype


def main(argv=None):
    ap = argparse.ArgumentParser(prog='pcaptool.py', description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)

    def io(name, fn, outonly=False, inonly=False):
        s = sub.add_parser(name)
        if not outonly:
            s.add_argument('input')
        if not inonly:
            s.add_argument('output')
        s.set_defaults(fn=fn)
        return s

    io('info', cmd_info, inonly=True)
    for name, fn in (('reorder', cmd_reorder), ('dup', cmd_dup), ('drop', cmd_drop)):
        s = io(name, fn)
        s.add_argument('--dir', choices=('c2s', 's2c'), required=True)
        s.add_argument('--data-index', type=int, required=True)
        if name == 'dup':
            s.add_argument('--overlap', action='store_true')
    s = io('cut', cmd_cut)
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument('--first', type=int)
    g.add_argument('--from-data', metavar='DIR:N')
    s = io('vlan', cmd_vlan)
    s.add_argument('--vid', type=int, default=100)
    s.add_argument('--qinq', action='store_true')
    s.add_argument('--outer-vid', type=int, default=200)
    s = io('rawip', cmd_rawip)
    s.add_argument('--linktype', type=int, choices=(101, 228, 229), required=True)
    s = io('null', cmd_null)
    s.add_argument('--loop', action='store_true')
    s = io('fragment', cmd_fragment)
    s.add_argument('--size', type=int, default=64)
    s.add_argument('--shuffle', action='store_true')
    s.add_argument('--seed', type=int, default=1)
    s = io('resegment', cmd_resegment)
    s.add_argument('--mss', type=int, required=True)
    s = io('setlinktype', cmd_setlinktype)
    s.add_argument('--linktype', type=int, required=True)
    s = io('truncate-file', cmd_truncate_file)
    s.add_argument('--record', type=int, required=True)
    s.add_argument('--keep', type=int, required=True)
    s = io('snaplen', cmd_snaplen)
    s.add_argument('--snaplen', type=int, required=True)
    io('nsec', cmd_nsec)
    io('byteswap', cmd_byteswap)
    s = io('garbage', cmd_garbage, outonly=True)
    s.add_argument('--seed', type=int, default=42)
    s.add_argument('--size', type=int, default=4096)
    s = io('header-only', cmd_header_only, outonly=True)
    s.add_argument('--linktype', type=int, default=1)
    a = ap.parse_args(argv)
    what = a.fn(a)
    if what:
        print(what)
    return 0


if __name__ == '__main__':
    sys.exit(main())
