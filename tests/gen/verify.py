#!/usr/bin/env python3
"""Checks the facts of tests/fixtures/MANIFEST against tshark (the reference dissector).

  python3 tests/gen/verify.py [-v] [NAME...]

Prints "PASS name" / "FAIL name: why" per fixture (SKIP when it has no checkable fact).
-v prints every tshark command it runs.  The tshark commands, per fixture F with key log K
and server port P (P not in 25/143/80/8080 gets -d tcp.port==P,tls):

  link      read from the file header (pcap, pcap.gz) or first IDB (pcapng)
  conns, ports, ip, sni, fatal, close:
    tshark -r F -o tcp.reassemble_out_of_order:TRUE -o tls.keylog_file:K -T fields -E occurrence=a
      -E aggregator=, -e tcp.stream -e tcp.srcport -e tcp.dstport -e tcp.flags.syn -e tcp.flags.ack
      -e ipv6.src -e tls.record.content_type -e tls.handshake.extensions_server_name
      -e tls.alert_message.level -e tls.alert_message.desc
  tls, cipher:
    tshark -r F ... -Y tls.handshake.type==2 -T fields -e tcp.stream
      -e tls.handshake.version -e tls.handshake.extensions.supported_version -e tls.handshake.ciphersuite
    (last ServerHello of a stream wins, so a HelloRetryRequest is passed over)
  [enc] alerts: the same first command without the key log must not show the alert
  c2s_bytes / s2c_bytes:
    tshark -r F ... -q -z follow,tls,raw,N     (follow,tcp,raw,N when tls=none)
    bytes per direction; "Node 0" is mapped to client/server by its port
"""
import gzip
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(os.path.dirname(HERE), 'fixtures')
VERBOSE = False
ALERTS = {0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 22: 'record_overflow',
          40: 'handshake_failure', 42: 'bad_certificate', 43: 'unsupported_certificate',
          44: 'certificate_revoked', 45: 'certificate_expired', 46: 'certificate_unknown',
          47: 'illegal_parameter', 48: 'unknown_ca', 49: 'access_denied', 50: 'decode_error',
          51: 'decrypt_error', 70: 'protocol_version', 71: 'insufficient_security',
          80: 'internal_error', 86: 'inappropriate_fallback', 90: 'user_canceled',
          109: 'missing_extension', 110: 'unsupported_extension', 112: 'unrecognized_name',
          116: 'certificate_required', 120: 'no_application_protocol'}
VERSIONS = {'0x0301': '1.0', '0x0302': '1.1', '0x0303': '1.2', '0x0304': '1.3'}
PLAIN_PORTS = {'25', '143', '80', '8080'}


def tshark(args):
    cmd = ['tshark', '-n', '-o', 'tcp.reassemble_out_of_order:TRUE'] + args
    if VERBOSE:
        print('  $ ' + ' '.join(cmd))
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    return r.stdout.decode('utf-8', 'replace')


def linktype(path):
    op = gzip.open if path.endswith('.gz') else open
    with op(path, 'rb') as f:
        h = f.read(64)
    if len(h) < 24:
        return None
    for e in '<>':
        m = struct.unpack(e + 'I', h[:4])[0]
        if m in (0xa1b2c3d4, 0xa1b23c4d):
            return struct.unpack(e + 'I', h[20:24])[0] & 0xffff
    if h[:4] == b'\x0a\x0d\x0d\x0a':
        e = '<' if h[8:12] == b'\x4d\x3c\x2b\x1a' else '>'
        with op(path, 'rb') as f:
            data = f.read()
        off = 0
        while off + 12 <= len(data):      # walk blocks to the first Interface Description Block
            btype, blen = struct.unpack(e + 'II', data[off:off + 8])
            if btype == 1:
                return struct.unpack(e + 'H', data[off + 8:off + 10])[0]
            if blen < 12:
                break
            off += blen
    return None


def parse_manifest():
    out = []
    with open(os.path.join(FIX, 'MANIFEST')) as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            name, facts, how = (line.rstrip('\n').split('\t') + ['', ''])[:3]
            d = {}
            for kv in facts.split():
                k, _, v = kv.partition('=')
                d[k] = v
            out.append((name, d, how))
    return out


