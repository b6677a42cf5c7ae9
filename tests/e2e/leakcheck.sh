#!/bin/bash
# The leak self-check: a key log whose "secret" happens to be bytes that the
# outputs will contain (the first 48 bytes of a cleartext HTTP request) must
# make the run fail and remove the outputs; with an ordinary key log the same
# run succeeds and keeps them.
. "$(dirname "$0")/lib.sh"
f="$FIX/http_plain_8080.pcap"
"$TR_BIN" -R none -q -r "$f" --export-streams "$TMP" >/dev/null 2>&1
c2s=$(ls "$TMP"/1-*.c2s 2>/dev/null | head -1)
if [ -z "$c2s" ]; then fail "leakcheck setup" "no exported client stream"; exit 0; fi
hex=$(od -An -v -tx1 -N 48 "$c2s" | tr -d ' \n')
printf 'CLIENT_RANDOM %064d %s\n' 0 "$hex" >"$TMP/bait.keylog"
"$TR_BIN" -R none -r "$f" -l "$TMP/bait.keylog" -o "$TMP/t.txt" -w "$TMP/o.pcap" >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "leak self-check" "$TMP/err" && [ ! -e "$TMP/t.txt" ] && [ ! -e "$TMP/o.pcap" ]; then
    pass "leak self-check removes outputs that contain key material (exit 1)"
else
    fail "leak self-check" "exit $rc, $(head -1 "$TMP/err"), outputs left: $(ls "$TMP"/t.txt "$TMP"/o.pcap 2>/dev/null | tr '\n' ' ')"
fi
"$TR_BIN" -r "$FIX/tls12_ecdhe_aesgcm.pcap" -l "$FIX/tls12_ecdhe_aesgcm.keylog" -o "$TMP/t2.txt" \
    -w "$TMP/o2.pcap" >/dev/null 2>"$TMP/err2"
rc=$?
if [ $rc -eq 0 ] && [ -s "$TMP/t2.txt" ] && [ -s "$TMP/o2.pcap" ]; then
    pass "leak self-check passes clean outputs"
else
    fail "leak self-check clean run" "exit $rc: $(head -1 "$TMP/err2")"
fi
