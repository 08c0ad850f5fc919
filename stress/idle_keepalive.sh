#!/usr/bin/env bash
# 10,000 idle keep-alive connections held open: RSS per connection, the server keeps serving
# new clients meanwhile, and every connection is released afterwards. Then a short second
# phase: idle connections are closed at --keepalive_timeout_ms.
# Loopback only, bounded, stops by itself. Exit 0 PASS, 1 FAIL, 2 setup error.
#
# Env: N=10000 (connections) RSS_PER_CONN_MAX_KIB=64 N_TIMEOUT=1000 (phase 2)
#      HBF_BIN BUILD
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init idle_keepalive

N=${N:-10000}
N_TIMEOUT=${N_TIMEOUT:-1000}
RSS_PER_CONN_MAX_KIB=${RSS_PER_CONN_MAX_KIB:-64}

# Client and server each need N descriptors (plus their own): raise the soft limit.
hard=$(ulimit -Hn)
want=$(( N + 512 ))
if [[ $hard != unlimited ]] && (( hard < want )); then
    die "ulimit -Hn is $hard; N=$N needs $want (lower N or raise the hard limit)"
fi
ulimit -n "$want"
log "ulimit -n $(ulimit -n) (hard $hard)"

ensure_hbf
import_app stress/apps/overload
start_hbf --max_conn $(( N + 1000 )) --keepalive_timeout_ms 600000 --access_log false

# warm up the app (its runtime and SQLite connection count in the baseline, not per connection)
for _ in 1 2 3 4; do http_status "$HBF_URL/hello" >/dev/null; done
sleep 1
rss_before=$(rss_kb)
fds_before=$(fd_count)
sock_mem() { awk '$1 == "TCP:" {for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1) * 4}' /proc/net/sockstat; } # KiB (pages x 4)
kmem_before=$(sock_mem)

log "opening $N keep-alive connections (one GET /health each, then idle)"
# no `timeout` wrapper: the signal below must reach python (it bounds itself: --hold)
bg python3 stress/hold_conns.py "$HBF_PORT" "$N" --mode request --hold 240 --setup-timeout 120 >"$WORK/hold.jsonl"
HOLD_PID=$BG_PID
for _ in $(seq 1200); do grep -q '"ready"' "$WORK/hold.jsonl" 2>/dev/null && break; sleep 0.1; done
ready=$(grep '"ready"' "$WORK/hold.jsonl" || true)
[[ -n $ready ]] || die "client did not set up its connections within 120 s"
log "client: $ready"
connect_s=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["connect_s"])' "$ready")
connected=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["connected"])' "$ready")
answered=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["answered_200"])' "$ready")
sleep 2
rss_held=$(rss_kb)
fds_held=$(fd_count)
kmem_held=$(sock_mem)
active=$(metric hbf_connections_active)
per_conn=$(awk -v a="$rss_held" -v b="$rss_before" -v n="$connected" 'BEGIN { printf "%.1f", (n > 0 ? (a - b) / n : 0) }')

# new clients while the idle ones are held
t_health=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "$HBF_URL/_hbf/health" || true)
t_app=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "$HBF_URL/hello" || true)

kill -USR1 "$HOLD_PID" 2>/dev/null || true
wait "$HOLD_PID" 2>/dev/null || true
released=$(grep '"released"' "$WORK/hold.jsonl" || echo '{"closed_by_server": -1}')
closed_early=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["closed_by_server"])' "$released")
for _ in $(seq 100); do (( $(metric hbf_connections_active) <= 1 )) && break; sleep 0.1; done
active_after=$(metric hbf_connections_active)
sleep 1
rss_after=$(rss_kb)
fds_after=$(fd_count)

echo
echo "idle keep-alive connections: N=$N connected=$connected answered_200=$answered active(metric)=$active"
echo "RSS: before ${rss_before} KiB, held ${rss_held} KiB, after release ${rss_after} KiB"
echo "RSS per idle connection: ${per_conn} KiB  (= (held - before) / connected)"
echo "fds: before $fds_before, held $fds_held, after $fds_after"
echo "kernel TCP buffer memory (both ends, /proc/net/sockstat): ${kmem_before} KiB -> ${kmem_held} KiB while held (not in RSS)"
echo "while held: /health -> $t_health s, /hello -> $t_app s"

check "all $N connections established" "$(cmp "$connected" == "$N")" "connected $connected in ${connect_s}s"
check "each answered 200 before idling" "$(cmp "$answered" == "$N")" "answered $answered"
check "server counts them open" "$(cmp "$active" '>=' "$N")" "hbf_connections_active $active"
check "none closed while held (keep-alive 600 s)" "$(cmp "$closed_early" == 0)" "closed by server $closed_early"
check "new clients served while held" \
    "$( [[ ${t_health%% *} == 200 && ${t_app%% *} == 200 ]] && echo 1)" "/health $t_health s, /hello $t_app s"
check "RSS per idle connection <= $RSS_PER_CONN_MAX_KIB KiB" "$(cmp "$per_conn" '<=' "$RSS_PER_CONN_MAX_KIB")" "${per_conn} KiB"
check "connections released afterwards" "$(cmp "$active_after" '<=' 1)" "active $active_after, fds $fds_after (before $fds_before)"
check "hbf alive" "$(alive && echo 1)" "pid $HBF_PID"
stop_hbf || true

# ---- phase 2: the keep-alive deadline closes idle connections ---------------------------
start_hbf --keepalive_timeout_ms 2000 --access_log false
bg timeout 60 python3 stress/hold_conns.py "$HBF_PORT" "$N_TIMEOUT" --mode request --hold 5 >"$WORK/hold2.jsonl"
wait "$BG_PID" 2>/dev/null || true
r2=$(grep '"released"' "$WORK/hold2.jsonl" || echo '{"closed_by_server": -1, "held": 0}')
closed2=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["closed_by_server"])' "$r2")
active2=$(metric hbf_connections_active)
echo "phase 2: $N_TIMEOUT idle connections, --keepalive_timeout_ms 2000, held 5 s: closed by server $closed2, active now $active2"
check "idle connections closed at the keep-alive deadline" "$(cmp "$closed2" == "$N_TIMEOUT")" "$closed2 of $N_TIMEOUT closed within 5 s"
check "hbf alive (phase 2)" "$(alive && echo 1)" "active $active2"
finish
