#!/usr/bin/env bash
# Bounded loopback benchmark: HBF's GET /health vs the mio+httparse "ceiling"
# example (examples/ceiling.rs), keep-alive and `Connection: close`.
# Stops by itself; kills both servers on exit. Exit 0 = PASS, 1 = FAIL, 2 = setup error.
#
# Env (all optional):
#   DURATION=10s CONNS=64 THREADS=2   wrk parameters (per run; 4 runs)
#   WARMUP=1s                         unmeasured wrk run before each measured run ("0" = none)
#   TARGET_RATIO=0.8                  PASS if hbf/ceiling req/s >= this in both modes
#   HBF_BIN=target/release/hbf        HBF binary (started as: serve --port P --storage_dir D --log_level warn)
#   CEILING_BIN=target/release/examples/ceiling
#   HBF_ARGS=""                       extra arguments appended to `hbf serve`
#   BUILD=auto                        auto: cargo build if a binary is missing; always; never
#   STARTUP_TIMEOUT=20                seconds to wait for each /health to answer
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-1s}
TARGET_RATIO=${TARGET_RATIO:-0.8}
HBF_BIN=${HBF_BIN:-target/release/hbf}
CEILING_BIN=${CEILING_BIN:-target/release/examples/ceiling}
HBF_ARGS=${HBF_ARGS:-}
BUILD=${BUILD:-auto}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-20}

die() { echo "bench_health: $*" >&2; exit 2; }
quote() { local s; s=$(printf '%q ' "$@"); echo "${s% }"; } # shell-quoted, copy-pasteable

for tool in wrk curl python3 awk; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (apt-get install wrk curl python3)"
done

# wrk duration ("10s", "2m", "1h", "30") -> whole seconds, for the safety timeout.
to_secs() {
    local d=$1
    case $d in
        *h) echo $(( ${d%h} * 3600 )) ;;
        *m) echo $(( ${d%m} * 60 )) ;;
        *s) echo "${d%s}" ;;
        *) echo "$d" ;;
    esac
}
[[ $(to_secs "$DURATION") =~ ^[0-9]+$ ]] || die "DURATION must look like 10s, 2m or 1h (got '$DURATION')"
[[ $WARMUP == 0 || $(to_secs "$WARMUP") =~ ^[0-9]+$ ]] || die "WARMUP must look like 1s or 0 (got '$WARMUP')"

# ---- build -------------------------------------------------------------------
BUILD_CMD=(cargo build --release --bin hbf --example ceiling)
case $BUILD in
    always) need_build=1 ;;
    never) need_build=0 ;;
    auto) need_build=0; [[ -x $HBF_BIN && -x $CEILING_BIN ]] || need_build=1 ;;
    *) die "BUILD must be auto, always or never (got '$BUILD')" ;;
esac
if (( need_build )); then
    echo "+ ${BUILD_CMD[*]}"
    "${BUILD_CMD[@]}" || die "build failed"
fi
[[ -x $HBF_BIN ]] || die "HBF binary '$HBF_BIN' not found or not executable"
[[ -x $CEILING_BIN ]] || die "ceiling binary '$CEILING_BIN' not found or not executable"

