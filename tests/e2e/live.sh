#!/bin/bash
# Live capture (-i): in a private network namespace (its own loopback, no
# traffic leaves), capture a real TLS handshake made by openssl, stop with
# SIGINT, and check the verdict.  Needs root and unshare(1).
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null || ! command -v openssl >/dev/null; then
    skip "live capture" "needs root, unshare and openssl"
    exit 0
fi
if [ -z "${TR_IN_NETNS:-}" ]; then
    TR_IN_NETNS=1 exec unshare --net bash "$0"
fi
ip link set lo up 2>/dev/null || { skip "live capture" "cannot bring up lo in a namespace"; exit 0; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/k.pem" -out "$TMP/c.pem" -days 2 -subj /CN=live \
    >/dev/null 2>&1
"$TR_BIN" -q --no-progress -i lo 'tcp port 47001' >"$TMP/out" 2>"$TMP/err" &
tp=$!
sleep 1
timeout 10 openssl s_server -accept 47001 -cert "$TMP/c.pem" -key "$TMP/k.pem" -tls1_2 -cipher AES256-GCM-SHA384 \
    -quiet >/dev/null 2>&1 &
sp=$!
sleep 0.5
echo | timeout 5 openssl s_client -connect 127.0.0.1:47001 -cipher ECDHE-RSA-AES128-GCM-SHA256 -tls1_2 \
    >/dev/null 2>&1
sleep 0.5
kill $sp 2>/dev/null
kill -INT $tp
wait $tp
rc=$?
if [ $rc -eq 0 ] && grep -q "server sent fatal alert handshake_failure(40) after the client's client_hello" "$TMP/out"; then
    pass "live capture: handshake failure diagnosed, clean exit on SIGINT"
else
    fail "live capture" "exit $rc; $(head -3 "$TMP/out" "$TMP/err" | tr '\n' ' ')"
fi
