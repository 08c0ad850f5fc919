#!/usr/bin/env bash
# Server-rendered pages: req/s of a page rendered from a 50-line EJS template with a loop
# over 20 rows (stress/apps/views), HBF (built-in ejs, one worker per core) vs Node +
# Express 5 + ejs (2-worker cluster, packages from js-tests/ejs/package-lock.json); checks
# first that both serve the same HTML. Loopback only; wrk runs are bounded by DURATION;
# servers are stopped on exit.
#   stress/bench_views.sh            DURATION=10s CONNS=64 THREADS=2
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
HBF_BIN=${HBF_BIN:-target/release/hbf}

for tool in wrk node npm curl python3; do
    command -v "$tool" >/dev/null || { echo "bench_views: $tool not found" >&2; exit 2; }
done
[[ -x $HBF_BIN ]] || cargo build --release --bin hbf
[[ -f js-tests/ejs/node_modules/.package-lock.json ]] ||
    (cd js-tests/ejs && npm ci --no-audit --no-fund --ignore-scripts --loglevel error)

WORK=$(mktemp -d /tmp/hbf-bench-views.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# HBF: the app alone (express and ejs are built in); Node: the app with its node_modules.
cp -r stress/apps/views "$WORK/app"
cp -r stress/apps/views "$WORK/nodeapp"
cp -r js-tests/ejs/node_modules "$WORK/nodeapp/node_modules"
"$HBF_BIN" import "$WORK/app" --host localhost --storage_dir "$WORK/henvs" | tail -n1
"$HBF_BIN" sql "INSERT OR REPLACE INTO _hbf_config (key, value) VALUES ('security_headers', 'false')" \
    --host localhost --storage_dir "$WORK/henvs" >/dev/null

port_of() { # log pattern -> port (waits)
    for _ in $(seq 300); do
        local port
        port=$(grep -oE "$2" "$1" 2>/dev/null | head -n1 | grep -oE '[0-9]+$' || true)
        if [[ -n $port ]]; then echo "$port"; return; fi
        sleep 0.02
    done
    echo "bench_views: server did not start; log:" >&2; cat "$1" >&2; exit 2
}

"$HBF_BIN" serve --port 0 --storage_dir "$WORK/henvs" --access_log false >"$WORK/hbf.log" 2>&1 &
PIDS+=($!)
HBF_PORT=$(port_of "$WORK/hbf.log" '"addr":"127\.0\.0\.1:[0-9]+')
node stress/node-bench/cluster.js "$WORK/nodeapp" >"$WORK/node.log" 2>&1 &
PIDS+=($!)
NODE_PORT=$(port_of "$WORK/node.log" 'http://127\.0\.0\.1:[0-9]+')

h=$(curl -s "http://127.0.0.1:$HBF_PORT/page")
n=$(curl -s "http://127.0.0.1:$NODE_PORT/page")
if [[ "$h" != "$n" ]]; then
    echo "FAIL bench_views: HBF and Node render different pages" >&2
    diff <(echo "$h") <(echo "$n") >&2 || true
    exit 1
fi
echo "same page from both ($(printf %s "$h" | wc -c) bytes)"

rps() { # url
    wrk -t"$THREADS" -c"$CONNS" -d1s "$1" >/dev/null 2>&1 || true # warm-up
    local out; out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$1")
    if grep -q "Non-2xx" <<<"$out"; then echo "bench_views: non-2xx responses from $1" >&2; fi
    awk '/Requests\/sec/ {print $2}' <<<"$out"
}
printf '%-8s %12s %12s %8s\n' route hbf node ratio
for route in /page /hello; do
    h=$(rps "http://127.0.0.1:$HBF_PORT$route")
    n=$(rps "http://127.0.0.1:$NODE_PORT$route")
    printf '%-8s %12s %12s %8s\n' "$route" "$h" "$n" "$(python3 -c "print(f'{$h/$n:.2f}x')")"
done
echo "PASS bench_views"