# ---- servers -----------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hbf-bench.XXXXXX")
STORAGE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hbf-bench-storage.XXXXXX")
PIDS=()
CHILD=
cleanup() {
    local pid
    [[ -n $CHILD ]] && kill "$CHILD" 2>/dev/null
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        # give each server 5s to exit on SIGTERM, then SIGKILL
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK" "$STORAGE_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Both servers bind port 0 and report the port they got: picking a "free" port first and
# polling it with curl can make curl connect to itself (TCP self-connect) and steal the port.
# --builtin_bare_paths true: /health is HBF's liveness answer on the loop, as the ceiling's.
HBF_CMD=("$HBF_BIN" serve --port 0 --admin_bind "" --builtin_bare_paths true --storage_dir "$STORAGE_DIR" --log_level info --access_log false $HBF_ARGS)
CEILING_CMD=("$CEILING_BIN" "127.0.0.1:0")

start_server() { # name log pattern cmd... ; sets PORT from the first log line matching pattern
    local name=$1 log=$2 pattern=$3; shift 3
    "$@" >"$log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    local deadline=$(( SECONDS + STARTUP_TIMEOUT ))
    PORT=""
    until [[ -n "$PORT" ]] && curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/health"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "bench_health: $name exited during startup; log:" >&2
            tail -n 30 "$log" >&2
            exit 2
        fi
        if (( SECONDS >= deadline )); then
            echo "bench_health: $name did not answer within ${STARTUP_TIMEOUT}s; log:" >&2
            tail -n 30 "$log" >&2
            exit 2
        fi
        PORT=$(grep -oE "$pattern" "$log" | head -n1 | grep -oE '[0-9]+$' || true)
        sleep 0.1
    done
}

start_server hbf "$WORK/hbf.log" '"addr":"127\.0\.0\.1:[0-9]+' "${HBF_CMD[@]}"
P1=$PORT
start_server ceiling "$WORK/ceiling.log" 'listening on http://127\.0\.0\.1:[0-9]+' "${CEILING_CMD[@]}"
P2=$PORT
HBF_URL="http://127.0.0.1:$P1/health"
CEILING_URL="http://127.0.0.1:$P2/health"

# ---- load --------------------------------------------------------------------
COMMANDS=()
ROWS=()
declare -A RPS
NON2XX_TOTAL=0

# Runs a command in the background and waits for it, so that a TERM/INT trap
# fires at once instead of after the command ends; cleanup() kills it.
interruptible() { # outfile cmd...
    local out=$1; shift
    "$@" >"$out" 2>&1 &
    CHILD=$!
    local rc=0
    wait "$CHILD" || rc=$?
    CHILD=
    return "$rc"
}

run_wrk() { # server url mode
    local server=$1 url=$2 mode=$3
    local -a hdr=()
    [[ $mode == close ]] && hdr=(-H 'Connection: close')
    local limit=$(( $(to_secs "$DURATION") + 30 ))
    if [[ $WARMUP != 0 ]]; then
        interruptible /dev/null timeout "$(( $(to_secs "$WARMUP") + 30 ))" \
            wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "${hdr[@]}" "$url" ||
            die "warm-up wrk failed for $server/$mode"
    fi
    local -a cmd=(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${hdr[@]}" "$url")
    COMMANDS+=("$(quote "${cmd[@]}")")
    local out="$WORK/wrk-$server-$mode.txt"
    echo "running: $server $mode ($DURATION)..." >&2
    interruptible "$out" timeout "$limit" "${cmd[@]}" || { cat "$out" >&2; die "wrk failed for $server/$mode"; }
    local rps p99 errs non2xx
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    p99=$(awk '$1 == "99%" {print $2}' "$out")
    # "Socket errors: connect 0, read 0, write 0, timeout 0" -> sum
    errs=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
    [[ -n $rps ]] || { cat "$out" >&2; die "could not parse Requests/sec for $server/$mode"; }
    RPS[$server-$mode]=$rps
    NON2XX_TOTAL=$(( NON2XX_TOTAL + ${non2xx:-0} ))
    ROWS+=("$(printf '%-8s %-11s %12s %10s %12s %9s' "$server" "$mode" "$rps" "${p99:-?}" "${errs:-0}" "${non2xx:-0}")")
}

for mode in keep-alive close; do
    run_wrk hbf "$HBF_URL" "$mode"
    run_wrk ceiling "$CEILING_URL" "$mode"
done

# ---- report ------------------------------------------------------------------
model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
echo
echo "machine: nproc=$(nproc) cpu=\"${model:-unknown}\" kernel=$(uname -r)"
echo "params:  DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS WARMUP=$WARMUP TARGET_RATIO=$TARGET_RATIO"
echo
printf '%-8s %-11s %12s %10s %12s %9s\n' server mode req/s p99 sock-errors non-2xx
printf '%s\n' "${ROWS[@]}"
echo

pass=1
for mode in keep-alive close; do
    ratio=$(awk -v a="${RPS[hbf-$mode]}" -v b="${RPS[ceiling-$mode]}" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
    ok=$(awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? 1 : 0 }')
    printf 'ratio hbf/ceiling %-11s %s %s\n' "$mode" "$ratio" "$( ((ok)) && echo ok || echo "below $TARGET_RATIO")"
    (( ok )) || pass=0
done

echo
echo "commands:"
echo "  $(quote "${HBF_CMD[@]}")"
echo "  $(quote "${CEILING_CMD[@]}")"
printf '  %s\n' "${COMMANDS[@]}"
[[ $WARMUP != 0 ]] && echo "  (each preceded by an unmeasured -d$WARMUP warm-up run without --latency)"
echo

if (( NON2XX_TOTAL > 0 )); then
    echo "note: $NON2XX_TOTAL non-2xx responses seen; a server answering errors does not count as fast"
    pass=0
fi
if (( pass )); then
    echo "PASS: hbf/ceiling >= $TARGET_RATIO in both modes"
    exit 0
fi
echo "FAIL: hbf/ceiling below $TARGET_RATIO in at least one mode, or non-2xx responses"
exit 1
