#!/usr/bin/env bash
# Multi-tenancy at scale, on loopback: creates HENVS henvs (a tiny server.js each), then drives
# GET / round-robin across all of them with wrk (stress/henvs.lua rotates the Host header)
# against one `hbf serve --db_max_open DB_MAX_OPEN`, and compares with the same load on a
# single henv. While wrk runs, /proc/PID/fd, VmRSS and /health are sampled every 0.2s.
# Stops by itself; kills the server on exit. Exit 0 = PASS, 1 = FAIL, 2 = setup error.
#
# PASS: no socket errors and no non-2xx responses in either run, /health db_connections never
# above max(DB_MAX_OPEN, workers), open fds never above FD_LIMIT, RSS never above RSS_LIMIT_MB.
#
# Env (all optional):
#   HENVS=1000 DB_MAX_OPEN=100        henvs created; --db_max_open
#   DURATION=10s CONNS=64 THREADS=2   wrk parameters (per run; 2 runs)
#   WARMUP=2s                         unmeasured wrk run before each measured run ("0" = none)
#   FD_LIMIT=0                        0 = 4 * DB_MAX_OPEN + CONNS + 64
#   RSS_LIMIT_MB=1024
#   HBF_BIN=target/release/hbf  HBF_ARGS=""  BUILD=auto (auto|always|never)
#   PARALLEL=4                        concurrent `hbf import` processes while creating henvs
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

HENVS=${HENVS:-1000}
DB_MAX_OPEN=${DB_MAX_OPEN:-100}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-2s}
FD_LIMIT=${FD_LIMIT:-0}
RSS_LIMIT_MB=${RSS_LIMIT_MB:-1024}
HBF_BIN=${HBF_BIN:-target/release/hbf}
HBF_ARGS=${HBF_ARGS:-}
BUILD=${BUILD:-auto}
PARALLEL=${PARALLEL:-4}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-20}
LUA=stress/henvs.lua

die() { echo "bench_henvs: $*" >&2; exit 2; }
quote() { local s; s=$(printf '%q ' "$@"); echo "${s% }"; }

for tool in wrk curl python3 awk xargs; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (apt-get install wrk curl python3)"
done
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
(( FD_LIMIT > 0 )) || FD_LIMIT=$(( 4 * DB_MAX_OPEN + CONNS + 64 ))

case $BUILD in
    always) need_build=1 ;;
    never) need_build=0 ;;
    auto) need_build=0; [[ -x $HBF_BIN ]] || need_build=1 ;;
    *) die "BUILD must be auto, always or never (got '$BUILD')" ;;
esac
if (( need_build )); then
    echo "+ cargo build --release --bin hbf"
    cargo build --release --bin hbf || die "build failed"
