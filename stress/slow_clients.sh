#!/usr/bin/env bash
# Slow clients with slowhttptest (Debian package): slowloris (-H, headers trickled every
# INTERVAL_H s) and slow body (-B, R-U-Dead-Yet: body bytes every INTERVAL_B s), against hbf
# started with short --header_timeout_ms / --body_timeout_ms (TIMEOUT_MS). Meanwhile a normal
# client requests the app every 0.25 s with fresh connections.
#
# PASS, per mode: hbf closes the slow connections at the deadline (slowhttptest's own count of
# connected sockets never reaches what an unbounded server would hold: it stays
# <= RATE x (max(timeout, INTERVAL) + 2 s); hbf counts a header/body timeout per connection), >= 95 % of the normal client's
# requests succeed, hbf stays up and its connections drain afterwards.
# Loopback only, bounded (2 x LENGTH s), stops by itself. Exit 0 PASS, 1 FAIL, 2 setup error.
#
# Env: CONNS=2000 RATE=200 LENGTH=30 TIMEOUT_MS=3000 INTERVAL_H=1 INTERVAL_B=5 HBF_BIN BUILD
#
# Note: the header deadline runs from the request's first byte, so trickling headers faster
# than TIMEOUT_MS does not help slowloris (INTERVAL_H=1). The body deadline is an idle timeout
# between reads, so slow body is cut only when a pause exceeds it (INTERVAL_B > TIMEOUT_MS):
# a client sending a byte just inside the deadline keeps its connection (see SECURITY.md).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init slow_clients
need_tools slowhttptest

CONNS=${CONNS:-2000}
RATE=${RATE:-200}
LENGTH=${LENGTH:-30}
TIMEOUT_MS=${TIMEOUT_MS:-3000}
INTERVAL_H=${INTERVAL_H:-1}
INTERVAL_B=${INTERVAL_B:-5}
COMMANDS=()

ulimit -n $(( CONNS + 1024 )) 2>/dev/null || die "cannot raise ulimit -n to $(( CONNS + 1024 )) (hard $(ulimit -Hn))"
ensure_hbf
import_app stress/apps/overload
start_hbf --header_timeout_ms "$TIMEOUT_MS" --body_timeout_ms "$TIMEOUT_MS" --access_log false --max_conn $(( CONNS + 1000 ))

run_mode() { # label flag interval kind
    local label=$1 flag=$2 interval=$3 kind=$4
    local before_to
    before_to=$(metric "hbf_timeouts_total{kind=\"$kind\"}")
    local -a cmd=(slowhttptest "$flag" -c "$CONNS" -r "$RATE" -i "$interval" -l "$LENGTH" -p 3
        -u "$HBF_URL/len" -g -o "$WORK/$label")
    [[ $flag == -B ]] && cmd+=(-s 65536)
    COMMANDS+=("$(quote "${cmd[@]}")")
    log "$label: $(quote "${cmd[@]}")"
    bg bash -c "for i in \$(seq $(( LENGTH * 4 ))); do curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 2 '$HBF_URL/hello'; sleep 0.25; done" >"$WORK/probe-$label.txt"
    local probe=$BG_PID
    timeout $(( LENGTH + 60 )) "${cmd[@]}" >"$WORK/$label.out" 2>&1 || true
    wait "$probe" 2>/dev/null || true
    local csv=$WORK/$label.csv
    [[ -s $csv ]] || { tail -20 "$WORK/$label.out" >&2; die "slowhttptest wrote no CSV ($label)"; }
    # CSV: Seconds,Closed,Pending,Connected,Service Available
    local max_connected final_closed avail_no
    max_connected=$(awk -F, 'NR > 1 && $4 + 0 > m {m = $4 + 0} END {print m + 0}' "$csv")
    final_closed=$(awk -F, 'NR > 1 {c = $2} END {print c + 0}' "$csv")
    avail_no=$(awk -F, 'NR > 1 && $5 + 0 == 0 {n++} END {print n + 0}' "$csv") # the column is 0 when its probe failed
    local timeouts=$(( $(metric "hbf_timeouts_total{kind=\"$kind\"}") - before_to ))
    local n ok slow
    n=$(wc -l <"$WORK/probe-$label.txt")
    ok=$(grep -c '^200 ' "$WORK/probe-$label.txt" || true)
    slow=$(awk '$2 > 1 {s++} END {print s + 0}' "$WORK/probe-$label.txt")
    # slowhttptest notices a close only when it next writes (every `interval` s), so a slow
    # connection it counts lives max(deadline, interval) plus up to 2 s of slack
    local lifetime=$(( TIMEOUT_MS / 1000 > interval ? TIMEOUT_MS / 1000 : interval ))
    local bound=$(( RATE * (lifetime + 2) ))
    printf '%-10s max connected %5s (bound %s of %s)  closed %6s  hbf %s timeouts %6s  probe %s/%s ok (%s > 1 s)  slowhttptest "service unavailable" samples %s\n' \
        "$label" "$max_connected" "$bound" "$CONNS" "$final_closed" "$kind" "$timeouts" "$ok" "$n" "$slow" "$avail_no" |
        tee -a "$WORK/table.txt"
    check "$label: slow connections cut at the deadline" \
        "$( (( max_connected <= bound && final_closed > 0 && timeouts >= CONNS * 9 / 10 )) && echo 1)" \
        "max connected $max_connected <= $bound, closed $final_closed, hbf $kind timeouts $timeouts"
    check "$label: normal client served (>= 95 %)" "$(cmp $(( ok * 100 )) '>=' $(( n * 95 )))" "$ok of $n x 200, $slow slower than 1 s"
    check "$label: hbf alive" "$(alive && echo 1)" "rss $(rss_kb) KiB, fds $(fd_count)"
    local a
    for _ in $(seq 100); do a=$(metric hbf_connections_active); (( a <= 1 )) && break; sleep 0.1; done
    check "$label: connections drained afterwards" "$(cmp "$a" '<=' 1)" "active $a"
}

run_mode slowloris -H "$INTERVAL_H" header
run_mode slowbody -B "$INTERVAL_B" body

echo
cat "$WORK/table.txt"
echo "load:"
printf '  %s\n' "${COMMANDS[@]}"
echo "  + curl $HBF_URL/hello every 0.25 s (fresh connection, --max-time 2)"
finish
