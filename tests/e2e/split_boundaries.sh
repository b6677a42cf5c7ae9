#!/bin/bash
# Secrets cut by framing (tests/fixtures/split_boundaries, made by
# tests/gen/make-split-fixtures.sh, planted secrets listed in tests/fixtures/MANIFEST):
# an HTTP/1.1 chunk boundary inside a password (chunked request and chunked
# response), a gzip body that decodes to more than 1 MiB (re-chunked by tlsredact)
# with tokens on every line, a WebSocket fragment boundary inside a password, a
# secret at the end of a WebSocket message, a 109 KB deflated WebSocket message
# (re-framed in 16 KiB frames).  Regression test for leaks an acceptance capture found.
# Every output (transcript, JSON Lines, report, exported streams, tcp and pdu pcaps)
# must hold no planted secret, neither half of a split one nor the whole value
# (the exported streams are also searched de-chunked and de-fragmented); an
# unredacted run must show every one (they are in the capture); tshark must
# dissect the output pcap without errors; the exported streams must still be
# valid HTTP/1.1 and WebSocket framing.
. "$(dirname "$0")/lib.sh"
V="$TR_ROOT/tests/tools/validate_json.py"
if ! command -v python3 >/dev/null 2>&1; then
    skip "split" "python3 not installed (it parses the outputs)"
    exit 0
fi
name="split"
f="$FIX/split_boundaries.pcap"
kl="$FIX/split_boundaries.keylog"
if [ ! -f "$f" ] || [ ! -f "$kl" ]; then
    fail "$name: fixture" "$f or its key log is missing (tests/gen/make-split-fixtures.sh)"
    exit 0
fi
# The planted secrets: each half of a split value that is distinctive, and the whole value.
SECRETS=(
    accept-sec-reqsplitA                    # request chunk 1 (chunked POST body, cut in the password)
    reqsplitB-7f3a9                         # request chunk 2
    accept-sec-reqsplitA-reqsplitB-7f3a9    # whole (de-chunked request; the echo response has it whole)
    accept-sec-respsplitA                   # response chunk 1 (/chunkplain)
    respsplitB-7f3a9                        # response chunk 2
    accept-sec-respsplitA-respsplitB-7f3a9  # whole (de-chunked response)
    accept-sec-h1trailer-7f3a9              # trailer of every chunked response
    accept-sec-pysetcookie-7f3a9            # Set-Cookie of every response
    accept-sec-densebear-7f3a9              # /bigdense: gzip, > 1 MiB decoded, Bearer on every line
    accept-sec-densetok-7f3a9               # /bigdense: token= on every line
    accept-sec-wssplitA                     # WebSocket fragment 1
    wssplitB-7f3a9                          # WebSocket fragment 2 (frame header 0x80 0x20)
    accept-sec-wssplitA-wssplitB-7f3a9      # whole (de-fragmented message)
    accept-sec-wsnexthdr-7f3a9              # at the very end of a WebSocket message
    accept-sec-wstoken-7f3a9                # the server's JSON answers
    accept-sec-wsdense-7f3a9                # 109 KB permessage-deflate message
)
DA=(-d tcp.port==10443,http -d tcp.port==11443,http -d tcp.port==13443,http)

