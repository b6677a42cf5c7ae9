# shellcheck shell=bash
# tests/gen/lib.sh - shared plumbing of the fixture generators (sourced, not
# run): the re-run inside a private network namespace, the work directory and
# background processes cleaned up on exit, messages, polling, and tcpdump
# started / stopped around a capture.
#
# The sourcing script sets FX_PROG (its name in messages) first, then calls
#   fx_enter_netns "CMD:PACKAGE ..." "$@"   (before anything else runs)
#   fx_workdir TEMPLATE                     (sets FX_WORK, PIDS, the EXIT trap)
# Every background process it starts goes into PIDS so that it is killed on
# exit.
: "${FX_PROG:?FX_PROG must name the sourcing script}"

log() { echo "$FX_PROG: $*" >&2; }
die() { echo "$FX_PROG: ERROR: $*" >&2; exit 1; }

# fx_enter_netns "CMD:PACKAGE ..." ARGS...
#   First run (TR_FX_IN_NETNS unset): requires root, installs (apt-get) the
#   PACKAGE of every CMD not found (CMD may list alternatives, a|b: found when
#   either is; a path is found when it is executable), and runs the script ($0) again with ARGS inside a private
#   network namespace (unshare --net); does not return.
#   Inside the namespace: brings its loopback up and sets LC_ALL=C.
fx_enter_netns() {
    local tools=$1 t c found need="" alts; shift
    if [ -z "${TR_FX_IN_NETNS:-}" ]; then
        [ "$(id -u)" -eq 0 ] || { echo "$FX_PROG: run as root (tcpdump, netns, port 443)" >&2; exit 1; }
        for t in $tools; do
            found=""
            IFS='|' read -r -a alts <<<"${t%%:*}"
            for c in "${alts[@]}"; do command -v "$c" >/dev/null && found=1; done
            [ -n "$found" ] || need="$need ${t#*:}"
        done
        if [ -n "$need" ]; then
            export DEBIAN_FRONTEND=noninteractive
            # shellcheck disable=SC2086 # one word per package
            apt-get update -qq && apt-get install -y -qq --no-install-recommends $need >/dev/null
        fi
        exec unshare --net env TR_FX_IN_NETNS=1 bash "$0" "$@"
    fi
    ip link set lo up
    export LC_ALL=C
}

# fx_workdir TEMPLATE: a fresh directory (mktemp -d TEMPLATE) in FX_WORK; on
# exit the processes in PIDS are killed and the directory is removed.
fx_workdir() {
    FX_WORK=$(mktemp -d "$1")
    PIDS=()
    trap fx_cleanup EXIT
}
fx_cleanup() {
    local p
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    rm -rf "$FX_WORK"
}

# wait_until SECONDS cmd... : polls cmd every 50 ms, fails after SECONDS.
wait_until() {
    local n=$(( $1 * 20 )); shift
    while ! "$@" >/dev/null 2>&1; do
        n=$((n - 1)); [ "$n" -gt 0 ] || return 1
        sleep 0.05
    done
}

# listening PORT: some socket listens on TCP PORT.
listening() { ss -Hltn "sport = :$1" | grep -q .; }

# fx_cap_start IFACE FILE FILTER [tcpdump options...]: tcpdump on IFACE
# writing FILE, in the background (FX_CAP_PID, also in PIDS); returns once it
# listens, and 200 ms more.  fx_cap_stop: 300 ms for the last packets, then
# stops it (SIGINT, so that the file is complete) and waits for it.
fx_cap_start() {
    local ifc=$1 f=$2 filt=$3; shift 3
    rm -f "$FX_WORK/tcpdump.err"
    tcpdump -i "$ifc" -n -U --immediate-mode -s 0 "$@" -w "$f" "$filt" 2>"$FX_WORK/tcpdump.err" &
    FX_CAP_PID=$!; PIDS+=("$FX_CAP_PID")
    wait_until 5 grep -q 'listening on' "$FX_WORK/tcpdump.err" || die "tcpdump did not start: $(cat "$FX_WORK/tcpdump.err")"
    sleep 0.2
}
fx_cap_stop() {
    sleep 0.3
    kill -INT "$FX_CAP_PID" 2>/dev/null || true
    wait "$FX_CAP_PID" 2>/dev/null || true
    FX_CAP_PID=""
}
