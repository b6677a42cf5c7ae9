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
