#!/bin/bash
# Bad input gets one clear line and the documented exit code, never a crash.
. "$(dirname "$0")/lib.sh"
expect() { # name, exit code, stderr regex, args...
    local name=$1 want=$2 re=$3; shift 3
    "$TR_BIN" -q "$@" </dev/null >/dev/null 2>"$TMP/err"
    local rc=$? lines
    lines=$(grep -c . "$TMP/err")
    if [ "$rc" -eq "$want" ] && grep -qE -- "$re" "$TMP/err" && [ "$lines" -le 2 ]; then
        pass "error: $name (exit $rc)"
    else
        fail "error: $name" "exit $rc (want $want), $lines lines: $(head -2 "$TMP/err" | tr '\n' ' ')"
    fi
}
expect "garbage file" 1 "^tlsredact: .*garbage.bin: not a pcap or pcapng file" -r "$FIX/garbage.bin"
expect "empty file" 1 "^tlsredact: .*empty.pcap: empty or truncated capture file" -r "$FIX/empty.pcap"
expect "missing file" 1 "^tlsredact: /nonexistent/x.pcap: cannot open" -r /nonexistent/x.pcap
expect "truncated capture" 3 "truncated capture file \(packet [0-9]+ cut short\)" -r "$FIX/tls12_truncated_file.pcap"
expect "unsupported link type" 0 "link type 147 .* not supported; its packets are counted" -r "$FIX/tls12_linktype147.pcap"
expect "unknown option" 2 "^tlsredact: unknown or incomplete option '--bogus'" --bogus
expect "missing argument" 2 "^tlsredact: option -r needs an argument" -r
expect "no input" 2 "^tlsredact: no input" -o x
expect "bad BPF filter" 2 "^tlsredact: bad capture filter 'tcp port'" -r "$FIX/demo.pcap" tcp port
expect "not a key" 1 "cannot use RSA key: cannot parse RSA key" -r "$FIX/demo.pcap" -k "$FIX/demo.keylog"
TLSREDACT_KEY_PASSWORD=wrong expect "wrong key password" 1 "cannot parse RSA key \(wrong password\?\)" \
    -r "$FIX/demo.pcap" -k "$FIX/keys/server-encrypted.key"
expect "bad rule file" 2 "MANIFEST:[0-9]+: .*outside a rule" -r "$FIX/demo.pcap" -R "$FIX/MANIFEST"
expect "missing key log" 1 "cannot read key log" -r "$FIX/demo.pcap" -l /nonexistent.keylog
expect "export dir missing" 2 "not a directory" -r "$FIX/demo.pcap" --export-streams /nonexistent/dir
n=$("$TR_BIN" -q -r "$FIX/header_only.pcap" 2>/dev/null | sed -n 's/^Summary: \([0-9]*\) TCP.*/\1/p')
[ "$n" = 0 ] && pass "error: header-only capture is zero connections" || fail "error: header-only" "got '$n'"
