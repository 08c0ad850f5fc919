# shellcheck shell=bash
# Shared helpers of the overload scripts (stress/*.sh); source it, do not run it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   lib_init churn                    # name, $WORK temp dir, trap-based cleanup
#   need_tools wrk curl               # exit 2 if one is missing
#   ensure_hbf                        # build target/release/hbf if BUILD says so
#   import_app stress/apps/overload   # into $STORAGE for Host localhost
#   start_hbf --workers 2 ...         # HBF_PID, HBF_PORT, HBF_URL, HBF_LOG
#   check "no crash" "$(alive && echo 1)" "pid $HBF_PID"
#   finish                            # prints the checks, PASS/FAIL; exit 0 / 1
#
# Conventions (as bench_health.sh): loopback only, `--port 0` and the port read from the JSON
# "listening" log line, a fresh storage directory, every external load generator under
# `timeout`, everything started here killed and removed on exit (also on Ctrl-C/SIGTERM).
# Exit status: 0 PASS, 1 FAIL, 2 setup error.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
HBF_BIN=${HBF_BIN:-target/release/hbf}
BUILD=${BUILD:-auto}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-20}

LIB_NAME=stress
WORK=
STORAGE=
HBF_PID=
HBF_PORT=
HBF_URL=
HBF_ADMIN_URL=
HBF_LOG=
HBF_CMD=()
LIB_PIDS=()
CHECKS=()
FAILED=0

die() { echo "$LIB_NAME: $*" >&2; exit 2; }
log() { echo "[$LIB_NAME $(date +%H:%M:%S)] $*" >&2; }
quote() { local s; s=$(printf '%q ' "$@"); echo "${s% }"; } # shell-quoted, copy-pasteable

lib_cleanup() {
    local pid
    for pid in "${LIB_PIDS[@]}" $HBF_PID; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${LIB_PIDS[@]}" $HBF_PID; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n $WORK && -z ${KEEP_WORK:-} ]]; then rm -rf "$WORK"; fi
}

lib_init() { # name
    LIB_NAME=$1
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/hbf-$LIB_NAME.XXXXXX")
    STORAGE=$WORK/henvs
    trap lib_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    need_tools curl python3 awk timeout
}

need_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || die "'$t' not found (scripts/install-deps.sh $t)"
    done
}

ensure_hbf() {
    local need=0
    case $BUILD in
        always) need=1 ;;
        never) ;;
        auto) [[ -x $HBF_BIN ]] || need=1 ;;
        *) die "BUILD must be auto, always or never (got '$BUILD')" ;;
    esac
    if (( need )); then
        log "+ cargo build --release --bin hbf"
        cargo build --release --bin hbf >&2 || die "build failed"
    fi
    [[ -x $HBF_BIN ]] || die "HBF binary '$HBF_BIN' not found or not executable"
}

import_app() { # dir [host]
    "$HBF_BIN" import "$1" --host "${2:-localhost}" --storage_dir "$STORAGE" >/dev/null ||
        die "hbf import $1 failed"
}

# Starts `hbf serve --port 0 --admin_bind 127.0.0.1:0 --storage_dir $STORAGE --log_level info
# ARGS...` in the background and waits for its "listening" line and a 200 from /_hbf/health.
# HBF_ADMIN_URL is the operator listener (/metrics, the full /health). HBF_WRAP (an array, optional) is
# put in front of the command, e.g. (nice -n 10) or (bash -c 'ulimit -n 64; exec "$@"' hbf).
start_hbf() {
    HBF_LOG=$WORK/hbf.log
    HBF_CMD=("$HBF_BIN" serve --port 0 --admin_bind 127.0.0.1:0 --storage_dir "$STORAGE" --log_level info "$@")
    local -a wrap=()
    if declare -p HBF_WRAP >/dev/null 2>&1; then wrap=("${HBF_WRAP[@]}"); fi
    "${wrap[@]}" "${HBF_CMD[@]}" >"$HBF_LOG" 2>&1 &
    HBF_PID=$!
    local deadline=$(( SECONDS + STARTUP_TIMEOUT ))
    HBF_PORT=
    until [[ -n $HBF_PORT ]] && curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$HBF_PORT/_hbf/health"; do
        if ! kill -0 "$HBF_PID" 2>/dev/null; then
            tail -n 30 "$HBF_LOG" >&2
            die "hbf exited during startup"
        fi
        (( SECONDS < deadline )) || { tail -n 30 "$HBF_LOG" >&2; die "hbf did not answer within ${STARTUP_TIMEOUT}s"; }
        HBF_PORT=$(grep -m1 '"msg":"listening"' "$HBF_LOG" 2>/dev/null | grep -oE '"addr":"127\.0\.0\.1:[0-9]+' | grep -oE '[0-9]+$' || true)
        sleep 0.1
    done
    HBF_URL=http://127.0.0.1:$HBF_PORT
    HBF_ADMIN_URL=http://$(grep -m1 '"msg":"listening"' "$HBF_LOG" | grep -oE '"admin_addr":"[^"]+' | cut -d'"' -f4)
    log "hbf pid $HBF_PID listening on $HBF_URL"
}

