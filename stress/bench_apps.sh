#!/usr/bin/env bash
# HBF vs Node + Express 5 + better-sqlite3 (2-worker cluster) on the same app
# (stress/apps/bench/server.js): GET /hello, GET /json, GET /users/:id, POST /echo.
# Loopback only; every wrk run is bounded by DURATION; both servers are stopped on exit.
#   stress/bench_apps.sh            DURATION=10s CONNS=64 THREADS=2 TARGET_RATIO=5
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
TARGET_RATIO=${TARGET_RATIO:-5}
HBF_BIN=${HBF_BIN:-target/release/hbf}

for tool in wrk node npm curl; do
    command -v "$tool" >/dev/null || { echo "bench_apps: $tool not found" >&2; exit 2; }
done
[[ -x $HBF_BIN ]] || cargo build --release --bin hbf
[[ -d stress/node-bench/node_modules/express ]] || (cd stress/node-bench && npm install --no-audit --no-fund)

WORK=$(mktemp -d /tmp/hbf-bench-apps.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

wait_port() { # log pattern -> prints port
    local log=$1 pattern=$2
    for _ in $(seq 200); do
        local port
        port=$(grep -oE "$pattern" "$log" 2>/dev/null | head -n1 | grep -oE '[0-9]+$' || true)
        if [[ -n $port ]] && curl -sf -o /dev/null "http://127.0.0.1:$port/hello"; then echo "$port"; return; fi
        sleep 0.1
    done
    echo "bench_apps: server did not start; log:" >&2; cat "$log" >&2; exit 2
}

"$HBF_BIN" import stress/apps/bench --host localhost --storage_dir "$WORK/henvs" >/dev/null
# The app spreads over every worker, as Node's cluster of 2 does (by default a henv runs on one).
"$HBF_BIN" sql --host localhost --storage_dir "$WORK/henvs" \
    "INSERT OR REPLACE INTO _hbf_config (key, value) VALUES ('workers', '$(nproc)')" >/dev/null
"$HBF_BIN" serve --port 0 --admin_bind "" --storage_dir "$WORK/henvs" --log_level info --access_log false >"$WORK/hbf.log" 2>&1 &
PIDS+=($!)
HBF_PORT=$(wait_port "$WORK/hbf.log" '"addr":"127\.0\.0\.1:[0-9]+')

BENCH_DB="$WORK/node.db" NODE_PATH=stress/node-bench/node_modules node stress/node-bench/cluster.js >"$WORK/node.log" 2>&1 &
PIDS+=($!)
NODE_PORT=$(wait_port "$WORK/node.log" 'http://127\.0\.0\.1:[0-9]+')

rps() { # url [wrk args...]
    local url=$1; shift
    wrk -t"$THREADS" -c"$CONNS" -d1s "$@" "$url" >/dev/null 2>&1 || true # warm-up
    local out
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "$url")
    if grep -q "Non-2xx" <<<"$out"; then echo "bench_apps: non-2xx responses from $url" >&2; fi
    awk '/Requests\/sec/ {print $2}' <<<"$out"
}

printf '%-12s %12s %12s %8s\n' route hbf node ratio
status=PASS
for route in /hello /json /users/4242 POST:/echo; do
    args=()
    path=$route
    if [[ $route == POST:* ]]; then path=${route#POST:}; args=(-s stress/echo.lua); fi
    h=$(rps "http://127.0.0.1:$HBF_PORT$path" "${args[@]}")
    n=$(rps "http://127.0.0.1:$NODE_PORT$path" "${args[@]}")
    ratio=$(awk -v h="$h" -v n="$n" 'BEGIN { printf "%.2f", h / n }')
    awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { exit !(r < t) }' && status=FAIL
    printf '%-12s %12s %12s %8s\n' "$route" "$h" "$n" "$ratio"
done
echo
echo "machine: nproc=$(nproc) cpu=\"$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)\" kernel=$(uname -r)"
echo "params:  DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS (wrk -t$THREADS -c$CONNS -d$DURATION --latency)"
echo "hbf:     $HBF_BIN serve --port 0 --access_log false (workers = cores, the henv's workers setting = cores), app imported from stress/apps/bench"
echo "node:    $(node --version), express $(node -p "require('./stress/node-bench/node_modules/express/package.json').version"), 2-worker cluster (stress/node-bench/cluster.js)"
echo "$status: hbf/node >= $TARGET_RATIO on every route"
[[ $status == PASS ]]
