#!/bin/bash
# tests/bench/redact_bench.sh - cleartext MB/s through the default rule packs
# on a generated realistic HTTP corpus (>= 50 MB), and the cost per extra
# rule (keyword rule, keyword-less rule, keyword-less rule with a prefilter).
# Not a test: prints figures.
# Usage: tests/bench/redact_bench.sh [MB]   (run from the source tree)
set -eu
cd "$(dirname "$0")/../.."
MB=${1:-64}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# only the redaction engine is needed: build it alone, as the Makefile would
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o "$work/bench" tests/bench/redact_bench.c \
    src/redact/*.c src/core/buf.c src/core/err.c -lpcre2-8 -lmbedcrypto
python3 - "$work/corpus" "$MB" <<'PY'
import sys, random, base64, os
rnd = random.Random(1)
out, target = sys.argv[1], int(sys.argv[2]) << 20
# the labelled samples (secrets included) mixed with typical traffic:
# HTML pages, JSON API responses, static assets as base64, headers.
samples = [open(os.path.join("tests/redact", f), "rb").read()
           for f in sorted(os.listdir("tests/redact")) if f.endswith(".txt")]
words = ("the of and to in is for on that with as by at from account order "
         "customer product price cart search page home about contact help").split()
def html():
    body = "".join("<div class=\"item\"><a href=\"/p/%d\">%s</a><span>%d.%02d EUR</span></div>\n" % (
        rnd.randrange(10**6), " ".join(rnd.choice(words) for _ in range(8)), rnd.randrange(999), rnd.randrange(100))
        for _ in range(rnd.randrange(20, 200)))
    page = "<!DOCTYPE html><html><head><title>Shop</title></head><body>%s</body></html>" % body
    return ("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n"
            "Cache-Control: max-age=60\r\nAccess-Control-Allow-Origin: *\r\n\r\n%s" % (len(page), page)).encode()
def api():
    items = ",".join('{"id":"%08x-%04x-4%03x","name":"%s","qty":%d,"ts":%d}' % (
        rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(12), rnd.choice(words), rnd.randrange(50),
        1700000000000 + rnd.randrange(10**9)) for _ in range(rnd.randrange(5, 80)))
    body = '{"items":[%s],"page":%d}' % (items, rnd.randrange(100))
    return ("GET /api/v2/items?page=%d HTTP/1.1\r\nHost: api.example.com\r\nAccept: application/json\r\n"
            "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept-Encoding: gzip, deflate\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (rnd.randrange(100), len(body), body)).encode()
def asset():
    data = base64.b64encode(os.urandom(rnd.randrange(2000, 30000))).decode()
    return ("HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\n\r\nvar img=\"data:image/png;base64,%s\";\n" % data).encode()
with open(out, "wb") as f:
    n = 0
    while n < target:
        r = rnd.random()
        b = rnd.choice(samples) if r < 0.05 else html() if r < 0.5 else api() if r < 0.85 else asset()
        f.write(b)
        n += len(b)
PY
echo "corpus: $(($(stat -c %s "$work/corpus") / 1048576)) MiB of HTTP/1.1 exchanges (HTML, JSON, base64 assets, 5% labelled samples)"
# best of 3 runs (the figures are noisy on a shared machine)
bestline() { for _ in 1 2 3; do "$work/bench" "$@"; done | sort -g -k8 | tail -1; }
best() { bestline "$@" | awk '{print $8}'; }
echo "== default packs (rules/), best of 3"
line=$(bestline "$work/corpus" rules)
echo "$line"
base=$(echo "$line" | awk '{print $8}')
for kind in keyword plain prefilter; do
    for n in 10 40; do
        f="$work/extra-$kind-$n.rules"
        : >"$f"
        for i in $(seq 1 "$n"); do
            if [ $kind = keyword ]; then
                printf 'rule extra-%d\npattern (?i)xtoken%d[=:]\\s*([A-Za-z0-9]{16,64})\nkeywords xtoken%d\nkeyword-within 0\nwindow 128\n' "$i" "$i" "$i" >>"$f"
            elif [ $kind = plain ]; then
                printf 'rule extra-%d\npattern \\b(Q%dZ[0-9]{6,12})\\b\nwindow 64\n' "$i" "$i" >>"$f"
            else
                printf 'rule extra-%d\npattern \\b(Q%dZ[0-9]{6,12})\\b\nprefilter (?<!\\w)Q\\d\nwindow 64\n' "$i" "$i" >>"$f"
            fi
        done
        r=$(best "$work/corpus" rules "$f")
        awk -v b="$base" -v r="$r" -v n="$n" -v k="$kind" 'BEGIN {
            printf "+%d %s rules: %.1f MB/s; cost per extra rule: %.3f ns/byte\n", n, k, r, (1000/r - 1000/b) / n }'
    done
done
