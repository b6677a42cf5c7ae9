#!/bin/bash
# tests/run.sh - runs every test and prints the closing line
#   N passed, N failed[, N skipped]
# Every test program prints lines "PASS name", "FAIL name" or "SKIP name: why";
# a program that exits non-zero without printing a FAIL line counts as one FAIL.
# Env: TR_BUILD (build dir), TR_BIN (binary under test).
set -u
cd "$(dirname "$0")/.."
export TR_BUILD=${TR_BUILD:-build}
TR_BIN=${TR_BIN:-tlsredact}
case "$TR_BIN" in /*) ;; *) TR_BIN="$PWD/$TR_BIN" ;; esac
export TR_BIN
export TR_ROOT="$PWD"
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
pass=0 fail=0 skip=0

run_one() { # name, command...
    local name=$1; shift
    local out="$log/out"
    "$@" >"$out" 2>&1
    local rc=$?
    local p f s
    p=$(grep -c '^PASS ' "$out")
    f=$(grep -c '^FAIL ' "$out")
    s=$(grep -c '^SKIP ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name (exit $rc)" >>"$out"
        f=1
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    if [ "$f" -gt 0 ]; then
        echo "== $name: $p passed, $f failed"
        grep -v '^PASS ' "$out" | head -40
    else
        echo "== $name: $p passed${s:+, $s skipped}"
        grep '^SKIP ' "$out"
    fi
}

for t in "$TR_BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "unit/$(basename "$t")" "$t"
done

replay() { # binary, dirs...
    local b=$1; shift
    local dirs=() d
    for d in "$@"; do [ -d "$d" ] && dirs+=("$d"); done
    if [ ${#dirs[@]} -eq 0 ]; then echo "SKIP $(basename "$b"): no corpus"; return 0; fi
    if "$b" "${dirs[@]}"; then echo "PASS replay $(basename "$b")"; else echo "FAIL replay $(basename "$b")"; fi
}
for b in "$TR_BUILD"/replay/fuzz_*; do
    [ -x "$b" ] || continue
    n=$(basename "$b")
    run_one "fuzz/$n" replay "$b" "tests/fuzz/corpus/$n" "tests/fuzz/regress/$n"
done

for t in tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    [ "$(basename "$t")" = lib.sh ] && continue
    run_one "e2e/$(basename "$t" .sh)" bash "$t"
done

line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ]
