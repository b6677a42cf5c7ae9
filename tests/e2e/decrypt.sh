#!/bin/bash
# Decryption, differential against tshark (the reference decryptor): for every
# fixture that comes with keys (FIXTURE.keylog, an RSA key named in MANIFEST
# as rsakey=FILE, or Decryption Secrets Blocks inside a pcapng), the cleartext
# of each connection, per direction, must equal what
#   tshark -q -z follow,tls,raw,N
# gives with the same keys.  Redaction is off here (-R none) so bytes compare.
. "$(dirname "$0")/lib.sh"
if ! have_tshark; then
    skip "decrypt vs tshark" "tshark not installed"
    exit 0
fi
FOLLOW="$TR_ROOT/tests/tools/follow.py"
manifest_field() { # fixture, key
    awk -F'\t' -v f="$1" -v k="$2" '$1 == f { n = split($2, a, " "); for (i = 1; i <= n; i++)
        if (index(a[i], k "=") == 1) { print substr(a[i], length(k) + 2); exit } }' "$FIX/MANIFEST"
}
checked=0
for f in "$FIX"/*.pcap "$FIX"/*.pcapng; do
    [ -f "$f" ] || continue
    b=$(basename "$f")
    stem=${b%.pcapng}; stem=${stem%.pcap}
    targs=(); trargs=()
    kl=$(manifest_field "$b" keylog)
    [ -z "$kl" ] && [ -f "$FIX/$stem.keylog" ] && kl="$stem.keylog"
    rk=$(manifest_field "$b" rsakey)
    pw=$(manifest_field "$b" keypass)
    dsb=0
    case "$b" in *dsb*) dsb=1 ;; esac
    [ -z "$kl" ] && [ -z "$rk" ] && [ "$dsb" = 0 ] && continue
    if [ -n "$kl" ]; then targs+=(-o "tls.keylog_file:$FIX/$kl"); trargs+=(-l "$FIX/$kl"); fi
    if [ -n "$rk" ]; then
        targs+=(-o "uat:rsa_keys:\"$FIX/$rk\",\"$pw\"")
        trargs+=(-k "$FIX/$rk")
    fi
    out="$TMP/$stem"
    mkdir -p "$out"
    if ! TLSREDACT_KEY_PASSWORD="$pw" "$TR_BIN" -R none -q "${trargs[@]}" -r "$f" --export-streams "$out" \
            >"$out.txt" 2>"$out.err" ||
       ! TLSREDACT_KEY_PASSWORD="$pw" "$TR_BIN" -R none "${trargs[@]}" -r "$f" >"$out.full" 2>/dev/null; then
        fail "decrypt $b" "tlsredact exited non-zero: $(head -1 "$out.err")"
        continue
    fi
    # every connection of the transcript, by its ports
    while read -r conn cport sport; do
        ref=$(python3 "$FOLLOW" "$f" "$sport" "$cport" "${targs[@]}")
        for d in c2s s2c; do
            want=$(sed -n "s/^$d //p" <<<"$ref")
            got=""
            file=$(ls "$out/$conn-"*".$cport-"*".$sport.$d" 2>/dev/null | head -1)
            [ -n "$file" ] && got=$(od -An -v -tx1 "$file" | tr -d ' \n')
            if grep -q "^$conn .*STARTTLS" "$out.full" 2>/dev/null && [ ${#got} -gt ${#want} ]; then
                # STARTTLS: the export starts with the cleartext preamble, as TCP carried it
                tcp=$(sed -n "s/^tcp_$d //p" <<<"$ref")
                pre=$(( ${#got} - ${#want} ))
                if [ "${got:0:$pre}" = "${tcp:0:$pre}" ]; then got=${got:$pre}; fi
            fi
            if grep -q "^#$conn .*not TLS" "$out.txt"; then
                # cleartext TCP: the export is the TCP payload
                want=$(sed -n "s/^tcp_$d //p" <<<"$ref")
            fi
            if [ "$want" = "$got" ]; then
                [ -n "$want" ] && checked=$((checked + 1))
                pass "decrypt $b #$conn $d ($(( ${#want} / 2 )) bytes, same as tshark)"
            else
                fail "decrypt $b #$conn $d" "tshark $(( ${#want} / 2 )) bytes, tlsredact $(( ${#got} / 2 )) bytes; verdict: $(grep "^#$conn " "$out.txt" | cut -c1-300)"
            fi
        done
    done < <(sed -n 's/^#\([0-9]*\) .*(\([0-9]*\)) <-> .*(\([0-9]*\)): .*/\1 \2 \3/p' "$out.txt")
done
if [ "$checked" -gt 0 ]; then pass "decrypt: $checked non-empty directions compared"; else fail "decrypt" "no fixture compared"; fi
