# tests/e2e/lib.sh - helpers for end-to-end test scripts.
# Each check prints "PASS name" / "FAIL name: why" / "SKIP name: why".
: "${TR_BIN:?TR_BIN must point at the tlsredact binary}"
: "${TR_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
FIX="$TR_ROOT/tests/fixtures"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
check() { # name, command... : passes when the command succeeds
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name" "check failed: $*"; fi
}
have_tshark() { command -v tshark >/dev/null 2>&1; }
tshark_q() { tshark "$@" 2>/dev/null; }
# secrets_absent NAME JSONL DIR... -- SECRET...: one check per secret, absent
# from every file under the DIRs (as bytes) and from the JSON Lines decoded
# (escapes, data_b64); the failure names where each was found.
secrets_absent() {
    local name=$1 jsonl=$2 dirs=() s where
    shift 2
    while [ $# -gt 0 ] && [ "$1" != -- ]; do dirs+=("$1"); shift; done
    shift
    for s in "$@"; do
        where=$(grep -rlaF -- "$s" "${dirs[@]}" | sed "s|^$TMP/||" | tr '\n' ' ')
        if python3 "$TR_ROOT/tests/tools/validate_json.py" find "$s" "$jsonl" >/dev/null 2>&1; then
            where="$where $(basename "$jsonl")(decoded)"
        fi
        if [ -z "$where" ]; then pass "$name: $s absent"; else fail "$name: $s" "found in $where"; fi
    done
}
