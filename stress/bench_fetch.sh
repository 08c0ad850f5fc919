#!/usr/bin/env bash
# An app route that fetches from a local upstream (nginx, `return 200`) on HBF (the outbound
# engine; --fetch_allow_private for loopback) vs the same app on Node + Express 5 with global
# fetch (undici), 2-worker cluster. Reports req/s and p99 of each and checks every response
# was a 200. Loopback only; every wrk run bounded by DURATION; everything stopped on exit.
#   stress/bench_fetch.sh            DURATION=10s CONNS=32 THREADS=2
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init bench_fetch
need_tools wrk node npm nginx
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
ensure_hbf
# Express 5 for the Node side: the fetch differential suite's packages (scripts/install-deps.sh).
NODE_MODULES=${NODE_MODULES:-js-tests/fetch/node_modules}
[[ -d $NODE_MODULES/express ]] || (cd js-tests/fetch && npm ci --no-audit --no-fund >&2)

UP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $WORK/nginx.pid; error_log $WORK/nginx.err;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $WORK/b; proxy_temp_path $WORK/p;
  fastcgi_temp_path $WORK/f; uwsgi_temp_path $WORK/u; scgi_temp_path $WORK/s;
  keepalive_requests 100000;
  server { listen 127.0.0.1:$UP_PORT;
    location = /hello { default_type text/plain; return 200 "hello from upstream"; } } }
CONF
bg nginx -c "$WORK/nginx.conf" -p "$WORK"

import_app stress/apps/fetch
start_hbf --access_log false --fetch_allow_private

bg env NODE_PATH="$PWD/$NODE_MODULES" \
    node stress/node-bench/cluster.js stress/apps/fetch >"$WORK/node.log" 2>&1
NODE_PORT=
for _ in $(seq 200); do
    NODE_PORT=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$WORK/node.log" 2>/dev/null | head -n1 | grep -oE '[0-9]+$' || true)
    [[ -n $NODE_PORT ]] && break
    sleep 0.1
done
[[ -n $NODE_PORT ]] || die "node did not start: $(cat "$WORK/node.log")"

for port in "$HBF_PORT" "$NODE_PORT"; do
    body=$(curl -s "http://127.0.0.1:$port/proxy?port=$UP_PORT")
    [[ $body == "hello from upstream" ]] || die ":$port/proxy answered '$body'"
done

run() { # name url -> sets RPS and P99; checks there were no errors
    timeout 10 wrk -t"$THREADS" -c"$CONNS" -d1s "$2" >/dev/null 2>&1 || true # warm-up
    local out
    out=$(timeout 120 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$2")
    check "$1: every response 200" "$(grep -qE 'Non-2xx|Socket errors' <<<"$out" && echo 0 || echo 1)" \
        "$(grep -E 'Non-2xx|Socket errors' <<<"$out" || echo clean)"
    RPS=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    P99=$(awk '$1 == "99%" {print $2}' <<<"$out")
}

run hbf "$HBF_URL/proxy?port=$UP_PORT"
h_rps=$RPS h_p99=$P99
run node "http://127.0.0.1:$NODE_PORT/proxy?port=$UP_PORT"
n_rps=$RPS n_p99=$P99
echo
printf '%-8s %12s %10s\n' server req/s p99 hbf "$h_rps" "$h_p99" node "$n_rps" "$n_p99"
echo "ratio (hbf/node req/s): $(awk -v h="$h_rps" -v n="$n_rps" 'BEGIN { printf "%.2f", h / n }')"
machine_line
echo "params:  DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS (wrk -t$THREADS -c$CONNS -d$DURATION --latency)"
echo "hbf:     $(quote "${HBF_CMD[@]}") (workers = cores), app stress/apps/fetch"
echo "node:    $(node --version), express $(node -p "require('./$NODE_MODULES/express/package.json').version"), global fetch, 2-worker cluster"
echo "upstream: nginx $(nginx -v 2>&1 | grep -oE '[0-9.]+$'), 1 worker, return 200"
finish
