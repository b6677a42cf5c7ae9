#!/bin/bash
# Decrypted pcap output (-w FILE, --pcap-format tcp|pdu), read back with tshark:
# the tcp output opens without TCP analysis warnings or malformed packets, lists
# the same HTTP requests as tshark on the original with the key log, follows to
# the same cleartext as --export-streams; the pdu output dissects as the named
# protocol; a failed handshake keeps its alert; no planted secret, no DSB.
. "$(dirname "$0")/lib.sh"
if ! "$TR_BIN" --help 2>/dev/null | grep -q -- '-w FILE'; then
    skip "pcap output" "$TR_BIN does not know -w yet (not wired into main.c)"
    exit 0
fi
if ! have_tshark; then
    skip "pcap output" "tshark not installed"
    exit 0
fi

# tshark expert lines of severity error/warning (minus the HTTP dissector's
# opinions about non-HTTP payload on an HTTP port), one per line
expert_bad() {
    tshark_q -r "$1" -q -z expert |
        awk '/^(Errors|Warns) \(/ { on = 1; next } /^[A-Z][a-z]+ \(/ { on = 0 } on && /^ +[0-9]+ /' |
        grep -v -e 'Illegal characters found in header name' -e 'Unencrypted HTTP protocol'
}
reqs() { # capture [tshark options...]: "METHOD URI" per HTTP/1 or HTTP/2 request
    local f=$1; shift
    { tshark_q -r "$f" "$@" -Y http.request -T fields -e http.request.method -e http.request.uri
      tshark_q -r "$f" "$@" -Y http2.headers.method -T fields -e http2.headers.method -e http2.headers.path |
          python3 -c 'import sys
for line in sys.stdin:
    m, _, p = line.rstrip("\n").partition("\t")
    for a, b in zip(m.split(","), p.split(",")):
        print(a + "\t" + b)' ; } | grep -v '^[[:space:]]*$' | sort
}
is_classic_pcap() { # magic a1b2c3d4 (little or big endian, usec or nsec)
    local m
    m=$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')
    case "$m" in d4c3b2a1|a1b2c3d4|4d3cb2a1|a1b23c4d) return 0 ;; *) return 1 ;; esac
}