fi
[[ -x $HBF_BIN ]] || die "HBF binary '$HBF_BIN' not found or not executable"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hbf-bench-henvs.XXXXXX")
STORAGE_DIR="$WORK/storage"
PID=
CHILD=
SAMPLER=
cleanup() {
    [[ -n $CHILD ]] && kill "$CHILD" 2>/dev/null
    [[ -n $SAMPLER ]] && kill "$SAMPLER" 2>/dev/null
    if [[ -n $PID ]]; then
        kill "$PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- henvs -------------------------------------------------------------------
APP="$WORK/app"
mkdir -p "$APP"
cat >"$APP/server.js" <<'EOF'
// Tiny bench app: one cheap query on the henv's own database per request.
const db = require('hbf:db');
const app = require('express')();
app.get('/', (req, res) => res.json(db.get('SELECT ? AS host', [req.hostname])));
module.exports = app;
EOF
echo "creating $HENVS henvs in $STORAGE_DIR ..." >&2
t0=$(date +%s.%N)
seq 0 $(( HENVS - 1 )) | xargs -P "$PARALLEL" -I{} \
    "$HBF_BIN" import "$APP" --host "h{}.bench.test" --storage_dir "$STORAGE_DIR" >/dev/null ||
    die "creating henvs failed"
create_secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
registered=$("$HBF_BIN" henv list --storage_dir "$STORAGE_DIR" | grep -c '\.bench\.test' || true)
(( registered == HENVS )) || die "expected $HENVS registered henvs, found $registered"
storage_mb=$(du -sm "$STORAGE_DIR" | awk '{print $1}')

# ---- server ------------------------------------------------------------------
LOG="$WORK/hbf.log"
# --log_level info: the port is read from the "listening" line.
HBF_CMD=("$HBF_BIN" serve --port 0 --admin_bind 127.0.0.1:0 --storage_dir "$STORAGE_DIR" --default_host "" --db_max_open "$DB_MAX_OPEN"
         --log_level info --access_log false $HBF_ARGS)
"${HBF_CMD[@]}" >"$LOG" 2>&1 &
PID=$!
deadline=$(( SECONDS + STARTUP_TIMEOUT ))
PORT=""
until [[ -n "$PORT" ]] && curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/_hbf/health"; do
    kill -0 "$PID" 2>/dev/null || { tail -n 30 "$LOG" >&2; die "hbf exited during startup"; }
    (( SECONDS < deadline )) || { tail -n 30 "$LOG" >&2; die "hbf did not answer within ${STARTUP_TIMEOUT}s"; }
    PORT=$(grep -oE '"addr":"127\.0\.0\.1:[0-9]+' "$LOG" | head -n1 | grep -oE '[0-9]+$' || true)
    APORT=$(grep -oE '"admin_addr":"127\.0\.0\.1:[0-9]+' "$LOG" | head -n1 | grep -oE '[0-9]+$' || true)
    sleep 0.1
done
WORKERS=$(grep -oE '"workers":[0-9]+' "$LOG" | head -n1 | grep -oE '[0-9]+$' || echo 1)
CONN_LIMIT=$(( DB_MAX_OPEN > WORKERS ? DB_MAX_OPEN : WORKERS ))
URL="http://127.0.0.1:$PORT/"
curl -sf -o /dev/null -H 'Host: h0.bench.test' "$URL" || die "h0.bench.test does not answer"

# ---- load --------------------------------------------------------------------
interruptible() { # outfile cmd...
    local out=$1; shift
    "$@" >"$out" 2>&1 &
    CHILD=$!
    local rc=0
    wait "$CHILD" || rc=$?
    CHILD=
    return "$rc"
}

# Samples fds, RSS (KiB) and /health gauges of the server every 0.2s into $1 until killed.
sample() {
    local out=$1
    while kill -0 "$PID" 2>/dev/null; do
        local fds rss health
        fds=$(ls /proc/"$PID"/fd 2>/dev/null | wc -l)
        rss=$(awk '/^VmRSS:/ {print $2}' /proc/"$PID"/status 2>/dev/null || echo 0)
        health=$(curl -s --max-time 1 "http://127.0.0.1:$APORT/health" || true)
        echo "$fds $rss $(echo "$health" | grep -oE '"db_connections":[0-9]+' | grep -oE '[0-9]+$' || echo 0) $(echo "$health" | grep -oE '"active_henvs":[0-9]+' | grep -oE '[0-9]+$' || echo 0)" >>"$out"
        sleep 0.2
    done
}

declare -A R
COMMANDS=()
PASS=1
run() { # name henvs
    local name=$1 n=$2
    local limit=$(( $(to_secs "$DURATION") + 30 ))
    if [[ $WARMUP != 0 ]]; then
        HENVS=$n interruptible /dev/null timeout "$(( $(to_secs "$WARMUP") + 30 ))" \
            wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$LUA" "$URL" || die "warm-up wrk failed ($name)"
    fi
    local samples="$WORK/samples-$name.txt"
    : >"$samples"
    sample "$samples" &
    SAMPLER=$!
    local -a cmd=(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s "$LUA" "$URL")
    COMMANDS+=("HENVS=$n $(quote "${cmd[@]}")")
    local out="$WORK/wrk-$name.txt"
    echo "running: $name ($n henvs, $DURATION)..." >&2
    HENVS=$n interruptible "$out" timeout "$limit" "${cmd[@]}" || { cat "$out" >&2; die "wrk failed ($name)"; }
    kill "$SAMPLER" 2>/dev/null || true
    wait "$SAMPLER" 2>/dev/null || true
    SAMPLER=
    local line
    line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "no BENCH line from wrk ($name)"; }
    kv() { echo "$line" | grep -oE "$1=[0-9]+" | cut -d= -f2; }
    local reqs dur errs status p99 rps
    reqs=$(kv requests); dur=$(kv duration_us)
    errs=$(( $(kv connect) + $(kv read) + $(kv write) + $(kv timeout) ))
    status=$(kv status); p99=$(kv p99_us)
    rps=$(awk -v r="$reqs" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
    R[$name-rps]=$rps; R[$name-p99]=$p99; R[$name-errs]=$errs; R[$name-status]=$status
    R[$name-fds]=$(awk 'BEGIN{m=0} $1>m{m=$1} END{print m}' "$samples")
    R[$name-rss]=$(awk 'BEGIN{m=0} $2>m{m=$2} END{printf "%.0f", m/1024}' "$samples")
    R[$name-conns]=$(awk 'BEGIN{m=0} $3>m{m=$3} END{print m}' "$samples")
    R[$name-active]=$(awk 'BEGIN{m=0} $4>m{m=$4} END{print m}' "$samples")
    (( errs == 0 && status == 0 )) || { echo "FAIL: $name saw $errs socket errors and $status non-2xx responses" >&2; PASS=0; }
    (( R[$name-conns] <= CONN_LIMIT )) || { echo "FAIL: $name db_connections reached ${R[$name-conns]} > $CONN_LIMIT" >&2; PASS=0; }
    (( R[$name-fds] <= FD_LIMIT )) || { echo "FAIL: $name open fds reached ${R[$name-fds]} > $FD_LIMIT" >&2; PASS=0; }
    (( R[$name-rss] <= RSS_LIMIT_MB )) || { echo "FAIL: $name RSS reached ${R[$name-rss]} MiB > $RSS_LIMIT_MB" >&2; PASS=0; }
}

run single 1
run all "$HENVS"
final_health=$(curl -s "http://127.0.0.1:$APORT/health")

# ---- report ------------------------------------------------------------------
model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
echo
echo "machine: nproc=$(nproc) cpu=\"${model:-unknown}\" kernel=$(uname -r)"
echo "params:  HENVS=$HENVS DB_MAX_OPEN=$DB_MAX_OPEN workers=$WORKERS DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS WARMUP=$WARMUP"
echo "setup:   $HENVS henvs created in ${create_secs}s ($PARALLEL parallel \`hbf import\`), storage ${storage_mb} MiB"
echo
printf '%-22s %10s %10s %8s %8s %9s %9s %9s\n' run req/s p99_ms errors non-2xx max_fds max_rss_mb max_conns
for name in single all; do
    label=$([[ $name == single ]] && echo "1 henv" || echo "$HENVS henvs round-robin")
    printf '%-22s %10s %10s %8s %8s %9s %9s %9s\n' "$label" "${R[$name-rps]}" \
        "$(awk -v u="${R[$name-p99]}" 'BEGIN { printf "%.2f", u / 1000 }')" \
        "${R[$name-errs]}" "${R[$name-status]}" "${R[$name-fds]}" "${R[$name-rss]}" "${R[$name-conns]}"
done
echo
echo "ratio req/s all/single: $(awk -v a="${R[all-rps]}" -v b="${R[single-rps]}" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
echo "max active_henvs (JS runtimes) during the round-robin run: ${R[all-active]}"
echo "limits: db_connections <= $CONN_LIMIT, fds <= $FD_LIMIT, RSS <= $RSS_LIMIT_MB MiB"
echo "/health after the runs: $final_health"
echo
echo "commands:"
echo "  seq 0 $(( HENVS - 1 )) | xargs -P $PARALLEL -I{} $(quote "$HBF_BIN") import APP --host h{}.bench.test --storage_dir STORAGE"
echo "  $(quote "${HBF_CMD[@]}")"
printf '  %s\n' "${COMMANDS[@]}"
[[ $WARMUP != 0 ]] && echo "  (each preceded by an unmeasured -d$WARMUP warm-up run)"
echo
if (( PASS )); then echo "PASS"; exit 0; else echo "FAIL"; exit 1; fi
