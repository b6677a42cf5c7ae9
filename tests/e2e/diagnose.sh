#!/bin/bash
# Diagnosis without keys: verdicts per connection (tests/e2e/verdicts.tsv),
# alerts compared with tshark, connection counts compared with tshark.
. "$(dirname "$0")/lib.sh"

# 1. verdict lines
while IFS=$'\t' read -r fx conn re; do
    [[ -z "$fx" || "$fx" == \#* ]] && continue
    out="$TMP/$fx.q"
    [ -f "$out" ] || "$TR_BIN" -q -r "$FIX/$fx" >"$out" 2>"$out.err"
    line=$(grep -E "^#$conn " "$out" | head -1)
    if [[ -n "$line" ]] && grep -qE -- "$re" <<<"$line"; then
        pass "verdict $fx #$conn"
    else
        fail "verdict $fx #$conn" "got: ${line:-<no verdict line>}; want /$re/"
    fi
done <"$TR_ROOT/tests/e2e/verdicts.tsv"

# 2. differential: cleartext alerts and TCP connection counts versus tshark
if ! have_tshark; then
    skip "tshark differential" "tshark not installed"
    exit 0
fi
for f in "$FIX"/*.pcap "$FIX"/*.pcapng "$FIX"/*.pcap.gz; do
    [ -f "$f" ] || continue
    b=$(basename "$f")
    case "$b" in empty.pcap|header_only.pcap|*linktype147*|*truncated_file*) continue ;; esac
    # tshark: one line per cleartext alert: "stream level desc"
    tshark_q -r "$f" -Y 'tls.record.content_type == 21 && tls.alert_message' \
        -T fields -E occurrence=a -e tcp.stream -e tls.alert_message.level -e tls.alert_message.desc |
        awk '{n=split($2,l,","); split($3,d,","); for(i=1;i<=n;i++) print $1+1, l[i], d[i]}' | sort >"$TMP/ts.alerts"
    # tlsredact: "alert: fatal name(N)" lines under records of connection C
    "$TR_BIN" -r "$f" 2>/dev/null | awk '
        /^[0-9]+ [0-9]+ / {conn=$1}
        /^ +alert: (fatal|warning) / {lvl = ($2=="fatal") ? 2 : 1; d=$3; sub(/.*\(/,"",d); sub(/\).*/,"",d); print conn, lvl, d}' |
        sort >"$TMP/tr.alerts"
    if cmp -s "$TMP/ts.alerts" "$TMP/tr.alerts"; then
        pass "alerts match tshark: $b ($(wc -l <"$TMP/ts.alerts") alerts)"
    else
        fail "alerts match tshark: $b" "tshark: $(tr '\n' ';' <"$TMP/ts.alerts") tlsredact: $(tr '\n' ';' <"$TMP/tr.alerts")"
    fi
    nts=$(tshark_q -r "$f" -Y tcp -T fields -e tcp.stream | sort -u | wc -l)
    ntr=$("$TR_BIN" -q -r "$f" 2>/dev/null | sed -n 's/^Summary: \([0-9]*\) TCP connection.*/\1/p')
    if [ "$nts" = "$ntr" ]; then pass "connections match tshark: $b ($nts)"; else fail "connections match tshark: $b" "tshark $nts, tlsredact $ntr"; fi
done
