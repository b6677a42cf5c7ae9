#!/bin/bash
# Every connection that is not (fully) decrypted says precisely why.
# Each case: fixture, keys given, connection, and the reason its verdict must give.
. "$(dirname "$0")/lib.sh"
F=$FIX
check_reason() { # name, conn, regex, args...
    local name=$1 conn=$2 re=$3; shift 3
    local line
    line=$("$TR_BIN" -R none -q "$@" 2>/dev/null | grep "^#$conn " | head -1)
    if grep -qE -- "$re" <<<"$line"; then pass "reason: $name"; else fail "reason: $name" "got: ${line:-<none>}"; fi
}
check_reason "ECDHE with only an RSA key" 1 "not decrypted: ECDHE key exchange and the key log has no entry for this client random: an RSA key cannot decrypt it" \
    -r "$F/tls12_ecdhe_aesgcm.pcap" -k "$F/keys/server.key"
check_reason "RSA key of another server" 1 "not decrypted: no RSA key matches the server certificate \(certificate SHA-256 [0-9a-f]{64}; key public-key SHA-256 [0-9a-f]{64}" \
    -r "$F/tls12_rsa_aes128sha.pcap" -k "$F/keys/client.key"
check_reason "RSA without any key" 1 "not decrypted: RSA key exchange and no key for it" \
    -r "$F/tls12_resume_sessionid_rsa.pcap" -l "$F/tls12_ecdhe_aesgcm.keylog"
check_reason "resumed without its full handshake" 2 "not decrypted: resumed session \(abbreviated handshake\) whose full handshake is not in the capture" \
    -r "$F/tls12_resume_sessionid_rsa.pcap" -l "$F/tls12_ecdhe_aesgcm.keylog"
check_reason "resumed with its full handshake (RSA key)" 2 "RESUMED: .*decrypted: 104 bytes client to server, 104 server to client$" \
    -r "$F/tls12_resume_sessionid_rsa.pcap" -k "$F/keys/server.key"
check_reason "TLS 1.3 partial key log" 1 "decrypted: 104 bytes client to server, 0 server to client; partly decrypted: the key log has only handshake secrets .*no SERVER_TRAFFIC_SECRET_0" \
    -r "$F/tls13_aes256gcm.pcap" -l "$F/tls13_aes256gcm_partial.keylog"
check_reason "TLS 1.3 key log of other connections" 1 "not decrypted: the key log has no TLS 1.3 secrets for this client random" \
    -r "$F/tls13_aes256gcm.pcap" -l "$F/tls12_ecdhe_aesgcm.keylog"
check_reason "mid-stream capture" 1 "capture incomplete: no ClientHello seen .*not decrypted: handshake not captured" \
    -r "$F/tls12_midstream_appdata.pcap" -l "$F/tls12_ecdhe_aesgcm.keylog"
check_reason "gap in a decrypted stream" 1 "40 bytes missing from the capture \(first gap at client stream offset 507\); decrypted: 93 bytes client to server, 104 server to client" \
    -r "$F/tls12_gap.pcap" -l "$F/tls12_ecdhe_aesgcm.keylog"
check_reason "0-RTT with its secret" 2 "RESUMED: .*\(PSK resumption\); decrypted: .*\(2 0-RTT records\)" \
    -r "$F/tls13_resume_early_data.pcap" -l "$F/tls13_resume_early_data.keylog"
check_reason "KeyUpdate followed" 1 "KeyUpdate: 2 by the client, 2 by the server" \
    -r "$F/tls13_keyupdate.pcap" -l "$F/tls13_keyupdate.keylog"
check_reason "renegotiation followed" 1 "decrypted: 104 bytes client to server, 104 server to client; renegotiated 1 time" \
    -r "$F/tls12_renegotiation.pcap" -l "$F/tls12_renegotiation.keylog"
# a key log whose secrets are wrong for the connection: every record fails authentication
sed 's/\(CLIENT_RANDOM [0-9a-fA-F]* \)[0-9a-fA-F]/\10/' "$F/tls12_ecdhe_aesgcm.keylog" >"$TMP/wrong.keylog"
if ! cmp -s "$TMP/wrong.keylog" "$F/tls12_ecdhe_aesgcm.keylog"; then
    check_reason "wrong master secret" 1 "records? failed authentication, bad_record_mac\(20\) from record [0-9]+ \(keys wrong or capture corrupted\): withheld" \
        -r "$F/tls12_ecdhe_aesgcm.pcap" -l "$TMP/wrong.keylog"
else
    fail "wrong master secret" "could not alter the key log"
fi
