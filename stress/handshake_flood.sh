#!/usr/bin/env bash
# A bounded TLS handshake flood against HBF while wrk measures what must not suffer: plain
# `GET /health` and `GET /health` over already-established TLS keep-alive connections. Two
# phases of DURATION seconds each, same wrk load: without the flood, then with FLOOD parallel
# `openssl s_time -new` clients (a full handshake per connection, as fast as they can). Prints
# p99 and req/s of both routes in both phases, the handshakes/s of the flood and the CPU of
# the event loop and of the handshake pool, and PASS when, under the flood, the p99 of both
# routes stays within the bound stated in SECURITY.md: at most BOUND_MS (default 25) ms, or 5x
# the phase-one p99 if that is larger (a shared machine's baseline).
#
# Env: DURATION=10 (s per phase) FLOOD=4 CONNS=4 (wrk connections per route) BOUND_MS=25
#      HBF_ARGS="" (e.g. "--tls_handshake_threads 0" for handshakes on the loop, the old way)
#      HBF_BIN BUILD STARTUP_TIMEOUT (see lib.sh)
# Needs: wrk, openssl, curl, python3.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init handshake_flood
need_tools wrk openssl
DURATION=${DURATION:-10}
FLOOD=${FLOOD:-4}
CONNS=${CONNS:-4}
BOUND_MS=${BOUND_MS:-25}
HBF_ARGS=${HBF_ARGS:-}
ensure_hbf

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >"$WORK/pki.log" 2>&1 ||
    { cat "$WORK/pki.log" >&2; die "certificate generation failed"; }
# shellcheck disable=SC2086
start_hbf --tls_port 0 --tls_cert "$WORK/cert.pem" --tls_key "$WORK/key.pem" \
    --access_log false $HBF_ARGS
TPORT=$(grep -m1 '"msg":"listening"' "$HBF_LOG" | grep -oE '"tls_addr":"127\.0\.0\.1:[0-9]+' | grep -oE '[0-9]+$' || true)
[[ -n $TPORT ]] || die "no TLS port in the listening line"

TICK=$(getconf CLK_TCK)
threads_cpu_ms() { # comm-prefix -> CPU ms of the server's threads whose name starts with it
    local sum=0 t
    for t in /proc/"$HBF_PID"/task/*; do
        [[ $(cat "$t/comm" 2>/dev/null) == "$1"* ]] || continue
        sum=$(( sum + $(awk '{print $14 + $15}' "$t/stat") ))
    done
    echo $(( sum * 1000 / TICK ))
}
to_ms() { # wrk latency (812.00us, 2.21ms, 1.03s) -> ms
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
        else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
WRK_CMDS=()
measure() { # phase
    local plain=(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$HBF_PORT/health")
    local tls=(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "https://127.0.0.1:$TPORT/health")
    WRK_CMDS=("$(quote "${plain[@]}")" "$(quote "${tls[@]}")")
    bg timeout $(( DURATION + 30 )) "${plain[@]}" >"$WORK/$1-plain.txt" 2>&1
    local a=$BG_PID
    bg timeout $(( DURATION + 30 )) "${tls[@]}" >"$WORK/$1-tls.txt" 2>&1
    local b=$BG_PID
    wait "$a" || die "wrk (plain) failed: $(cat "$WORK/$1-plain.txt")"
    wait "$b" || die "wrk (tls) failed: $(cat "$WORK/$1-tls.txt")"
}
p99_ms() { to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/$1.txt")"; }
rps() { awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$WORK/$1.txt"; }

log "phase 1: wrk on both routes, no flood (${DURATION}s)"
loop0=$(threads_cpu_ms hbf-loop); pool0=$(threads_cpu_ms hbf-tls)
measure base
loop1=$(threads_cpu_ms hbf-loop); pool1=$(threads_cpu_ms hbf-tls)

log "phase 2: the same with $FLOOD parallel 'openssl s_time -new' clients"
hs0=$(metric 'hbf_handshakes_total{result="ok"}')
over0=$(metric 'hbf_handshakes_total{result="overload"}')
STIME=(openssl s_time -connect "127.0.0.1:$TPORT" -new -time $(( DURATION + 2 )))
spids=()
for i in $(seq "$FLOOD"); do
    bg timeout $(( DURATION + 30 )) "${STIME[@]}" </dev/null >"$WORK/stime-$i.txt" 2>&1
    spids+=("$BG_PID")
done
sleep 1
t0=$(date +%s.%N)
measure flood
t1=$(date +%s.%N)
loop2=$(threads_cpu_ms hbf-loop); pool2=$(threads_cpu_ms hbf-tls)
hs1=$(metric 'hbf_handshakes_total{result="ok"}')
for p in "${spids[@]}"; do wait "$p" || true; done
over1=$(metric 'hbf_handshakes_total{result="overload"}')

secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
hps=$(awk -v n="$(( hs1 - hs0 ))" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')
echo
echo "== GET /health, wrk -t1 -c$CONNS -d${DURATION}s per route, both routes at once"
printf '%-22s %10s %10s %12s %12s\n' phase "plain r/s" "tls r/s" "plain p99" "tls p99"
for phase in base flood; do
    printf '%-22s %10s %10s %9s ms %9s ms\n' "$phase" "$(rps $phase-plain)" "$(rps $phase-tls)" \
        "$(p99_ms $phase-plain)" "$(p99_ms $phase-tls)"
done
echo "flood: $FLOOD clients, $(( hs1 - hs0 )) full handshakes in ${secs}s = $hps/s, $(( over1 - over0 )) shed (overload)"
echo "CPU ms: event loop $(( loop1 - loop0 )) (base) / $(( loop2 - loop1 )) (flood); handshake pool $(( pool1 - pool0 )) / $(( pool2 - pool1 ))"

for route in plain tls; do
    base=$(p99_ms base-$route)
    flood=$(p99_ms flood-$route)
    bound=$(awk -v b="$base" -v m="$BOUND_MS" 'BEGIN {x = 5 * b; printf "%.2f", (x > m ? x : m)}')
    check "$route p99 under the flood within bound" "$(cmp "$flood" '<=' "$bound")" \
        "${flood} ms (no flood: ${base} ms; bound ${bound} ms)"
done
check "the flood did handshakes" "$(cmp "$(( hs1 - hs0 ))" '>=' 50)" "$(( hs1 - hs0 )) handshakes"
check "server alive" "$(alive && echo 1)" "pid $HBF_PID"
echo "commands:"
printf '  %s\n' "${WRK_CMDS[@]}" "$FLOOD x $(quote "${STIME[@]}") (in parallel, during phase 2)"
finish