# parse DIR OUT [raw]: the exported streams of DIR as HTTP/1.1 messages (chunked framing
# checked, de-chunked, gzip bodies inflated) and, after an Upgrade, WebSocket frames
# (valid opcode, no RSV bits unless raw, lengths consistent to the end of the stream,
# fragments joined); bodies and messages go to OUT (written even when framing breaks),
# a summary on stdout; exit 1 with the framing errors (the first of each stream).
parse() {
    python3 - "$@" <<'PY'
import glob, gzip, os, sys, zlib
d, out = sys.argv[1], sys.argv[2]
raw = len(sys.argv) > 3
got, err = [], []
count = {"req": 0, "resp": 0, "101": 0, "wsmsg": 0}
def ws(b, i, what):
    msg, op0 = None, 0
    while i < len(b):
        if i + 2 > len(b):
            raise ValueError("%s: truncated frame header at %d" % (what, i))
        b0, b1 = b[i], b[i + 1]
        fin, rsv, op, mask, ln = b0 >> 7, (b0 >> 4) & 7, b0 & 15, b1 >> 7, b1 & 127
        j = i + 2
        if ln == 126:
            ln, j = int.from_bytes(b[j:j + 2], "big"), j + 2
        elif ln == 127:
            ln, j = int.from_bytes(b[j:j + 8], "big"), j + 8
        key = b[j:j + 4] if mask else b"\0\0\0\0"
        j += 4 if mask else 0
        if op not in (0, 1, 2, 8, 9, 10) or (rsv and not raw):
            raise ValueError("%s: bad frame at %d: opcode %d rsv %d %r" % (what, i, op, rsv, b[i:i + 16]))
        if j + ln > len(b):
            raise ValueError("%s: frame at %d: length %d runs past the end (%d)" % (what, i, ln, len(b)))
        p = bytes(x ^ key[k & 3] for k, x in enumerate(b[j:j + ln])) if mask else b[j:j + ln]
        if op >= 8:
            if not fin or ln > 125:
                raise ValueError("%s: control frame at %d: fin %d length %d" % (what, i, fin, ln))
        elif op == 0:
            if msg is None:
                raise ValueError("%s: continuation frame at %d outside a message" % (what, i))
            msg += p
        else:
            if msg is not None:
                raise ValueError("%s: new data frame at %d inside a fragmented message" % (what, i))
            msg, op0 = p, op
        if op < 8 and fin:
            got.append(msg)
            count["wsmsg"] += 1
            msg = None
        i = j + ln
    if msg is not None:
        raise ValueError("%s: fragmented message not finished at the end" % what)
def h1(b, what):
    i = 0
    while i < len(b):
        e = b.find(b"\r\n\r\n", i)
        if e < 0:
            raise ValueError("%s: no end of header at offset %d: %r" % (what, i, b[i:i + 40]))
        lines = b[i:e].decode("latin-1").split("\r\n")
        hdr = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        got.append(b[i:e])
        i, body = e + 4, b""
        resp = lines[0].startswith("HTTP/1.1 ")
        count["resp" if resp else "req"] += 1
        if resp and lines[0].split()[1] == "101" or not resp and hdr.get("upgrade", "").lower() == "websocket":
            count["101"] += resp
            return ws(b, i, what)
        if hdr.get("transfer-encoding", "").lower() == "chunked":
            while True:
                e = b.find(b"\r\n", i)
                sz = b[i:e].split(b";")[0]
                if e < 0 or not sz or any(c not in b"0123456789abcdefABCDEF" for c in sz):
                    raise ValueError("%s: bad chunk-size line at %d: %r" % (what, i, b[i:i + 20]))
                n = int(sz, 16)
                if n == 0:
                    t = b.find(b"\r\n\r\n", e) if b[e + 2:e + 4] != b"\r\n" else e
                    if t < 0:
                        raise ValueError("%s: no end of trailer at %d" % (what, e))
                    got.append(b[e + 2:t])
                    i = t + 4
                    break
                if b[e + 2 + n:e + 4 + n] != b"\r\n":
                    raise ValueError("%s: chunk at %d (size %d) not followed by CRLF: %r" % (what, i, n, b[e + 2 + n:e + 12 + n]))
                body += b[e + 2:e + 2 + n]
                i = e + 4 + n
        else:
            n = int(hdr.get("content-length", "0"))
            if i + n > len(b):
                raise ValueError("%s: body of %d bytes runs past the end" % (what, n))
            body, i = b[i:i + n], i + n
        ce = hdr.get("content-encoding", "")
        if ce == "gzip":
            body = gzip.decompress(body)
        elif ce:
            raise ValueError("%s: Content-Encoding %s" % (what, ce))
        got.append(body)
files = sorted(glob.glob(d + "/*.c2s") + glob.glob(d + "/*.s2c"))
try:
    if len(files) != 8:
        raise ValueError("%d exported stream files, expected 8" % len(files))
    for fn in files:
        try:
            h1(open(fn, "rb").read(), os.path.basename(fn))
        except (ValueError, IndexError, EOFError, zlib.error) as e:
            err.append(str(e))
    want = {"req": 5, "resp": 5, "101": 2, "wsmsg": 8}
    if count != want and not err:
        raise ValueError("found %s, expected %s" % (count, want))
except (ValueError, IndexError, OSError, EOFError, zlib.error) as e:
    err.append(str(e))
finally:
    open(out, "wb").write(b"".join(x + b"\n" for x in got))
print("%d requests, %d responses (%d upgrades), %d WebSocket messages" %
      (count["req"], count["resp"], count["101"], count["wsmsg"]))
if err:
    print("\n".join(err))
    sys.exit(1)
PY
}

d="$TMP/out"
mkdir -p "$d/streams" "$TMP/dis" "$TMP/raw/streams"
"$TR_BIN" -r "$f" -l "$kl" -o "$d/t.txt" --json "$d/e.jsonl" -w "$d/o.pcap" --report "$d/r.json" \
    --export-streams "$d/streams" >"$d/stdout" 2>"$d/stderr"
rc=$?
if [ "$rc" -ne 0 ] || [ ! -s "$d/t.txt" ]; then
    fail "$name: run" "exit $rc: $(head -2 "$d/stderr")"
    exit 0
fi
pass "$name: run (exit 0)"
"$TR_BIN" -q -r "$f" -l "$kl" -w "$d/o_pdu.pcap" --pcap-format pdu -o "$d/q.txt" >/dev/null 2>"$d/stderr_pdu"
rc=$?
if [ "$rc" -eq 0 ] && [ -s "$d/o_pdu.pcap" ]; then pass "$name: run --pcap-format pdu (exit 0)"
else fail "$name: run --pcap-format pdu" "exit $rc: $(head -2 "$d/stderr_pdu")"; fi

