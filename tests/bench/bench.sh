#!/bin/bash
# tests/bench/bench.sh - throughput and peak memory of tlsredact on large
# captures.  A benchmark that prints figures, not a test.
#
#   tests/bench/bench.sh [./tlsredact]
#
# Makes (once, cached in $BENCH_DIR, default /tmp/tlsredact-bench) two real
# TLS 1.2 captures on loopback with python's ssl (OpenSSL) and tcpdump:
# SMALL (~50 MB of application data) and LARGE (~250 MB), each with its key
# log, then runs tlsredact on each: dissection only, decryption (-R none),
# and decryption + redaction with the default packs.  Peak RSS must not grow
# with capture size: compare the SMALL and LARGE rows.
set -euo pipefail
BIN=${1:-./tlsredact}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
DIR=${BENCH_DIR:-/tmp/tlsredact-bench}
mkdir -p "$DIR"
PORT=${BENCH_PORT:-47443}

need() { command -v "$1" >/dev/null || { echo "bench: $1 is needed (apt-get install $2)" >&2; exit 1; }; }
need tcpdump tcpdump
need openssl openssl

make_capture() { # name, megabytes of application data, cipher
    local name=$1 mb=$2 cipher=$3
    [ -s "$DIR/$name.pcap" ] && [ -s "$DIR/$name.keylog" ] && return 0
    echo "bench: generating $name ($mb MB of application data, $cipher)..." >&2
    [ -f "$DIR/cert.pem" ] || openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DIR/key.pem" \
        -out "$DIR/cert.pem" -days 30 -subj /CN=bench 2>/dev/null
    rm -f "$DIR/$name.keylog"
    tcpdump -i lo -s 0 -B 262144 -U -w "$DIR/$name.pcap" "tcp port $PORT" 2>/dev/null &
    local tp=$!
    sleep 1
    python3 "$(dirname "$0")/gen_traffic.py" $PORT "$mb" "$DIR/$name.keylog" "$DIR/cert.pem" "$DIR/key.pem" \
        "$cipher" || true
    sleep 1
    kill $tp 2>/dev/null || true
    wait 2>/dev/null || true
}

make_capture small 50 ECDHE-RSA-AES128-GCM-SHA256
make_capture large 300 ECDHE-RSA-AES128-GCM-SHA256

run() { # label, capture, args...
    local label=$1 cap=$2; shift 2
    local size t0 t1 rss secs
    size=$(stat -c %s "$cap")
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$DIR/rss" "$BIN" -q -r "$cap" "$@" >/dev/null 2>"$DIR/err" ||
        { echo "bench: tlsredact failed: $(head -1 "$DIR/err")" >&2; exit 1; }
    t1=$(date +%s.%N)
    rss=$(tail -1 "$DIR/rss")
    secs=$(echo "$t1 - $t0" | bc -l)
    printf "%-34s %8.1f MB  %7.2f s  %8.1f MB/s  peak RSS %7.1f MB\n" "$label" \
        "$(echo "$size / 1048576" | bc -l)" "$secs" "$(echo "$size / 1048576 / $secs" | bc -l)" \
        "$(echo "$rss / 1024" | bc -l)"
}

command -v bc >/dev/null || { echo "bench: bc is needed (apt-get install bc)" >&2; exit 1; }
echo "tlsredact benchmark ($(nproc) cores; capture MB = file size)"
for c in small large; do
    run "$c: dissect (no keys)" "$DIR/$c.pcap" -R none
    run "$c: decrypt (-R none)" "$DIR/$c.pcap" -l "$DIR/$c.keylog" -R none
    run "$c: decrypt + redact (default)" "$DIR/$c.pcap" -l "$DIR/$c.keylog"
done