def streams_info(path, facts, keylog):
    """Per tcp.stream: ports, ipv6, sni, alerts [(srcport, level, desc)]."""
    args = ['-r', path]
    for p in set(facts.get('ports', '').split(',')) - PLAIN_PORTS - {'', '-'}:
        args += ['-d', 'tcp.port==%s,tls' % p]
    if keylog:
        args += ['-o', 'tls.keylog_file:' + keylog]
    out = tshark(args + ['-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
                         '-e', 'tcp.stream', '-e', 'tcp.srcport', '-e', 'tcp.dstport',
                         '-e', 'tcp.flags.syn', '-e', 'tcp.flags.ack', '-e', 'ipv6.src',
                         '-e', 'tls.record.content_type', '-e', 'tls.handshake.extensions_server_name',
                         '-e', 'tls.alert_message.level', '-e', 'tls.alert_message.desc'])
    st = {}
    for line in out.splitlines():
        f = line.split('\t')
        if len(f) < 10 or f[0] == '':
            continue
        s = st.setdefault(int(f[0]), {'syn_dst': None, 'ports': set(), 'ipv6': False, 'sni': None,
                                      'alerts': [], 'tls': False, 'first': (f[1], f[2])})
        s['ports'].update((f[1], f[2]))
        if f[3] in ('1', 'True') and f[4] in ('0', 'False') and s['syn_dst'] is None:
            s['syn_dst'] = f[2]
        if f[5]:
            s['ipv6'] = True
        if f[6]:
            s['tls'] = True
        if f[7] and s['sni'] is None:
            s['sni'] = f[7]
        if f[8]:
            for lv, de in zip(f[8].split(','), f[9].split(',')):
                s['alerts'].append((f[1], int(lv), int(de)))
    for s in st.values():
        if s['syn_dst'] is not None:
            s['server'] = s['syn_dst']
        else:
            s['server'] = str(min(int(p) for p in s['ports']))
    return args, st


def hello_info(args):
    out = tshark(args + ['-Y', 'tls.handshake.type==2', '-T', 'fields', '-E', 'occurrence=a',
                         '-E', 'aggregator=,', '-e', 'tcp.stream', '-e', 'tls.handshake.version',
                         '-e', 'tls.handshake.extensions.supported_version', '-e', 'tls.handshake.ciphersuite'])
    res = {}
    for line in out.splitlines():
        f = line.split('\t')
        if len(f) < 4 or not f[0]:
            continue
        ver = f[2].split(',')[-1] if f[2] else f[1].split(',')[-1]
        res[int(f[0])] = (VERSIONS.get(ver, ver), f[3].split(',')[-1].lower())
    return res


def hs_info(args):
    """Per stream: list of (srcport, handshake types), ServerHello extension types."""
    out = tshark(args + ['-Y', 'tls.handshake', '-T', 'fields', '-E', 'occurrence=a',
                         '-E', 'aggregator=,', '-e', 'tcp.stream', '-e', 'tcp.srcport',
                         '-e', 'tls.handshake.type', '-e', 'tls.handshake.extension.type'])
    res = {}
    for line in out.splitlines():
        f = line.split('\t')
        if len(f) < 4 or not f[0]:
            continue
        types = [int(x) for x in f[2].split(',') if x]
        res.setdefault(int(f[0]), []).append((f[1], types, [int(x) for x in f[3].split(',') if x]))
    return res


def follow_bytes(args, stream, proto, server_port):
    out = tshark(args + ['-q', '-z', 'follow,%s,raw,%d' % (proto, stream)])
    node0 = None
    n0 = n1 = 0
    body = False
    for line in out.splitlines():
        if line.startswith('Node 0:'):
            node0 = line.split(':')[-1].strip()
            continue
        if line.startswith('Node 1:'):
            body = True
            continue
        if not body or line.startswith('====') or not line.strip():
            continue
        if line.startswith('\t'):
            n1 += len(line.strip()) // 2
        else:
            n0 += len(line.strip()) // 2
    if node0 == server_port:
        return n1, n0
    return n0, n1


