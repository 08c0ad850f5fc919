#!/usr/bin/env bash
# A henv whose server.js requires express + 5 npm packages (stress/apps/modules, packages from
# js-tests/modules/package-lock.json): cold start (first request after the server starts,
# RUNS fresh servers, median) and steady-state req/s, HBF vs Node + Express 5 (2-worker
# cluster). Loopback only; wrk runs are bounded by DURATION; servers are stopped on exit.
#   stress/bench_modules.sh            DURATION=10s CONNS=64 THREADS=2 RUNS=5
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
RUNS=${RUNS:-5}
HBF_BIN=${HBF_BIN:-target/release/hbf}

for tool in wrk node npm curl python3; do
    command -v "$tool" >/dev/null || { echo "bench_modules: $tool not found" >&2; exit 2; }
done
[[ -x $HBF_BIN ]] || cargo build --release --bin hbf
[[ -f js-tests/modules/node_modules/.package-lock.json ]] ||
    (cd js-tests/modules && npm ci --no-audit --no-fund --ignore-scripts --loglevel error)

WORK=$(mktemp -d /tmp/hbf-bench-modules.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/app"
cp stress/apps/modules/server.js "$WORK/app/"
cp -r js-tests/modules/node_modules "$WORK/app/node_modules"
"$HBF_BIN" import "$WORK/app" --host localhost --storage_dir "$WORK/henvs" | tail -n1

port_of() { # log pattern -> port (waits)
    for _ in $(seq 300); do
        local port
        port=$(grep -oE "$2" "$1" 2>/dev/null | head -n1 | grep -oE '[0-9]+$' || true)
        if [[ -n $port ]]; then echo "$port"; return; fi
        sleep 0.02
    done
    echo "bench_modules: server did not start; log:" >&2; cat "$1" >&2; exit 2
}

# Seconds of the first request, for RUNS fresh servers: prints the median.
cold() { # name
    local times=()
    for _ in $(seq "$RUNS"); do
        local log="$WORK/cold.log"
        if [[ $1 == hbf ]]; then
            "$HBF_BIN" serve --port 0 --storage_dir "$WORK/henvs" --access_log false >"$log" 2>&1 &
            local pid=$!
            local port; port=$(port_of "$log" '"addr":"127\.0\.0\.1:[0-9]+')
        else
            node stress/node-bench/cluster.js "$WORK/app" >"$log" 2>&1 &
            local pid=$!
            local port; port=$(port_of "$log" 'http://127\.0\.0\.1:[0-9]+')
        fi
        times+=("$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/json")")
        kill "$pid"; wait "$pid" 2>/dev/null || true
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f ms", a[int((NR+1)/2)]*1000}'
}

echo "cold start, first request after start (median of $RUNS):"
echo "  hbf:  $(cold hbf)  (the henv's runtime is built on the first request: prelude, express, 6 packages)"
echo "  node: $(cold node)  (Node has loaded everything before it listens)"

"$HBF_BIN" serve --port 0 --storage_dir "$WORK/henvs" --access_log false >"$WORK/hbf.log" 2>&1 &
PIDS+=($!)
HBF_PORT=$(port_of "$WORK/hbf.log" '"addr":"127\.0\.0\.1:[0-9]+')
node stress/node-bench/cluster.js "$WORK/app" >"$WORK/node.log" 2>&1 &
PIDS+=($!)
NODE_PORT=$(port_of "$WORK/node.log" 'http://127\.0\.0\.1:[0-9]+')

rps() { # url
    wrk -t"$THREADS" -c"$CONNS" -d1s "$1" >/dev/null 2>&1 || true # warm-up
    local out; out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$1")
    if grep -q "Non-2xx" <<<"$out"; then echo "bench_modules: non-2xx responses from $1" >&2; fi
    awk '/Requests\/sec/ {print $2}' <<<"$out"
}
printf '%-8s %12s %12s %8s\n' route hbf node ratio
for route in /hello /json; do
    h=$(rps "http://127.0.0.1:$HBF_PORT$route")
    n=$(rps "http://127.0.0.1:$NODE_PORT$route")
    printf '%-8s %12s %12s %8s\n' "$route" "$h" "$n" "$(python3 -c "print(f'{$h/$n:.2f}x')")"
done
