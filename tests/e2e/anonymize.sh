#!/bin/bash
# --anonymize: no original address in any output, the same pseudonym in all
# of them, stable with the same --token-key, different with another key.
. "$(dirname "$0")/lib.sh"
f="$FIX/concurrent.pcap"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/k1"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/k2"
run() { # key, tag
    "$TR_BIN" --anonymize --token-key "$1" -r "$f" -l "$FIX/concurrent.keylog" -o "$TMP/$2.txt" \
        --json "$TMP/$2.jsonl" -w "$TMP/$2.pcap" >/dev/null 2>&1
}
run "$TMP/k1" a && run "$TMP/k1" b && run "$TMP/k2" c || { fail "anonymize" "tlsredact failed"; exit 0; }
if grep -q "127\.0\.0\.1" "$TMP/a.txt" "$TMP/a.jsonl"; then fail "anonymize text/json" "127.0.0.1 still present"; else pass "anonymize: no original address in transcript and JSON"; fi
if have_tshark; then
    ips=$(tshark_q -r "$TMP/a.pcap" -T fields -e ip.src -e ip.dst | tr '\t' '\n' | sort -u)
    if grep -qx "127.0.0.1" <<<"$ips"; then fail "anonymize pcap" "127.0.0.1 in the pcap"; else pass "anonymize: pcap addresses replaced ($(echo $ips))"; fi
    pseud=$(sed -n 's/^#1 \([^(]*\)(.*/\1/p' "$TMP/a.txt")
    [ -z "$pseud" ] && pseud=$(sed -n 's/^New TCP connection #1: \([^(]*\)(.*/\1/p' "$TMP/a.txt")
    if grep -qx "$pseud" <<<"$ips"; then pass "anonymize: same pseudonym in transcript and pcap"; else fail "anonymize consistency" "transcript $pseud, pcap $ips"; fi
fi
if cmp -s <(grep -o '"addr":"[^"]*"' "$TMP/a.jsonl") <(grep -o '"addr":"[^"]*"' "$TMP/b.jsonl"); then
    pass "anonymize: stable with the same --token-key"
else
    fail "anonymize stability" "different pseudonyms with the same key"
fi
if cmp -s <(grep -o '"addr":"[^"]*"' "$TMP/a.jsonl") <(grep -o '"addr":"[^"]*"' "$TMP/c.jsonl"); then
    fail "anonymize keyed" "same pseudonyms with another key"
else
    pass "anonymize: another key gives other pseudonyms"
fi
