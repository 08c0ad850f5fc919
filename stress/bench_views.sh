#!/usr/bin/env bash
# Server-rendered pages: req/s of a page rendered from a 50-line EJS template with a loop
# over 20 rows (stress/apps/views), HBF (built-in ejs, one worker per core) vs Node +
# Express 5 + ejs (2-worker cluster, packages from js-tests/ejs/package-lock.json); checks
# first that both serve the same HTML. Loopback only; wrk runs are bounded by DURATION;
# everything started here is stopped on exit (stress/lib.sh).
#   stress/bench_views.sh            DURATION=10s CONNS=64 THREADS=2
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init bench_views
need_tools wrk node npm
ensure_hbf
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
[[ -f js-tests/ejs/node_modules/.package-lock.json ]] ||
    (cd js-tests/ejs && npm ci --no-audit --no-fund --ignore-scripts --loglevel error)

# HBF: the app alone (express and ejs are built in); Node: the app with its node_modules.
cp -r stress/apps/views "$WORK/nodeapp"
cp -r js-tests/ejs/node_modules "$WORK/nodeapp/node_modules"
import_app stress/apps/views
"$HBF_BIN" sql "INSERT OR REPLACE INTO _hbf_config (key, value) VALUES ('security_headers', 'false')" \
    --host localhost --storage_dir "$STORAGE" >/dev/null
start_hbf --access_log false
bg node stress/node-bench/cluster.js "$WORK/nodeapp" >"$WORK/node.log" 2>&1
NODE_PORT=
for _ in $(seq 300); do
    NODE_PORT=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$WORK/node.log" | grep -oE '[0-9]+$' || true)
    [[ -n $NODE_PORT ]] && break
    sleep 0.05
done
[[ -n $NODE_PORT ]] || die "node did not start: $(cat "$WORK/node.log")"

h=$(curl -s "$HBF_URL/page")
n=$(curl -s "http://127.0.0.1:$NODE_PORT/page")
check "same page from HBF and Node" "$([[ "$h" == "$n" && -n $h ]] && echo 1)" "$(printf %s "$h" | wc -c) bytes"

rps() { # url
    timeout 5 wrk -t"$THREADS" -c"$CONNS" -d1s "$1" >/dev/null 2>&1 || true # warm-up
    local out; out=$(timeout 120 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$1")
    if grep -q "Non-2xx" <<<"$out"; then echo "bench_views: non-2xx responses from $1" >&2; fi
    awk '/Requests\/sec/ {print $2}' <<<"$out"
}
printf '%-8s %12s %12s %8s\n' route hbf node ratio
for route in /page /hello; do
    h=$(rps "$HBF_URL$route")
    n=$(rps "http://127.0.0.1:$NODE_PORT$route")
    printf '%-8s %12s %12s %8s\n' "$route" "$h" "$n" "$(python3 -c "print(f'{$h/$n:.2f}x')")"
done
finish
