#!/usr/bin/env bash
# Descriptor exhaustion: hbf runs under `ulimit -n FD_LIMIT` (64). A keep-alive client keeps
# requesting the app on one connection while HOGS idle connections (more than hbf has
# descriptors) are opened and held for HOLD seconds. Expected: accept fails with EMFILE and
# pauses (--accept_backoff_ms) instead of spinning, the existing connection keeps being served,
# and after the hogs close, new connections are accepted again.
# Loopback only, bounded, stops by itself. Exit 0 PASS, 1 FAIL, 2 setup error.
#
# Env: FD_LIMIT=64 HOGS=200 HOLD=8 HBF_BIN BUILD
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init fd_exhaustion

FD_LIMIT=${FD_LIMIT:-64}
HOGS=${HOGS:-200}
HOLD=${HOLD:-8}

ensure_hbf
import_app stress/apps/overload
# shellcheck disable=SC2016
HBF_WRAP=(bash -c 'ulimit -n "$0" && exec "$@"' "$FD_LIMIT")
start_hbf --workers 2 --header_timeout_ms 60000 --keepalive_timeout_ms 60000
limit=$(awk '/^Max open files/ {print $4}' "/proc/$HBF_PID/limits")
for _ in 1 2 3; do http_status "$HBF_URL/hello" >/dev/null; done # henv open before the squeeze
fds0=$(fd_count)
log "hbf fd soft limit $limit, $fds0 open at rest"

# the existing client: one keep-alive connection, a request every 0.25 s
bg timeout $(( HOLD + 30 )) python3 stress/keepalive_probe.py "$HBF_PORT" /hello 0.25 $(( HOLD + 10 )) >"$WORK/keeper.txt"
KEEPER=$BG_PID
sleep 1

log "opening $HOGS idle connections (hbf has $(( limit - fds0 )) descriptors left)"
bg timeout $(( HOLD + 60 )) python3 stress/hold_conns.py "$HBF_PORT" "$HOGS" --mode partial --hold "$HOLD" --setup-timeout 20 >"$WORK/hogs.jsonl"
HOGS_PID=$BG_PID
for _ in $(seq 200); do grep -q '"ready"' "$WORK/hogs.jsonl" 2>/dev/null && break; sleep 0.1; done
sleep 1
fds_squeezed=$(fd_count)
t1=$(cpu_ticks)
keeper_before=$(wc -l <"$WORK/keeper.txt")
# a new client while descriptors are exhausted: expected to wait in the backlog, not to crash
new_during=$(CURL_MAX_TIME=2 http_status "$HBF_URL/_hbf/health")
sleep 3
t2=$(cpu_ticks)
keeper_during_ok=$(awk -v from="$keeper_before" 'NR > from && $2 == "200" {n++} END {print n + 0}' "$WORK/keeper.txt")
keeper_during_n=$(( $(wc -l <"$WORK/keeper.txt") - keeper_before ))
paused=$(grep -c '"accept paused: out of file descriptors"' "$HBF_LOG" || true)
cpu=$(( t2 - t1 ))
log "squeezed: fds $fds_squeezed/$limit, new client -> $new_during, keeper $keeper_during_ok/$keeper_during_n x 200, cpu $cpu ticks in 3 s, 'accept paused' logged $paused times"

wait "$HOGS_PID" 2>/dev/null || true
log "hogs released: $(grep '"released"' "$WORK/hogs.jsonl" || echo none)"
t_rec=-1
start=$SECONDS
for _ in $(seq 100); do
    if [[ $(CURL_MAX_TIME=1 http_status "$HBF_URL/_hbf/health") == 200 ]]; then t_rec=$(( SECONDS - start )); break; fi
    sleep 0.1
done
app_after=$(http_status "$HBF_URL/hello")
wait "$KEEPER" 2>/dev/null || true
keeper_ok=$(grep -c ' 200$' "$WORK/keeper.txt" || true)
keeper_n=$(wc -l <"$WORK/keeper.txt")
keeper_err=$(grep -c ' error ' "$WORK/keeper.txt" || true)
emfile=$(metric 'hbf_accept_errors_total{kind="emfile"}')
sleep 1
fds1=$(fd_count)

echo
echo "hbf: ulimit -n $limit, fds at rest $fds0, squeezed $fds_squeezed, after $fds1"
echo "accept errors (emfile) $emfile, 'accept paused' log lines $paused, loop CPU while paused $cpu ticks / 3 s"
echo "existing keep-alive client: $keeper_ok/$keeper_n x 200 ($keeper_during_ok/$keeper_during_n while squeezed), errors $keeper_err"
echo "new client while squeezed: $new_during; after release: /health 200 after ${t_rec}s, /hello $app_after"

check "descriptors exhausted (test is real)" "$( (( emfile > 0 && fds_squeezed >= limit - 2 )) && echo 1)" "emfile $emfile, fds $fds_squeezed/$limit"
check "accept backs off, no busy loop" "$( (( cpu < 100 )) && echo 1)" "$cpu ticks (1/100 s) of CPU in 3 s while paused, $paused pauses logged"
check "existing connection served throughout" "$( (( keeper_ok == keeper_n && keeper_err == 0 && keeper_during_n > 0 )) && echo 1)" \
    "$keeper_ok/$keeper_n x 200, $keeper_during_ok/$keeper_during_n while squeezed"
check "new connections accepted after the hogs close" "$( (( t_rec >= 0 )) && [[ $app_after == 200 ]] && echo 1)" "/health after ${t_rec}s, /hello $app_after"
check "descriptors released" "$(cmp "$fds1" '<=' $(( fds0 + 4 )))" "fds $fds0 -> $fds1"
check "hbf alive" "$(alive && echo 1)" "rss $(rss_kb) KiB"
finish
