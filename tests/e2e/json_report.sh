#!/bin/bash
# --json and --report end to end: every JSON line valid against the schema of
# docs/json.md, the report valid against docs/report.md, the report's SHA-256
# of the input and of each output verified with sha256sum, no planted secret
# in any output while redaction is on, connection count and verdicts as in
# the transcript's -q output, no temporary file left, deterministic JSON.
. "$(dirname "$0")/lib.sh"
if ! "$TR_BIN" --help 2>/dev/null | grep -q -- --json ||
   ! "$TR_BIN" --help 2>/dev/null | grep -q -- --report; then
    skip "json/report" "$TR_BIN does not know --json/--report yet (not wired into main.c)"
    exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    skip "json/report" "python3 not installed"
    exit 0
fi
V="$TR_ROOT/tests/tools/validate_json.py"
# Planted secrets of the fixtures (tests/fixtures/MANIFEST).
SECRETS=(hunter2 tok-0123456789abcdef sk-test-0123456789abcdef sid=abcdef0123456789)
TOKKEY="$TMP/token.key"
printf '%064d\n' 7 >"$TOKKEY"

# run NAME PCAP [args...]: outputs in $TMP/NAME/{t.txt,e.jsonl,r.json}
run() {
    local name=$1 pcap=$2; shift 2
    local d="$TMP/$name"
    mkdir -p "$d"
    (cd "$d" && SOURCE_DATE_EPOCH=1700000000 "$TR_BIN" -r "$pcap" --token-key "$TOKKEY" -o t.txt \
        --json e.jsonl --report r.json "$@" >out.txt 2>err.txt)
    echo $? >"$d/rc"
}

# report_sha256 REPORT: "HASH  PATH" lines of input and outputs (sha256sum -c format)
report_sha256() {
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for h in [d["input"]] + d["outputs"]:
    if h.get("sha256"):
        print(f'{h["sha256"]}  {h["path"]}')
PY
}

check_case() { # NAME PCAP [args...]
    local name=$1 pcap=$2; shift 2
    run "$name" "$pcap" "$@"
    local d="$TMP/$name" rc
    rc=$(cat "$d/rc")
    if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
        fail "$name: run" "exit $rc: $(head -3 "$d/err.txt")"
        return
    fi
    local e
    if e=$(python3 "$V" events "$d/e.jsonl"); then pass "$name: JSON lines valid"
    else fail "$name: JSON lines valid" "$(echo "$e" | head -3)"; fi
    if e=$(python3 "$V" report "$d/r.json"); then pass "$name: report valid"
    else fail "$name: report valid" "$(echo "$e" | head -3)"; fi
    # hashes: input and every output, as a reviewer would check them
    report_sha256 "$d/r.json" >"$d/sums"
    local n
    n=$(wc -l <"$d/sums")
    if [ "$n" -eq 3 ] && (cd "$d" && sha256sum --quiet -c sums >/dev/null 2>&1); then
        pass "$name: sha256sum -c of input, transcript, JSON"
    else
        fail "$name: sha256sum -c of input, transcript, JSON" "$n hashes; $(cd "$d" && sha256sum -c sums 2>&1 | head -3)"
    fi
    # no temporary file left beside the outputs
    if ls "$d" | grep -q '\.tmp-'; then fail "$name: no temporary files" "$(ls "$d")"
    else pass "$name: no temporary files"; fi
    # the stderr summary names the report and its hashes
    check "$name: stderr summary" grep -q "report written to r.json" "$d/err.txt"
    # planted secrets: none in any output (JSON searched decoded as well)
    local s leaked=""
    for s in "${SECRETS[@]}"; do
        grep -qF -- "$s" "$d/t.txt" "$d/r.json" && leaked="$leaked $s"
        python3 "$V" find "$s" "$d/e.jsonl" && leaked="$leaked $s(json)"
    done
    if [ -z "$leaked" ]; then pass "$name: no planted secret in outputs"
    else fail "$name: no planted secret in outputs" "found:$leaked"; fi
    # connections and verdicts as the -q transcript gives them
    (cd "$d" && "$TR_BIN" -q -r "$pcap" "$@" >q.txt 2>/dev/null)
    if python3 - "$d/q.txt" "$d/r.json" "$d/e.jsonl" <<'PY'
import json, re, sys
q = open(sys.argv[1]).read()
rep = json.load(open(sys.argv[2]))
ev = [json.loads(l) for l in open(sys.argv[3])]
lines = re.findall(r"^#(\d+) .*?\): (.*)$", q, re.M)
conns = rep["connections"]
ok = len(lines) == len(conns) == rep["totals"]["connections"]
ok &= [int(n) for n, _ in lines] == [c["conn"] for c in conns]
ok &= [t for _, t in lines] == [c["verdict_text"] for c in conns]
m = re.search(r"^Summary: (\d+) TCP connections?:(.*)$", q, re.M)
ok &= m is not None and int(m.group(1)) == len(conns)
if m:
    for cnt, cls in re.findall(r"(\d+) (\w+)", m.group(2)):
        ok &= rep["totals"]["verdicts"].get(cls, 0) == int(cnt)
jv = [(e["conn"], e["verdict"], e["text"]) for e in ev if e["type"] == "verdict"]
ok &= jv == [(c["conn"], c["verdict"], c["verdict_text"]) for c in conns]
sys.exit(0 if ok else 1)
PY
    then pass "$name: connections and verdicts match -q"
    else fail "$name: connections and verdicts match -q" "see $d/q.txt vs report"; fi
}

