#!/bin/bash
# HTTP bodies compressed with gzip, br and zstd (tests/fixtures/https_compressed,
# made by tests/gen/make-http-fixtures.sh): secrets planted inside the
# compressed JSON must appear in no output, decoded or not; the decoded JSON
# structure must be visible, Content-Encoding gone and Content-Length right in
# the pcap as tshark reads it; the body with an unknown coding is withheld.
. "$(dirname "$0")/lib.sh"
f="$FIX/https_compressed.pcap"
kl="$FIX/https_compressed.keylog"
"$TR_BIN" -r "$f" -l "$kl" -o "$TMP/t.txt" --json "$TMP/e.jsonl" -w "$TMP/o.pcap" --export-streams "$TMP" \
    >/dev/null 2>"$TMP/err" || { fail "http bodies: run" "$(head -1 "$TMP/err")"; exit 0; }
for s in hunter2-gz sk-test-gz0123456789abcdef hunter2-br tok-br-0123456789abcdef hunter2-zstd \
         cs-zstd-0123456789 hunter2-unknown; do
    if grep -rqF -- "$s" "$TMP"; then fail "http bodies: $s" "found in an output"; else pass "http bodies: $s absent"; fi
done
n=$(cat "$TMP"/*.s2c | grep -c '"user":"alice"')
[ "$n" -eq 3 ] && pass "http bodies: 3 decoded JSON bodies visible" || fail "http bodies: decoded" "$n of 3"
grep -q "X-Tlsredact-Withheld: unknown-coding" "$TMP"/*.s2c && pass "http bodies: unknown coding withheld and said" ||
    fail "http bodies: unknown coding" "no X-Tlsredact-Withheld header"
grep -q "http1-withheld: .*1 unknown-coding" "$TMP/t.txt" && pass "http bodies: verdict counts the withheld body" ||
    fail "http bodies: verdict" "$(grep http1 "$TMP/t.txt")"
if have_tshark; then
    out=$(tshark_q -r "$TMP/o.pcap" -Y http.response -T fields -e http.content_encoding -e http.content_length_header \
        -e http.file_data)
    enc=$(cut -f1 <<<"$out" | tr -d '\n')
    [ -z "$enc" ] && pass "http bodies: no Content-Encoding left in the pcap" || fail "http bodies: encoding" "$enc"
    if python3 -c '
import sys
ok = True
for line in sys.stdin.read().splitlines():
    enc, length, data = line.split("\t")
    body = data.encode().decode("unicode_escape")
    ok &= int(length) == len(body)
sys.exit(0 if ok else 1)' <<<"$out"; then
        pass "http bodies: Content-Length matches each body in tshark"
    else
        fail "http bodies: lengths" "$out"
    fi
    bad=$(tshark_q -r "$TMP/o.pcap" -q -z expert | grep -iE '^ +[0-9]+ +(Malformed|Protocol|Sequence).*(Error|Warn)' | head -3)
    [ -z "$bad" ] && pass "http bodies: tshark expert clean" || fail "http bodies: expert" "$bad"
fi

# WebSocket (tests/fixtures/https_websocket): masked client frames and a
# permessage-deflate message; the secrets inside are redacted, the text shows.
f="$FIX/https_websocket.pcap"
kl="$FIX/https_websocket.keylog"
mkdir -p "$TMP/ws"
"$TR_BIN" -r "$f" -l "$kl" -o "$TMP/ws/t.txt" -w "$TMP/ws/o.pcap" --export-streams "$TMP/ws" >/dev/null 2>&1 ||
    { fail "websocket: run" "tlsredact failed"; exit 0; }
for s in hunter2-wsdeflate tok-ws-masked-0123456789; do
    if grep -rqF -- "$s" "$TMP/ws"; then fail "websocket: $s" "found in an output"; else pass "websocket: $s absent"; fi
done
grep -q '{"user":"alice","password":"\*\*\*\*' "$TMP"/ws/*.c2s && pass "websocket: deflated masked message visible, redacted" ||
    fail "websocket: client text" "not found in the exported client stream"
grep -q "WebSocket upgrade followed" "$TMP/ws/t.txt" && pass "websocket: verdict says the upgrade was followed" ||
    fail "websocket: verdict" "no upgrade line"
if have_tshark; then
    txt=$(tshark_q -r "$TMP/ws/o.pcap" -d tcp.port==9443,http -Y websocket -T fields \
          -e websocket.payload.text | tr '\n' ' ')
    grep -q '^{"user":"alice","password":"\*\*\*' <<<"$txt" && grep -q 'echo: {"token":"\*\*\*' <<<"$txt" &&
        pass "websocket: tshark dissects both sides' frames in the pcap, redacted" ||
        fail "websocket: tshark" "$txt"
fi

# --allow-uninspected lets the undecodable body through, explicitly
mkdir -p "$TMP/au"
"$TR_BIN" -q --allow-uninspected -r "$FIX/https_compressed.pcap" -l "$FIX/https_compressed.keylog" \
    --export-streams "$TMP/au" >/dev/null 2>"$TMP/au.err"
if grep -q "Content-Encoding: x-secret-coding" "$TMP"/au/*.s2c && ! grep -q "X-Tlsredact-Withheld" "$TMP"/au/*.s2c &&
   grep -q "allow-uninspected" "$TMP/au.err"; then
    pass "http bodies: --allow-uninspected passes the unknown coding, and says so"
else
    fail "http bodies: --allow-uninspected" "$(head -1 "$TMP/au.err")"
fi