for fx in https_443_tls12 https_large_tls13 https_h2_tls13; do
    pcap="$FIX/$fx.pcap"
    kl="$FIX/$fx.keylog"
    [ -f "$pcap" ] && [ -f "$kl" ] || { skip "$fx" "fixture missing"; continue; }
    out="$TMP/$fx.tcp.pcap"
    ex="$TMP/$fx.ex"
    mkdir -p "$ex"
    # redaction off for the byte/request comparisons against tshark
    if ! "$TR_BIN" -q -R "$TR_ROOT/tests/e2e/data/keys-only.rules" -r "$pcap" -l "$kl" -w "$out" --export-streams "$ex" >/dev/null 2>"$TMP/err"; then
        fail "$fx tcp: run" "$(head -c 300 "$TMP/err")"
        continue
    fi
    check "$fx tcp: classic pcap, Ethernet" is_classic_pcap "$out"
    enc=$(tshark_q -r "$out" -T fields -e frame.encap_type | sort -u | tr '\n' ' ')
    [ "$enc" = "1 " ] && pass "$fx tcp: encap 1" || fail "$fx tcp: encap 1" "got '$enc'"
    ls "$TMP" | grep -q 'tmp-' && fail "$fx tcp: no temporary file left" "$(ls "$TMP")"
    bad=$(expert_bad "$out")
    [ -z "$bad" ] && pass "$fx tcp: tshark expert clean" || fail "$fx tcp: tshark expert clean" "$bad"
    want=$(reqs "$pcap" -o "tls.keylog_file:$kl" -o tcp.reassemble_out_of_order:TRUE)
    got=$(reqs "$out")
    if [ -n "$want" ] && [ "$want" = "$got" ]; then
        pass "$fx tcp: same requests as tshark with the key log"
    else
        fail "$fx tcp: same requests as tshark with the key log" "want [$want] got [$got]"
    fi
    # follow,tcp,raw of the one stream = exported cleartext (by direction)
    tshark_q -r "$out" -q -z follow,tcp,raw,0 >"$TMP/follow"
    awk '/^=+$/ { n++; next } n == 1 && /^Node|^Follow|^Filter/ { next }
         n == 1 && /^\t/ { gsub(/\t/, ""); print > "'"$TMP"'/s2c.hex"; next }
         n == 1 && NF { print > "'"$TMP"'/c2s.hex" }' "$TMP/follow"
    for d in c2s s2c; do
        exp_hex=$(cat "$ex"/*."$d" 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
        got_hex=$(tr -d ' \n' <"$TMP/$d.hex" 2>/dev/null)
        rm -f "$TMP/$d.hex"
        if [ -n "$exp_hex" ] && [ "$exp_hex" = "$got_hex" ]; then
            pass "$fx tcp: follow $d = --export-streams"
        else
            fail "$fx tcp: follow $d = --export-streams" "lengths ${#exp_hex}/2 vs ${#got_hex}/2"
        fi
    done
    # raw IP link type
    rawo="$TMP/$fx.raw.pcap"
    "$TR_BIN" -q -R "$TR_ROOT/tests/e2e/data/keys-only.rules" -r "$pcap" -l "$kl" -w "$rawo" --pcap-link raw >/dev/null 2>&1
    enc=$(tshark_q -r "$rawo" -T fields -e frame.encap_type | sort -u | tr '\n' ' ')
    [ "$enc" = "7 " ] && [ -z "$(expert_bad "$rawo")" ] && pass "$fx raw: encap 7, expert clean" ||
        fail "$fx raw: encap 7, expert clean" "encap '$enc'"
    # pdu format
    pdu="$TMP/$fx.pdu.pcap"
    "$TR_BIN" -q -R "$TR_ROOT/tests/e2e/data/keys-only.rules" -r "$pcap" -l "$kl" -w "$pdu" --pcap-format pdu >/dev/null 2>&1
    enc=$(tshark_q -r "$pdu" -T fields -e frame.encap_type | sort -u | tr '\n' ' ')
    [ "$enc" = "155 " ] && pass "$fx pdu: encap 155" || fail "$fx pdu: encap 155" "got '$enc'"
    got=$(reqs "$pdu")
    if [ -n "$want" ] && [ "$want" = "$got" ]; then
        pass "$fx pdu: requests dissected"
    else
        fail "$fx pdu: requests dissected" "want [$want] got [$got]"
    fi
    bad=$(expert_bad "$pdu")
    [ -z "$bad" ] && pass "$fx pdu: tshark expert clean" || fail "$fx pdu: tshark expert clean" "$bad"
done

# planted secret: default redaction, no hunter2 in either format
fx=https_443_tls12
for fmt in tcp pdu; do
    o="$TMP/secret.$fmt.pcap"
    "$TR_BIN" -q -r "$FIX/$fx.pcap" -l "$FIX/$fx.keylog" -w "$o" --pcap-format "$fmt" >/dev/null 2>&1
    if [ -s "$o" ] && [ "$(grep -c hunter2 "$o")" = 0 ] && tshark_q -r "$o" -Y http.request | grep -q GET; then
        pass "$fx $fmt: no planted secret, request still there"
    else
        fail "$fx $fmt: no planted secret, request still there" "hunter2 found or no request"
    fi
done

# a handshake that failed (not decrypted): the alert is in the output, on 8443
fx=alert_unknown_ca_tls12
for fmt in tcp pdu; do
    o="$TMP/$fx.$fmt.pcap"
    "$TR_BIN" -q -r "$FIX/$fx.pcap" -w "$o" --pcap-format "$fmt" >/dev/null 2>&1
    a=$(tshark_q -r "$o" -Y tls.alert_message -T fields -e tls.alert_message.desc | head -1)
    [ "$a" = 48 ] && pass "$fx $fmt: unknown_ca alert kept" || fail "$fx $fmt: unknown_ca alert kept" "got '$a'"
    if [ "$fmt" = tcp ]; then
        p=$(tshark_q -r "$o" -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' -T fields -e tcp.dstport)
        [ "$p" = 8443 ] && pass "$fx tcp: original port" || fail "$fx tcp: original port" "got '$p'"
        bad=$(expert_bad "$o")
        [ -z "$bad" ] && pass "$fx tcp: tshark expert clean" || fail "$fx tcp: tshark expert clean" "$bad"
    fi
done

# encrypted application data of a connection without keys never appears
fx=tls12_ecdhe_aesgcm
o="$TMP/nokeys.pcap"
"$TR_BIN" -q -r "$FIX/$fx.pcap" -w "$o" >/dev/null 2>&1
n=$(tshark_q -r "$o" -Y 'tls.record.content_type==23' | wc -l)
h=$(tshark_q -r "$o" -Y 'tls.handshake.type==1' | wc -l)
[ "$n" = 0 ] && [ "$h" = 1 ] && pass "$fx without keys: handshake kept, no application data" ||
    fail "$fx without keys: handshake kept, no application data" "appdata records $n, ClientHello $h"

# a pcapng input carrying a Decryption Secrets Block: classic pcap out (it has
# no block structure, so no DSB by construction), still decrypted, and none of
# the secrets the DSB carried in its bytes
ndsb=0
for f in "$FIX"/*dsb*.pcapng; do
    [ -f "$f" ] || continue
    ndsb=$((ndsb + 1))
    b=$(basename "$f")
    o="$TMP/$b.out.pcap"
    "$TR_BIN" -q -r "$f" -w "$o" >/dev/null 2>&1
    m=$(head -c 4 "$o" 2>/dev/null | od -An -tx1 | tr -d ' \n')
    if is_classic_pcap "$o" && [ "$m" != 0a0d0d0a ] &&
       [ "$(tshark_q -r "$o" -T fields -e tcp.len | awk '$1 > 0' | wc -l)" -gt 0 ]; then
        pass "$b: classic pcap output with data (no DSB by construction)"
    else
        fail "$b: classic pcap output with data (no DSB by construction)" "magic '$m' or no data"
    fi
    leaked=0
    hexout=$(od -An -v -tx1 "$o" | tr -d ' \n')
    while read -r _ _ sec; do
        [ -n "$sec" ] || continue
        s=$(printf '%s' "$sec" | tr 'A-F' 'a-f')
        case "$hexout" in *"${s:0:32}"*) leaked=1 ;; esac
        grep -qi -- "$sec" "$o" && leaked=1
    done < <(strings -n 20 "$f" | grep -E '^(CLIENT_RANDOM|[A-Z_]+_SECRET[_0-9]*) ')
    [ "$leaked" = 0 ] && pass "$b: no DSB secret in the output" || fail "$b: no DSB secret in the output" "found"
done
[ "$ndsb" = 0 ] && skip "DSB input" "no tests/fixtures/*dsb*.pcapng"

# a write error removes the temporary file and says so in one line
if [ -w /dev/full ] && [ -d /proc ]; then
    d="$TMP/ro"
    mkdir -p "$d"
    chmod 500 "$d"
    if "$TR_BIN" -q -r "$FIX/$fx.pcap" -w "$d/x.pcap" >/dev/null 2>"$TMP/err"; then
        [ "$(id -u)" = 0 ] && skip "unwritable output" "running as root" || fail "unwritable output" "exit 0"
    else
        [ "$(wc -l <"$TMP/err")" = 1 ] && [ -z "$(ls "$d")" ] && pass "unwritable output: one-line error, no file" ||
            fail "unwritable output: one-line error, no file" "$(cat "$TMP/err")"
    fi
    chmod 700 "$d"
fi