check_case demo "$FIX/demo.pcap" -l "$FIX/demo.keylog"
check_case https_443 "$FIX/https_443_tls12.pcap" -l "$FIX/https_443_tls12.keylog"
check_case https_large "$FIX/https_large_tls13.pcap" -l "$FIX/https_large_tls13.keylog"
check_case h2 "$FIX/https_h2_tls13.pcap" -l "$FIX/https_h2_tls13.keylog"
check_case early_data "$FIX/tls13_resume_early_data.pcap" -l "$FIX/tls13_resume_early_data.keylog"
check_case rsa_key "$FIX/tls12_rsa_aes128sha.pcap" -k "127.0.0.1:8443=$FIX/keys/server.key"
check_case gap "$FIX/tls12_gap.pcap" -l "$FIX/tls12_ecdhe_aesgcm.keylog"
check_case no_keys "$FIX/demo.pcap"

# the -k binding is in the report as IP:PORT=FILE; no key bytes, no hash of it
d="$TMP/rsa_key"
if grep -qF "\"127.0.0.1:8443=$FIX/keys/server.key\"" "$d/r.json" &&
   ! grep -qF "$(sha256sum "$FIX/keys/server.key" | cut -c1-64)" "$d/r.json" &&
   ! grep -q "PRIVATE KEY" "$d/r.json" "$d/e.jsonl"; then
    pass "report shows the key binding, not the key"
else
    fail "report shows the key binding, not the key" "see $d/r.json"
fi
# rules files hashed: each entry verifies
if python3 - "$TMP/demo/r.json" <<'PY'
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
files = d["redaction"]["files"]
sys.exit(0 if files and all(hashlib.sha256(open(f["path"], "rb").read()).hexdigest() == f["sha256"]
                            for f in files) else 1)
PY
then pass "rules files hashed"; else fail "rules files hashed" "see $TMP/demo/r.json"; fi
# redaction off is said in the report, and the secret then shows (the check has teeth)
run off "$FIX/tls12_ecdhe_aesgcm.pcap" -l "$FIX/tls12_ecdhe_aesgcm.keylog" -R none
if grep -q '"enabled": false' "$TMP/off/r.json" && python3 "$V" find hunter2 "$TMP/off/e.jsonl"; then
    pass "-R none: report says redaction off, secret visible"
else
    fail "-R none: report says redaction off, secret visible" "see $TMP/off"
fi
# deterministic: same input, keys, rules, token key and time -> same bytes
run demo2 "$FIX/demo.pcap" -l "$FIX/demo.keylog"
check "JSON deterministic" cmp -s "$TMP/demo/e.jsonl" "$TMP/demo2/e.jsonl"
check "report deterministic with SOURCE_DATE_EPOCH" cmp -s "$TMP/demo/r.json" "$TMP/demo2/r.json"
# an unwritable output: one line naming the file, non-zero exit, nothing left
mkdir -p "$TMP/bad"
(cd "$TMP/bad" && "$TR_BIN" -r "$FIX/demo.pcap" -o t.txt --json nodir/e.jsonl --report r.json >/dev/null 2>err.txt)
rc=$?
if [ "$rc" -ne 0 ] && grep -q "nodir/e.jsonl" "$TMP/bad/err.txt" && ! ls "$TMP/bad" | grep -q -e '\.tmp-' -e r.json; then
    pass "unwritable --json: error names the file, nothing left"
else
    fail "unwritable --json: error names the file, nothing left" "exit $rc; $(cat "$TMP/bad/err.txt"); $(ls "$TMP/bad")"
fi