# ---- the exported streams: HTTP/1.1 framing (chunks) and WebSocket frames intact; their
# bodies and messages de-chunked / de-fragmented go to $d/parsed.txt (searched below)
if out=$(parse "$d/streams" "$d/parsed.txt"); then
    pass "$name: exported streams are valid HTTP/1.1 (chunked framing) and WebSocket frames ($out)"
else
    fail "$name: framing of the exported streams" "$(tr '\n' ';' <<<"$out")"
fi
# the > 1 MiB body: every line still there, whole, with its values masked
nb=$(grep -acE '^l[0-9]{6} Authorization: Bearer \*+ pw token=\*+$' "$d/parsed.txt")
[ "$nb" -eq 17000 ] && pass "$name: /bigdense decoded whole, 17000 lines masked in place" ||
    fail "$name: /bigdense" "$nb of 17000 masked lines in the de-chunked exported body"

# ---- no planted secret in any output: the files as bytes (exported streams and their
# de-chunked bodies included), the JSON Lines decoded, the pcaps as tshark dissects them
# (tshark -V shows a WebSocket continuation frame only as "Continue: <hex>", and the first
# fragment of a message not at all: the payload fields are added decoded; the pcaps
# themselves, which hold every frame unmasked, are searched as bytes too)
dissect() { # PCAP OUT
    { tshark_q -r "$1" "${DA[@]}" -V
      tshark_q -r "$1" "${DA[@]}" -Y websocket -T fields -e websocket.payload.text \
          -e websocket.payload.continue -e websocket.payload.unknown | python3 -c '
import re, sys
for l in sys.stdin:
    for v in re.split(r"[\t,]", l.rstrip("\n")):
        if re.fullmatch(r"(?:[0-9a-f]{2})+", v):
            sys.stdout.buffer.write(bytes.fromhex(v) + b"\n")'
    } >"$2"
}
if have_tshark; then
    dissect "$d/o.pcap" "$TMP/dis/o.txt"
    dissect "$d/o_pdu.pcap" "$TMP/dis/o_pdu.txt"
fi
secrets_absent "$name" "$d/e.jsonl" "$d" "$TMP/dis" -- "${SECRETS[@]}"
have_tshark || skip "$name: secrets in tshark's dissection" "tshark not installed (only the files were searched)"

# ---- proof that they are in the capture: an unredacted run (keys-only.rules masks nothing
# here) shows every one, in its exported streams, their de-chunked bodies, its transcript or pcap
r="$TMP/raw"
"$TR_BIN" -r "$f" -l "$kl" -R "$TR_ROOT/tests/e2e/data/keys-only.rules" -o "$r/t.txt" --json "$r/e.jsonl" \
    -w "$r/o.pcap" --export-streams "$r/streams" >/dev/null 2>"$r/stderr"
rc=$?
parse "$r/streams" "$r/parsed.txt" raw >"$r/parse.out"
miss=""
for s in "${SECRETS[@]}"; do grep -rqaF -- "$s" "$r" || miss="$miss $s"; done
[ "$rc" -eq 0 ] && [ -z "$miss" ] && pass "$name: unredacted run shows all ${#SECRETS[@]} planted secrets" ||
    fail "$name: unredacted run" "exit $rc, not shown:${miss:- -} ($(head -1 "$r/stderr"))"

# ---- tshark dissects the output pcap without errors, the WebSocket frames included
if have_tshark; then
    tshark_q -r "$d/o.pcap" "${DA[@]}" -q -z expert >"$TMP/dis/expert.txt"
    bad=$(grep -E 'Malformed|^Errors|not implemented' "$TMP/dis/expert.txt" | head -3 | tr '\n' ';')
    if [ -n "$bad" ]; then fail "$name: tshark expert info of o.pcap" "$bad"
    elif ! grep -q 'Switching Protocols' "$TMP/dis/expert.txt"; then
        fail "$name: tshark expert info of o.pcap" "no 101 Switching Protocols seen: $(head -5 "$TMP/dis/expert.txt")"
    else pass "$name: tshark dissects o.pcap with no Malformed / Error / unknown WebSocket opcode"; fi
    n=$(tshark_q -r "$d/o.pcap" "${DA[@]}" -Y websocket -T fields -e websocket.opcode | tr ',' '\n' |
        grep -cvxE '0|1|2|8|9|10|')
    nws=$(tshark_q -r "$d/o.pcap" "${DA[@]}" -Y websocket | wc -l)
    [ "$n" -eq 0 ] && [ "$nws" -gt 0 ] && pass "$name: tshark sees WebSocket frames in o.pcap, all with valid opcodes" ||
        fail "$name: WebSocket in o.pcap" "$nws packets with WebSocket, $n frames with a bad opcode"
else
    skip "$name: tshark dissection of o.pcap" "tshark not installed"
fi
