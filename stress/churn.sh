#!/usr/bin/env bash
# Many short-lived connections: wrk with `Connection: close` (one request per connection)
# 1. within limits, on /health (answered on the event loop) and on an app route (worker, JS):
#    every response 2xx, no socket errors;
# 2. over --max_conn (CONNS_OVER clients against --max_conn MAX_CONN_SMALL): refusals are
#    503 + close, the server stays up, and afterwards answers 200 with its connection count
#    and descriptors back at the baseline.
# Loopback only, bounded, stops by itself. Exit 0 PASS, 1 FAIL, 2 setup error.
#
# Env: DURATION=15 CONNS=64 THREADS=2 MAX_CONN_SMALL=32 CONNS_OVER=256 HBF_BIN BUILD
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init churn
need_tools wrk

DURATION=${DURATION:-15}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
MAX_CONN_SMALL=${MAX_CONN_SMALL:-32}
CONNS_OVER=${CONNS_OVER:-256}
COMMANDS=()

ensure_hbf
import_app stress/apps/overload

run_wrk() { # label conns path -> sets RPS NON2XX ERRS TOTAL
    local label=$1 conns=$2 path=$3
    local -a cmd=(wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" --latency -H 'Connection: close' "$HBF_URL$path")
    COMMANDS+=("$(quote "${cmd[@]}")")
    log "$label: $(quote "${cmd[@]}")"
    timeout $(( DURATION + 30 )) "${cmd[@]}" >"$WORK/wrk-$label.txt" 2>&1 || die "wrk failed ($label)"
    RPS=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk-$label.txt")
    TOTAL=$(awk '/requests in/ {print $1}' "$WORK/wrk-$label.txt")
    NON2XX=$(awk '/Non-2xx or 3xx responses:/ {n = $NF} END {print n + 0}' "$WORK/wrk-$label.txt")
    ERRS=$(awk '/Socket errors:/ {gsub(",", ""); s = $4 + $6 + $8 + $10} END {print s + 0}' "$WORK/wrk-$label.txt")
    P99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk-$label.txt")
    printf '%-22s %8s conns %10s req/s  p99 %9s  requests %9s  non-2xx %7s  socket errors %6s\n' \
        "$label" "$conns" "$RPS" "$P99" "$TOTAL" "$NON2XX" "$ERRS" | tee -a "$WORK/table.txt"
}

settled() { # wait up to 10 s for the open-connection count to drop to <= 1; prints it
    local a
    for _ in $(seq 100); do a=$(metric hbf_connections_active); (( a <= 1 )) && break; sleep 0.1; done
    echo "$a"
}

warm() { for _ in 1 2 3 4 5 6; do http_status "$HBF_URL/hello" >/dev/null; done; } # henv open on both workers

# ---- 1. within limits -------------------------------------------------------------------
start_hbf --access_log false
warm
fds0=$(fd_count)
run_wrk health-close "$CONNS" /_hbf/health
check "/health close: all 2xx, no socket errors" "$( (( NON2XX == 0 && ERRS == 0 && TOTAL > 0 )) && echo 1)" \
    "$RPS req/s, $TOTAL requests, non-2xx $NON2XX, errors $ERRS"
run_wrk app-close "$CONNS" /hello
check "app /hello close: all 2xx, no socket errors" "$( (( NON2XX == 0 && ERRS == 0 && TOTAL > 0 )) && echo 1)" \
    "$RPS req/s, $TOTAL requests, non-2xx $NON2XX, errors $ERRS"
a=$(settled); fds1=$(fd_count)
check "connections and fds back to baseline" "$( (( a <= 1 && fds1 <= fds0 + 4 )) && echo 1)" \
    "active $a, fds $fds0 -> $fds1"
check "hbf alive" "$(alive && echo 1)" "rss $(rss_kb) KiB"
stop_hbf || true

# ---- 2. over --max_conn -----------------------------------------------------------------
start_hbf --access_log false --max_conn "$MAX_CONN_SMALL"
warm
fds0=$(fd_count)
# one client polls /health with its own fresh connections during the overload
bg bash -c "for i in \$(seq $(( DURATION * 5 ))); do curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 2 '$HBF_URL/_hbf/health'; sleep 0.2; done" >"$WORK/probe.txt"
PROBE=$BG_PID
run_wrk over-max-conn "$CONNS_OVER" /hello
wait "$PROBE" 2>/dev/null || true
refused=$(metric 'hbf_connections_rejected_total{reason="max_conn"}')
c2xx=$(metric 'hbf_requests_total{class="2xx"}')
probe_ok=$(grep -c '^200 ' "$WORK/probe.txt" || true)
probe_503=$(grep -c '^503 ' "$WORK/probe.txt" || true)
probe_n=$(wc -l <"$WORK/probe.txt")
probe_hung=$(awk '$2 >= 2 {n++} END {print n + 0}' "$WORK/probe.txt")
probe_other=$(( probe_n - probe_ok - probe_503 ))
echo "over max_conn: refused at accept (503, or closed without a word past $((256)) refusals in flight) $refused, served 2xx $c2xx;"
echo "  probe /health: $probe_ok x 200, $probe_503 x 503, $probe_other closed without reply, $probe_hung hung (>= 2 s) of $probe_n"
served_over=$(( TOTAL - NON2XX ))
check "overload refused with 503, not hangs" "$( (( NON2XX > 0 && TOTAL > 0 && refused > 0 )) && echo 1)" \
    "$TOTAL requests, non-2xx $NON2XX, socket errors $ERRS (connections closed unanswered), refused $refused"
check "admitted connections keep being served" "$(cmp "$served_over" '>=' $(( DURATION * 100 )))" \
    "$served_over requests 2xx in ${DURATION}s with --max_conn $MAX_CONN_SMALL (>= 100/s)"
check "probe answered or closed at once, never hung" "$(cmp "$probe_hung" == 0)" \
    "$probe_ok x 200, $probe_503 x 503, $probe_other unanswered, $probe_hung hung of $probe_n"
a=$(settled); fds1=$(fd_count)
check "connections and fds back to baseline" "$( (( a <= 1 && fds1 <= fds0 + 4 )) && echo 1)" "active $a, fds $fds0 -> $fds1"
check "recovery: /health and /hello 200" \
    "$( [[ $(http_status "$HBF_URL/_hbf/health") == 200 && $(http_status "$HBF_URL/hello") == 200 ]] && echo 1)" ""
check "hbf alive" "$(alive && echo 1)" "rss $(rss_kb) KiB"

echo
cat "$WORK/table.txt"
echo "load:"
printf '  %s\n' "${COMMANDS[@]}"
finish