def per_conn(v, n):
    vals = v.split(',')
    if len(vals) == 1 and n > 1:
        vals = vals * n
    return vals


def check(name, facts):
    path = os.path.join(FIX, name)
    errs = []
    checked = []
    if 'link' in facts:
        lt = linktype(path)
        checked.append('link')
        if str(lt) != facts['link']:
            errs.append('link %s, expected %s' % (lt, facts['link']))
    keys = set(facts) - {'link', 'keylog', 'app'}
    if not keys:
        return errs, checked
    keylog = os.path.join(FIX, facts['keylog']) if 'keylog' in facts else None
    args, st = streams_info(path, facts, keylog)
    order = sorted(st)
    if 'conns' in facts:
        checked.append('conns')
        if len(st) != int(facts['conns']):
            errs.append('conns %d, expected %s' % (len(st), facts['conns']))
            return errs, checked
    n = len(order)
    if 'ports' in facts:
        checked.append('ports')
        got = [st[s]['server'] for s in order]
        if got != per_conn(facts['ports'], n):
            errs.append('ports %s, expected %s' % (','.join(got), facts['ports']))
    if facts.get('ip') == '6':
        checked.append('ip')
        if not all(st[s]['ipv6'] for s in order):
            errs.append('not IPv6')
    if 'sni' in facts:
        checked.append('sni')
        for s, want in zip(order, per_conn(facts['sni'], n)):
            if want != '-' and st[s]['sni'] != want:
                errs.append('stream %d sni %s, expected %s' % (s, st[s]['sni'], want))
    if 'alpn' in facts:
        checked.append('alpn')
        out = tshark(args + ['-Y', 'tls.handshake.type==2 || tls.handshake.type==8', '-T', 'fields',
                             '-e', 'tls.handshake.extensions_alpn_str'])
        if facts['alpn'] not in out.split():
            errs.append('alpn %s, expected %s' % (' '.join(out.split()) or '-', facts['alpn']))
    if 'tls' in facts or 'cipher' in facts:
        hi = hello_info(args)
        for i, s in enumerate(order):
            ver, cs = hi.get(s, ('-', '-'))
            if 'tls' in facts:
                want = per_conn(facts['tls'], n)[i]
                got = ver if s in hi else ('-' if st[s]['tls'] else 'none')
                if got != want:
                    errs.append('stream %d tls %s, expected %s' % (s, got, want))
            if 'cipher' in facts:
                want = per_conn(facts['cipher'], n)[i]
                if want != '-' and cs != want:
                    errs.append('stream %d cipher %s, expected %s' % (s, cs, want))
        checked += [k for k in ('tls', 'cipher') if k in facts]
    if 'fatal' in facts:
        checked.append('fatal')
        enc_any = False
        for i, s in enumerate(order):
            want = per_conn(facts['fatal'], n)[i]
            got = ['%s:%s(%d)' % ('server' if sp == st[s]['server'] else 'client', ALERTS.get(d, '?'), d)
                   for sp, lv, d in st[s]['alerts'] if lv == 2]
            w = want.replace('[enc]', '')
            enc_any |= '[enc]' in want
            if (got or ['-']) != [w]:
                errs.append('stream %d fatal %s, expected %s' % (s, ','.join(got) or '-', w))
        if enc_any:
            _, st2 = streams_info(path, facts, None)
            for i, s in enumerate(order):
                if '[enc]' in per_conn(facts['fatal'], n)[i] and any(lv == 2 for _, lv, _ in st2[s]['alerts']):
                    errs.append('stream %d: alert visible without the key log' % s)
    if facts.get('close') == 'both':
        checked.append('close')
        for s in order:
            sides = {('server' if sp == st[s]['server'] else 'client') for sp, lv, d in st[s]['alerts']
                     if lv == 1 and d == 0}
            if sides != {'client', 'server'}:
                errs.append('stream %d close_notify from %s' % (s, ','.join(sorted(sides)) or 'nobody'))
    if {'ems', 'etm', 'hrr', 'keyupdate', 'resumed', 'renegotiated'} & set(facts):
        hs = hs_info(args)
        for i, s in enumerate(order):
            msgs = hs.get(s, [])
            types = [t for _, ts, _ in msgs for t in ts]
            # extension types of the ServerHello frame (first one carrying type 2 from the server)
            shx = next((x for sp, ts, x in msgs if 2 in ts and sp == st[s]['server']), [])
            for k, code in (('ems', 23), ('etm', 22)):
                if k in facts:
                    want = per_conn(facts[k], n)[i] == 'yes'
                    if (code in shx) != want:
                        errs.append('stream %d %s %s, expected %s' % (s, k, 'yes' if code in shx else 'no', facts[k]))
            if 'hrr' in facts and types.count(2) < 2:
                errs.append('stream %d: %d ServerHello, expected an HRR + ServerHello' % (s, types.count(2)))
            if 'keyupdate' in facts and types.count(24) != int(facts['keyupdate']):
                errs.append('stream %d: %d KeyUpdate, expected %s' % (s, types.count(24), facts['keyupdate']))
            if 'renegotiated' in facts and types.count(1) < 2:
                errs.append('stream %d: %d ClientHello, expected 2 (renegotiation)' % (s, types.count(1)))
            if 'resumed' in facts:
                want = per_conn(facts['resumed'], n)[i] == 'yes'
                got = 11 not in types
                if got != want:
                    errs.append('stream %d resumed %s, expected %s' % (s, got, facts['resumed']))
        checked += [k for k in ('ems', 'etm', 'hrr', 'keyupdate', 'resumed', 'renegotiated') if k in facts]
    byte_args = [args]
    if 'rsakey' in facts:
        a2 = list(args)
        for j in range(len(a2) - 1):
            if a2[j] == '-o' and a2[j + 1].startswith('tls.keylog_file:'):
                del a2[j:j + 2]
                break
        a2 += ['-o', 'uat:rsa_keys:"%s",""' % os.path.join(FIX, facts['rsakey'])]
        byte_args.append(a2)
        checked.append('rsakey')
    if 'c2s_bytes' in facts or 's2c_bytes' in facts:
        checked.append('bytes')
        tlsv = per_conn(facts.get('tls', '1.2'), n)
        for (i, s), ba in [(x, b) for b in byte_args for x in enumerate(order)]:
            wc = per_conn(facts.get('c2s_bytes', '-'), n)[i]
            ws = per_conn(facts.get('s2c_bytes', '-'), n)[i]
            if wc == '-' and ws == '-':
                continue
            c, sv = follow_bytes(ba, s, 'tcp' if tlsv[i] == 'none' else 'tls', st[s]['server'])
            if wc != '-' and c != int(wc):
                errs.append('stream %d c2s %d bytes, expected %s' % (s, c, wc))
            if ws != '-' and sv != int(ws):
                errs.append('stream %d s2c %d bytes, expected %s' % (s, sv, ws))
    return errs, checked


def main(argv):
    global VERBOSE
    if '-v' in argv:
        VERBOSE = True
        argv = [a for a in argv if a != '-v']
    only = set(argv[1:])
    npass = nfail = nskip = 0
    for name, facts, _ in parse_manifest():
        if only and name not in only:
            continue
        if not os.path.exists(os.path.join(FIX, name)):
            print('FAIL %s: missing' % name)
            nfail += 1
            continue
        errs, checked = check(name, facts)
        kl = facts.get('keylog', '')
        if kl and not kl.startswith(name.split('.')[0] + '.'):
            name += ' with ' + kl
        if errs:
            print('FAIL %s: %s' % (name, '; '.join(errs)))
            nfail += 1
        elif not checked:
            print('SKIP %s: no fact to check' % name)
            nskip += 1
        else:
            print('PASS %s (%s)' % (name, ' '.join(checked)))
            npass += 1
    print('%d passed, %d failed, %d skipped' % (npass, nfail, nskip))
    return 1 if nfail else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
