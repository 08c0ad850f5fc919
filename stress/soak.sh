#!/usr/bin/env bash
# Soak: DURATION seconds of moderate keep-alive load (wrk, 3 SQLite reads : 1 write on
# stress/apps/overload) while VmRSS, open fds and threads of hbf are sampled every SAMPLE
# seconds into a CSV. The least-squares slope of RSS over the second half is the growth trend.
# Loopback only, bounded, stops by itself. Exit 0 PASS, 1 FAIL, 2 setup error.
#
# PASS: no non-2xx responses and no socket errors, hbf alive and answering afterwards, the
# second-half RSS slope <= SLOPE_MAX_KIB_PER_MIN, fds at the end <= fds at the half + 8.
#
# Env: DURATION=600 (or SOAK_DURATION, which wins: run_all.sh passes one environment to every
#      script) SAMPLE=10 CONNS=8 THREADS=1 SOAK_DELAY_MS=5 (per connection, between
#      requests) WARMUP=10 SLOPE_MAX_KIB_PER_MIN=64 OUT=stress/results (CSV + PNG written
#      there as soak_rss.csv / soak_rss.png) PLOT=1 HBF_BIN BUILD HBF_ARGS NICE=10
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init soak
need_tools wrk

DURATION=${SOAK_DURATION:-${DURATION:-600}}
SAMPLE=${SAMPLE:-10}
CONNS=${CONNS:-8}
THREADS=${THREADS:-1}
export SOAK_DELAY_MS=${SOAK_DELAY_MS:-5}
WARMUP=${WARMUP:-10}
SLOPE_MAX_KIB_PER_MIN=${SLOPE_MAX_KIB_PER_MIN:-64}
OUT=${OUT:-stress/results}
PLOT=${PLOT:-1}
NICE=${NICE:-10}
HBF_ARGS=${HBF_ARGS:-}
[[ $DURATION =~ ^[0-9]+$ && $SAMPLE =~ ^[0-9]+$ && $SAMPLE -gt 0 ]] || die "DURATION and SAMPLE are whole seconds"

ensure_hbf
import_app stress/apps/overload
HBF_WRAP=(nice -n "$NICE")
# shellcheck disable=SC2086
start_hbf --workers 2 $HBF_ARGS
mkdir -p "$OUT"
CSV=$OUT/soak_rss.csv

log "warm-up ${WARMUP}s"
timeout $(( WARMUP + 30 )) nice -n "$NICE" wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -s stress/soak.lua "$HBF_URL" >/dev/null 2>&1 ||
    die "warm-up wrk failed"

WRK_CMD=(nice -n "$NICE" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s stress/soak.lua "$HBF_URL")
log "load: SOAK_DELAY_MS=$SOAK_DELAY_MS $(quote "${WRK_CMD[@]}")"
bg timeout $(( DURATION + 60 )) "${WRK_CMD[@]}" >"$WORK/wrk.txt" 2>&1
WRK_PID=$BG_PID

echo "t_s,rss_kib,fds,threads,requests_2xx,requests_non2xx" >"$CSV"
start=$SECONDS
sample() {
    local t=$(( SECONDS - start )) counts
    # one /metrics read for both counters (two reads would race with the load)
    counts=$(curl -s --max-time 5 "$HBF_ADMIN_URL/metrics" | awk '
        $1 == "hbf_requests_total{class=\"2xx\"}" {ok = $2}
        $1 ~ /^hbf_requests_total\{class="[1345]xx"\}$/ {bad += $2}
        END {printf "%d,%d", ok, bad}')
    echo "$t,$(rss_kb),$(fd_count),$(awk '/^Threads:/ {print $2}' "/proc/$HBF_PID/status"),$counts" >>"$CSV"
}
next=0
while kill -0 "$WRK_PID" 2>/dev/null && alive; do
    if (( SECONDS - start >= next )); then
        sample
        (( next % 60 == 0 )) && log "t=${next}s $(tail -n1 "$CSV")"
        next=$(( next + SAMPLE ))
    fi
    sleep 0.5
done
alive && sample
wait "$WRK_PID" 2>/dev/null || true
cat "$WORK/wrk.txt"

# ---- analysis -------------------------------------------------------------------------
read -r n first_kib half_kib last_kib max_kib slope half_fds last_fds < <(awk -F, 'BEGIN { n = 0 } NR > 1 {
        t[n] = $1; r[n] = $2; f[n] = $3; n++ }
    END {
        h = int(n / 2); sx = sy = sxx = sxy = 0; m = 0; mx = 0
        for (i = h; i < n; i++) { x = t[i] / 60; sx += x; sy += r[i]; sxx += x * x; sxy += x * r[i]; m++ }
        for (i = 0; i < n; i++) if (r[i] > mx) mx = r[i]
        d = m * sxx - sx * sx
        slope = (m > 1 && d > 0) ? (m * sxy - sx * sy) / d : 0
        printf "%d %d %d %d %d %.1f %d %d\n", n, r[0], r[h], r[n-1], mx, slope, f[h], f[n-1] }' "$CSV")
rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.txt")
non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$WORK/wrk.txt")
errs=$(awk '/Socket errors:/ {gsub(",", ""); s = $4 + $6 + $8 + $10} END {print s + 0}' "$WORK/wrk.txt")
total=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")

echo
echo "samples: $n every ${SAMPLE}s; RSS first ${first_kib} KiB, at half ${half_kib} KiB, last ${last_kib} KiB, max ${max_kib} KiB"
echo "second-half RSS slope: ${slope} KiB/min (limit $SLOPE_MAX_KIB_PER_MIN); fds at half $half_fds, at end $last_fds"
echo "load: ${total:-?} requests, ${rps:-?} req/s, non-2xx ${non2xx:-0}, socket errors ${errs:-?}"
echo "csv: $CSV"

check "wrk ran for the whole duration" "$( [[ -n $rps ]] && echo 1)" "${total:-?} requests, ${rps:-?} req/s"
check "no non-2xx responses" "$(cmp "${non2xx:-0}" == 0)" "non-2xx ${non2xx:-0}"
check "no socket errors" "$(cmp "${errs:-1}" == 0)" "errors ${errs:-?}"
check "hbf alive after the soak" "$(alive && echo 1)" "pid $HBF_PID"
check "/health and the app answer 200 afterwards" \
    "$( [[ $(http_status "$HBF_URL/_hbf/health") == 200 && $(http_status "$HBF_URL/soak/read?k=1") == 200 ]] && echo 1)" ""
check "no RSS growth trend (second half)" "$(cmp "$slope" '<=' "$SLOPE_MAX_KIB_PER_MIN")" \
    "slope ${slope} KiB/min; RSS ${first_kib} -> ${half_kib} -> ${last_kib} KiB (max ${max_kib})"
check "no fd growth" "$(cmp "$last_fds" '<=' $(( half_fds + 8 )))" "fds $half_fds at half, $last_fds at end"

if (( PLOT )); then
    python3 stress/plot_rss.py "$CSV" "$OUT/soak_rss.png" \
        --title "hbf soak: ${DURATION}s, ${rps:-?} req/s, slope ${slope} KiB/min" ||
        log "plot failed (not a stress failure): see stress/plot_rss.py"
fi
echo "load:    $(quote "${WRK_CMD[@]}") (SOAK_DELAY_MS=$SOAK_DELAY_MS)"
finish
