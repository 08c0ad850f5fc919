#!/usr/bin/env bash
# Worker saturation: a JS handler that busy-waits BUSY_MS on each request, hbf with --workers 2
# and --queue_capacity QUEUE, loaded by wrk with far more connections than workers + queue.
# Expected: requests beyond the queue get 503 with Retry-After at once (backpressure, not
# collapse), /health (answered on the event loop) stays fast, no crash; once the load stops
# the app answers 200 again. Then handlers that never return (/spin) get 504 at
# --qjs_timeout_ms and the worker recovers (runtime rebuilt).
# Loopback only, bounded, stops by itself. Exit 0 PASS, 1 FAIL, 2 setup error.
#
# Env: DURATION=15 CONNS=64 THREADS=2 BUSY_MS=200 QUEUE=4 QJS_TIMEOUT_MS=1000 HBF_BIN BUILD
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init saturation
need_tools wrk

DURATION=${DURATION:-15}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
BUSY_MS=${BUSY_MS:-200}
QUEUE=${QUEUE:-4}
QJS_TIMEOUT_MS=${QJS_TIMEOUT_MS:-1000}

ensure_hbf
import_app stress/apps/overload
start_hbf --workers 2 --queue_capacity "$QUEUE" --qjs_timeout_ms "$QJS_TIMEOUT_MS" --access_log false
for _ in 1 2 3 4; do http_status "$HBF_URL/busy?ms=1" >/dev/null; done

# probes during the load: app requests with headers, and /health latency
bg bash -c "for i in \$(seq $(( DURATION * 2 ))); do
    curl -s -D - -o /dev/null --max-time 5 '$HBF_URL/busy?ms=$BUSY_MS' | tr -d '\r' |
        awk 'NR == 1 {s = \$2} tolower(\$1) == \"retry-after:\" {r = \$2} END {print s, (r == \"\" ? \"-\" : r)}'
    sleep 0.5; done" >"$WORK/probe-app.txt"
PROBE_APP=$BG_PID
bg bash -c "for i in \$(seq $(( DURATION * 4 ))); do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 5 '$HBF_URL/_hbf/health'; sleep 0.25; done" >"$WORK/probe-health.txt"
PROBE_HEALTH=$BG_PID

WRK_CMD=(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$HBF_URL/busy?ms=$BUSY_MS")
log "load: $(quote "${WRK_CMD[@]}")"
timeout $(( DURATION + 30 )) "${WRK_CMD[@]}" >"$WORK/wrk.txt" 2>&1 || die "wrk failed"
wait "$PROBE_APP" "$PROBE_HEALTH" 2>/dev/null || true
cat "$WORK/wrk.txt"

total=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
non2xx=$(awk '/Non-2xx or 3xx responses:/ {n = $NF} END {print n + 0}' "$WORK/wrk.txt")
errs=$(awk '/Socket errors:/ {gsub(",", ""); s = $4 + $6 + $8 + $10} END {print s + 0}' "$WORK/wrk.txt")
served=$(( total - non2xx ))
capacity=$(awk -v d="$DURATION" -v b="$BUSY_MS" 'BEGIN { printf "%d", 2 * d * 1000 / b }')
queue_full=$(metric 'hbf_overload_total{reason="queue_full"}')
p503=$(grep -c '^503 ' "$WORK/probe-app.txt" || true)
p503_ra=$(grep -cE '^503 [0-9]+$' "$WORK/probe-app.txt" || true)
p200=$(grep -c '^200 ' "$WORK/probe-app.txt" || true)
pn=$(wc -l <"$WORK/probe-app.txt")
h_ok=$(grep -c '^200 ' "$WORK/probe-health.txt" || true)
h_n=$(wc -l <"$WORK/probe-health.txt")
h_max=$(awk '{if ($2 > m) m = $2} END {print m + 0}' "$WORK/probe-health.txt")
echo
echo "wrk: $total requests, $served 2xx (capacity of 2 workers x ${BUSY_MS} ms: ~$capacity), $non2xx non-2xx, socket errors $errs"
echo "hbf_overload_total{reason=queue_full} = $queue_full"
echo "app probe: $p200 x 200, $p503 x 503 ($p503_ra with Retry-After) of $pn; /health probe: $h_ok/$h_n x 200, slowest ${h_max}s"

check "overload answered 503 (queue full)" "$( (( non2xx > 0 && queue_full > 0 )) && echo 1)" "non-2xx $non2xx, queue_full $queue_full"
check "every 503 carries Retry-After" "$( (( p503 > 0 && p503 == p503_ra )) && echo 1)" "$p503_ra of $p503 probe 503s"
check "workers kept serving at capacity" "$(cmp "$served" '>=' $(( capacity / 2 )))" "$served 2xx (capacity ~$capacity)"
check "no socket errors" "$(cmp "$errs" == 0)" "errors $errs"
check "/health fast during saturation" "$( (( h_ok == h_n )) && [[ $(cmp "$h_max" '<' 0.5) == 1 ]] && echo 1)" "$h_ok/$h_n x 200, slowest ${h_max}s"
check "recovery: app 200 after the load" "$(cmp "$(http_status "$HBF_URL/busy?ms=1")" == 200)" ""

# ---- endless handlers: 504 at the deadline, then recovery -----------------------------
spins=()
for _ in 1 2 3; do
    spins+=("$(curl -s -o /dev/null -w '%{http_code}:%{time_total}' --max-time 10 "$HBF_URL/spin" || true)")
done
after=$(http_status "$HBF_URL/busy?ms=1")
echo "spin: ${spins[*]} (status:seconds); then /busy -> $after"
ok=1
for s in "${spins[@]}"; do
    [[ ${s%%:*} == 504 ]] || ok=0
    [[ $(cmp "${s#*:}" '<' $(( QJS_TIMEOUT_MS / 1000 + 2 ))) == 1 ]] || ok=0
done
check "endless handler -> 504 at --qjs_timeout_ms" "$ok" "${spins[*]}"
check "worker recovers after 504s" "$(cmp "$after" == 200)" "/busy -> $after"
check "hbf alive" "$(alive && echo 1)" "rss $(rss_kb) KiB, queue depth $(metric hbf_worker_queue_depth)"
echo "load:    $(quote "${WRK_CMD[@]}")"
finish
