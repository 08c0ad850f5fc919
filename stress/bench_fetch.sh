#!/usr/bin/env bash
# An app route that fetches from a local upstream (nginx, `return 200`), on HBF (outbound
# engine, --fetch_allow_private for loopback) vs the same app on Node + Express 5 with global
# fetch (undici), 2-worker cluster. Reports req/s and p99 of each; loopback only, every wrk run
# bounded by DURATION; all servers stopped on exit. Not a pass/fail target: a record.
#   stress/bench_fetch.sh            DURATION=10s CONNS=32 THREADS=2
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
HBF_BIN=${HBF_BIN:-target/release/hbf}

for tool in wrk node npm curl nginx; do
    command -v "$tool" >/dev/null || { echo "bench_fetch: $tool not found" >&2; exit 2; }
done
[[ -x $HBF_BIN ]] || cargo build --release --bin hbf
[[ -d stress/node-bench/node_modules/express ]] || (cd stress/node-bench && npm install --no-audit --no-fund)

WORK=$(mktemp -d /tmp/hbf-bench-fetch.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

UP_PORT=$(free_port)
cat >"$WORK/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $WORK/nginx.pid; error_log $WORK/nginx.err;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $WORK/b; proxy_temp_path $WORK/p;
  fastcgi_temp_path $WORK/f; uwsgi_temp_path $WORK/u; scgi_temp_path $WORK/s;
  keepalive_requests 100000;
  server { listen 127.0.0.1:$UP_PORT;
    location = /hello { default_type text/plain; return 200 "hello from upstream"; } } }
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK" </dev/null >/dev/null 2>&1 &
PIDS+=($!)

wait_port() { # log pattern -> prints port
    local log=$1 pattern=$2
    for _ in $(seq 200); do
        local port
        port=$(grep -oE "$pattern" "$log" 2>/dev/null | head -n1 | grep -oE '[0-9]+$' || true)
        if [[ -n $port ]] && curl -sf -o /dev/null "http://127.0.0.1:$port/hello"; then echo "$port"; return; fi
        sleep 0.1
    done
    echo "bench_fetch: server did not start; log:" >&2; cat "$log" >&2; exit 2
}

"$HBF_BIN" import stress/apps/fetch --host localhost --storage_dir "$WORK/henvs" >/dev/null
"$HBF_BIN" serve --port 0 --storage_dir "$WORK/henvs" --log_level info --access_log false \
    --fetch_allow_private >"$WORK/hbf.log" 2>&1 &
PIDS+=($!)
HBF_PORT=$(wait_port "$WORK/hbf.log" '"addr":"127\.0\.0\.1:[0-9]+')

APP="$PWD/stress/apps/fetch/server.js" NODE_PATH=stress/node-bench/node_modules \
    node stress/node-bench/cluster.js >"$WORK/node.log" 2>&1 &
PIDS+=($!)
NODE_PORT=$(wait_port "$WORK/node.log" 'http://127\.0\.0\.1:[0-9]+')

for port in "$HBF_PORT" "$NODE_PORT"; do
    body=$(curl -sf "http://127.0.0.1:$port/proxy?port=$UP_PORT")
    [[ $body == "hello from upstream" ]] || { echo "bench_fetch: :$port/proxy answered '$body'" >&2; cat "$WORK/hbf.log" >&2; exit 1; }
done

run() { # url -> "rps p99"
    wrk -t"$THREADS" -c"$CONNS" -d1s "$1" >/dev/null 2>&1 || true # warm-up
    local out
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$1")
    if grep -qE "Non-2xx|Socket errors" <<<"$out"; then echo "bench_fetch: errors from $1:" >&2; grep -E "Non-2xx|Socket errors" <<<"$out" >&2; fi
    echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1 == "99%" {print $2}' <<<"$out")"
}

read -r h_rps h_p99 < <(run "http://127.0.0.1:$HBF_PORT/proxy?port=$UP_PORT")
read -r n_rps n_p99 < <(run "http://127.0.0.1:$NODE_PORT/proxy?port=$UP_PORT")
printf '%-8s %12s %10s\n' server req/s p99
printf '%-8s %12s %10s\n' hbf "$h_rps" "$h_p99" node "$n_rps" "$n_p99"
echo "ratio (hbf/node req/s): $(awk -v h="$h_rps" -v n="$n_rps" 'BEGIN { printf "%.2f", h / n }')"
echo
echo "machine: nproc=$(nproc) cpu=\"$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)\" kernel=$(uname -r)"
echo "params:  DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS (wrk -t$THREADS -c$CONNS -d$DURATION --latency)"
echo "hbf:     $HBF_BIN serve --port 0 --fetch_allow_private (workers = cores), app stress/apps/fetch"
echo "node:    $(node --version), express $(node -p "require('./stress/node-bench/node_modules/express/package.json').version"), global fetch, 2-worker cluster"
echo "upstream: nginx $(nginx -v 2>&1 | grep -oE '[0-9.]+$'), 1 worker, return 200"