# SIGTERM, up to 15 s for a graceful stop, then SIGKILL. Returns hbf's exit status.
stop_hbf() {
    [[ -n $HBF_PID ]] || return 0
    kill "$HBF_PID" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$HBF_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$HBF_PID" 2>/dev/null || true
    local rc=0
    wait "$HBF_PID" 2>/dev/null || rc=$?
    HBF_PID=
    return "$rc"
}

alive() { [[ -n $HBF_PID ]] && kill -0 "$HBF_PID" 2>/dev/null; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/${1:-$HBF_PID}/status"; }
fd_count() { find "/proc/${1:-$HBF_PID}/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# user+system CPU time of a process in clock ticks (normally 1/100 s)
cpu_ticks() { awk '{print $14 + $15}' "/proc/${1:-$HBF_PID}/stat"; }

# Value of an unlabelled (or exactly labelled) series from /metrics (operator listener), 0 if absent.
metric() { # 'name' or 'name{label="x"}'
    curl -s --max-time 5 "$HBF_ADMIN_URL/metrics" |
        awk -v m="$1" '$1 == m {print $2; found=1} END {if (!found) print 0}'
}

http_status() { # url [curl args...] -> status code ("000" when no answer)
    local url=$1; shift
    curl -s -o /dev/null -w '%{http_code}' --max-time "${CURL_MAX_TIME:-5}" "$@" "$url" || true
}

# Runs a command in the background (tracked for cleanup); its pid is in $BG_PID.
bg() {
    "$@" &
    BG_PID=$!
    LIB_PIDS+=("$BG_PID")
}

# check NAME OK DETAIL: OK is 1/true/yes for a pass, anything else (or empty) for a fail.
check() {
    local name=$1 ok=${2:-0} detail=${3:-}
    local verdict=FAIL
    case $ok in 1 | true | yes | ok) verdict=PASS ;; esac
    [[ $verdict == PASS ]] || FAILED=1
    CHECKS+=("$(printf '%-4s  %-44s %s' "$verdict" "$name" "$detail")")
    log "$verdict $name — $detail"
}

# Arithmetic comparison for check: cmp 3 '<=' 5 -> prints 1 or 0 (floats allowed).
cmp() { awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
    r = (op == "<") ? a < b : (op == "<=") ? a <= b : (op == ">") ? a > b : (op == ">=") ? a >= b : (op == "==") ? a == b : a != b
    print r ? 1 : 0 }'; }

machine_line() {
    local model
    model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
    echo "machine: nproc=$(nproc) cpu=\"${model:-unknown}\" kernel=$(uname -r) date=$(date -u +%FT%TZ) commit=$(git rev-parse --short HEAD 2>/dev/null || echo ?)"
}

# Prints the summary and exits 0 (every check passed) or 1.
finish() {
    echo
    echo "== $LIB_NAME =="
    machine_line
    [[ ${#HBF_CMD[@]} -gt 0 ]] && echo "server:  $(quote "${HBF_CMD[@]}")"
    echo
    printf '%s\n' "${CHECKS[@]}"
    echo
    if (( FAILED )) || (( ${#CHECKS[@]} == 0 )); then
        echo "FAIL: $LIB_NAME"
        exit 1
    fi
    echo "PASS: $LIB_NAME"
    exit 0
}
